//! Reading the audit log: filtered pages, an entity's trail, and chain verification.

use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::sea_query::Order;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::chain::{self, ChainReport};
use crate::error::AppResult;
use crate::kernel::pagination::{Keyset, Page, PageRequest, paginate};
use crate::state::AppState;

#[derive(Default)]
pub struct AuditQuery {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub department: Option<String>,
    pub outcome: Option<&'static str>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl AuditQuery {
    fn condition(&self) -> Condition {
        use audit_event::Column as C;
        let mut c = Condition::all();
        if let Some(v) = &self.actor_id {
            c = c.add(C::ActorId.eq(v));
        }
        if let Some(v) = &self.action {
            c = c.add(C::Action.eq(v));
        }
        if let Some(v) = &self.entity_type {
            c = c.add(C::EntityType.eq(v));
        }
        if let Some(v) = &self.entity_id {
            c = c.add(C::EntityId.eq(v));
        }
        if let Some(v) = &self.department {
            c = c.add(C::Department.eq(v));
        }
        if let Some(v) = self.outcome {
            c = c.add(C::Outcome.eq(v));
        }
        if let Some(v) = self.from {
            c = c.add(C::OccurredAt.gte(v));
        }
        if let Some(v) = self.to {
            c = c.add(C::OccurredAt.lte(v));
        }
        c
    }

    /// The same filter as [`Self::condition`], on an event already read (live subscriptions).
    pub fn matches(&self, e: &audit_event::Model) -> bool {
        let eq = |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| have == Some(w));
        eq(&self.actor_id, e.actor_id.as_deref())
            && eq(&self.action, Some(&e.action))
            && eq(&self.entity_type, Some(&e.entity_type))
            && eq(&self.entity_id, e.entity_id.as_deref())
            && eq(&self.department, e.department.as_deref())
            && self.outcome.is_none_or(|o| o == e.outcome)
            && self.from.is_none_or(|from| e.occurred_at >= from)
            && self.to.is_none_or(|to| e.occurred_at <= to)
    }
}

/// Newest first, keyed by `seq`.
pub async fn log(state: &AppState, filter: &AuditQuery, page: &PageRequest) -> AppResult<Page<audit_event::Model>> {
    let keyset = Keyset {
        column: audit_event::Column::Seq,
        order: Order::Desc,
        parse: |k| k.parse::<i64>().ok().map(Into::into),
    };
    let select = audit_event::Entity::find().filter(filter.condition());
    paginate(&state.db.conn, select, keyset, page, |e| e.seq.to_string()).await
}

/// Everything that happened to one entity, oldest first.
pub async fn trail(state: &AppState, entity_type: &str, entity_id: &str) -> AppResult<Vec<audit_event::Model>> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::EntityType.eq(entity_type))
        .filter(audit_event::Column::EntityId.eq(entity_id))
        .order_by_asc(audit_event::Column::Seq)
        .limit(10_000)
        .all(&state.db.conn)
        .await?)
}

pub async fn verify(db: &sea_orm::DatabaseConnection) -> AppResult<ChainReport> {
    chain::verify(db).await
}

/// The next `batch` events after `after_seq` (up to `up_to_seq`) that occurred within
/// `[from, to]`, oldest first:
/// `trastienda audit export` pages through the log this way, bounded in SQL (by the
/// `occurred_at` index) rather than reading everything and filtering here.
pub async fn export_batch<C: ConnectionTrait>(
    db: &C,
    after_seq: i64,
    up_to_seq: Option<i64>,
    (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    batch: u64,
) -> AppResult<Vec<audit_event::Model>> {
    use audit_event::Column as C;
    let mut query = audit_event::Entity::find().filter(C::Seq.gt(after_seq));
    if let Some(last) = up_to_seq {
        query = query.filter(C::Seq.lte(last));
    }
    if let Some(from) = from {
        query = query.filter(C::OccurredAt.gte(from));
    }
    if let Some(to) = to {
        query = query.filter(C::OccurredAt.lte(to));
    }
    Ok(query.order_by_asc(C::Seq).limit(batch).all(db).await?)
}

/// One line of the JSONL export (`trastienda audit export`, the console's download): the hashed
/// fields plus `prevHash`, `hash` and `id`, so an export verifies without our code.
pub fn export_line(event: &audit_event::Model) -> serde_json::Value {
    let mut line = chain::hashed_object(event);
    line["prevHash"] = event.prev_hash.clone().into();
    line["hash"] = event.hash.clone().into();
    line["id"] = event.id.clone().into();
    line
}
