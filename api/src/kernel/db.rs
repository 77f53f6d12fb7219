//! Connecting to SQLite or PostgreSQL, and starting write transactions that wait their turn.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

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
}

/// A write transaction, holding its turn on SQLite until it ends.
pub struct WriteTxn {
    pub txn: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl Database {
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let mut options = ConnectOptions::new(url.to_string());
        options
            .max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false);
        let is_sqlite = url.starts_with("sqlite:");
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
        Ok(Self { conn, sqlite_writer: is_sqlite.then(|| Arc::new(Mutex::new(()))), statements })
    }

    /// How many SQL statements the pool has run.
    pub fn statements_run(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
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

    pub async fn ping(&self) -> bool {
        self.conn.ping().await.is_ok()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_errors_hide_credentials() {
        let msg = describe_connect_error("postgres://app:s3cret@db:5432/x", &sea_orm::DbErr::Custom("refused".into()));
        assert!(!msg.contains("s3cret"), "{msg}");
        assert!(msg.contains("db:5432/x"), "{msg}");
    }
}
