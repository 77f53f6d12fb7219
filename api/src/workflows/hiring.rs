//! Hiring: the employee record, and the IT ticket that gets them accounts and equipment.

use entity::employee;

use crate::error::AppResult;
use crate::hr::employees::{self, Hire};
use crate::it::tickets::{self, NewTicket};
use crate::kernel::{RequestCtx, UnitOfWork};
use crate::state::AppState;

/// `hireEmployee`: the hire, and an ACCESS P3 `Onboarding:` ticket in the employee's department.
pub async fn hire_employee(state: &AppState, rc: &RequestCtx, input: Hire) -> AppResult<employee::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "hireEmployee").await?;
    let hired = employees::hire(&mut uow, state, principal, input).await?;
    let new = NewTicket {
        department: hired.department_code.clone(),
        requester_id: super::actor(&uow)?,
        title: format!("Onboarding: {} {}", hired.first_name, hired.last_name),
        description: format!(
            "New hire {} ({}), {} in {}, starting {}: create accounts, grant access, prepare equipment.",
            hired.employee_number, hired.email, hired.position, hired.department_code, hired.hire_date
        ),
        category: "ACCESS",
        priority: "P3",
    };
    tickets::open_automatically(&mut uow, new).await?;
    uow.commit().await?;
    Ok(hired)
}
