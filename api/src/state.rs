//! What every request shares: the database, settings, policy enforcer, token keys and the
//! audit checkpoints' key.

use std::sync::Arc;
use std::time::Duration;

use crate::audit::checkpoint::Checkpoints;
use crate::auth::principals::PrincipalCache;
use crate::auth::tokens::TokenKeys;
use crate::authz::Authorizer;
use crate::config::Settings;
use crate::kernel::db::{Database, Health};
use crate::live::Hub;

/// How often the watchdog asks the database whether it is there, and how long it waits for the
/// answer: a silent database is noticed within about three seconds.
const HEALTH_PING_INTERVAL: Duration = Duration::from_secs(1);
const HEALTH_PING_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub authz: Arc<Authorizer>,
    pub tokens: Arc<TokenKeys>,
    /// Whether the database answers (watched on PostgreSQL).
    pub health: Health,
    /// Principals of recent tokens, forgotten as soon as they change.
    pub principals: Arc<PrincipalCache>,
    /// The audit checkpoints' signing key and origin.
    pub checkpoints: Arc<Checkpoints>,
    /// Live subscriptions' reader of the audit log (and their connections).
    pub live: Arc<Hub>,
}

impl AppState {
    /// `jwt_secret` is the configured key, or the throw-away key of a demo run.
    pub async fn new(settings: Settings, db: Database, jwt_secret: &str) -> anyhow::Result<Self> {
        let health = if settings.is_sqlite() {
            Health::unwatched()
        } else {
            let timeout = Duration::from_secs(settings.database_acquire_timeout_secs).min(HEALTH_PING_TIMEOUT);
            Health::watch(&settings.database_url, HEALTH_PING_INTERVAL, timeout)
        };
        let principals =
            Arc::new(if settings.is_sqlite() { PrincipalCache::disabled() } else { PrincipalCache::new() });
        let cache = principals.clone();
        db.notifier.subscribe(move |notice| cache.on_notice(notice));
        // After the cache: a socket rechecking its token on a notice finds the cache forgotten.
        let live = Hub::start(&db);
        db.relay_notices();
        Ok(Self {
            health,
            principals,
            checkpoints: Arc::new(Checkpoints::from_settings(&settings)?),
            authz: Arc::new(Authorizer::load().await?),
            tokens: Arc::new(TokenKeys::new(&settings, jwt_secret)),
            settings: Arc::new(settings),
            live,
            db,
        })
    }
}

/// The shared state of a resolver.
pub fn app_state<'a>(ctx: &async_graphql::Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}
