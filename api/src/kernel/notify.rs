//! Notices of committed changes: delivered to this process as the transaction commits, and —
//! on PostgreSQL — to every other process through `LISTEN`/`NOTIFY`, which the database sends
//! only when (and if) the transaction that raised them commits.
//!
//! Subscribers are plain callbacks run on delivery, so that a process that made a change acts
//! on it before it answers the request. What relies on notices must also handle
//! [`Notice::Feed`]: while the feed from other processes is down, notices may be lost, and
//! whatever was cached meanwhile cannot be trusted.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use sea_orm::sqlx::PgPool;
use sea_orm::sqlx::postgres::PgListener;

/// The PostgreSQL channel every process listens on.
pub const CHANNEL: &str = "trastienda";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A user's token version, roles or state changed: what was cached about them is stale.
    UserChanged(String),
    /// The audit log now holds events up to this seq (committed): live subscriptions read on.
    AuditHead(i64),
    /// The feed from other processes is up (`true`) or lost (`false`).
    Feed(bool),
}

impl Notice {
    /// What goes over `NOTIFY` (small: PostgreSQL caps payloads at 8000 bytes).
    pub fn payload(&self) -> Option<String> {
        match self {
            Notice::UserChanged(id) => Some(format!("user:{id}")),
            Notice::AuditHead(seq) => Some(format!("audit:{seq}")),
            Notice::Feed(_) => None,
        }
    }

    pub fn parse(payload: &str) -> Option<Notice> {
        if let Some(seq) = payload.strip_prefix("audit:") {
            return seq.parse().ok().map(Notice::AuditHead);
        }
        payload.strip_prefix("user:").map(|id| Notice::UserChanged(id.to_string()))
    }
}

type Subscriber = Box<dyn Fn(&Notice) + Send + Sync>;

#[derive(Default)]
pub struct Notifier {
    subscribers: RwLock<Vec<Subscriber>>,
}

impl Notifier {
    pub fn subscribe(&self, subscriber: impl Fn(&Notice) + Send + Sync + 'static) {
        self.subscribers.write().unwrap_or_else(|e| e.into_inner()).push(Box::new(subscriber));
    }

    /// Delivers a notice to this process's subscribers, now.
    pub fn publish(&self, notice: &Notice) {
        for subscriber in self.subscribers.read().unwrap_or_else(|e| e.into_inner()).iter() {
            subscriber(notice);
        }
    }

    /// Relays the notices of other processes for as long as the process runs, reconnecting
    /// after a lost connection (and saying so: [`Notice::Feed`]).
    pub fn relay_from(self: &Arc<Self>, pool: PgPool) {
        let notifier = self.clone();
        tokio::spawn(async move {
            let mut retry = Duration::from_millis(10);
            loop {
                if let Ok(mut listener) = PgListener::connect_with(&pool).await
                    && listener.listen(CHANNEL).await.is_ok()
                {
                    retry = Duration::from_millis(10);
                    notifier.publish(&Notice::Feed(true));
                    while let Ok(Some(message)) = listener.try_recv().await {
                        if let Some(notice) = Notice::parse(message.payload()) {
                            notifier.publish(&notice);
                        }
                    }
                    tracing::warn!("lost the notification feed from other processes; reconnecting");
                }
                notifier.publish(&Notice::Feed(false));
                // Promptly at first (a terminated backend comes back at once), then gently.
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(Duration::from_secs(2));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn payloads_round_trip_and_subscribers_hear_every_notice() {
        let notice = Notice::UserChanged("0190f1c2-0000-7000-8000-000000000000".into());
        assert_eq!(Notice::parse(&notice.payload().unwrap()), Some(notice.clone()));
        assert_eq!(Notice::parse("something else"), None);
        assert_eq!(Notice::parse(&Notice::AuditHead(42).payload().unwrap()), Some(Notice::AuditHead(42)));
        assert_eq!(Notice::parse("audit:x"), None);
        assert_eq!(Notice::Feed(true).payload(), None, "local only");

        let notifier = Notifier::default();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let sink = heard.clone();
        notifier.subscribe(move |n| sink.lock().unwrap().push(n.clone()));
        notifier.publish(&notice);
        notifier.publish(&Notice::Feed(false));
        assert_eq!(*heard.lock().unwrap(), vec![notice, Notice::Feed(false)]);
    }
}
