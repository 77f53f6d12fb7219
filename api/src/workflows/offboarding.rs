//! Termination: everything a leaver must lose, in the termination's own transaction.

use chrono::NaiveDate;
use entity::{employee, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::error::AppResult;
use crate::hr::employees;
use crate::it::tickets::{self, NewTicket};
use crate::it::{access, assets, licenses};
use crate::kernel::{RequestCtx, UnitOfWork};
use crate::state::AppState;

/// `terminateEmployee`: TERMINATED; every active grant revoked, every seat released, a HARDWARE
/// P3 `Offboarding:` ticket naming the assets still assigned, and the linked user deactivated.
pub async fn terminate_employee(
    state: &AppState,
    rc: &RequestCtx,
    id: &str,
    date: NaiveDate,
    reason: &str,
) -> AppResult<employee::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "terminateEmployee").await?;
    let leaver = employees::terminate(&mut uow, state, principal, id, date, reason).await?;
    offboard(&mut uow, &leaver).await?;
    uow.commit().await?;
    Ok(leaver)
}

async fn offboard(uow: &mut UnitOfWork, leaver: &employee::Model) -> AppResult<()> {
    let by = super::actor(uow)?;
    for grant in access::active_of(uow.conn(), &leaver.id).await? {
        access::revoke_in(uow, &grant, &by, Some("revokeAccess")).await?;
    }
    for license in licenses::held_by(uow.conn(), leaver).await? {
        licenses::release(uow, &license, &leaver.id, Some("releaseLicenseSeat")).await?;
    }
    let held = assets::held_by(uow.conn(), leaver).await?;
    if !held.is_empty() {
        let tags: Vec<&str> = held.iter().map(|a| a.tag.as_str()).collect();
        let new = NewTicket {
            department: leaver.department_code.clone(),
            requester_id: by.clone(),
            title: format!("Offboarding: {} {} — collect {}", leaver.first_name, leaver.last_name, tags.join(", ")),
            description: format!(
                "{} ({}) leaves on {}. Collect and check in: {}.",
                leaver.employee_number,
                leaver.email,
                leaver.termination_date.map(|d| d.to_string()).unwrap_or_default(),
                held.iter().map(|a| format!("{} ({} {})", a.tag, a.kind, a.model)).collect::<Vec<_>>().join(", ")
            ),
            category: "HARDWARE",
            priority: "P3",
        };
        tickets::open_automatically(uow, new).await?;
    }
    let linked = user::Entity::find().filter(user::Column::EmployeeId.eq(&leaver.id)).one(uow.conn()).await?;
    if let Some(account) = linked.filter(|u| u.active) {
        crate::org::service::deactivate(uow, &account, Some("deactivateUser")).await?;
    }
    Ok(())
}
