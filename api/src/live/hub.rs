//! The process's reader of the audit log, and each subscription's ordered feed of it.
//!
//! Seqs commit in order: appenders hold the `audit_head` row lock until they commit (and SQLite
//! has one writer), so whenever seq N is visible every seq below it is too. Reading
//! `seq > last` therefore never skips an event that commits later — the one fact both halves
//! rely on.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use entity::{audit_event, audit_head};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::{Mutex, Notify, broadcast, watch};

use crate::error::{AppError, AppResult};
use crate::kernel::db::Database;
use crate::kernel::notify::Notice;
use crate::live::socket::Connections;

/// Events read (and replayed) per query.
const BATCH: u64 = 500;
/// The safety net for lost notices: the hub reads the log at least this often.
const POLL: Duration = Duration::from_secs(1);
/// Events a subscriber may fall behind before it re-reads from the log instead.
const CAPACITY: usize = 1024;
/// How long a feed waits before reading again after a database error.
const RETRY: Duration = Duration::from_millis(500);

pub type Event = Arc<audit_event::Model>;

pub struct Hub {
    conn: DatabaseConnection,
    events: broadcast::Sender<Event>,
    /// The last seq broadcast; `None` while nobody listens (then nothing is read at all).
    position: Mutex<Option<i64>>,
    wake: Arc<Notify>,
    /// Users whose token version, roles or state changed: their sockets check at once.
    users: broadcast::Sender<String>,
    /// WebSocket connections per user in this process.
    pub connections: Connections,
    /// Set when the process is told to stop (SIGTERM, SIGINT): sockets close at once (1001)
    /// rather than hold actix-web's graceful shutdown for `SHUTDOWN_TIMEOUT_SECS`.
    stopping: watch::Sender<bool>,
}

impl Hub {
    /// Starts the process's hub: it hears the notices of `db` and reads the log behind them.
    pub fn start(db: &Database) -> Arc<Hub> {
        let hub = Arc::new(Hub {
            conn: db.conn.clone(),
            events: broadcast::channel(CAPACITY).0,
            position: Mutex::new(None),
            wake: Arc::new(Notify::new()),
            users: broadcast::channel(CAPACITY).0,
            connections: Connections::default(),
            stopping: watch::channel(false).0,
        });
        let weak = Arc::downgrade(&hub);
        db.notifier.subscribe(move |notice| {
            let Some(hub) = weak.upgrade() else { return };
            match notice {
                // A lost (or regained) feed may have swallowed announcements: read anyway.
                Notice::AuditHead(_) | Notice::Feed(_) => hub.wake.notify_one(),
                Notice::UserChanged(id) => {
                    let _ = hub.users.send(id.clone());
                }
            }
        });
        tokio::spawn(run(Arc::downgrade(&hub), hub.wake.clone()));
        tokio::spawn(stop_on_signal(Arc::downgrade(&hub)));
        hub
    }

    /// Resolves once the process is stopping.
    pub fn stopping(&self) -> impl Future<Output = ()> + use<> {
        let mut stopping = self.stopping.subscribe();
        async move {
            if stopping.wait_for(|stopping| *stopping).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// A receiver of every event committed from now on (and perhaps a few before: a [`Feed`]
    /// drops what it already has).
    pub async fn subscribe(&self) -> AppResult<broadcast::Receiver<Event>> {
        let mut position = self.position.lock().await;
        let receiver = self.events.subscribe();
        if position.is_none() {
            // Under the lock the reader also takes: it starts from a head read before the
            // subscriber's own catch-up, so nothing between the two goes unsent.
            *position = Some(head(&self.conn).await?);
        }
        Ok(receiver)
    }

    pub fn user_changes(&self) -> broadcast::Receiver<String> {
        self.users.subscribe()
    }

    /// Broadcasts what committed after the position, in seq order.
    async fn pump(&self) -> AppResult<()> {
        let mut position = self.position.lock().await;
        if self.events.receiver_count() == 0 {
            *position = None;
            return Ok(());
        }
        let Some(mut last) = *position else { return Ok(()) };
        loop {
            let batch = read_after(&self.conn, last, BATCH).await?;
            let full = batch.len() as u64 == BATCH;
            for event in batch {
                last = event.seq;
                *position = Some(last);
                let _ = self.events.send(Arc::new(event));
            }
            if !full {
                return Ok(());
            }
        }
    }
}

/// Holds the hub only while reading, so that a dropped state (a test's) ends the task.
async fn run(hub: std::sync::Weak<Hub>, wake: Arc<Notify>) {
    loop {
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
        let Some(hub) = hub.upgrade() else { return };
        if let Err(err) = hub.pump().await {
            tracing::warn!(error = %err, "live subscriptions could not read the audit log; retrying");
        }
    }
}

/// The signals actix-web stops on (it listens too: both hear them).
async fn stop_on_signal(hub: std::sync::Weak<Hub>) {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => signal.recv().await,
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<Option<()>>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
    if let Some(hub) = hub.upgrade() {
        hub.stopping.send_replace(true);
    }
}

/// The committed head of the log.
pub async fn head(conn: &DatabaseConnection) -> AppResult<i64> {
    let head = audit_head::Entity::find_by_id(crate::audit::chain::HEAD_ID)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("audit_head row is missing")))?;
    Ok(head.seq)
}

async fn read_after(conn: &DatabaseConnection, after: i64, limit: u64) -> AppResult<Vec<audit_event::Model>> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Seq.gt(after))
        .order_by_asc(audit_event::Column::Seq)
        .limit(limit)
        .all(conn)
        .await?)
}

/// What to do with the next live event, given the last seq a feed has seen.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Seen already (replayed from the log, or broadcast twice).
    Skip,
    /// The very next seq: deliver it.
    Next,
    /// Seqs are missing in between (the receiver lagged): read them from the log first.
    Gap,
}

pub fn step(last: i64, seq: i64) -> Step {
    match seq - last {
        ..=0 => Step::Skip,
        1 => Step::Next,
        _ => Step::Gap,
    }
}

/// One subscription's view of the log: every seq after `last`, once, in order — the backlog
/// read from the log, then the hub's broadcast, back to the log whenever a seq is missing.
pub struct Feed {
    conn: DatabaseConnection,
    live: broadcast::Receiver<Event>,
    last: i64,
    backlog: VecDeque<Event>,
    /// The log has been read up to the newest committed event since the last gap.
    caught_up: bool,
}

impl Feed {
    /// A feed of the events after `after_seq`, or — without one — of those committed from now.
    /// A seq the log has not reached is `BAD_USER_INPUT`: waiting for it would skip everything
    /// committed meanwhile.
    pub async fn open(hub: &Hub, after_seq: Option<i64>) -> AppResult<Feed> {
        let live = hub.subscribe().await?;
        let head = head(&hub.conn).await?;
        let last = match after_seq {
            Some(seq) if seq > head => {
                return Err(AppError::bad_input("afterSeq", format!("afterSeq is past the newest event ({head})")));
            }
            Some(seq) => seq.max(0),
            None => head,
        };
        Ok(Feed { conn: hub.conn.clone(), live, last, backlog: VecDeque::new(), caught_up: false })
    }

    /// The next event; `None` once the hub is gone.
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                return Some(event);
            }
            if !self.caught_up {
                match read_after(&self.conn, self.last, BATCH).await {
                    Ok(batch) => {
                        self.caught_up = (batch.len() as u64) < BATCH;
                        if let Some(newest) = batch.last() {
                            self.last = newest.seq;
                        }
                        self.backlog.extend(batch.into_iter().map(Arc::new));
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "a subscription could not read the audit log; retrying");
                        tokio::time::sleep(RETRY).await;
                    }
                }
                continue;
            }
            match self.live.recv().await {
                Ok(event) => match step(self.last, event.seq) {
                    Step::Skip => {}
                    Step::Next => {
                        self.last = event.seq;
                        return Some(event);
                    }
                    // The missing seqs, and this one, are committed: read them in order.
                    Step::Gap => self.caught_up = false,
                },
                Err(broadcast::error::RecvError::Lagged(_)) => self.caught_up = false,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_events_are_merged_after_the_replay_without_gap_or_duplicate() {
        assert_eq!(step(10, 9), Step::Skip, "replayed already");
        assert_eq!(step(10, 10), Step::Skip, "broadcast twice");
        assert_eq!(step(10, 11), Step::Next);
        assert_eq!(step(10, 13), Step::Gap, "11 and 12 come from the log first");
        assert_eq!(step(0, 1), Step::Next);
    }
}
