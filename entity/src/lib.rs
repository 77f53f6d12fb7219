//! SeaORM entities of Trastienda: one module per table, nothing GraphQL here.
//!
//! Conventions shared by every table:
//! - `id` is a UUIDv7 in text form, so ids sort by creation time on both engines;
//! - a business record names its department by `department_code` (a foreign key to
//!   `departments.code`), which is what role assignments and scope conditions use;
//! - money, quantities and rates are scaled integers (see `api::kernel::money`), because
//!   SeaORM reads `Decimal` from SQLite through `f64` and would silently lose digits.

pub mod access_grant;
pub mod account;
pub mod asset;
pub mod audit_checkpoint;
pub mod audit_event;
pub mod audit_head;
pub mod audit_tree_hash;
pub mod budget;
pub mod candidate;
pub mod counter;
pub mod department;
pub mod employee;
pub mod inventory_item;
pub mod invoice;
pub mod invoice_line;
pub mod job_opening;
pub mod journal_entry;
pub mod journal_line;
pub mod leave_request;
pub mod license_seat;
pub mod login_throttle;
pub mod payment;
pub mod payroll_run;
pub mod payslip;
pub mod purchase_request;
pub mod refresh_token;
pub mod role_assignment;
pub mod software_license;
pub mod stock_movement;
pub mod ticket;
pub mod ticket_comment;
pub mod training_record;
pub mod user;
