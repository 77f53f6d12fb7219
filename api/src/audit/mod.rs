//! The compliance audit log (CONTRACT.md §5): events recorded inside the caller's transaction,
//! chained by SHA-256 over RFC 8785 canonical JSON, append-only in the database itself.

pub mod chain;
pub mod checkpoint;
pub mod graphql;
pub mod jcs;
pub mod merkle;
pub mod note;
pub mod service;
pub mod tree;
mod snapshot;

pub use chain::{NewEvent, Outcome};
pub use snapshot::{Audited, mask, sanitize};
