//! Shared by every domain: the request context and principal, ids and clocks, the scalars
//! of the contract, money arithmetic, keyset pagination and the unit of work.

pub mod aggregate;
pub mod context;
pub mod counters;
pub mod db;
pub mod ids;
pub mod inputs;
pub mod joins;
pub mod loaders;
pub mod money;
pub mod net;
pub mod notify;
pub mod pagination;
pub mod projection;
pub mod scalars;
pub mod search;
pub mod time;
pub mod uow;
pub mod validate;
pub mod versioned;

pub use context::{Auth, Principal, RequestCtx};
pub use uow::{Change, UnitOfWork};
