//! Connecting to SQLite or PostgreSQL, and starting write transactions that wait their turn.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sqlx::postgres::PgSslMode;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::notify::Notifier;

/// How long an SQLite writer waits for another process's write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The connection pool, plus — on SQLite — the gate that queues this process's writers.
#[derive(Clone)]
pub struct Database {
    pub conn: DatabaseConnection,
    /// SQLite has one writer at a time. Queueing our own writers here (fairly, without holding
    /// a connection) and starting each with `BEGIN IMMEDIATE` means a client never sees
    /// "database is locked"; the busy timeout covers other processes on the same file.
    sqlite_writer: Option<Arc<Mutex<()>>>,
    /// SQL statements run through the pool since start-up (the N+1 guard of the tests).
    statements: Arc<AtomicU64>,
    /// Committed changes other parts of the process (and other processes) must hear of.
    pub notifier: Arc<Notifier>,
}

/// A write transaction, holding its turn on SQLite until it ends.
pub struct WriteTxn {
    pub txn: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    /// Commits, and gives up the turn with it.
    pub async fn commit(self) -> Result<(), sea_orm::DbErr> {
        self.txn.commit().await
    }
}

/// How the pool behaves: its size, and how long a request waits for a connection before it
/// fails (`DATABASE_ACQUIRE_TIMEOUT_SECS`): a database that is gone or silent costs a request
/// that long, never more.
#[derive(Clone, Copy, Debug)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Database {
    pub async fn connect(url: &str, pool: PoolOptions) -> anyhow::Result<Self> {
        let mut options = ConnectOptions::new(url.to_string());
        options
            .max_connections(pool.max_connections)
            .min_connections(1)
            .connect_timeout(pool.acquire_timeout)
            .acquire_timeout(pool.acquire_timeout)
            // A connection that went bad while idle is found out before a request gets it.
            .test_before_acquire(true)
            .sqlx_logging(false);
        let is_sqlite = url.starts_with("sqlite:");
        if !is_sqlite && loopback_without_sslmode(url) {
            // TLS to a server on this very machine protects nothing and costs both sides CPU on
            // every row; libpq's "prefer" would use it. An explicit sslmode is always obeyed.
            options.map_sqlx_postgres_opts(|opts| opts.ssl_mode(PgSslMode::Disable));
        }
        if is_sqlite {
            options.map_sqlx_sqlite_opts(|opts: SqliteConnectOptions| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
            });
        }
        let mut conn =
            sea_orm::Database::connect(options).await.map_err(|e| anyhow::anyhow!(describe_connect_error(url, &e)))?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let notifier = Arc::new(Notifier::default());
        Ok(Self { conn, sqlite_writer: is_sqlite.then(|| Arc::new(Mutex::new(()))), statements, notifier })
    }

    /// How many SQL statements the pool has run.
    pub fn statements_run(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Starts relaying other processes' notices (PostgreSQL only; a server calls it once its
    /// subscribers are in place, so none misses the feed coming up).
    pub fn relay_notices(&self) {
        if self.backend() == DbBackend::Postgres {
            self.notifier.relay_from(self.conn.get_postgres_connection_pool().clone());
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Begins a transaction that may write.
    pub async fn begin_write(&self) -> Result<WriteTxn, sea_orm::DbErr> {
        let turn = match &self.sqlite_writer {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        let options = TransactionOptions {
            sqlite_transaction_mode: turn.as_ref().map(|_| SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let txn = self.conn.begin_with_options(options).await?;
        Ok(WriteTxn { txn, _turn: turn })
    }

    /// Runs one autocommitted write. On SQLite it waits its turn behind this process's other
    /// writers, as transactions do.
    pub async fn autocommit_write<T, F, Fut>(&self, write: F) -> Result<T, sea_orm::DbErr>
    where
        F: FnOnce(DatabaseConnection) -> Fut,
        Fut: std::future::Future<Output = Result<T, sea_orm::DbErr>>,
    {
        let _turn = match &self.sqlite_writer {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        write(self.conn.clone()).await
    }

    pub async fn ping(&self) -> bool {
        self.conn.ping().await.is_ok()
    }
}

/// Serialises start-up work — migrations, the bootstrap administrator, the demo company —
/// across processes starting together on one PostgreSQL database (CONTRACT.md §11): a
/// session-level advisory lock, held on a connection of its own until released. The others
/// wait, then find the work done. On SQLite it is a no-op: one process serves a file.
pub struct StartupLock {
    conn: Option<DatabaseConnection>,
}

/// The advisory lock's key: "trastien" in ASCII.
const STARTUP_LOCK_KEY: i64 = 0x7472_6173_7469_656e;

impl StartupLock {
    pub async fn acquire(url: &str, connect_timeout: Duration) -> anyhow::Result<Self> {
        if !url.starts_with("postgres") {
            return Ok(Self { conn: None });
        }
        let mut options = ConnectOptions::new(url.to_string());
        // One connection: the lock belongs to the session that took it.
        options.max_connections(1).min_connections(1).connect_timeout(connect_timeout).sqlx_logging(false);
        let conn =
            sea_orm::Database::connect(options).await.map_err(|e| anyhow::anyhow!(describe_connect_error(url, &e)))?;
        conn.execute_unprepared(&format!("SELECT pg_advisory_lock({STARTUP_LOCK_KEY})")).await?;
        Ok(Self { conn: Some(conn) })
    }

    pub async fn release(self) -> anyhow::Result<()> {
        if let Some(conn) = self.conn {
            conn.execute_unprepared(&format!("SELECT pg_advisory_unlock({STARTUP_LOCK_KEY})")).await?;
            conn.close().await?;
        }
        Ok(())
    }
}

/// Whether the database answers, as seen by a watchdog on a connection of its own (so that a
/// busy pool never looks like a dead database). When it stops answering — refused, or silent —
/// requests fail at once instead of queueing, those in flight are abandoned (their transactions
/// roll back), and `/ready` says 503; when it answers again, everything resumes by itself.
#[derive(Clone)]
pub struct Health(Option<watch::Receiver<bool>>);

impl Health {
    /// Not watched: SQLite is a file of this process, with nothing to go silent.
    pub fn unwatched() -> Self {
        Self(None)
    }

    pub fn is_up(&self) -> bool {
        self.0.as_ref().is_none_or(|rx| *rx.borrow())
    }

    /// Resolves once the database is found unreachable.
    pub async fn lost(&self) {
        let Some(rx) = &self.0 else { return std::future::pending().await };
        // An error means the watchdog is gone, i.e. the process is stopping: never resolve.
        if rx.clone().wait_for(|up| !*up).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Starts the watchdog: a ping every `interval`, each bounded by `timeout`.
    pub fn watch(url: &str, interval: Duration, timeout: Duration) -> Self {
        let (tx, rx) = watch::channel(true);
        let url = url.to_string();
        tokio::spawn(async move {
            let mut conn: Option<DatabaseConnection> = None;
            loop {
                if conn.is_none() {
                    let mut options = ConnectOptions::new(url.clone());
                    options.max_connections(1).connect_timeout(timeout).acquire_timeout(timeout).sqlx_logging(false);
                    conn = tokio::time::timeout(timeout, sea_orm::Database::connect(options))
                        .await
                        .ok()
                        .and_then(Result::ok);
                }
                // A protocol-level ping, not a statement: nothing in the server's statement log.
                let up = match &conn {
                    Some(c) => tokio::time::timeout(timeout, c.ping()).await.is_ok_and(|r| r.is_ok()),
                    None => false,
                };
                if !up {
                    // A connection that went silent may never speak again: start afresh next time.
                    conn = None;
                }
                tx.send_if_modified(|current| {
                    if *current != up {
                        if up {
                            tracing::info!("the database answers again");
                        } else {
                            tracing::error!("the database does not answer: refusing requests until it does");
                        }
                    }
                    std::mem::replace(current, up) != up
                });
                if tx.is_closed() {
                    return;
                }
                tokio::time::sleep(interval).await;
            }
        });
        Self(Some(rx))
    }
}

/// A PostgreSQL URL naming this machine (or a Unix socket) and no `sslmode`.
fn loopback_without_sslmode(url: &str) -> bool {
    let Some(rest) = url.split_once("://").map(|(_, rest)| rest) else { return false };
    if rest.contains("sslmode=") {
        return false;
    }
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    matches!(host, "localhost" | "") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A connection failure without the password that a URL may carry.
fn describe_connect_error(url: &str, err: &sea_orm::DbErr) -> String {
    let shown = match url.split_once('@') {
        Some((head, tail)) => match head.split_once("://") {
            Some((scheme, _credentials)) => format!("{scheme}://***@{tail}"),
            None => "***".to_string(),
        },
        None => url.to_string(),
    };
    format!("cannot connect to the database at {shown}: {err}")
}

/// A value written into the statement rather than bound as a parameter, for the values that
/// decide a list's plan (a department, a status, a day). PostgreSQL then plans each value
/// apart and keeps that plan for the connection, where a parameter would share one generic
/// plan between a department of ten invoices and one of a hundred thousand (or plan again on
/// every execution). For the server's own vocabulary (department codes, enum names, dates),
/// not free text — though sea-query quotes it either way.
pub fn literal(value: impl Into<sea_orm::Value>) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::Expr::Constant(value.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_is_skipped_only_for_this_machine_and_only_without_an_explicit_sslmode() {
        for local in [
            "postgres://u@127.0.0.1:5432/db",
            "postgres://u:p@localhost/db",
            "postgresql://[::1]:5432/db",
            "postgres:///db?host=/var/run/postgresql",
        ] {
            assert!(loopback_without_sslmode(local), "{local}");
        }
        for remote in [
            "postgres://u@db.example.com/db",
            "postgres://u@10.0.0.5:5432/db",
            "postgres://u@127.0.0.1/db?sslmode=require",
        ] {
            assert!(!loopback_without_sslmode(remote), "{remote}");
        }
    }

    #[test]
    fn connection_errors_hide_credentials() {
        let msg = describe_connect_error("postgres://app:s3cret@db:5432/x", &sea_orm::DbErr::Custom("refused".into()));
        assert!(!msg.contains("s3cret"), "{msg}");
        assert!(msg.contains("db:5432/x"), "{msg}");
    }
}
