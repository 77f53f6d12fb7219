//! Persisted operations (CONTRACT.md §12): which document a request runs when it names one by
//! its SHA-256 instead of, or besides, sending its text.
//!
//! - `apq` (default): Apollo's automatic persisted queries. A request carrying
//!   `extensions.persistedQuery.sha256Hash` and no query runs the document this process learnt
//!   under that hash, or gets `PersistedQueryNotFound` — the client then sends the text with the
//!   hash, which is checked, and learnt once it has passed the document limits. Documents are kept
//!   per process, within a byte budget (a flood of distinct documents cannot grow memory).
//! - `allowlist`: only the operations of the manifest `PERSISTED_OPERATIONS_MANIFEST`
//!   (`{"<sha256 hex>": "<document>"}`) run, named by hash or sent as identical text; anything
//!   else is `FORBIDDEN` before it is parsed, so it runs nothing. For role-scoped clients that
//!   must run only what they shipped with.
//! - `off`: neither; a request naming a hash is told `PersistedQueryNotSupported`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_graphql::{Request, Value};
use sha2::{Digest, Sha256};

use crate::config::PersistedOperations;
use crate::error::code;

/// Bytes of documents an `apq` process remembers at most; past it, it starts afresh.
const APQ_BUDGET_BYTES: usize = 8 << 20;

/// Why a request's document could not be settled, with the code of its error.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    pub message: String,
    pub code: &'static str,
}

impl Refused {
    fn new(message: &str, code: &'static str) -> Self {
        Self { message: message.into(), code }
    }
}

pub struct Persisted {
    mode: PersistedOperations,
    /// The allow-list, or the documents learnt through APQ.
    known: RwLock<Documents>,
}

/// Documents by the hex SHA-256 of their text, and how many bytes they hold.
#[derive(Default)]
struct Documents {
    by_hash: HashMap<String, Arc<str>>,
    bytes: usize,
}

/// A document sent with its hash under APQ: remembered once it has passed the limits.
#[derive(Debug, PartialEq, Eq)]
pub struct ToLearn(String);

impl Persisted {
    pub fn new(mode: &PersistedOperations) -> Self {
        let known = match mode {
            PersistedOperations::Allowlist(manifest) => {
                manifest.iter().map(|(hash, doc)| (hash.clone(), Arc::from(doc.as_str()))).collect()
            }
            _ => HashMap::new(),
        };
        Self { mode: mode.clone(), known: RwLock::new(Documents { by_hash: known, bytes: 0 }) }
    }

    /// Settles the text `request` runs, or refuses it; under APQ, a document sent with its hash
    /// is handed back to be [`learn`](Self::learn)t once it has proved valid.
    pub fn resolve(&self, request: &mut Request) -> Result<Option<ToLearn>, Refused> {
        let hash = requested_hash(request)?;
        match (&self.mode, hash) {
            (PersistedOperations::Off, None) | (PersistedOperations::Apq, None) => Ok(None),
            (PersistedOperations::Off, Some(_)) => {
                Err(Refused::new("PersistedQueryNotSupported", code::BAD_USER_INPUT))
            }
            (PersistedOperations::Apq, Some(hash)) => self.automatic(request, hash),
            (PersistedOperations::Allowlist(_), hash) => self.allowed(request, hash).map(|()| None),
        }
    }

    /// Remembers an APQ document that passed the limits, under its hash.
    pub fn learn(&self, ToLearn(hash): ToLearn, document: &str) {
        let mut known = self.known.write().unwrap_or_else(|e| e.into_inner());
        if known.by_hash.contains_key(&hash) {
            return;
        }
        if known.bytes + document.len() > APQ_BUDGET_BYTES {
            *known = Documents::default();
        }
        known.bytes += document.len();
        known.by_hash.insert(hash, Arc::from(document));
    }

    fn automatic(&self, request: &mut Request, hash: String) -> Result<Option<ToLearn>, Refused> {
        if request.query.is_empty() {
            let known = self.known.read().unwrap_or_else(|e| e.into_inner());
            return match known.by_hash.get(&hash) {
                Some(doc) => {
                    request.query = doc.to_string();
                    Ok(None)
                }
                None => Err(Refused::new("PersistedQueryNotFound", code::BAD_USER_INPUT)),
            };
        }
        if sha256_hex(&request.query) != hash {
            return Err(Refused::new("provided sha does not match query", code::BAD_USER_INPUT));
        }
        Ok(Some(ToLearn(hash)))
    }

    fn allowed(&self, request: &mut Request, hash: Option<String>) -> Result<(), Refused> {
        let not_allowed = || Refused::new("this operation is not in the allow-list", code::FORBIDDEN);
        let known = self.known.read().unwrap_or_else(|e| e.into_inner());
        let hash = hash.unwrap_or_else(|| sha256_hex(&request.query));
        let doc = known.by_hash.get(&hash).ok_or_else(not_allowed)?;
        if request.query.is_empty() {
            request.query = doc.to_string();
        } else if request.query != **doc {
            return Err(not_allowed());
        }
        Ok(())
    }
}

/// `extensions.persistedQuery.sha256Hash` (version 1), lower-cased; `None` when absent.
fn requested_hash(request: &Request) -> Result<Option<String>, Refused> {
    let Some(persisted) = request.extensions.get("persistedQuery") else { return Ok(None) };
    let malformed = || Refused::new("extensions.persistedQuery needs version 1 and a sha256Hash", code::BAD_USER_INPUT);
    let Value::Object(fields) = persisted else { return Err(malformed()) };
    let version_one = matches!(fields.get("version"), Some(Value::Number(n)) if n.as_i64() == Some(1));
    match fields.get("sha256Hash") {
        Some(Value::String(hash)) if version_one && hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(Some(hash.to_ascii_lowercase()))
        }
        _ => Err(malformed()),
    }
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{ me { id } }";

    fn by_hash(hash: &str, query: &str) -> Request {
        let mut request = Request::new(query);
        let persisted = serde_json::json!({"version": 1, "sha256Hash": hash});
        request.extensions.insert("persistedQuery".into(), Value::from_json(persisted).unwrap());
        request
    }

    #[test]
    fn apq_asks_for_the_text_once_then_runs_by_hash() {
        let apq = Persisted::new(&PersistedOperations::Apq);
        let hash = sha256_hex(DOC);
        let err = apq.resolve(&mut by_hash(&hash, "")).unwrap_err();
        assert_eq!(err.message, "PersistedQueryNotFound");
        assert_eq!(
            apq.resolve(&mut by_hash(&hash, "{ other }")).unwrap_err().message,
            "provided sha does not match query"
        );
        let learn = apq.resolve(&mut by_hash(&hash, DOC)).unwrap().expect("a document to learn");
        assert!(apq.resolve(&mut by_hash(&hash, "")).is_err(), "not learnt before it proved valid");
        apq.learn(learn, DOC);
        let mut again = by_hash(&hash.to_uppercase(), "");
        apq.resolve(&mut again).unwrap();
        assert_eq!(again.query, DOC);
        assert!(apq.resolve(&mut Request::new("{ anything }")).is_ok(), "plain text still runs");
        assert!(apq.resolve(&mut by_hash("xyz", "")).is_err());
    }

    #[test]
    fn the_allow_list_runs_only_its_operations_by_hash_or_identical_text() {
        let manifest = HashMap::from([(sha256_hex(DOC), DOC.to_string())]);
        let list = Persisted::new(&PersistedOperations::Allowlist(manifest));
        let mut named = by_hash(&sha256_hex(DOC), "");
        list.resolve(&mut named).unwrap();
        assert_eq!(named.query, DOC);
        list.resolve(&mut Request::new(DOC)).unwrap();
        for refused in
            [Request::new("{ me { id email } }"), Request::new("{  me { id } }"), by_hash(&sha256_hex("{ x }"), "")]
        {
            let mut refused = refused;
            assert_eq!(list.resolve(&mut refused).unwrap_err().code, code::FORBIDDEN);
        }
        // A known hash with a different text is not that operation.
        assert_eq!(
            list.resolve(&mut by_hash(&sha256_hex(DOC), "{ users { totalCount } }")).unwrap_err().code,
            code::FORBIDDEN
        );
    }

    #[test]
    fn apq_memory_stays_within_its_budget() {
        let apq = Persisted::new(&PersistedOperations::Apq);
        let doc = format!("{{ me {{ id }} }} #{}", "x".repeat(1 << 20));
        for i in 0..20 {
            let text = format!("{doc}{i}");
            let learn = apq.resolve(&mut by_hash(&sha256_hex(&text), &text)).unwrap().unwrap();
            apq.learn(learn, &text);
            let held: usize = apq.known.read().unwrap().by_hash.values().map(|d| d.len()).sum();
            assert!(held <= APQ_BUDGET_BYTES, "{held} bytes held after {i}");
        }
    }

    #[test]
    fn off_runs_text_only() {
        let off = Persisted::new(&PersistedOperations::Off);
        off.resolve(&mut Request::new(DOC)).unwrap();
        assert_eq!(off.resolve(&mut by_hash(&sha256_hex(DOC), "")).unwrap_err().message, "PersistedQueryNotSupported");
    }
}
