//! Human resources (CONTRACT.md §7): employees, payroll, leave, recruitment, training.

pub mod employees;
pub mod graphql;
pub mod leave;
pub mod loaders;
pub mod payroll;
pub mod recruitment;
pub mod rules;
pub mod training;
