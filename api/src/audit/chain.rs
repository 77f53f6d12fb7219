//! The hash chain: appending inside the caller's transaction, and verifying.
//!
//! `hash = hex(SHA-256(prevHash ‖ JCS(event)))`, where the event object holds exactly the keys
//! `seq, occurredAt, actorId, actorEmail, action, entityType, entityId, department, before,
//! after, outcome, requestId` with the values the API returns for them. Appenders lock the
//! single `audit_head` row first (`SELECT … FOR UPDATE` on PostgreSQL; SQLite write
//! transactions are already exclusive), so seqs never fork or repeat, across processes too.

use entity::{audit_event, audit_head};
use sea_orm::{
    AccessMode, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, IntoActiveModel, IsolationLevel, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{jcs, sanitize};
use crate::error::{AppError, AppResult};
use crate::kernel::{ids, time};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HEAD_ID: i32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "SUCCESS",
            Outcome::Denied => "DENIED",
        }
    }
}

/// An event waiting for its place in the chain.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub department: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub outcome: Outcome,
    pub request_id: String,
}

/// The object that is hashed, built from a stored row exactly as the API presents it.
pub fn hashed_object(e: &audit_event::Model) -> Value {
    json!({
        "seq": e.seq,
        "occurredAt": time::format_instant(&e.occurred_at),
        "actorId": e.actor_id,
        "actorEmail": e.actor_email,
        "action": e.action,
        "entityType": e.entity_type,
        "entityId": e.entity_id,
        "department": e.department,
        "before": parse_json(e.before.as_deref()),
        "after": parse_json(e.after.as_deref()),
        "outcome": e.outcome,
        "requestId": e.request_id,
    })
}

pub fn parse_json(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null)
}

pub fn compute_hash(prev_hash: &str, object: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(jcs::canonicalize(object).as_bytes());
    hex::encode(hasher.finalize())
}

/// Appends `events` to the chain inside the caller's transaction.
pub async fn append<C: ConnectionTrait>(txn: &C, events: Vec<NewEvent>) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let head = audit_head::Entity::find_by_id(HEAD_ID)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("audit_head row is missing")))?;
    let occurred_at = time::now();
    let (mut seq, mut prev_hash) = (head.seq, head.hash.clone());
    for event in events {
        seq += 1;
        let to_text = |v: Option<Value>| v.map(sanitize).filter(|v| !v.is_null()).map(|v| v.to_string());
        let mut row = audit_event::Model {
            seq,
            id: ids::new_id(),
            occurred_at,
            actor_id: event.actor_id,
            actor_email: event.actor_email,
            action: event.action,
            entity_type: event.entity_type,
            entity_id: event.entity_id,
            department: event.department,
            before: to_text(event.before),
            after: to_text(event.after),
            outcome: event.outcome.as_str().to_string(),
            request_id: event.request_id,
            prev_hash: prev_hash.clone(),
            hash: String::new(),
        };
        row.hash = compute_hash(&prev_hash, &hashed_object(&row));
        prev_hash = row.hash.clone();
        audit_event::Entity::insert(row.into_active_model()).exec_without_returning(txn).await?;
    }
    let mut head = head.into_active_model();
    head.seq = Set(seq);
    head.hash = Set(prev_hash);
    head.update(txn).await?;
    Ok(())
}

/// What a verification found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub valid: bool,
    pub events_checked: i64,
    pub first_invalid_seq: Option<i64>,
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
}

const VERIFY_BATCH: u64 = 1000;

/// Recomputes every hash from seq 1 up to the chain's head, in one consistent snapshot: the
/// head is read first, and writers committing meanwhile are invisible to the scan, so a valid
/// chain under load never looks broken (CONTRACT.md §10). The first event whose seq, prevHash
/// or hash does not follow is reported; a head pointing past the last event (rows deleted from
/// the end) is reported at the first missing seq.
pub async fn verify(db: &DatabaseConnection) -> AppResult<ChainReport> {
    let txn = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?
        }
        // A deferred SQLite transaction reads one WAL snapshot from its first statement on.
        _ => db.begin().await?,
    };
    let report = verify_in_snapshot(&txn).await;
    txn.rollback().await?;
    report
}

async fn verify_in_snapshot<C: ConnectionTrait>(db: &C) -> AppResult<ChainReport> {
    let head = audit_head::Entity::find_by_id(HEAD_ID).one(db).await?;
    let head_seq = head.as_ref().map(|h| h.seq).unwrap_or(0);
    let mut expected_seq = 1i64;
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut checked = 0i64;
    let mut last: Option<(i64, String)> = None;
    let mut broken: Option<i64> = None;
    'scan: while expected_seq <= head_seq {
        let batch = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gte(expected_seq))
            .filter(audit_event::Column::Seq.lte(head_seq))
            .order_by_asc(audit_event::Column::Seq)
            .limit(VERIFY_BATCH)
            .all(db)
            .await?;
        if batch.is_empty() {
            break;
        }
        for event in batch {
            checked += 1;
            let recomputed = compute_hash(&event.prev_hash, &hashed_object(&event));
            if event.seq != expected_seq || event.prev_hash != prev_hash || recomputed != event.hash {
                broken = Some(expected_seq.min(event.seq));
                break 'scan;
            }
            expected_seq += 1;
            prev_hash = event.hash.clone();
            last = Some((event.seq, event.hash));
        }
    }
    if broken.is_none() {
        let last_seq = last.as_ref().map(|(s, _)| *s).unwrap_or(0);
        if head_seq != last_seq || head.as_ref().is_some_and(|h| h.seq > 0 && h.hash != prev_hash) {
            broken = Some(last_seq + 1);
        }
    }
    Ok(ChainReport {
        valid: broken.is_none(),
        events_checked: checked,
        first_invalid_seq: broken,
        head_seq: last.as_ref().map(|(s, _)| *s),
        head_hash: last.map(|(_, h)| h),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64) -> audit_event::Model {
        audit_event::Model {
            seq,
            id: "0190f1c2-0000-7000-8000-000000000000".into(),
            occurred_at: chrono::DateTime::parse_from_rfc3339("2026-11-26T10:00:00.123456Z").unwrap().into(),
            actor_id: None,
            actor_email: Some("ana@example.com".into()),
            action: "login".into(),
            entity_type: "User".into(),
            entity_id: None,
            department: None,
            before: None,
            after: Some(r#"{"total":"121.00","email":"ana@example.com"}"#.into()),
            outcome: "DENIED".into(),
            request_id: "req-1".into(),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn the_hashed_object_has_exactly_the_contract_keys_in_canonical_form() {
        let canonical = jcs::canonicalize(&hashed_object(&event(1)));
        assert_eq!(
            canonical,
            r#"{"action":"login","actorEmail":"ana@example.com","actorId":null,"after":{"email":"ana@example.com","total":"121.00"},"before":null,"department":null,"entityId":null,"entityType":"User","occurredAt":"2026-11-26T10:00:00.123456Z","outcome":"DENIED","requestId":"req-1","seq":1}"#
        );
    }

    #[test]
    fn the_hash_is_sha256_of_prev_hash_then_canonical_json() {
        let object = hashed_object(&event(1));
        let expected = hex::encode(Sha256::digest(format!("{GENESIS_HASH}{}", jcs::canonicalize(&object))));
        assert_eq!(compute_hash(GENESIS_HASH, &object), expected);
        assert_eq!(expected.len(), 64);
        assert!(expected.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn any_field_change_changes_the_hash() {
        let base = compute_hash(GENESIS_HASH, &hashed_object(&event(1)));
        let mut other = event(1);
        other.after = Some(r#"{"total":"121.01","email":"ana@example.com"}"#.into());
        assert_ne!(base, compute_hash(GENESIS_HASH, &hashed_object(&other)));
        assert_ne!(base, compute_hash(&"1".repeat(64), &hashed_object(&event(1))));
    }
}
