//! Authorization, decided here and nowhere else.
//!
//! Three layers, in order (CONTRACT.md §4):
//! 1. the root-field gate (`gate`): is the field in the catalog, and does any role the caller
//!    holds allow its action in any department at all? Otherwise `UNAUTHENTICATED` / `FORBIDDEN`,
//!    and a `DENIED` audit event for mutations;
//! 2. rows: the department of a concrete record (`Authorizer::allows`), or the scope of a list
//!    turned into a SQL condition (`Authorizer::scope`);
//! 3. field guards for protected fields (`guard`).
//!
//! The rights themselves live in `policies/` (Casbin RBAC with domains); assignments are data.
//! `explain` answers "who may do what, and why" from the same enforcer (CONTRACT.md §13).

pub mod catalog;
pub mod explain;
pub mod gate;
pub mod graphql;
mod policy;
mod roles;

pub use policy::{ALL_DEPARTMENTS, Authorizer, Perm, Scope};
pub use roles::Role;
