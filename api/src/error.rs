//! The one error type of the API and the only place that knows the contract's error codes
//! (CONTRACT.md §2). Services return `AppError`; resolvers let `?` turn it into a GraphQL
//! error carrying `extensions.code` (and `extensions.field` for bad input).

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No token, a bad/expired/forged/revoked token, or any failed login: one message.
    #[error("authentication required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    /// Does not exist, or lies outside the caller's scope: the two are indistinguishable.
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    BadInput { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests, try again later")]
    TooManyRequests,
    /// Anything unexpected: logged with its cause chain, answered with a generic message.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const CONFLICT: &str = "CONFLICT";
    pub const TOO_MANY_REQUESTS: &str = "TOO_MANY_REQUESTS";
    pub const INTERNAL: &str = "INTERNAL";
}

impl AppError {
    pub fn forbidden() -> Self {
        Self::Forbidden("not allowed".into())
    }

    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput { field: field.into(), message: message.into() }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => code::UNAUTHENTICATED,
            Self::Forbidden(_) => code::FORBIDDEN,
            Self::NotFound => code::NOT_FOUND,
            Self::BadInput { .. } => code::BAD_USER_INPUT,
            Self::Conflict(_) => code::CONFLICT,
            Self::TooManyRequests => code::TOO_MANY_REQUESTS,
            Self::Internal(_) => code::INTERNAL,
        }
    }

    /// A reference inside an input (`input.managerId`, say) that names nothing the caller can
    /// see: `NOT_FOUND` becomes `BAD_USER_INPUT` on `field`, with one message whether the record
    /// is missing, malformed or out of scope (CONTRACT.md §10).
    pub fn as_reference(self, field: &str, what: &str) -> Self {
        match self {
            Self::NotFound => Self::bad_input(field, format!("no {what} with this id")),
            other => other,
        }
    }

    /// Prefixes the input path of a `BadInput`, e.g. `quantity` -> `input.lines[0].quantity`.
    pub fn within(self, prefix: &str) -> Self {
        match self {
            Self::BadInput { field, message } => Self::BadInput { field: format!("{prefix}.{field}"), message },
            other => other,
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        Self::Internal(err.into())
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        if let AppError::Internal(cause) = &err {
            // The request id is on the enclosing span; the cause never leaves the server.
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let code = err.code();
        let field = match &err {
            AppError::BadInput { field, .. } => Some(field.clone()),
            _ => None,
        };
        async_graphql::Error::new(err.to_string()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(field) = field {
                ext.set("field", field);
            }
        })
    }
}

/// A DataLoader's failure, as the INTERNAL error it is.
pub fn loader_error(err: std::sync::Arc<DbErr>) -> async_graphql::Error {
    AppError::internal(anyhow::anyhow!("{err}")).into()
}

/// Turns database constraint violations into the client errors they stand for.
pub trait DbResultExt<T> {
    /// A unique-constraint violation becomes `CONFLICT` with this message.
    fn on_duplicate(self, message: &str) -> AppResult<T>;
}

impl<T> DbResultExt<T> for Result<T, DbErr> {
    fn on_duplicate(self, message: &str) -> AppResult<T> {
        self.map_err(|err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::conflict(message),
            _ => AppError::from(err),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extensions(err: AppError) -> serde_json::Value {
        let gql: async_graphql::Error = err.into();
        serde_json::to_value(gql.extensions.unwrap()).unwrap()
    }

    #[test]
    fn every_variant_carries_its_contract_code() {
        let cases = [
            (AppError::Unauthenticated, "UNAUTHENTICATED"),
            (AppError::forbidden(), "FORBIDDEN"),
            (AppError::NotFound, "NOT_FOUND"),
            (AppError::bad_input("input.x", "bad"), "BAD_USER_INPUT"),
            (AppError::conflict("no"), "CONFLICT"),
            (AppError::TooManyRequests, "TOO_MANY_REQUESTS"),
            (AppError::internal(anyhow::anyhow!("boom")), "INTERNAL"),
        ];
        for (err, expected) in cases {
            assert_eq!(extensions(err)["code"], expected);
        }
    }

    #[test]
    fn bad_input_names_the_field_path() {
        let err = AppError::bad_input("quantity", "must be positive").within("input.lines[0]");
        let ext = extensions(err);
        assert_eq!(ext["field"], "input.lines[0].quantity");
    }

    #[test]
    fn internal_errors_never_reveal_their_cause() {
        let err = AppError::from(DbErr::Custom("SELECT * FROM users; no such column".into()));
        let gql: async_graphql::Error = err.into();
        assert_eq!(gql.message, "internal error");
    }
}
