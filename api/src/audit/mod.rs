//! The compliance audit log (CONTRACT.md §5): events recorded inside the caller's transaction,
//! chained by SHA-256 over RFC 8785 canonical JSON, append-only in the database itself.
//!
//! And the evidence an auditor carries away (§13): a Merkle tree over the events kept in the
//! same transactions (`tree`, on `merkle`), signed checkpoints (`checkpoint`, on `note`),
//! READ events for sensitive fields (`reads`), and the auditor console (`console`).

pub mod chain;
pub mod checkpoint;
pub mod console;
pub mod graphql;
pub mod jcs;
pub mod merkle;
pub mod note;
pub mod reads;
pub mod service;
mod snapshot;
pub mod tree;

pub use chain::{NewEvent, Outcome};
pub use snapshot::{Audited, mask, sanitize};
