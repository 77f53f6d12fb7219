//! The hash chain: appending inside the caller's transaction, and verifying.
//!
//! `hash = hex(SHA-256(prevHash ‖ JCS(event)))`, where the event object holds exactly the keys
//! `seq, occurredAt, actorId, actorEmail, action, entityType, entityId, department, before,
//! after, outcome, requestId` with the values the API returns for them. Appenders lock the
//! single `audit_head` row first (`SELECT … FOR UPDATE` on PostgreSQL; SQLite write
//! transactions are already exclusive), so seqs never fork or repeat, across processes too.
//! The same transaction extends the Merkle tree over the events ([`super::tree`]), so the tree
//! and the chain never disagree about what was committed.
//!
//! Three verifications, each reading the head first and then one consistent snapshot:
//! [`verify`] recomputes every hash; [`verify_from`] starts from a signed root (a checkpoint)
//! and checks only what came after it, the stored tree included; [`verify_against`] recomputes
//! every hash and the root of the first *n* events from the events themselves, for a
//! checkpoint the auditor kept outside.

use std::collections::HashMap;

use entity::{audit_event, audit_head};
use sea_orm::{
    AccessMode, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, EntityTrait, IntoActiveModel, IsolationLevel, QueryFilter, QueryOrder, QuerySelect,
    Statement, TransactionTrait,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::merkle::{self, Hash};
use super::tree::{self, RootBuilder};
use super::{jcs, sanitize};
use crate::error::{AppError, AppResult};
use crate::kernel::notify::{self, Notice};
use crate::kernel::{ids, time};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
pub(crate) const HEAD_ID: i32 = 1;
/// Events per multi-row INSERT.
const EVENT_INSERT_CHUNK: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Denied,
    /// Sensitive fields were returned (CONTRACT.md §13).
    Read,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "SUCCESS",
            Outcome::Denied => "DENIED",
            Outcome::Read => "READ",
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

/// Events appended in a transaction not yet committed. Once it has, [`Appended::committed`]
/// counts them (`audit_events_total`) and announces the new head to this process
/// (`Notice::AuditHead`, for live subscriptions) — never about uncommitted events. Other
/// processes hear of it from PostgreSQL, through the transaction's own `NOTIFY`.
#[must_use = "call `committed` once the transaction has committed"]
pub struct Appended {
    outcomes: Vec<Outcome>,
    head: Option<i64>,
}

impl Appended {
    pub fn committed(self, notifier: &notify::Notifier) {
        crate::telemetry::metrics::audit_events(self.outcomes);
        if let Some(seq) = self.head {
            notifier.publish(&Notice::AuditHead(seq));
        }
    }
}

/// Appends `events` to the chain inside the caller's transaction, and extends the Merkle tree
/// over them in the same transaction: one read of the stored hashes the new leaves need, one
/// multi-row insert for the events and one for the tree; on PostgreSQL, the `NOTIFY` of the new
/// head, delivered if and when the transaction commits.
pub async fn append<C: ConnectionTrait>(txn: &C, events: Vec<NewEvent>) -> AppResult<Appended> {
    if events.is_empty() {
        return Ok(Appended { outcomes: Vec::new(), head: None });
    }
    let head = audit_head::Entity::find_by_id(HEAD_ID)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("audit_head row is missing")))?;
    // The tree covering more events than the log holds means events were deleted behind the
    // API's back (the append-only triggers dropped). The stored tree cannot be rewritten (it is
    // append-only too), so it is left as it is: the business keeps running and its chain keeps
    // growing, while every verification from a checkpoint reports the gap and no checkpoint is
    // signed until an operator rebuilds the tree (see docs/auditors.md).
    let truncated = head.tree_size > head.seq;
    if truncated {
        tracing::error!(
            seq = head.seq,
            tree_size = head.tree_size,
            "the audit log holds fewer events than its Merkle tree: events were deleted outside the API"
        );
    }
    // Events appended by a process that predates the tree (during an upgrade) join it now.
    let mut leaves = match head.tree_size < head.seq {
        true => tree::event_leaves(txn, head.tree_size, head.seq).await?,
        false => Vec::with_capacity(events.len()),
    };
    let occurred_at = time::now();
    let (mut seq, mut prev_hash) = (head.seq, head.hash.clone());
    let mut rows = Vec::with_capacity(events.len());
    let outcomes = events.iter().map(|e| e.outcome).collect();
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
        leaves.push(tree::leaf_of(&row.hash).expect("a SHA-256 in hex"));
        rows.push(row.into_active_model());
    }
    // One statement per commit in practice; chunked so that no batch passes PostgreSQL's
    // 65 535 parameters (15 per event).
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(EVENT_INSERT_CHUNK).collect();
        audit_event::Entity::insert_many(chunk).exec_without_returning(txn).await?;
    }
    let tree_size = if truncated {
        head.tree_size
    } else {
        tree::append_leaves(txn, head.tree_size, &leaves).await?;
        seq
    };
    let mut head = head.into_active_model();
    head.seq = Set(seq);
    head.hash = Set(prev_hash);
    head.tree_size = Set(tree_size);
    head.update(txn).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Sent by PostgreSQL if and when the transaction commits, to every listening process.
        let payload = Notice::AuditHead(seq).payload().expect("audit heads go over NOTIFY");
        let notify = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [notify::CHANNEL.into(), payload.into()],
        );
        txn.execute_raw(notify).await?;
    }
    Ok(Appended { outcomes, head: Some(seq) })
}

/// What a verification found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub valid: bool,
    pub events_checked: i64,
    pub first_invalid_seq: Option<i64>,
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    /// The tree size of the signed checkpoint the verification started from ([`verify_from`]).
    pub checkpoint_size: Option<i64>,
    /// What is wrong, in words, when something is.
    pub problem: Option<String>,
}

impl ChainReport {
    fn broken(&mut self, seq: Option<i64>, problem: String) {
        self.valid = false;
        self.first_invalid_seq = seq;
        self.problem = Some(problem);
    }
}

const VERIFY_BATCH: u64 = 1000;

/// One consistent snapshot to verify in: a read-only repeatable-read transaction on PostgreSQL;
/// on SQLite a deferred transaction, which reads one WAL snapshot from its first statement on.
async fn snapshot(db: &DatabaseConnection) -> AppResult<DatabaseTransaction> {
    Ok(match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?
        }
        _ => db.begin().await?,
    })
}

/// Recomputes every hash from seq 1 up to the chain's head, in one consistent snapshot: the
/// head is read first, and writers committing meanwhile are invisible to the scan, so a valid
/// chain under load never looks broken (CONTRACT.md §10). The first event whose seq, prevHash
/// or hash does not follow is reported; a head pointing past the last event (rows deleted from
/// the end) is reported at the first missing seq.
pub async fn verify(db: &DatabaseConnection) -> AppResult<ChainReport> {
    let txn = snapshot(db).await?;
    let scan = scan_chain(&txn, None).await;
    txn.rollback().await?;
    Ok(scan?.report)
}

/// What [`scan_chain`] found, and the roots it computed from the events on the way.
struct Scan {
    report: ChainReport,
    /// The root of the first `n` events, when asked for and the chain held up to there.
    root_at: Option<Hash>,
    /// The root of every event scanned, when a root was asked for.
    head_root: Option<Hash>,
}

/// The chain check of [`verify`]; with `root_of_first: Some(n)`, also the Merkle root of the
/// first `n` events and of all of them, computed from the events' hashes as they are checked.
async fn scan_chain<C: ConnectionTrait>(db: &C, root_of_first: Option<i64>) -> AppResult<Scan> {
    let head = audit_head::Entity::find_by_id(HEAD_ID).one(db).await?;
    let head_seq = head.as_ref().map(|h| h.seq).unwrap_or(0);
    let mut expected_seq = 1i64;
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut checked = 0i64;
    let mut last: Option<(i64, String)> = None;
    let mut broken: Option<i64> = None;
    let mut builder = root_of_first.map(|_| RootBuilder::default());
    let mut root_at = (root_of_first == Some(0)).then_some(merkle::EMPTY_TREE_HASH);
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
            if let Some(builder) = builder.as_mut() {
                // A recomputed SHA-256 in hex: always 32 bytes.
                builder.push(&tree::leaf_of(&event.hash).expect("a SHA-256 in hex"));
                if Some(builder.size()) == root_of_first {
                    root_at = Some(builder.root());
                }
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
    let report = ChainReport {
        valid: broken.is_none(),
        events_checked: checked,
        first_invalid_seq: broken,
        head_seq: last.as_ref().map(|(s, _)| *s),
        head_hash: last.map(|(_, h)| h),
        checkpoint_size: None,
        problem: broken.map(|seq| format!("first broken seq: {seq}")),
    };
    let head_root = builder.filter(|_| report.valid).map(|b| b.root());
    // The builder only ever saw events that checked out, so `root_at` is theirs.
    Ok(Scan { report, root_at, head_root })
}

/// What [`verify_against`] found about a checkpoint the auditor kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointCheck {
    /// The chain, recomputed from seq 1 to the head.
    pub chain: ChainReport,
    /// The root of the log's first `n` events, recomputed from the events, is the checkpoint's.
    pub root_matches: bool,
    /// The stored Merkle tree (what proofs are served from) agrees with the events.
    pub stored_tree_matches: bool,
}

/// Checks a checkpoint for `size` events with root `root` against the log, trusting none of
/// the stored tree: in one snapshot, recomputes every event's hash (the chain), the root of the
/// first `size` events from those hashes, and the root of the whole log, which the stored tree
/// must also give. A rewritten, truncated or forked log cannot give the checkpoint's root.
pub async fn verify_against(db: &DatabaseConnection, size: i64, root: Hash) -> AppResult<CheckpointCheck> {
    let txn = snapshot(db).await?;
    let check = verify_against_in_snapshot(&txn, size, root).await;
    txn.rollback().await?;
    check
}

async fn verify_against_in_snapshot<C: ConnectionTrait>(db: &C, size: i64, root: Hash) -> AppResult<CheckpointCheck> {
    let scan = scan_chain(db, Some(size)).await?;
    let stored_tree_matches = match scan.head_root {
        Some(recomputed) => {
            let head = scan.report.head_seq.unwrap_or(0);
            let indexes = merkle::tree_hash_indexes(head).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
            let stored = tree::try_read_hashes(db, &indexes).await?;
            stored.and_then(|h| merkle::tree_hash_from_hashes(head, &h).ok()) == Some(recomputed)
        }
        None => false,
    };
    Ok(CheckpointCheck { root_matches: scan.root_at == Some(root), stored_tree_matches, chain: scan.report })
}

/// A root the verifier trusts: that of a checkpoint whose signature it has checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustedRoot {
    pub size: i64,
    pub root: Hash,
}

/// What [`verify_from`] found, and the log's size and root when it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    pub report: ChainReport,
    /// The number of events and their root, from the verified tree (a checkpoint can sign it).
    pub head: Option<TrustedRoot>,
}

/// Verifies that the log extends `base` (a signed checkpoint; `None` starts from the empty
/// log), at a cost that follows the events after it, in one snapshot read head first:
///
/// 1. the stored tree at the checkpoint's size has the checkpoint's root (O(log n) rows);
/// 2. event `n` hashes to what it holds, and is leaf `n - 1` of that tree (an inclusion proof
///    against the signed root): the events up to `n` are those the checkpoint signed, since each
///    hash commits to everything before it;
/// 3. every later event is rehashed and chained (as [`verify`] does), and the tree hashes it
///    added are recomputed from the checkpoint's subtrees and compared with the stored ones.
pub async fn verify_from(db: &DatabaseConnection, base: Option<TrustedRoot>) -> AppResult<Extension> {
    let txn = snapshot(db).await?;
    let extension = verify_from_in_snapshot(&txn, base).await;
    txn.rollback().await?;
    extension
}

async fn verify_from_in_snapshot<C: ConnectionTrait>(db: &C, base: Option<TrustedRoot>) -> AppResult<Extension> {
    let internal = |e: merkle::MerkleError| AppError::internal(anyhow::anyhow!("audit Merkle tree: {e}"));
    let head = audit_head::Entity::find_by_id(HEAD_ID)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("audit_head row is missing")))?;
    let base = base.unwrap_or(TrustedRoot { size: 0, root: merkle::EMPTY_TREE_HASH });
    let n = base.size;
    let mut report = ChainReport {
        valid: true,
        events_checked: 0,
        first_invalid_seq: None,
        head_seq: None,
        head_hash: None,
        checkpoint_size: (n > 0).then_some(n),
        problem: None,
    };
    let mismatch = format!("checkpoint mismatch at tree size {n}");
    if head.seq < n || head.tree_size != head.seq {
        let problem = if head.seq < n {
            mismatch
        } else if head.tree_size > head.seq {
            format!(
                "the log holds {} events but its Merkle tree covers {}: events were deleted outside the API",
                head.seq, head.tree_size
            )
        } else {
            "the stored Merkle tree does not cover the log".into()
        };
        report.broken(Some(head.seq.min(head.tree_size) + 1), problem);
        return Ok(Extension { report, head: None });
    }

    // 1. The checkpoint's root, from the stored tree.
    let frontier = merkle::tree_hash_indexes(n).map_err(internal)?;
    let Some(frontier_hashes) = tree::try_read_hashes(db, &frontier).await? else {
        report.broken(None, mismatch);
        return Ok(Extension { report, head: None });
    };
    if merkle::tree_hash_from_hashes(n, &frontier_hashes).map_err(internal)? != base.root {
        report.broken(None, mismatch);
        return Ok(Extension { report, head: None });
    }

    // 2. Event n is what the checkpoint signed as its last leaf.
    let mut prev_hash = GENESIS_HASH.to_string();
    if n > 0 {
        let event = audit_event::Entity::find_by_id(n).one(db).await?;
        let proof = match merkle::prove_record_indexes(n, n - 1) {
            Ok(indexes) => tree::try_read_hashes(db, &indexes).await?,
            Err(e) => return Err(internal(e)),
        };
        let proven = match (&event, proof) {
            (Some(event), Some(hashes)) => {
                let proof = merkle::prove_record_from_hashes(n, n - 1, &hashes).map_err(internal)?;
                compute_hash(&event.prev_hash, &hashed_object(event)) == event.hash
                    && tree::leaf_of(&event.hash).is_some_and(|leaf| {
                        merkle::check_record(&proof, n, base.root, n - 1, merkle::record_hash(&leaf)).is_ok()
                    })
            }
            _ => false,
        };
        match event {
            Some(event) if proven => prev_hash = event.hash,
            _ => {
                report.broken(Some(n), mismatch);
                return Ok(Extension { report, head: None });
            }
        }
    }

    // 3. The events after it, and the tree hashes they added.
    let mut known: HashMap<i64, Hash> = frontier.into_iter().zip(frontier_hashes).collect();
    let mut expected_seq = n + 1;
    let mut last_hash = (n > 0).then(|| prev_hash.clone());
    while expected_seq <= head.seq {
        let batch = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gte(expected_seq))
            .filter(audit_event::Column::Seq.lte(head.seq))
            .order_by_asc(audit_event::Column::Seq)
            .limit(VERIFY_BATCH)
            .all(db)
            .await?;
        let Some(last_seq) = batch.last().map(|e| e.seq) else { break };
        // The tree rows the batch's events should have added, by index.
        let from = merkle::stored_hash_index(0, expected_seq - 1);
        let to = merkle::stored_hash_index(0, last_seq.min(head.seq));
        let mut stored = tree::read_range(db, from, to).await?;
        for event in batch {
            report.events_checked += 1;
            let recomputed = compute_hash(&event.prev_hash, &hashed_object(&event));
            if event.seq != expected_seq || event.prev_hash != prev_hash || recomputed != event.hash {
                let seq = expected_seq.min(event.seq);
                report.broken(Some(seq), format!("first broken seq: {seq}"));
                return Ok(Extension { report, head: None });
            }
            let leaf = tree::leaf_of(&event.hash).expect("a SHA-256 in hex");
            let record = event.seq - 1;
            let at = merkle::stored_hash_index(0, record);
            for (idx, hash) in (at..).zip(tree::stored_hashes_for(record, &leaf, &known)?) {
                if stored.remove(&idx).as_deref() != Some(hash.as_slice()) {
                    let problem = format!("the stored Merkle tree disagrees with event seq {}", event.seq);
                    report.broken(Some(event.seq), problem);
                    return Ok(Extension { report, head: None });
                }
                known.insert(idx, hash);
            }
            expected_seq += 1;
            prev_hash = event.hash.clone();
            last_hash = Some(event.hash);
        }
        // Keep only the subtrees later records can still complete: O(log n) of them.
        let keep: std::collections::HashSet<i64> =
            merkle::tree_hash_indexes(expected_seq - 1).map_err(internal)?.into_iter().collect();
        known.retain(|idx, _| keep.contains(idx));
    }
    if expected_seq != head.seq + 1 || (head.seq > 0 && head.hash != prev_hash) {
        report.broken(Some(expected_seq), format!("first broken seq: {expected_seq}"));
        return Ok(Extension { report, head: None });
    }
    let indexes = merkle::tree_hash_indexes(head.seq).map_err(internal)?;
    let hashes = indexes.iter().map(|i| known.get(i).copied()).collect::<Option<Vec<Hash>>>();
    let hashes = hashes.ok_or_else(|| AppError::internal(anyhow::anyhow!("audit Merkle tree: lost a subtree")))?;
    let root = merkle::tree_hash_from_hashes(head.seq, &hashes).map_err(internal)?;
    report.head_seq = (head.seq > 0).then_some(head.seq);
    report.head_hash = last_hash;
    Ok(Extension { report, head: Some(TrustedRoot { size: head.seq, root }) })
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
