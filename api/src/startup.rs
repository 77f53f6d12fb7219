//! Building the application — database, migrations, state, schema, routes — and running it
//! until SIGTERM/SIGINT, when in-flight requests finish before the process exits.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use migration::{Migrator, MigratorTrait};

use crate::auth::{password, service::bootstrap_admin};
use crate::config::{Secret, Settings};
use crate::http::{self, Gateway};
use crate::kernel::db::{Database, PoolOptions, StartupLock};
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
    /// The Prometheus listener (`METRICS_ADDR`) and its port, when it serves.
    metrics: Option<(Server, u16)>,
    pub state: AppState,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ServeOptions {
    /// Seed the demo company (once) and allow a throw-away JWT secret.
    pub demo: bool,
}

/// Connects to the database with the configured pool.
async fn connect(settings: &Settings) -> anyhow::Result<Database> {
    let pool = PoolOptions {
        max_connections: settings.database_max_connections,
        acquire_timeout: Duration::from_secs(settings.database_acquire_timeout_secs),
    };
    Database::connect(&settings.database_url, pool).await
}

/// Migrations, then the audit log's Merkle tree for events that predate it (once: later
/// appends extend it in their own transactions).
async fn migrate(db: &Database) -> anyhow::Result<()> {
    Migrator::up(&db.conn, None).await.map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    let added =
        crate::audit::tree::catch_up(db).await.map_err(|e| anyhow::anyhow!("building the audit tree: {e:?}"))?;
    if added > 0 {
        tracing::info!(events = added, "built the audit log's Merkle tree for existing events");
    }
    Ok(())
}

async fn startup_lock(settings: &Settings) -> anyhow::Result<StartupLock> {
    StartupLock::acquire(&settings.database_url, Duration::from_secs(settings.database_acquire_timeout_secs)).await
}

/// Connects and brings the schema up to date, one process at a time.
pub async fn connect_and_migrate(settings: &Settings) -> anyhow::Result<Database> {
    let lock = startup_lock(settings).await?;
    let db = connect(settings).await?;
    migrate(&db).await?;
    lock.release().await?;
    Ok(db)
}

impl Application {
    pub async fn build(mut settings: Settings, options: ServeOptions) -> anyhow::Result<Self> {
        crate::telemetry::metrics::start_recording(&settings);
        if settings.jwt_secret.is_none() && options.demo {
            let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
            tracing::warn!("JWT_SECRET is not set: this demo run signs tokens with a random key");
            settings.jwt_secret = Some(Secret::new(secret));
        }
        if options.demo {
            crate::audit::checkpoint::demo_key(&mut settings)?;
        }
        settings.require_jwt_secret()?;
        let secret = settings.jwt_secret.clone().expect("checked above");

        // Migrations, the first administrator and the demo company: exactly once, however
        // many processes start together (CONTRACT.md §11).
        let lock = startup_lock(&settings).await?;
        let db = connect(&settings).await?;
        migrate(&db).await?;
        let state = AppState::new(settings.clone(), db, secret.expose()).await?;
        password::warm_up();

        if let (Some(email), Some(pw)) = (&settings.bootstrap_admin_email, &settings.bootstrap_admin_password)
            && bootstrap_admin(&state, email, pw.expose()).await.map_err(|e| anyhow::anyhow!("bootstrap admin: {e}"))?
        {
            tracing::info!(email = %email, "created the bootstrap administrator");
        }
        if options.demo {
            crate::demo::seed(&state).await?;
        }
        lock.release().await?;
        crate::audit::checkpoint::spawn_periodic(state.clone());
        if state.checkpoints.signer().is_err() {
            tracing::warn!("AUDIT_SIGNING_KEY is not set: no audit checkpoints will be made");
        }

        let listener = TcpListener::bind(&settings.bind_addr)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind_addr))?;
        let port = listener.local_addr()?.port();
        let gateway = web::Data::new(Gateway {
            schema: crate::graphql::build(state.clone(), &settings),
            state: state.clone(),
            documents: Default::default(),
            persisted: crate::http::persisted::Persisted::new(&settings.persisted_operations),
        });
        let origins = settings.cors_allowed_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(gateway.clone())
                .configure(http::configure)
                .wrap(http::cors(&origins))
                .wrap(from_fn(http::with_request_id))
        })
        .shutdown_timeout(settings.shutdown_timeout_secs)
        .listen(listener)?
        .run();
        let metrics = crate::telemetry::metrics::serve(&state);
        Ok(Self { port, server, metrics, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `/metrics`, when metrics are served.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// Serves until stopped. actix-web handles SIGTERM and SIGINT: it stops accepting, lets
    /// in-flight requests finish (their transactions commit or roll back whole), then returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(server, _)| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let result = self.server.await;
        if let Some(metrics) = metrics {
            metrics.stop(false).await;
        }
        self.state.db.conn.close_by_ref().await.ok();
        result
    }
}
