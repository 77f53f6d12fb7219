//! The audit log's Merkle tree (RFC 6962 §2.1, RFC 9162 §2.1), kept incrementally in storage.
//!
//! A port of Go's `golang.org/x/mod/sumdb/tlog` (tlog.go), the tamper-evident log behind the Go
//! checksum database, which follows Certificate Transparency:
//!
//! - Hashing: leaf hash `SHA-256(0x00 ‖ data)`, interior node `SHA-256(0x01 ‖ left ‖ right)`, and
//!   `SHA-256("")` for the empty tree. For the audit log, record `i` (0-based) is the 32 raw bytes
//!   of the `hash` of the event with `seq = i + 1`, and tree size `n` covers seqs `1..=n`.
//! - Storage: the hash of every complete subtree is written exactly once, when the record that
//!   completes it is appended, at a dense index given by [`stored_hash_index`] (Crosby & Wallach,
//!   "Efficient Data Structures for Tamper-Evident Logging", §3.3). Appending record `n` stores
//!   [`stored_hashes_for_record_hash`] at indexes `stored_hash_index(0, n)..`. Tree hashes and
//!   proofs for any size then read at most O(log n) stored hashes: nothing is rebuilt per request.
//! - Proofs: inclusion proofs ("Merkle audit path", RFC 6962 §2.1.1, RFC 9162 §2.1.3) and
//!   consistency proofs (RFC 6962 §2.1.2, RFC 9162 §2.1.4). Go's proofs are exactly the lists the
//!   RFC `PATH` and `SUBPROOF` recursions build, hashes ordered from the leaf (or the old tree)
//!   up to the root; RFC 9162 kept RFC 6962's definitions, so they are RFC 9162 proofs as they
//!   stand. The tests check that byte for byte against the Certificate Transparency vectors
//!   published in transparency-dev/merkle, and check [`check_record`] and [`check_tree`] against
//!   [`verify_inclusion_rfc9162`] and [`verify_consistency_rfc9162`], which transcribe the RFC 9162
//!   §2.1.3.2 and §2.1.4.2 verification algorithms independently.
//!
//! The database is asynchronous and this module is not, so each operation that reads stored
//! hashes comes in two phases: `*_indexes` lists the stored-hash indexes it needs (in increasing
//! order), the caller fetches them, and `*_from_hashes` finishes the job given the hashes in the
//! same order. The one-call forms ([`tree_hash`], [`prove_record`], …) run both phases through a
//! synchronous [`HashReader`], such as a `Vec<Hash>` holding every stored hash at its index.
//!
//! Sizes and indexes are `i64`, as the database stores them; record and tree sizes must lie in
//! `0..=MAX_TREE_SIZE`, which keeps every index computation clear of overflow.

use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};

/// Size of a [`Hash`](type@Hash) in bytes.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 hash of a record or a subtree.
pub type Hash = [u8; HASH_SIZE];

/// The hash of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
pub const EMPTY_TREE_HASH: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41,
    0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The largest tree size accepted. Far beyond any real log, and small enough that stored-hash
/// indexes (fewer than two per record) always fit in an `i64`.
pub const MAX_TREE_SIZE: i64 = 1 << 61;

/// Why a tree operation or proof check failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// A size or index is out of range for the operation named.
    #[error("tlog: invalid inputs in {0}")]
    InvalidInput(&'static str),
    /// The proof does not prove what it was checked against.
    #[error("invalid transparency proof")]
    ProofFailed,
    /// A `*_from_hashes` call, or a [`HashReader`], supplied the wrong number of hashes.
    #[error("tlog: read_hashes({expected} indexes) = {got} hashes")]
    WrongHashCount { expected: usize, got: usize },
    /// The in-memory reader has no hash at this stored index.
    #[error("tlog: no stored hash at index {0}")]
    MissingHash(i64),
    /// For [`HashReader`] implementations backed by fallible storage.
    #[error("tlog: reading stored hashes: {0}")]
    Storage(String),
    /// Not the standard base64 encoding of 32 bytes.
    #[error("malformed hash")]
    MalformedHash,
    /// An internal invariant failed; it means a bug here, never bad input.
    #[error("tlog: bad index math in {0}")]
    BadMath(&'static str),
}

/// The leaf hash of a record: `SHA-256(0x00 ‖ data)` (RFC 6962 §2.1).
pub fn record_hash(data: &[u8]) -> Hash {
    Sha256::new().chain_update([0x00_u8]).chain_update(data).finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)` (RFC 6962 §2.1).
pub fn node_hash(left: Hash, right: Hash) -> Hash {
    Sha256::new().chain_update([0x01_u8]).chain_update(left).chain_update(right).finalize().into()
}

/// The standard (padded) base64 form of a hash, as checkpoints and the API carry it.
pub fn encode_hash(hash: &Hash) -> String {
    STANDARD.encode(hash)
}

/// Parses the standard base64 form of a hash.
pub fn parse_hash(s: &str) -> Result<Hash, MerkleError> {
    let bytes = STANDARD.decode(s).map_err(|_| MerkleError::MalformedHash)?;
    Hash::try_from(bytes.as_slice()).map_err(|_| MerkleError::MalformedHash)
}

/// `(k, log₂ k)` for the largest power of two `k` smaller than `n` (1 when `n <= 2`). Go loops
/// over shifts; the bit length gets there without ever shifting past the sign bit.
fn maxpow2(n: i64) -> (i64, u32) {
    if n <= 2 {
        return (1, 0);
    }
    let level = 63 - (n - 1).leading_zeros();
    (1 << level, level)
}

/// Maps tree coordinates (`level`, `n`: the `n`th hash at that level, 0-based) to the dense index
/// where that hash is stored. Needs `n >= 0` and `(n + 1) << level <= MAX_TREE_SIZE`, which holds
/// for every node of every accepted tree; outside that the result is meaningless (but no panic).
pub fn stored_hash_index(level: u32, n: i64) -> i64 {
    // Level L's nth hash is written right after level L+1's (2n+1)th hash, so walk down to the
    // level-0 record that completes it, adding the level back at the end.
    let mut n = n;
    for _ in 0..level.min(64) {
        n = n.saturating_mul(2).saturating_add(1);
    }
    // Level 0's nth hash is written at n + n/2 + n/4 + … (until n/2^i reaches zero).
    let mut index: i64 = 0;
    while n > 0 {
        index = index.saturating_add(n);
        n >>= 1;
    }
    index.saturating_add(i64::from(level))
}

/// The inverse of [`stored_hash_index`]: the `(level, n)` of the hash stored at `index`.
pub fn split_stored_hash_index(index: i64) -> Result<(u32, i64), MerkleError> {
    if !(0..2 * MAX_TREE_SIZE).contains(&index) {
        return Err(MerkleError::InvalidInput("split_stored_hash_index"));
    }
    // Find the level-0 record n stored at or before index. stored_hash_index(0, n) < 2n, so that
    // n lies in [index/2, index/2 + log₂(index)].
    let mut n = index / 2;
    let mut index_n = stored_hash_index(0, n);
    if index_n > index {
        return Err(MerkleError::BadMath("split_stored_hash_index"));
    }
    loop {
        // Record n adds 1 + trailing_zeros(n + 1) hashes: its own and those of completed subtrees.
        let next = index_n + 1 + i64::from((n + 1).trailing_zeros());
        if next > index {
            break;
        }
        n += 1;
        index_n = next;
    }
    // The hash was stored along with record n, so it is one of (0, n), (1, n/2), (2, n/4), …
    let level = u32::try_from(index - index_n).map_err(|_| MerkleError::BadMath("split_stored_hash_index"))?;
    Ok((level, n >> level))
}

/// The number of hashes stored for a tree of `n` records (0 when `n <= 0`).
pub fn stored_hash_count(n: i64) -> i64 {
    if n <= 0 {
        return 0;
    }
    // Everything up to the last record's leaf hash, then one hash per subtree that record
    // completes, i.e. per trailing 1 bit of its index.
    stored_hash_index(0, n - 1).saturating_add(1).saturating_add(i64::from((n - 1).trailing_ones()))
}

/// Reads stored hashes synchronously; the two-phase functions are the asynchronous route.
pub trait HashReader {
    /// Returns the hashes stored at `indexes`, in the same order. The functions here always ask
    /// in strictly increasing order, so a range or `IN (…)` query fits.
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>, MerkleError>;
}

/// In-memory storage: the hash with stored index `i` at position `i`.
impl HashReader for [Hash] {
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>, MerkleError> {
        indexes
            .iter()
            .map(|&i| usize::try_from(i).ok().and_then(|i| self.get(i)).copied().ok_or(MerkleError::MissingHash(i)))
            .collect()
    }
}

impl HashReader for Vec<Hash> {
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>, MerkleError> {
        self.as_slice().read_hashes(indexes)
    }
}

/// Reads through `reader`, holding it to the contract of returning one hash per index.
fn read<R: HashReader + ?Sized>(reader: &R, indexes: &[i64]) -> Result<Vec<Hash>, MerkleError> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = reader.read_hashes(indexes)?;
    check_count(indexes.len(), hashes.len())?;
    Ok(hashes)
}

fn check_count(expected: usize, got: usize) -> Result<(), MerkleError> {
    if expected == got { Ok(()) } else { Err(MerkleError::WrongHashCount { expected, got }) }
}

/// Hands out the fetched hashes in the order their indexes were listed.
struct Cursor<'a> {
    hashes: &'a [Hash],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, count: usize, what: &'static str) -> Result<&'a [Hash], MerkleError> {
        if self.hashes.len() < count {
            return Err(MerkleError::BadMath(what));
        }
        let (taken, rest) = self.hashes.split_at(count);
        self.hashes = rest;
        Ok(taken)
    }

    fn finish(&self, what: &'static str) -> Result<(), MerkleError> {
        if self.hashes.is_empty() { Ok(()) } else { Err(MerkleError::BadMath(what)) }
    }
}

// ---- Appending records ----

/// The stored-hash indexes that appending record `n` (0-based) reads: the left neighbours of the
/// subtrees that record `n` completes, one per trailing 1 bit of `n`.
pub fn stored_hashes_indexes(n: i64) -> Result<Vec<i64>, MerkleError> {
    if !(0..MAX_TREE_SIZE).contains(&n) {
        return Err(MerkleError::InvalidInput("stored_hashes"));
    }
    // Sorted increasing: higher levels were stored earlier. Note that n >> i is always odd here.
    Ok((0..n.trailing_ones()).rev().map(|i| stored_hash_index(i, (n >> i) - 1)).collect())
}

/// The hashes to store, starting at index `stored_hash_index(0, n)`, when appending record `n`
/// whose leaf hash is `record_hash`; `old` holds the hashes at [`stored_hashes_indexes`]`(n)`.
/// There are at most 1 + log₂ n of them, and just under two on average.
pub fn stored_hashes_from_hashes(n: i64, record_hash: Hash, old: &[Hash]) -> Result<Vec<Hash>, MerkleError> {
    check_count(stored_hashes_indexes(n)?.len(), old.len())?;
    let mut hashes = Vec::with_capacity(old.len() + 1);
    let mut h = record_hash;
    hashes.push(h);
    // Each completed subtree hashes its stored left half with the right half just built.
    for left in old.iter().rev() {
        h = node_hash(*left, h);
        hashes.push(h);
    }
    Ok(hashes)
}

/// [`stored_hashes_for_record_hash`] for the record's data rather than its leaf hash.
pub fn stored_hashes<R: HashReader + ?Sized>(n: i64, data: &[u8], reader: &R) -> Result<Vec<Hash>, MerkleError> {
    stored_hashes_for_record_hash(n, record_hash(data), reader)
}

/// The hashes to store, starting at index `stored_hash_index(0, n)`, when appending record `n`
/// whose leaf hash is `record_hash`, reading earlier hashes through `reader`.
pub fn stored_hashes_for_record_hash<R: HashReader + ?Sized>(
    n: i64,
    record_hash: Hash,
    reader: &R,
) -> Result<Vec<Hash>, MerkleError> {
    let old = read(reader, &stored_hashes_indexes(n)?)?;
    stored_hashes_from_hashes(n, record_hash, &old)
}

// ---- Tree hashes ----

/// The stored-hash indexes needed for the root hash of the tree of size `n`: at most 1 + log₂ n.
pub fn tree_hash_indexes(n: i64) -> Result<Vec<i64>, MerkleError> {
    if !(0..=MAX_TREE_SIZE).contains(&n) {
        return Err(MerkleError::InvalidInput("tree_hash"));
    }
    let mut need = Vec::new();
    sub_tree_index(0, n, &mut need);
    Ok(need)
}

/// The root hash of the tree of size `n`, given the hashes at [`tree_hash_indexes`]`(n)`.
pub fn tree_hash_from_hashes(n: i64, hashes: &[Hash]) -> Result<Hash, MerkleError> {
    check_count(tree_hash_indexes(n)?.len(), hashes.len())?;
    if n == 0 {
        return Ok(EMPTY_TREE_HASH);
    }
    let mut cursor = Cursor { hashes };
    let hash = sub_tree_hash(0, n, &mut cursor)?;
    cursor.finish("tree_hash")?;
    Ok(hash)
}

/// The root hash of the tree of size `n` (RFC 6962 `MTH`), reading stored hashes through `reader`.
pub fn tree_hash<R: HashReader + ?Sized>(n: i64, reader: &R) -> Result<Hash, MerkleError> {
    let hashes = read(reader, &tree_hash_indexes(n)?)?;
    tree_hash_from_hashes(n, &hashes)
}

/// Appends the indexes needed for the hash of the subtree of records `[lo, hi)`.
fn sub_tree_index(mut lo: i64, hi: i64, need: &mut Vec<i64>) {
    // See sub_tree_hash: the range splits into complete subtrees, each stored whole.
    while lo < hi {
        let (k, level) = maxpow2(hi - lo + 1);
        debug_assert_eq!(lo & (k - 1), 0, "subtree [{lo}, {hi}) not aligned");
        need.push(stored_hash_index(level, lo >> level));
        lo += k;
    }
}

/// The hash of the subtree of records `[lo, hi)`, from the hashes listed by `sub_tree_index`.
fn sub_tree_hash(lo: i64, hi: i64, cursor: &mut Cursor<'_>) -> Result<Hash, MerkleError> {
    // Repeatedly split off the largest complete subtree on the left, whose hash is stored; the
    // ragged right edge is the fold of those hashes from the right.
    let mut count = 0;
    let mut at = lo;
    while at < hi {
        at += maxpow2(hi - at + 1).0;
        count += 1;
    }
    let hashes = cursor.take(count, "sub_tree_hash")?;
    let (last, rest) = hashes.split_last().ok_or(MerkleError::BadMath("sub_tree_hash"))?;
    Ok(rest.iter().rev().fold(*last, |right, left| node_hash(*left, right)))
}

// ---- Inclusion proofs ----

fn check_record_args(t: i64, n: i64, what: &'static str) -> Result<(), MerkleError> {
    if n < 0 || n >= t || t > MAX_TREE_SIZE { Err(MerkleError::InvalidInput(what)) } else { Ok(()) }
}

/// The stored-hash indexes needed to prove that the tree of size `t` contains record `n`.
pub fn prove_record_indexes(t: i64, n: i64) -> Result<Vec<i64>, MerkleError> {
    check_record_args(t, n, "prove_record")?;
    let mut need = Vec::new();
    leaf_proof_index(0, t, n, &mut need);
    Ok(need)
}

/// The inclusion proof of record `n` in the tree of size `t`, given the hashes at
/// [`prove_record_indexes`]`(t, n)`. Hashes run from the leaf's sibling up to the root's child.
pub fn prove_record_from_hashes(t: i64, n: i64, hashes: &[Hash]) -> Result<Vec<Hash>, MerkleError> {
    check_count(prove_record_indexes(t, n)?.len(), hashes.len())?;
    let mut cursor = Cursor { hashes };
    let mut proof = Vec::new();
    leaf_proof(0, t, n, &mut cursor, &mut proof)?;
    cursor.finish("prove_record")?;
    Ok(proof)
}

/// The inclusion proof (RFC 9162 `inclusion_path`) of record `n` in the tree of size `t`.
pub fn prove_record<R: HashReader + ?Sized>(t: i64, n: i64, reader: &R) -> Result<Vec<Hash>, MerkleError> {
    let hashes = read(reader, &prove_record_indexes(t, n)?)?;
    prove_record_from_hashes(t, n, &hashes)
}

/// Appends the indexes needed to prove that leaf `n` is in the subtree `[lo, hi)`.
fn leaf_proof_index(lo: i64, hi: i64, n: i64, need: &mut Vec<i64>) {
    if lo + 1 == hi {
        return;
    }
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        leaf_proof_index(lo, lo + k, n, need);
        sub_tree_index(lo + k, hi, need);
    } else {
        sub_tree_index(lo, lo + k, need);
        leaf_proof_index(lo + k, hi, n, need);
    }
}

/// Builds RFC 6962's `PATH(n, D[lo:hi])`: the path below, then the sibling subtree not taken.
fn leaf_proof(lo: i64, hi: i64, n: i64, cursor: &mut Cursor<'_>, proof: &mut Vec<Hash>) -> Result<(), MerkleError> {
    if lo + 1 == hi {
        // The verifier knows the leaf hash itself.
        return Ok(());
    }
    let (k, _) = maxpow2(hi - lo);
    let sibling = if n < lo + k {
        leaf_proof(lo, lo + k, n, cursor, proof)?;
        sub_tree_hash(lo + k, hi, cursor)?
    } else {
        let sibling = sub_tree_hash(lo, lo + k, cursor)?;
        leaf_proof(lo + k, hi, n, cursor, proof)?;
        sibling
    };
    proof.push(sibling);
    Ok(())
}

/// Checks that `proof` proves that the tree of size `t` with root hash `th` has, as record `n`,
/// the record whose leaf hash is `h`.
pub fn check_record(proof: &[Hash], t: i64, th: Hash, n: i64, h: Hash) -> Result<(), MerkleError> {
    check_record_args(t, n, "check_record")?;
    if run_record_proof(proof, 0, t, n, h)? == th { Ok(()) } else { Err(MerkleError::ProofFailed) }
}

/// The hash of subtree `[lo, hi)` implied by the proof that it holds leaf `n` with hash `leaf`.
fn run_record_proof(proof: &[Hash], lo: i64, hi: i64, n: i64, leaf: Hash) -> Result<Hash, MerkleError> {
    if lo + 1 == hi {
        // At the leaf, the proof must be used up: no unnecessary hashes.
        return if proof.is_empty() { Ok(leaf) } else { Err(MerkleError::ProofFailed) };
    }
    let (sibling, rest) = proof.split_last().ok_or(MerkleError::ProofFailed)?;
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        Ok(node_hash(run_record_proof(rest, lo, lo + k, n, leaf)?, *sibling))
    } else {
        Ok(node_hash(*sibling, run_record_proof(rest, lo + k, hi, n, leaf)?))
    }
}

// ---- Consistency proofs ----

fn check_tree_args(t: i64, n: i64, what: &'static str) -> Result<(), MerkleError> {
    if n < 1 || n > t || t > MAX_TREE_SIZE { Err(MerkleError::InvalidInput(what)) } else { Ok(()) }
}

/// The stored-hash indexes needed to prove that the tree of size `t` extends that of size `n`.
pub fn prove_tree_indexes(t: i64, n: i64) -> Result<Vec<i64>, MerkleError> {
    check_tree_args(t, n, "prove_tree")?;
    let mut need = Vec::new();
    tree_proof_index(0, t, n, &mut need);
    Ok(need)
}

/// The consistency proof from size `n` to size `t`, given the hashes at
/// [`prove_tree_indexes`]`(t, n)`.
pub fn prove_tree_from_hashes(t: i64, n: i64, hashes: &[Hash]) -> Result<Vec<Hash>, MerkleError> {
    check_count(prove_tree_indexes(t, n)?.len(), hashes.len())?;
    let mut cursor = Cursor { hashes };
    let mut proof = Vec::new();
    tree_proof(0, t, n, &mut cursor, &mut proof)?;
    cursor.finish("prove_tree")?;
    Ok(proof)
}

/// The consistency proof (RFC 9162 `consistency_path`) that the tree of size `t` contains the
/// tree of size `n` as a prefix; `1 <= n <= t`, and it is empty when `n == t`.
pub fn prove_tree<R: HashReader + ?Sized>(t: i64, n: i64, reader: &R) -> Result<Vec<Hash>, MerkleError> {
    let hashes = read(reader, &prove_tree_indexes(t, n)?)?;
    prove_tree_from_hashes(t, n, &hashes)
}

/// Appends the indexes needed for the part of the proof about subtree `[lo, hi)`.
fn tree_proof_index(lo: i64, hi: i64, n: i64, need: &mut Vec<i64>) {
    if n == hi {
        if lo != 0 {
            sub_tree_index(lo, hi, need);
        }
        return;
    }
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        tree_proof_index(lo, lo + k, n, need);
        sub_tree_index(lo + k, hi, need);
    } else {
        sub_tree_index(lo, lo + k, need);
        tree_proof_index(lo + k, hi, n, need);
    }
}

/// Builds RFC 6962's `SUBPROOF(n, D[lo:hi], lo == 0)`: `lo == 0` exactly while the recursion has
/// only gone left, which is when the RFC's flag `b` is still true.
fn tree_proof(lo: i64, hi: i64, n: i64, cursor: &mut Cursor<'_>, proof: &mut Vec<Hash>) -> Result<(), MerkleError> {
    if n == hi {
        // Reached a subtree shared by both trees. If it is the whole old tree the verifier knows
        // its hash already; otherwise send it.
        if lo != 0 {
            proof.push(sub_tree_hash(lo, hi, cursor)?);
        }
        return Ok(());
    }
    let (k, _) = maxpow2(hi - lo);
    let sibling = if n <= lo + k {
        tree_proof(lo, lo + k, n, cursor, proof)?;
        sub_tree_hash(lo + k, hi, cursor)?
    } else {
        let sibling = sub_tree_hash(lo, lo + k, cursor)?;
        tree_proof(lo + k, hi, n, cursor, proof)?;
        sibling
    };
    proof.push(sibling);
    Ok(())
}

/// Checks that `proof` proves that the tree of size `t` with root hash `th` contains, as a
/// prefix, the tree of size `n` with root hash `h`.
pub fn check_tree(proof: &[Hash], t: i64, th: Hash, n: i64, h: Hash) -> Result<(), MerkleError> {
    check_tree_args(t, n, "check_tree")?;
    let (old, new) = run_tree_proof(proof, 0, t, n, h)?;
    if old == h && new == th { Ok(()) } else { Err(MerkleError::ProofFailed) }
}

/// The hashes of subtree `[lo, hi)` in the old tree (size `n`, hash `old`) and in the new tree,
/// as implied by the proof.
fn run_tree_proof(proof: &[Hash], lo: i64, hi: i64, n: i64, old: Hash) -> Result<(Hash, Hash), MerkleError> {
    if n == hi {
        return match (lo, proof) {
            (0, []) => Ok((old, old)),
            (1.., [shared]) => Ok((*shared, *shared)),
            _ => Err(MerkleError::ProofFailed),
        };
    }
    let (sibling, rest) = proof.split_last().ok_or(MerkleError::ProofFailed)?;
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        let (old_hash, new_hash) = run_tree_proof(rest, lo, lo + k, n, old)?;
        Ok((old_hash, node_hash(new_hash, *sibling)))
    } else {
        let (old_hash, new_hash) = run_tree_proof(rest, lo + k, hi, n, old)?;
        Ok((node_hash(*sibling, old_hash), node_hash(*sibling, new_hash)))
    }
}

// ---- Stand-alone RFC 9162 verifiers ----

fn size_bits(size: i64, what: &'static str) -> Result<u64, MerkleError> {
    if size > MAX_TREE_SIZE {
        return Err(MerkleError::InvalidInput(what));
    }
    u64::try_from(size).map_err(|_| MerkleError::InvalidInput(what))
}

/// Shifts `fn_` and `sn` right together until `fn_` is odd or zero (a step both RFC 9162 verifiers
/// take after hashing in a left sibling at a right-edge node).
fn shift_to_odd_or_zero(fn_: &mut u64, sn: &mut u64) {
    while *fn_ & 1 == 0 && *fn_ != 0 {
        *fn_ >>= 1;
        *sn >>= 1;
    }
}

/// Verifies an inclusion proof exactly as RFC 9162 §2.1.3.2 spells it out, independently of
/// [`check_record`]: that `path` proves that the tree of size `tree_size` with root hash `root`
/// has, at `leaf_index`, the leaf whose hash is `leaf_hash`.
pub fn verify_inclusion_rfc9162(
    leaf_index: i64,
    tree_size: i64,
    leaf_hash: Hash,
    path: &[Hash],
    root: Hash,
) -> Result<(), MerkleError> {
    let what = "verify_inclusion_rfc9162";
    // 1. Fail if leaf_index >= tree_size.
    let (leaf_index, tree_size) = (size_bits(leaf_index, what)?, size_bits(tree_size, what)?);
    if leaf_index >= tree_size {
        return Err(MerkleError::InvalidInput(what));
    }
    // 2. fn = leaf_index, sn = tree_size - 1. 3. r = hash.
    let (mut fn_, mut sn) = (leaf_index, tree_size - 1);
    let mut r = leaf_hash;
    // 4. For each p in the path:
    for p in path {
        // a. The path is longer than the tree is tall.
        if sn == 0 {
            return Err(MerkleError::ProofFailed);
        }
        // b. A right child, or the last node of its level: p is the left sibling.
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(*p, r);
            // Right-edge nodes without a sibling are promoted unchanged up to the next level
            // where they are a right child.
            if fn_ & 1 == 0 {
                shift_to_odd_or_zero(&mut fn_, &mut sn);
            }
        } else {
            r = node_hash(r, *p);
        }
        // c.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. The path must reach the root exactly, and reproduce its hash.
    if sn == 0 && r == root { Ok(()) } else { Err(MerkleError::ProofFailed) }
}

/// Verifies a consistency proof exactly as RFC 9162 §2.1.4.2 spells it out, independently of
/// [`check_tree`]: that `path` proves that the tree of size `second` with root hash `second_hash`
/// extends the tree of size `first` with root hash `first_hash`. The RFC algorithm covers
/// `0 < first < second`; for `first == second` the proof must be empty and the hashes equal.
pub fn verify_consistency_rfc9162(
    first: i64,
    second: i64,
    first_hash: Hash,
    second_hash: Hash,
    path: &[Hash],
) -> Result<(), MerkleError> {
    let what = "verify_consistency_rfc9162";
    let (first, second) = (size_bits(first, what)?, size_bits(second, what)?);
    if first == 0 || first > second {
        return Err(MerkleError::InvalidInput(what));
    }
    if first == second {
        return if path.is_empty() && first_hash == second_hash { Ok(()) } else { Err(MerkleError::ProofFailed) };
    }
    // 1. An empty path proves nothing.
    let Some((head, tail)) = path.split_first() else {
        return Err(MerkleError::ProofFailed);
    };
    // 2. If first is a power of two, the old root is a node of the new tree and the proof
    //    leaves it out: put first_hash in front.
    let (seed, rest) = if first.is_power_of_two() { (first_hash, path) } else { (*head, tail) };
    // 3. fn = first - 1, sn = second - 1.
    let (mut fn_, mut sn) = (first - 1, second - 1);
    // 4. Skip the levels where the old tree's last node is a right child.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. fr = sr = the first value of the (possibly prepended) path.
    let (mut fr, mut sr) = (seed, seed);
    // 6. For each subsequent value c:
    for c in rest {
        // a.
        if sn == 0 {
            return Err(MerkleError::ProofFailed);
        }
        // b. A left sibling is part of both trees; a right sibling only of the new one.
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(*c, fr);
            sr = node_hash(*c, sr);
            if fn_ & 1 == 0 {
                shift_to_odd_or_zero(&mut fn_, &mut sn);
            }
        } else {
            sr = node_hash(sr, *c);
        }
        // c.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 7.
    if fr == first_hash && sr == second_hash && sn == 0 { Ok(()) } else { Err(MerkleError::ProofFailed) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn h(hex_str: &str) -> Hash {
        let bytes = hex::decode(hex_str).expect("test vector is hex");
        Hash::try_from(bytes.as_slice()).expect("test vector is 32 bytes")
    }

    fn flip(mut hash: Hash, mask: u8) -> Hash {
        hash[0] ^= mask;
        hash
    }

    /// A reader over a `Vec<Hash>` that, like Go's test storage, insists on increasing indexes
    /// and counts its calls.
    struct StrictReader<'a> {
        hashes: &'a [Hash],
        calls: Cell<usize>,
    }

    impl HashReader for StrictReader<'_> {
        fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>, MerkleError> {
            assert!(indexes.windows(2).all(|w| w[0] < w[1]), "indexes out of order: {indexes:?}");
            self.calls.set(self.calls.get() + 1);
            self.hashes.read_hashes(indexes)
        }
    }

    /// Appends records with the given leaf hashes, as the audit log does with event hashes.
    fn build(record_hashes: &[Hash]) -> Vec<Hash> {
        let mut storage: Vec<Hash> = Vec::new();
        for (n, rh) in (0..).zip(record_hashes) {
            assert_eq!(stored_hash_index(0, n), i64::try_from(storage.len()).unwrap());
            let new = stored_hashes_for_record_hash(n, *rh, &storage).unwrap();
            storage.extend(new);
        }
        storage
    }

    // ---- Vectors from transparency-dev/merkle (the Certificate Transparency reference tests:
    // testonly/constants.go, rfc6962/rfc6962_test.go, and proof/verify_test.go as of bcba819^,
    // whose proofs are also published as testdata/{inclusion,consistency}/*/happy-path.json). ----

    const CT_LEAVES: [&str; 8] =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

    /// testonly.NodeHashes(): complete-subtree hashes by level, then index within the level.
    const CT_NODE_HASHES: [&[&str]; 4] = [
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        ],
        &[
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ],
        &[
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
        &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
    ];

    /// testonly.RootHashes(): the root hash for each tree size 0..=8.
    const CT_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// verify_test.go `inclusionProofs`: (1-based leaf, tree size, audit path).
    const CT_INCLUSION: [(i64, i64, &[&str]); 5] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (3, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (
            2,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];

    /// verify_test.go `consistencyProofs`: (old size, new size, proof).
    const CT_CONSISTENCY: [(i64, i64, &[&str]); 5] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];

    /// verify_test.go `sha256SomeHash`.
    const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

    fn ct_storage() -> Vec<Hash> {
        let leaves: Vec<Hash> = CT_LEAVES.iter().map(|l| record_hash(&hex::decode(l).unwrap())).collect();
        build(&leaves)
    }

    fn ct_root(size: i64) -> Hash {
        h(CT_ROOTS[usize::try_from(size).unwrap()])
    }

    fn ct_leaf_hash(index: i64) -> Hash {
        h(CT_NODE_HASHES[0][usize::try_from(index).unwrap()])
    }

    fn hashes(list: &[&str]) -> Vec<Hash> {
        list.iter().map(|s| h(s)).collect()
    }

    /// Both verifiers, which must agree.
    fn inclusion_ok(proof: &[Hash], t: i64, th: Hash, n: i64, leaf: Hash) -> bool {
        let go = check_record(proof, t, th, n, leaf).is_ok();
        let rfc = verify_inclusion_rfc9162(n, t, leaf, proof, th).is_ok();
        assert_eq!(go, rfc, "verifiers disagree on inclusion t={t} n={n} proof={proof:?}");
        go
    }

    fn consistency_ok(proof: &[Hash], t: i64, th: Hash, n: i64, nh: Hash) -> bool {
        let go = check_tree(proof, t, th, n, nh).is_ok();
        let rfc = verify_consistency_rfc9162(n, t, nh, th, proof).is_ok();
        assert_eq!(go, rfc, "verifiers disagree on consistency n={n} t={t} proof={proof:?}");
        go
    }

    #[test]
    fn rfc6962_hasher_vectors() {
        // rfc6962_test.go: the empty root, the empty leaf and a leaf "L123456".
        assert_eq!(EMPTY_TREE_HASH, h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        assert_eq!(EMPTY_TREE_HASH, <Hash>::from(Sha256::digest(b"")));
        assert_eq!(record_hash(b""), h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"));
        assert_eq!(record_hash(b"L123456"), h("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"));
        // Go tlog note_test.go TestFormatTree: RecordHash("hello world").
        assert_eq!(encode_hash(&record_hash(b"hello world")), "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=");
        // Node hashing is domain-separated from leaf hashing and ordered.
        let (a, b) = (record_hash(b"Hello"), record_hash(b"World"));
        assert_ne!(node_hash(a, b), node_hash(b, a));
        assert_ne!(node_hash(a, b), record_hash(&[a, b].concat()));
    }

    #[test]
    fn ct_reference_tree_hashes_and_stored_nodes() {
        let storage = ct_storage();
        assert_eq!(i64::try_from(storage.len()).unwrap(), stored_hash_count(8));
        for size in 0..=8 {
            assert_eq!(tree_hash(size, &storage).unwrap(), ct_root(size), "root of size {size}");
        }
        // Every complete subtree is stored exactly where stored_hash_index says.
        for (level, nodes) in (0..).zip(CT_NODE_HASHES) {
            for (n, node) in (0..).zip(nodes.iter()) {
                let index = usize::try_from(stored_hash_index(level, n)).unwrap();
                assert_eq!(storage[index], h(node), "node ({level}, {n})");
                assert_eq!(split_stored_hash_index(stored_hash_index(level, n)), Ok((level, n)));
            }
        }
    }

    #[test]
    fn ct_inclusion_vectors() {
        let storage = ct_storage();
        for (leaf, size, path) in CT_INCLUSION {
            let (n, want) = (leaf - 1, hashes(path));
            // Generated proofs match the published ones exactly: same hashes, same order.
            assert_eq!(prove_record(size, n, &storage).unwrap(), want, "proof of leaf {n} in {size}");
            assert!(inclusion_ok(&want, size, ct_root(size), n, ct_leaf_hash(n)));
            for (desc, probe) in corrupt_inclusion(n, size, &want, ct_root(size), ct_leaf_hash(n)) {
                let (n, t, leaf, proof, root) = probe;
                assert!(!inclusion_ok(&proof, t, root, n, leaf), "accepted {desc} for leaf {n} in {size}");
            }
        }
        // {0, 0, nil}: there is no leaf in the empty tree.
        assert!(prove_record(0, 0, &storage).is_err());
        assert!(!inclusion_ok(&[], 0, EMPTY_TREE_HASH, 0, ct_leaf_hash(0)));
    }

    type InclusionProbe = (i64, i64, Hash, Vec<Hash>, Hash);

    /// verify_test.go `corruptInclusionProof`: every probe must be rejected.
    fn corrupt_inclusion(n: i64, t: i64, proof: &[Hash], root: Hash, leaf: Hash) -> Vec<(String, InclusionProbe)> {
        let some = h(SOME_HASH);
        let with = |extra: Hash, front: bool| {
            let mut p = proof.to_vec();
            if front {
                p.insert(0, extra)
            } else {
                p.push(extra)
            }
            p
        };
        let mut probes = vec![
            ("leafIndex - 1".to_string(), (n - 1, t, leaf, proof.to_vec(), root)),
            ("leafIndex + 1".to_string(), (n + 1, t, leaf, proof.to_vec(), root)),
            ("leafIndex ^ 2".to_string(), (n ^ 2, t, leaf, proof.to_vec(), root)),
            ("treeSize * 2".to_string(), (n, t * 2, leaf, proof.to_vec(), root)),
            ("treeSize / 2".to_string(), (n, t / 2, leaf, proof.to_vec(), root)),
            ("wrong leaf".to_string(), (n, t, record_hash(b"WrongLeaf"), proof.to_vec(), root)),
            ("empty root".to_string(), (n, t, leaf, proof.to_vec(), EMPTY_TREE_HASH)),
            ("random root".to_string(), (n, t, leaf, proof.to_vec(), some)),
            ("trailing garbage".to_string(), (n, t, leaf, with([0; 32], false), root)),
            ("trailing root".to_string(), (n, t, leaf, with(root, false), root)),
            ("preceding garbage".to_string(), (n, t, leaf, with([0; 32], true), root)),
            ("preceding root".to_string(), (n, t, leaf, with(root, true), root)),
        ];
        for i in 0..proof.len() {
            let mut p = proof.to_vec();
            p[i] = flip(p[i], 8);
            probes.push((format!("modified proof[{i}] bit 3"), (n, t, leaf, p, root)));
        }
        if let Some((_, shorter)) = proof.split_last() {
            probes.push(("removed component".to_string(), (n, t, leaf, shorter.to_vec(), root)));
        }
        if proof.len() > 1 {
            let mut p = proof.to_vec();
            p.insert(1, some);
            probes.push(("inserted component".to_string(), (n, t, leaf, p, root)));
        }
        probes
    }

    #[test]
    fn ct_consistency_vectors() {
        let storage = ct_storage();
        for (size1, size2, path) in CT_CONSISTENCY {
            let want = hashes(path);
            assert_eq!(prove_tree(size2, size1, &storage).unwrap(), want, "proof {size1} -> {size2}");
            let (root1, root2) = (ct_root(size1), ct_root(size2));
            assert!(consistency_ok(&want, size2, root2, size1, root1));
            if want.is_empty() {
                continue;
            }
            // verify_test.go `corruptConsistencyProof`.
            let with = |extra: Hash, front: bool| {
                let mut p = want.clone();
                if front {
                    p.insert(0, extra)
                } else {
                    p.push(extra)
                }
                p
            };
            let wrong = record_hash(b"WrongRoot");
            let mut probes: Vec<(String, i64, i64, Hash, Hash, Vec<Hash>)> = vec![
                ("size1 - 1".into(), size1 - 1, size2, root1, root2, want.clone()),
                ("size1 + 1".into(), size1 + 1, size2, root1, root2, want.clone()),
                ("size1 ^ 2".into(), size1 ^ 2, size2, root1, root2, want.clone()),
                ("size2 * 2".into(), size1, size2 * 2, root1, root2, want.clone()),
                ("size2 / 2".into(), size1, size2 / 2, root1, root2, want.clone()),
                ("wrong root1".into(), size1, size2, wrong, root2, want.clone()),
                ("wrong root2".into(), size1, size2, root1, wrong, want.clone()),
                ("swapped roots".into(), size1, size2, root2, root1, want.clone()),
                ("empty proof".into(), size1, size2, root1, root2, Vec::new()),
                ("trailing garbage".into(), size1, size2, root1, root2, with([0; 32], false)),
                ("trailing root1".into(), size1, size2, root1, root2, with(root1, false)),
                ("trailing root2".into(), size1, size2, root1, root2, with(root2, false)),
                ("preceding garbage".into(), size1, size2, root1, root2, with([0; 32], true)),
                ("preceding root1".into(), size1, size2, root1, root2, with(root1, true)),
                ("preceding root2".into(), size1, size2, root1, root2, with(root2, true)),
                ("preceding proof[0]".into(), size1, size2, root1, root2, with(want[0], true)),
                ("truncated proof".into(), size1, size2, root1, root2, want[..want.len() - 1].to_vec()),
            ];
            for i in 0..want.len() {
                let mut p = want.clone();
                p[i] = flip(p[i], 16);
                probes.push((format!("modified proof[{i}] bit 4"), size1, size2, root1, root2, p));
            }
            for (desc, s1, s2, r1, r2, p) in probes {
                assert!(!consistency_ok(&p, s2, r2, s1, r1), "accepted {desc} for {size1} -> {size2}");
            }
        }
    }

    #[test]
    fn ct_consistency_edge_cases() {
        // verify_test.go TestVerifyConsistency, for the sizes this API accepts (it has no
        // consistency proofs from the empty tree, like Go's tlog).
        let (empty, some) = (EMPTY_TREE_HASH, h(SOME_HASH));
        assert!(consistency_ok(&[], 1, some, 1, some));
        assert!(!consistency_ok(&[], 1, empty, 1, some), "sizes equal, roots differ");
        assert!(!consistency_ok(&[empty], 1, empty, 1, empty), "sizes equal, proof not empty");
        assert!(!consistency_ok(&[], 0, some, 1, some), "time travel 1 -> 0");
        assert!(!consistency_ok(&[], 1, some, 2, some), "time travel 2 -> 1");
        assert!(!consistency_ok(&[], 2, some, 1, some), "empty proof");
        assert!(!consistency_ok(&[], 0, empty, 0, empty), "from the empty tree");
        // TestVerifyInclusionSingleEntry: in a one-entry tree the root is the leaf hash.
        let leaf = record_hash(b"data");
        assert!(inclusion_ok(&[], 1, leaf, 0, leaf));
        assert!(!inclusion_ok(&[], 1, leaf, 0, empty));
        assert!(!inclusion_ok(&[], 1, empty, 0, leaf));
        // TestVerifyInclusion: empty proofs for impossible (index, size) pairs.
        for (n, t) in [(0, 0), (1, 0), (2, 1)] {
            assert!(!inclusion_ok(&[], t, empty, n, some));
            assert!(!inclusion_ok(&[], t, some, n, empty));
        }
    }

    // ---- Go tlog_test.go ----

    #[test]
    fn go_tlog_tree() {
        // TestTree, less the tile checks (tiles are not ported).
        let mut storage: Vec<Hash> = Vec::new();
        let (mut trees, mut leaf_hashes) = (Vec::new(), Vec::new());
        for i in 0..100_i64 {
            let data = format!("leaf {i}");
            let new = stored_hashes(i, data.as_bytes(), &storage).unwrap();
            leaf_hashes.push(record_hash(data.as_bytes()));
            storage.extend(new);
            assert_eq!(stored_hash_count(i + 1), i64::try_from(storage.len()).unwrap(), "stored_hash_count({})", i + 1);
            let reader = StrictReader { hashes: &storage, calls: Cell::new(0) };
            let th = tree_hash(i + 1, &reader).unwrap();
            trees.push(th);

            // Leaf proofs work for all trees and leaves so far, and fail if any hash is corrupt.
            for j in 0..=i {
                let j_leaf = leaf_hashes[usize::try_from(j).unwrap()];
                let mut p = prove_record(i + 1, j, &reader).unwrap();
                check_record(&p, i + 1, th, j, j_leaf).unwrap();
                for k in 0..p.len() {
                    p[k][0] ^= 1;
                    assert!(check_record(&p, i + 1, th, j, j_leaf).is_err(), "corrupt proof hash #{k} accepted");
                    p[k][0] ^= 1;
                }
            }

            // Tree proofs work for all trees so far, and fail if any hash is corrupt.
            for j in 0..=i {
                let old = trees[usize::try_from(j).unwrap()];
                assert_eq!(tree_hash(j + 1, &reader).unwrap(), old);
                let mut p = prove_tree(i + 1, j + 1, &reader).unwrap();
                check_tree(&p, i + 1, th, j + 1, old).unwrap();
                for k in 0..p.len() {
                    p[k][0] ^= 1;
                    assert!(check_tree(&p, i + 1, th, j + 1, old).is_err(), "corrupt proof hash #{k} accepted");
                    p[k][0] ^= 1;
                }
            }
            // Each operation read the storage at most once.
            assert!(reader.calls.get() <= 3 * (usize::try_from(i).unwrap() + 1) + 1);
        }
    }

    #[test]
    fn go_tlog_split_stored_hash_index() {
        for level in 0..10 {
            for n in 0..100 {
                let x = stored_hash_index(level, n);
                assert_eq!(split_stored_hash_index(x), Ok((level, n)), "split(stored_hash_index({level}, {n}) = {x})");
            }
        }
        // Every index in a dense range is some node's, in storage order.
        for index in 0..1000 {
            let (level, n) = split_stored_hash_index(index).unwrap();
            assert_eq!(stored_hash_index(level, n), index);
        }
        assert!(split_stored_hash_index(-1).is_err());
        assert!(split_stored_hash_index(2 * MAX_TREE_SIZE).is_err());
    }

    #[test]
    fn go_tlog_empty_tree() {
        // TestEmptyTree: a reader that is never called suffices.
        let none: Vec<Hash> = Vec::new();
        assert_eq!(tree_hash(0, &none).unwrap(), EMPTY_TREE_HASH);
        assert_eq!(tree_hash_indexes(0).unwrap(), Vec::<i64>::new());
        assert_eq!(tree_hash_from_hashes(0, &[]).unwrap(), EMPTY_TREE_HASH);
    }

    // ---- Agreement with the RFC 9162 algorithms ----

    #[test]
    fn rfc9162_verifiers_agree_with_go_checks_up_to_64() {
        let leaves: Vec<Hash> = (0..64).map(|i: i32| record_hash(&i.to_be_bytes())).collect();
        let storage = build(&leaves);
        let roots: Vec<Hash> = (0..=64).map(|t| tree_hash(t, &storage).unwrap()).collect();
        let root = |t: i64| usize::try_from(t).ok().and_then(|t| roots.get(t).copied()).unwrap_or([7; 32]);
        let leaf = |n: i64| usize::try_from(n).ok().and_then(|n| leaves.get(n).copied()).unwrap_or([9; 32]);

        for t in 1..=64_i64 {
            for n in 0..t {
                let proof = prove_record(t, n, &storage).unwrap();
                assert!(inclusion_ok(&proof, t, root(t), n, leaf(n)), "inclusion of {n} in {t}");
                // The same proof against neighbouring positions and sizes, and mangled.
                for (n2, t2) in [(n - 1, t), (n + 1, t), (n, t - 1), (n, t + 1), (n ^ 1, t), (n, t ^ 1)] {
                    inclusion_ok(&proof, t2, root(t2), n2, leaf(n2));
                }
                let mut mangled = vec![proof.clone(), [proof.as_slice(), &[root(t)]].concat()];
                if let Some((_, shorter)) = proof.split_last() {
                    mangled.push(shorter.to_vec());
                    mangled.push(proof.iter().rev().copied().collect());
                }
                for i in 0..proof.len() {
                    let mut p = proof.clone();
                    p[i] = flip(p[i], 1);
                    mangled.push(p);
                }
                for (i, p) in mangled.iter().enumerate() {
                    assert_eq!(inclusion_ok(p, t, root(t), n, leaf(n)), i == 0 || *p == proof);
                }
            }
            for n in 1..=t {
                let proof = prove_tree(t, n, &storage).unwrap();
                assert!(consistency_ok(&proof, t, root(t), n, root(n)), "consistency {n} -> {t}");
                for (n2, t2) in [(n - 1, t), (n + 1, t), (n, t - 1), (n, t + 1), (n ^ 1, t), (n, t ^ 1)] {
                    consistency_ok(&proof, t2, root(t2), n2, root(n2));
                }
                let mut mangled =
                    vec![[proof.as_slice(), &[root(t)]].concat(), [&[root(n)], proof.as_slice()].concat()];
                if let Some((_, shorter)) = proof.split_last() {
                    mangled.push(shorter.to_vec());
                }
                for i in 0..proof.len() {
                    let mut p = proof.clone();
                    p[i] = flip(p[i], 1);
                    mangled.push(p);
                }
                for p in &mangled {
                    assert!(!consistency_ok(p, t, root(t), n, root(n)), "mangled consistency {n} -> {t} accepted");
                }
            }
        }
    }

    // ---- The two-phase API ----

    #[test]
    fn two_phase_matches_one_call_forms() {
        let storage = ct_storage();
        let read = |indexes: &[i64]| storage.read_hashes(indexes).unwrap();
        for t in 1..=8 {
            assert_eq!(tree_hash_from_hashes(t, &read(&tree_hash_indexes(t).unwrap())), tree_hash(t, &storage));
            for n in 0..t {
                let got = prove_record_from_hashes(t, n, &read(&prove_record_indexes(t, n).unwrap()));
                assert_eq!(got, prove_record(t, n, &storage));
            }
            for n in 1..=t {
                let got = prove_tree_from_hashes(t, n, &read(&prove_tree_indexes(t, n).unwrap()));
                assert_eq!(got, prove_tree(t, n, &storage));
            }
        }
        // Appending record 7 of the CT tree in two phases gives what is stored.
        let old = read(&stored_hashes_indexes(7).unwrap());
        let start = usize::try_from(stored_hash_index(0, 7)).unwrap();
        assert_eq!(stored_hashes_from_hashes(7, ct_leaf_hash(7), &old).unwrap(), storage[start..]);
        assert_eq!(stored_hashes_indexes(7).unwrap().len(), 3);
        assert_eq!(stored_hashes_indexes(8).unwrap(), Vec::<i64>::new());
    }

    #[test]
    fn wrong_hash_counts_and_missing_hashes_are_errors() {
        let storage = ct_storage();
        let wrong = MerkleError::WrongHashCount { expected: 3, got: 2 };
        assert_eq!(tree_hash_from_hashes(7, &storage[..2]).unwrap_err(), wrong);
        assert_eq!(prove_record_from_hashes(8, 0, &storage[..2]).unwrap_err(), wrong);
        assert_eq!(prove_tree_from_hashes(8, 1, &storage[..2]).unwrap_err(), wrong);
        assert_eq!(stored_hashes_from_hashes(7, [0; 32], &storage[..2]).unwrap_err(), wrong);
        assert_eq!(tree_hash_from_hashes(0, &storage[..1]), Err(MerkleError::WrongHashCount { expected: 0, got: 1 }));
        // Asking beyond what is stored.
        assert_eq!(tree_hash(9, &storage), Err(MerkleError::MissingHash(15)));
        assert_eq!(storage.read_hashes(&[-1]), Err(MerkleError::MissingHash(-1)));
        // A reader that breaks its contract is caught.
        struct Short;
        impl HashReader for Short {
            fn read_hashes(&self, _: &[i64]) -> Result<Vec<Hash>, MerkleError> {
                Ok(vec![[0; 32]])
            }
        }
        assert_eq!(tree_hash(7, &Short), Err(MerkleError::WrongHashCount { expected: 3, got: 1 }));
    }

    #[test]
    fn invalid_sizes_are_errors_not_panics() {
        let storage = ct_storage();
        for (t, n) in [(8, 8), (8, -1), (0, 0), (-1, 0), (MAX_TREE_SIZE + 1, 0), (i64::MAX, 0), (i64::MIN, i64::MIN)] {
            assert!(prove_record_indexes(t, n).is_err(), "prove_record({t}, {n})");
            assert!(prove_record(t, n, &storage).is_err());
            assert!(check_record(&[], t, [0; 32], n, [0; 32]).is_err());
            assert!(verify_inclusion_rfc9162(n, t, [0; 32], &[], [0; 32]).is_err());
        }
        for (t, n) in [(8, 9), (8, 0), (0, 0), (-1, -1), (MAX_TREE_SIZE + 1, 1), (i64::MAX, i64::MAX)] {
            assert!(prove_tree_indexes(t, n).is_err(), "prove_tree({t}, {n})");
            assert!(check_tree(&[], t, [0; 32], n, [0; 32]).is_err());
            assert!(verify_consistency_rfc9162(n, t, [0; 32], [0; 32], &[]).is_err());
        }
        for n in [-1, MAX_TREE_SIZE + 1, i64::MAX, i64::MIN] {
            assert!(tree_hash_indexes(n).is_err());
            assert!(stored_hashes_indexes(n).is_err());
        }
        assert!(stored_hashes_indexes(MAX_TREE_SIZE).is_err());
        assert_eq!(stored_hash_count(-5), 0);
        assert_eq!(stored_hash_index(0, -5), 0);
        // Out-of-domain index arithmetic saturates instead of overflowing.
        assert_eq!(stored_hash_index(u32::MAX, i64::MAX), i64::MAX);
        assert_eq!(stored_hash_count(i64::MAX), i64::MAX);
    }

    #[test]
    fn index_math_is_exact_at_the_size_limit() {
        // Reference formulas in i128: stored_hash_index(0, n) = 2n - popcount(n).
        let count = |n: i128| {
            if n == 0 {
                0
            } else {
                2 * (n - 1) - i128::from((n - 1).count_ones()) + 1 + i128::from((n - 1).trailing_ones())
            }
        };
        for n in [1, 2, 3, 1000, MAX_TREE_SIZE - 1, MAX_TREE_SIZE] {
            assert_eq!(i128::from(stored_hash_count(n)), count(i128::from(n)), "stored_hash_count({n})");
        }
        let last = stored_hash_count(MAX_TREE_SIZE) - 1;
        let (level, n) = split_stored_hash_index(last).unwrap();
        assert_eq!((level, n), (61, 0), "the last hash stored is the root of the full tree");
        // Index lists for the largest trees compute without overflow.
        assert_eq!(tree_hash_indexes(MAX_TREE_SIZE).unwrap(), vec![last]);
        assert_eq!(prove_record_indexes(MAX_TREE_SIZE, MAX_TREE_SIZE - 1).unwrap().len(), 61);
        assert_eq!(prove_tree_indexes(MAX_TREE_SIZE, MAX_TREE_SIZE - 1).unwrap().len(), 62);
        assert_eq!(stored_hashes_indexes(MAX_TREE_SIZE - 1).unwrap().len(), 61);
    }

    #[test]
    fn hash_base64_round_trip() {
        let hash = record_hash(b"hello world");
        assert_eq!(parse_hash(&encode_hash(&hash)), Ok(hash));
        for bad in [
            "",
            "AAAA",
            "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=",
            "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0",
        ] {
            assert_eq!(parse_hash(bad), Err(MerkleError::MalformedHash), "{bad:?}");
        }
    }
}
