//! Who is calling, and under which request id. Built by the HTTP layer for every request and
//! handed to resolvers through async-graphql's request data.

use std::net::IpAddr;
use std::sync::Arc;

use async_graphql::Context;

use crate::authz::Role;
use crate::error::{AppError, AppResult};

/// A role held in one department (its code) or in every department (`*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub role: Role,
    pub department: String,
}

/// A signed-in user, as loaded for this request: token version checked, roles current.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: String,
    pub email: String,
    pub employee_id: Option<String>,
    pub assignments: Vec<Assignment>,
}

#[derive(Clone, Debug)]
pub enum Auth {
    /// No `Authorization` header.
    Anonymous,
    /// A header was sent but the token is bad, expired, forged or revoked.
    Invalid,
    User(Arc<Principal>),
}

#[derive(Clone, Debug)]
pub struct RequestCtx {
    pub request_id: String,
    pub client_ip: Option<IpAddr>,
    pub auth: Auth,
}

impl RequestCtx {
    /// A context for work the system does on its own (start-up, demo data, CLI).
    pub fn system(request_id: impl Into<String>) -> Self {
        Self { request_id: request_id.into(), client_ip: None, auth: Auth::Anonymous }
    }

    pub fn principal(&self) -> AppResult<&Principal> {
        match &self.auth {
            Auth::User(p) => Ok(p),
            _ => Err(AppError::Unauthenticated),
        }
    }

    pub fn principal_opt(&self) -> Option<&Principal> {
        match &self.auth {
            Auth::User(p) => Some(p),
            _ => None,
        }
    }
}

/// The request context of a resolver. The HTTP layer always attaches one.
pub fn request_ctx<'a>(ctx: &Context<'a>) -> &'a RequestCtx {
    ctx.data_unchecked::<RequestCtx>()
}
