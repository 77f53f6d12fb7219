//! The organisation: departments, users and their role assignments (CONTRACT.md §3–4).

pub mod graphql;
pub mod loaders;
pub mod service;
