//! Access grants: which employee may use which system at which level, until revoked.

use entity::access_grant;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::audit::Audited;
use crate::authz::Perm;
use crate::error::{AppError, AppResult};
use crate::hr::employees;
use crate::kernel::pagination::{Keyset, PageRequest, fetch};
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, ids, time, validate};
use crate::state::AppState;

impl Audited for access_grant::Model {
    const ENTITY_TYPE: &'static str = "AccessGrant";
    fn audit_id(&self) -> String {
        self.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        json!({
            "id": self.id,
            "employeeId": self.employee_id,
            "system": self.system,
            "level": self.level,
            "grantedBy": self.granted_by,
            "grantedAt": time::format_instant(&self.granted_at),
            "revokedAt": self.revoked_at.as_ref().map(time::format_instant),
            "revokedBy": self.revoked_by,
        })
    }
}

pub async fn grant(
    state: &AppState,
    rc: &RequestCtx,
    employee_id: &str,
    system: &str,
    level: &str,
) -> AppResult<access_grant::Model> {
    let principal = rc.principal()?;
    let system = validate::text("input.system", system, 100)?;
    let level = validate::text("input.level", level, 100)?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "grantAccess").await?;
    let employee = employees::find_visible(uow.conn(), state, principal, employee_id)
        .await
        .map_err(|e| e.as_reference("input.employeeId", "employee"))?;
    state.authz.require(principal, Perm::ACCESS_WRITE, &employee.department_code)?;
    if employee.status != employees::ACTIVE {
        return Err(AppError::conflict("access goes to ACTIVE employees only"));
    }
    let existing = access_grant::Entity::find()
        .filter(access_grant::Column::EmployeeId.eq(&employee.id))
        .filter(access_grant::Column::System.eq(&system))
        .filter(access_grant::Column::RevokedAt.is_null())
        .one(uow.conn())
        .await?;
    if existing.is_some() {
        return Err(AppError::conflict(
            "the employee already has access to this system; revoke it to change the level",
        ));
    }
    let created = access_grant::ActiveModel {
        id: Set(ids::new_id()),
        employee_id: Set(employee.id.clone()),
        department_code: Set(employee.department_code.clone()),
        system: Set(system),
        level: Set(level),
        granted_by: Set(principal.user_id.clone()),
        granted_at: Set(time::now()),
        revoked_at: Set(None),
        revoked_by: Set(None),
    }
    .insert(uow.conn())
    .await?;
    uow.record(Change::created(&created));
    uow.commit().await?;
    Ok(created)
}

pub async fn revoke(state: &AppState, rc: &RequestCtx, id: &str) -> AppResult<access_grant::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "revokeAccess").await?;
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    let before = access_grant::Entity::find_by_id(id.to_string()).one(uow.conn()).await?.ok_or(AppError::NotFound)?;
    state.authz.scope(principal, Perm::ACCESS_READ).reveal(&before.department_code)?;
    state.authz.require(principal, Perm::ACCESS_WRITE, &before.department_code)?;
    match revoke_in(&mut uow, &before, &principal.user_id, None).await? {
        Some(after) => {
            uow.commit().await?;
            Ok(after)
        }
        None => Err(AppError::conflict("the grant is already revoked")),
    }
}

/// Revokes an active grant inside a unit of work; `None` when it was revoked already.
pub async fn revoke_in(
    uow: &mut UnitOfWork,
    grant: &access_grant::Model,
    by: &str,
    auto: Option<&str>,
) -> AppResult<Option<access_grant::Model>> {
    let done = access_grant::Entity::update_many()
        .set(access_grant::ActiveModel {
            revoked_at: Set(Some(time::now())),
            revoked_by: Set(Some(by.to_string())),
            ..Default::default()
        })
        .filter(access_grant::Column::Id.eq(&grant.id))
        .filter(access_grant::Column::RevokedAt.is_null())
        .exec(uow.conn())
        .await?;
    if done.rows_affected == 0 {
        return Ok(None);
    }
    let after = access_grant::Entity::find_by_id(grant.id.clone()).one(uow.conn()).await?.ok_or(AppError::NotFound)?;
    let change = Change::updated(grant, &after);
    match auto {
        Some(mimics) => uow.record_auto(mimics, change),
        None => uow.record(change),
    }
    Ok(Some(after))
}

pub async fn active_of<C: ConnectionTrait>(db: &C, employee_id: &str) -> AppResult<Vec<access_grant::Model>> {
    Ok(access_grant::Entity::find()
        .filter(access_grant::Column::EmployeeId.eq(employee_id))
        .filter(access_grant::Column::RevokedAt.is_null())
        .all(db)
        .await?)
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    employee_id: Option<&str>,
    active_only: bool,
    page: &PageRequest,
) -> AppResult<Vec<access_grant::Model>> {
    let scope = state.authz.scope(principal, Perm::ACCESS_READ);
    let mut condition = Condition::all().add(scope.expr(access_grant::Column::DepartmentCode));
    if let Some(employee) = employee_id {
        condition = condition.add(access_grant::Column::EmployeeId.eq(employee));
    }
    if active_only {
        condition = condition.add(access_grant::Column::RevokedAt.is_null());
    }
    let select = access_grant::Entity::find().filter(condition);
    Ok(fetch(&state.db.conn, select, Keyset::newest_first(access_grant::Column::Id), page).await?.0)
}
