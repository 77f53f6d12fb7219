//! Parsed GraphQL documents, remembered by their text: clients send the same few operations
//! over and over, and parsing is most of what a small request costs. Only documents that parsed
//! are kept; a cache that grows past its bound starts over (cheap, and bounded).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_graphql::parser::types::ExecutableDocument;

/// Documents remembered at most, each at most [`MAX_CACHED_TEXT`] bytes of text.
const CAPACITY: usize = 512;
const MAX_CACHED_TEXT: usize = 8 * 1024;

#[derive(Default)]
pub struct DocumentCache {
    parsed: RwLock<HashMap<Arc<str>, Arc<ExecutableDocument>>>,
}

impl DocumentCache {
    /// The document of `query`, parsed now or earlier.
    pub fn parse(&self, query: &str) -> async_graphql::parser::Result<ExecutableDocument> {
        if let Some(doc) = self.parsed.read().unwrap_or_else(|e| e.into_inner()).get(query) {
            return Ok(ExecutableDocument::clone(doc));
        }
        let doc = async_graphql::parser::parse_query(query)?;
        if query.len() <= MAX_CACHED_TEXT {
            let mut parsed = self.parsed.write().unwrap_or_else(|e| e.into_inner());
            if parsed.len() >= CAPACITY {
                parsed.clear();
            }
            parsed.insert(Arc::from(query), Arc::new(doc.clone()));
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_errors_are_not_kept() {
        let cache = DocumentCache::default();
        let first = cache.parse("{ me { id } }").unwrap();
        let again = cache.parse("{ me { id } }").unwrap();
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        assert_eq!(cache.parsed.read().unwrap().len(), 1);
        assert!(cache.parse("{ me { ").is_err());
        assert_eq!(cache.parsed.read().unwrap().len(), 1);
        for i in 0..CAPACITY + 1 {
            cache.parse(&format!("{{ a{i}: me {{ id }} }}")).unwrap();
        }
        assert!(cache.parsed.read().unwrap().len() <= CAPACITY, "bounded");
    }
}
