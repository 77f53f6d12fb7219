//! GraphQL of sessions: `login`, `refreshToken`, `logout`, `changePassword`.

use async_graphql::{Context, Object, Result, SimpleObject};

use super::service::{self, Session};
use crate::kernel::context::request_ctx;
use crate::org::graphql::User;
use crate::state::app_state;

#[derive(SimpleObject)]
pub struct AuthPayload {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: i32,
    pub user: User,
}

impl From<Session> for AuthPayload {
    fn from(s: Session) -> Self {
        Self {
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            token_type: "Bearer".into(),
            expires_in: i32::try_from(s.expires_in).unwrap_or(i32::MAX),
            user: User { model: s.user, viewer_is_self: true },
        }
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Exchanges an email and password for a token pair. Every failure is the same UNAUTHENTICATED.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        #[graphql(secret)] password: String,
    ) -> Result<AuthPayload> {
        Ok(service::login(app_state(ctx), request_ctx(ctx), &email, password).await?.into())
    }

    /// Exchanges a refresh token for a new pair; the old one is retired. Reuse revokes its family.
    async fn refresh_token(&self, ctx: &Context<'_>, #[graphql(secret)] refresh_token: String) -> Result<AuthPayload> {
        Ok(service::refresh(app_state(ctx), request_ctx(ctx), &refresh_token).await?.into())
    }

    /// Revokes a refresh token of the caller's; false when there was nothing to revoke.
    async fn logout(&self, ctx: &Context<'_>, #[graphql(secret)] refresh_token: String) -> Result<bool> {
        Ok(service::logout(app_state(ctx), request_ctx(ctx), &refresh_token).await?)
    }

    /// Needs the current password; signs out every session of the user.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] current_password: String,
        #[graphql(secret)] new_password: String,
    ) -> Result<bool> {
        Ok(service::change_password(app_state(ctx), request_ctx(ctx), current_password, new_password).await?)
    }
}
