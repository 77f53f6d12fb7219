//! Work that spans departments (CONTRACT.md §7): hiring opens the IT onboarding ticket;
//! termination revokes access, releases seats, asks for the assets back and deactivates the
//! user. Each consequence runs in the HR mutation's unit of work and is its own `auto:` event.

use entity::{employee, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::tickets::{self, NewTicket};
use super::{access, assets, licenses};
use crate::error::{AppError, AppResult};
use crate::kernel::UnitOfWork;

/// The user acting in this unit of work (requester of the tickets it opens).
fn actor(uow: &UnitOfWork) -> AppResult<String> {
    uow.actor_id().ok_or_else(|| AppError::internal(anyhow::anyhow!("automation needs an acting user")))
}

/// Opens the ACCESS ticket that gets a new hire their accounts and equipment.
pub async fn onboard(uow: &mut UnitOfWork, hired: &employee::Model) -> AppResult<()> {
    let new = NewTicket {
        department: hired.department_code.clone(),
        requester_id: actor(uow)?,
        title: format!("Onboarding: {} {}", hired.first_name, hired.last_name),
        description: format!(
            "New hire {} ({}), {} in {}, starting {}: create accounts, grant access, prepare equipment.",
            hired.employee_number, hired.email, hired.position, hired.department_code, hired.hire_date
        ),
        category: "ACCESS",
        priority: "P3",
    };
    tickets::open_automatically(uow, new).await?;
    Ok(())
}

/// Everything a leaver must lose, in the termination's transaction.
pub async fn offboard(uow: &mut UnitOfWork, leaver: &employee::Model) -> AppResult<()> {
    let by = actor(uow)?;
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
