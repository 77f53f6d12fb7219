//! Work that spans departments, in one place above the domains (CONTRACT.md §5–§8).
//!
//! Each function here is one mutation whose consequences reach beyond the domain that owns it:
//! it begins the unit of work, calls each domain's service in turn, and commits once, so the
//! change and every automatic consequence (each its own `auto:` audit event, same request id)
//! land together or not at all. Domains never call each other's services for this; they depend
//! one way (`org` ← `hr` ← `it`, `org` ← `finance`), and only this module sees them all.
//!
//! - [`hiring`]: hiring opens IT's onboarding ticket.
//! - [`offboarding`]: termination revokes access, releases seats, asks for the assets back and
//!   deactivates the user.
//! - [`postings`]: approving, paying and voiding invoices, and posting payroll, write the journal.
//! - [`reordering`]: stock at or below its reorder point asks purchasing for more.

pub mod hiring;
pub mod offboarding;
pub mod postings;
pub mod reordering;

use crate::error::{AppError, AppResult};
use crate::kernel::UnitOfWork;

/// The user acting in this unit of work (the requester of the tickets a workflow opens).
fn actor(uow: &UnitOfWork) -> AppResult<String> {
    uow.actor_id().ok_or_else(|| AppError::internal(anyhow::anyhow!("a workflow needs an acting user")))
}
