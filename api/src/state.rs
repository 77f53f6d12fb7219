//! What every request shares: the database, settings, policy enforcer and token keys.

use std::sync::Arc;

use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenKeys;
use crate::authz::Authorizer;
use crate::config::Settings;
use crate::kernel::db::Database;

#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub authz: Arc<Authorizer>,
    pub tokens: Arc<TokenKeys>,
    pub login_throttle: Arc<LoginThrottle>,
}

impl AppState {
    /// `jwt_secret` is the configured key, or the throw-away key of a demo run.
    pub async fn new(settings: Settings, db: Database, jwt_secret: &str) -> anyhow::Result<Self> {
        Ok(Self {
            authz: Arc::new(Authorizer::load().await?),
            tokens: Arc::new(TokenKeys::new(&settings, jwt_secret)),
            login_throttle: Arc::new(LoginThrottle::new(settings.login_rate_limit_per_minute)),
            settings: Arc::new(settings),
            db,
        })
    }
}

/// The shared state of a resolver.
pub fn app_state<'a>(ctx: &async_graphql::Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}
