//! # Trastienda
//!
//! The back room of the shop: one GraphQL gateway over finance, human resources and IT.
//!
//! An HTTP request enters [`http`] (actix-web), gets a request id, and its bearer token becomes
//! a [`kernel::Principal`] (user, token version, roles per department). [`http::guard`] refuses
//! oversized or over-nested documents before they run; [`authz::gate`] refuses root fields the
//! caller's roles do not allow. Resolvers (`*/graphql.rs`) parse input and call services
//! (`*/service.rs`), which apply the rules inside one [`kernel::UnitOfWork`]: a database
//! transaction that also appends the audit events to the hash chain ([`audit`]). SeaORM talks
//! to SQLite or PostgreSQL; Casbin ([`authz`]) answers every "may this principal…" question
//! from `policies/`.
//!
//! Module map:
//! - [`config`]: settings from the environment, validated once.
//! - [`startup`]: database, migrations, state, schema, routes; run until stopped.
//! - [`http`]: routes, request ids, CORS, transport rules and document limits.
//! - [`error`]: `AppError`, the only place that knows the contract's error codes.
//! - [`graphql`]: the merged `Query`/`Mutation` and the request's DataLoaders.
//! - [`kernel`]: principal, ids, clock, scalars, money, pagination, unit of work.
//! - [`auth`]: passwords, tokens, login throttling, session mutations.
//! - [`authz`]: the enforcer, the catalog of root fields, scopes, field guards, and the
//!   explanations (`permissions`, `explainAccess`, `whoCan`) it gives.
//! - [`audit`]: recording, the chain (JCS + SHA-256), verification, the auditor's queries; the
//!   Merkle tree kept with the chain, signed checkpoints, READ events, the auditor console.
//! - [`org`], [`finance`], [`hr`], [`it`]: one folder per domain — `graphql.rs`, services, `loaders.rs`.
//! - [`live`]: subscriptions over a WebSocket, fed from the audit log by one hub per process.
//! - [`telemetry`]: logs, and traces over OTLP (request, GraphQL and SQL spans; never a secret).
//! - [`workflows`]: work that spans departments (onboarding, offboarding, automatic postings,
//!   reordering), composed from the domains' services inside one unit of work.
//!
//! Invariants:
//! - Only this crate knows GraphQL; `entity` holds plain SeaORM models.
//! - No mutation writes outside a unit of work, and a unit of work cannot commit without
//!   audit events. Refused mutations are recorded by the gate, not by each service.
//! - Authorization is decided in `authz` only; lists are scoped in SQL.
//! - No `f64` near money: amounts are `Decimal`, stored as scaled integers.

pub mod audit;
pub mod auth;
pub mod authz;
pub mod commands;
pub mod config;
pub mod demo;
pub mod error;
pub mod finance;
pub mod graphql;
pub mod hr;
pub mod http;
pub mod it;
pub mod kernel;
pub mod live;
pub mod org;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod workflows;
