//! The audit log's Merkle tree in the database (CONTRACT.md §13), built on [`merkle`].
//!
//! Leaf *i* is the 32 raw bytes of the `hash` of event `seq = i + 1`; tree size *n* covers seqs
//! `1..=n`. The table `audit_tree_hashes` holds, at the dense indexes of Go's `sumdb/tlog`, every
//! leaf hash and the hash of every complete subtree — each written once, by the transaction that
//! appends the event completing it ([`append_leaves`], called by `chain::append`). A root or a
//! proof for any size then reads at most O(log n) rows ([`root`], [`inclusion_proof`],
//! [`consistency_proof`]): nothing is rebuilt per request.
//!
//! `audit_head.tree_size` says how many events the stored tree covers. It equals `seq` except on
//! a database that predates the tree, which [`catch_up`] builds from the events at start-up (and
//! `chain::append` finishes inside its own transaction, should an older process have appended
//! events without the tree in between).
//!
//! [`RootBuilder`] recomputes a root from the events themselves in O(log n) memory, for
//! verifications that must not trust the stored tree (an insider can rewrite that table too).

use std::collections::{BTreeSet, HashMap};

use entity::{audit_event, audit_head, audit_tree_hash};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::merkle::{self, Hash, MerkleError};
use crate::error::{AppError, AppResult};
use crate::kernel::db::Database;

/// Events added to the tree per transaction when catching up, so that writers are not held up
/// for long on a large log.
const CATCH_UP_BATCH: i64 = 5_000;

/// Rows per multi-row INSERT (two parameters each; PostgreSQL allows 65 535 per statement).
const INSERT_CHUNK: usize = 10_000;

/// Indexes per `IN (…)` read.
const READ_CHUNK: usize = 1_000;

/// The leaf of an event: the 32 bytes its lowercase-hex `hash` spells, or `None` if it does not
/// spell 32 bytes (only a tampered row can be like that).
pub fn leaf_of(event_hash: &str) -> Option<Hash> {
    let bytes = hex::decode(event_hash).ok()?;
    Hash::try_from(bytes.as_slice()).ok()
}

fn tree_error(err: MerkleError) -> AppError {
    AppError::internal(anyhow::anyhow!("audit Merkle tree: {err}"))
}

/// The stored hashes at `indexes`, in the same order; `None` if any is missing or is not 32
/// bytes (the table was damaged or tampered with).
pub async fn try_read_hashes<C: ConnectionTrait>(db: &C, indexes: &[i64]) -> AppResult<Option<Vec<Hash>>> {
    let mut found: HashMap<i64, Vec<u8>> = HashMap::with_capacity(indexes.len());
    for chunk in indexes.chunks(READ_CHUNK) {
        let rows = audit_tree_hash::Entity::find()
            .filter(audit_tree_hash::Column::Idx.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|row| (row.idx, row.hash)));
    }
    Ok(indexes.iter().map(|i| found.get(i).and_then(|h| Hash::try_from(h.as_slice()).ok())).collect())
}

/// The stored hashes at `indexes`; a missing or malformed one is an internal error.
pub async fn read_hashes<C: ConnectionTrait>(db: &C, indexes: &[i64]) -> AppResult<Vec<Hash>> {
    try_read_hashes(db, indexes)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("audit Merkle tree: a stored hash is missing or malformed")))
}

/// The stored hashes in `from..to`, keyed by index (for comparing a recomputed stretch).
pub async fn read_range<C: ConnectionTrait>(db: &C, from: i64, to: i64) -> AppResult<HashMap<i64, Vec<u8>>> {
    let rows = audit_tree_hash::Entity::find()
        .filter(audit_tree_hash::Column::Idx.gte(from))
        .filter(audit_tree_hash::Column::Idx.lt(to))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| (row.idx, row.hash)).collect())
}

/// Stores the tree hashes of records `first..first + leaves.len()`, given their leaves (the
/// events' hashes as bytes): one read of the stored hashes they need — the roots of the
/// complete subtrees of the tree of size `first` that the new records complete into bigger ones,
/// at most log₂ n — and one multi-row insert. Runs inside the appender's transaction, which
/// holds the `audit_head` lock, so nobody else writes the tree meanwhile.
pub async fn append_leaves<C: ConnectionTrait>(db: &C, first: i64, leaves: &[Hash]) -> AppResult<()> {
    if leaves.is_empty() {
        return Ok(());
    }
    let end = first + leaves.len() as i64;
    let stored_before = merkle::stored_hash_count(first);
    let mut needed = BTreeSet::new();
    for n in first..end {
        needed.extend(merkle::stored_hashes_indexes(n).map_err(tree_error)?.into_iter().filter(|&i| i < stored_before));
    }
    let needed: Vec<i64> = needed.into_iter().collect();
    let mut known: HashMap<i64, Hash> = needed.iter().copied().zip(read_hashes(db, &needed).await?).collect();

    let mut rows = Vec::with_capacity(leaves.len() * 2);
    for (n, leaf) in (first..end).zip(leaves) {
        let hashes = stored_hashes_for(n, leaf, &known)?;
        let at = merkle::stored_hash_index(0, n);
        for (idx, hash) in (at..).zip(hashes) {
            known.insert(idx, hash);
            rows.push(audit_tree_hash::ActiveModel { idx: Set(idx), hash: Set(hash.to_vec()) });
        }
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_CHUNK).collect();
        audit_tree_hash::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// The hashes record `n` adds to the tree (its leaf hash, then one per subtree it completes),
/// taking the left halves from `known`.
pub fn stored_hashes_for(n: i64, leaf: &Hash, known: &HashMap<i64, Hash>) -> AppResult<Vec<Hash>> {
    let old = merkle::stored_hashes_indexes(n)
        .map_err(tree_error)?
        .iter()
        .map(|i| known.get(i).copied())
        .collect::<Option<Vec<Hash>>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("audit Merkle tree: a left subtree is unknown")))?;
    merkle::stored_hashes_from_hashes(n, merkle::record_hash(leaf), &old).map_err(tree_error)
}

/// The leaves of events `after + 1 ..= upto`, read from the events themselves.
pub async fn event_leaves<C: ConnectionTrait>(db: &C, after: i64, upto: i64) -> AppResult<Vec<Hash>> {
    let events = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Seq)
        .column(audit_event::Column::Hash)
        .filter(audit_event::Column::Seq.gt(after))
        .filter(audit_event::Column::Seq.lte(upto))
        .order_by_asc(audit_event::Column::Seq)
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?;
    let mut expected = after + 1;
    let mut leaves = Vec::with_capacity(events.len());
    for (seq, hash) in events {
        let leaf = leaf_of(&hash).filter(|_| seq == expected).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("audit event {expected} is missing or its hash is malformed"))
        })?;
        leaves.push(leaf);
        expected += 1;
    }
    if expected != upto + 1 {
        return Err(AppError::internal(anyhow::anyhow!("audit event {expected} is missing")));
    }
    Ok(leaves)
}

/// Builds the stored tree for the events it does not cover yet (a database that predates it),
/// in transactions of [`CATCH_UP_BATCH`] events. Returns how many events were added. Run at
/// start-up, under the start-up lock, before the server takes requests.
pub async fn catch_up(db: &Database) -> AppResult<i64> {
    let mut added = 0;
    loop {
        let txn = db.begin_write().await?;
        let head = audit_head::Entity::find_by_id(super::chain::HEAD_ID)
            .lock_exclusive()
            .one(&txn.txn)
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("audit_head row is missing")))?;
        if head.tree_size >= head.seq {
            txn.txn.rollback().await?;
            return Ok(added);
        }
        let upto = head.seq.min(head.tree_size + CATCH_UP_BATCH);
        let leaves = event_leaves(&txn.txn, head.tree_size, upto).await?;
        append_leaves(&txn.txn, head.tree_size, &leaves).await?;
        added += upto - head.tree_size;
        let mut head = head.into_active_model();
        head.tree_size = Set(upto);
        head.update(&txn.txn).await?;
        txn.txn.commit().await?;
    }
}

/// How many events the stored tree covers (the log's size, once caught up).
pub async fn size<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    let head = audit_head::Entity::find_by_id(super::chain::HEAD_ID).one(db).await?;
    Ok(head.map(|h| h.tree_size.min(h.seq)).unwrap_or(0))
}

/// The root hash of the first `size` events, from the stored tree (O(log n) rows).
pub async fn root<C: ConnectionTrait>(db: &C, size: i64) -> AppResult<Hash> {
    let indexes = merkle::tree_hash_indexes(size).map_err(tree_error)?;
    merkle::tree_hash_from_hashes(size, &read_hashes(db, &indexes).await?).map_err(tree_error)
}

/// The inclusion proof (RFC 9162 order) of leaf `leaf_index` in the tree of size `size`.
pub async fn inclusion_proof<C: ConnectionTrait>(db: &C, size: i64, leaf_index: i64) -> AppResult<Vec<Hash>> {
    let indexes = merkle::prove_record_indexes(size, leaf_index).map_err(tree_error)?;
    merkle::prove_record_from_hashes(size, leaf_index, &read_hashes(db, &indexes).await?).map_err(tree_error)
}

/// The consistency proof (RFC 9162 order) from the tree of size `from` to that of size `to`.
pub async fn consistency_proof<C: ConnectionTrait>(db: &C, from: i64, to: i64) -> AppResult<Vec<Hash>> {
    let indexes = merkle::prove_tree_indexes(to, from).map_err(tree_error)?;
    merkle::prove_tree_from_hashes(to, from, &read_hashes(db, &indexes).await?).map_err(tree_error)
}

/// The root of a tree built leaf by leaf, keeping only the roots of its complete subtrees
/// (largest first): O(log n) memory whatever the size, for recomputing a root from a stream of
/// events without trusting — or needing — the stored tree.
#[derive(Clone, Debug, Default)]
pub struct RootBuilder {
    size: i64,
    subtrees: Vec<Hash>,
}

impl RootBuilder {
    /// Appends the leaf `leaf` (an event's hash as bytes).
    pub fn push(&mut self, leaf: &Hash) {
        let mut hash = merkle::record_hash(leaf);
        // Each trailing 1 bit of the old size is a complete subtree of the same height as the
        // one just finished: merge them, as binary addition carries.
        let mut size = self.size;
        while size & 1 == 1 {
            if let Some(left) = self.subtrees.pop() {
                hash = merkle::node_hash(left, hash);
            }
            size >>= 1;
        }
        self.subtrees.push(hash);
        self.size += 1;
    }

    pub fn size(&self) -> i64 {
        self.size
    }

    /// RFC 6962's `MTH` of the leaves pushed so far (the empty tree's hash when none).
    pub fn root(&self) -> Hash {
        match self.subtrees.split_last() {
            None => merkle::EMPTY_TREE_HASH,
            Some((last, rest)) => rest.iter().rev().fold(*last, |right, left| merkle::node_hash(*left, right)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: i64) -> Hash {
        merkle::record_hash(&i.to_be_bytes())
    }

    /// Every stored hash of a tree of `n` leaves, as `append_leaves` computes them batch by batch.
    fn stored_in_batches(n: i64, batch: i64) -> Vec<Hash> {
        let mut known: HashMap<i64, Hash> = HashMap::new();
        let mut first = 0;
        while first < n {
            let end = n.min(first + batch);
            // As append_leaves: only what existed before the batch comes from storage.
            let before = merkle::stored_hash_count(first);
            assert!(known.keys().all(|&i| i < before));
            for m in first..end {
                let at = merkle::stored_hash_index(0, m);
                for (idx, h) in (at..).zip(stored_hashes_for(m, &leaf(m), &known).unwrap()) {
                    known.insert(idx, h);
                }
            }
            first = end;
        }
        (0..merkle::stored_hash_count(n)).map(|i| known[&i]).collect()
    }

    #[test]
    fn batches_of_any_size_store_the_same_tree_as_one_by_one() {
        let reference: Vec<Hash> = {
            let mut stored = Vec::new();
            for m in 0..70 {
                stored.extend(merkle::stored_hashes(m, &leaf(m), &stored).unwrap());
            }
            stored
        };
        for batch in [1, 2, 3, 7, 16, 70] {
            assert_eq!(stored_in_batches(70, batch), reference, "batch {batch}");
        }
    }

    #[test]
    fn the_streaming_root_is_rfc6962s_root_at_every_size() {
        let mut stored = Vec::new();
        let mut builder = RootBuilder::default();
        assert_eq!(builder.root(), merkle::EMPTY_TREE_HASH);
        for m in 0..130 {
            stored.extend(merkle::stored_hashes(m, &leaf(m), &stored).unwrap());
            builder.push(&leaf(m));
            assert_eq!(builder.size(), m + 1);
            assert_eq!(builder.root(), merkle::tree_hash(m + 1, &stored).unwrap(), "size {}", m + 1);
        }
    }

    #[test]
    fn the_streaming_root_matches_hand_built_trees() {
        // RFC 6962 §2.1 by hand, for 1, 2, 3 and 5 leaves.
        let l: Vec<Hash> = (0..5).map(leaf).collect();
        let lh = |i: usize| merkle::record_hash(&l[i]);
        let n = merkle::node_hash;
        let expected =
            [lh(0), n(lh(0), lh(1)), n(n(lh(0), lh(1)), lh(2)), n(n(n(lh(0), lh(1)), n(lh(2), lh(3))), lh(4))];
        for (size, want) in [1usize, 2, 3, 5].into_iter().zip(expected) {
            let mut builder = RootBuilder::default();
            l[..size].iter().for_each(|x| builder.push(x));
            assert_eq!(builder.root(), want, "size {size}");
        }
    }

    #[test]
    fn leaves_are_the_32_bytes_the_hex_hash_spells() {
        let hex = "00ff".repeat(16);
        let leaf = leaf_of(&hex).unwrap();
        assert_eq!(leaf[0], 0x00);
        assert_eq!(leaf[1], 0xff);
        assert_eq!(leaf_of("abc"), None);
        assert_eq!(leaf_of(&"0".repeat(62)), None);
        assert_eq!(leaf_of(&"zz".repeat(32)), None);
    }
}
