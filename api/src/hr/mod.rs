//! Human resources (CONTRACT.md §7): employees, payroll, leave, recruitment, training.

pub mod graphql;
pub mod loaders;
pub mod service;
