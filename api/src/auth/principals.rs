//! Who a token belongs to, remembered between requests so that most requests cost no database
//! round trip, and forgotten the moment it may have changed (CONTRACT.md §3, §11).
//!
//! An entry is the principal loaded for a user at a token version; a token is served from it
//! only if it carries that same version. Every change that affects a principal (roles,
//! deactivation, password) bumps the version and raises `Notice::UserChanged`: this process
//! forgets the user as the change commits, other processes as PostgreSQL's `NOTIFY` reaches
//! them. While that feed is down, nothing is served from memory — a lost notice would otherwise
//! let a revoked token through. A load that raced with a change is not remembered (`epoch`).
//! On SQLite the cache is off: another process may share the file, with no way to hear from it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::kernel::Principal;
use crate::kernel::notify::Notice;

/// Users remembered at most; beyond, the cache starts over (cheap, and bounded).
const CAPACITY: usize = 10_000;

pub struct PrincipalCache {
    enabled: bool,
    /// True while notices of other processes' changes arrive.
    trusted: AtomicBool,
    /// Moves on every forgetting: a principal loaded before it is not stored after it.
    epoch: AtomicU64,
    entries: RwLock<HashMap<String, (i64, Arc<Principal>)>>,
}

impl PrincipalCache {
    /// A cache that waits for the notification feed before it serves anything.
    pub fn new() -> Self {
        Self { enabled: true, trusted: AtomicBool::new(false), epoch: AtomicU64::new(0), entries: Default::default() }
    }

    /// Never serves: every request loads its principal.
    pub fn disabled() -> Self {
        Self { enabled: false, ..Self::new() }
    }

    pub fn get(&self, user_id: &str, token_version: i64) -> Option<Arc<Principal>> {
        if !self.trusted.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.get(user_id).filter(|(version, _)| *version == token_version).map(|(_, p)| p.clone())
    }

    /// Read before loading a principal, handed back to [`Self::insert`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    pub fn insert(&self, epoch: u64, token_version: i64, principal: Arc<Principal>) {
        if !self.enabled || !self.trusted.load(Ordering::Acquire) {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        // Checked under the lock that forgetting also takes: nothing slips in between.
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(principal.user_id.clone(), (token_version, principal));
    }

    pub fn on_notice(&self, notice: &Notice) {
        // The audit head moving says nothing about users: no reason to forget anything.
        if !self.enabled || matches!(notice, Notice::AuditHead(_)) {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        match notice {
            Notice::UserChanged(user_id) => {
                entries.remove(user_id);
            }
            Notice::Feed(up) => {
                entries.clear();
                self.trusted.store(*up, Ordering::Release);
            }
            Notice::AuditHead(_) => {}
        }
    }
}

impl Default for PrincipalCache {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(id: &str) -> Arc<Principal> {
        Arc::new(Principal { user_id: id.into(), email: format!("{id}@x.y"), employee_id: None, assignments: vec![] })
    }

    #[test]
    fn serves_only_the_cached_version_and_only_while_the_feed_is_up() {
        let cache = PrincipalCache::new();
        cache.insert(cache.epoch(), 3, principal("u1"));
        assert!(cache.get("u1", 3).is_none(), "untrusted until the feed is up");
        cache.on_notice(&Notice::Feed(true));
        cache.insert(cache.epoch(), 3, principal("u1"));
        assert!(cache.get("u1", 3).is_some());
        assert!(cache.get("u1", 2).is_none(), "another version is another principal");
        cache.on_notice(&Notice::Feed(false));
        assert!(cache.get("u1", 3).is_none(), "a lost feed forgets and bypasses");
    }

    #[test]
    fn a_change_forgets_the_user_and_a_racing_load_is_not_kept() {
        let cache = PrincipalCache::new();
        cache.on_notice(&Notice::Feed(true));
        cache.insert(cache.epoch(), 1, principal("u1"));
        cache.insert(cache.epoch(), 1, principal("u2"));
        let before_change = cache.epoch();
        cache.on_notice(&Notice::UserChanged("u1".into()));
        assert!(cache.get("u1", 1).is_none());
        assert!(cache.get("u2", 1).is_some(), "others stay");
        // Loaded before the change was heard: not remembered.
        cache.insert(before_change, 1, principal("u1"));
        assert!(cache.get("u1", 1).is_none());
    }

    #[test]
    fn a_disabled_cache_never_serves() {
        let cache = PrincipalCache::disabled();
        cache.on_notice(&Notice::Feed(true));
        cache.insert(cache.epoch(), 1, principal("u1"));
        assert!(cache.get("u1", 1).is_none());
    }
}
