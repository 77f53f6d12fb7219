//! Live updates (CONTRACT.md §12): GraphQL subscriptions over a WebSocket on `/graphql`.
//!
//! The audit log is the source of truth, so nothing is pushed from inside a transaction. A
//! commit that appended events announces the new head (`Notice::AuditHead`: in this process
//! after the commit, in the others through PostgreSQL's `NOTIFY`, sent only if it commits).
//! One [`hub::Hub`] per process wakes on the announcement (and on a timer, for lost notices),
//! reads the new events in `seq` order and broadcasts them; each subscription filters them by
//! its own rights ([`scope`]) and fills any gap — a replay from `afterSeq`, a lagging receiver —
//! from the log itself ([`hub::Feed`]), so it sees every seq once, in order.
//!
//! - [`socket`]: the WebSocket: origin check, `connection_init` and its token, the limits, and
//!   closing when the token expires or is revoked.
//! - [`graphql`]: the `Subscription` root (`auditEvents`, `changes`).
//! - [`scope`]: which events a `changes` subscriber may see (the lists' own scopes).
//! - [`hub`]: the process's reader of the log, and each subscription's ordered feed.

pub mod graphql;
pub mod hub;
pub mod scope;
pub mod socket;

pub use hub::Hub;
pub use socket::active_subscriptions;
