//! Software licences and their seats; the seat limit holds under concurrent assignment.

use chrono::NaiveDate;
use entity::{employee, license_seat, software_license};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

use crate::audit::Audited;
use crate::authz::Perm;
use crate::error::{AppError, AppResult};
use crate::hr::employees;
use crate::kernel::pagination::{Keyset, PageRequest, fetch};
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, ids, time, validate};
use crate::state::AppState;

/// A licence with the employees holding its seats: one aggregate, one audit event.
pub struct LicenseRecord<'a> {
    pub license: &'a software_license::Model,
    pub holders: &'a [String],
}

impl Audited for LicenseRecord<'_> {
    const ENTITY_TYPE: &'static str = "SoftwareLicense";
    fn audit_id(&self) -> String {
        self.license.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.license.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        let l = self.license;
        json!({
            "id": l.id,
            "department": l.department_code,
            "product": l.product,
            "vendor": l.vendor,
            "seats": l.seats,
            "seatsUsed": self.holders.len(),
            "expiresOn": l.expires_on.map(|d| d.to_string()),
            "assigneeIds": self.holders,
        })
    }
}

/// Employee ids holding a seat now, in the order they got it.
pub async fn holders<C: ConnectionTrait>(db: &C, license_id: &str) -> AppResult<Vec<String>> {
    let seats = license_seat::Entity::find()
        .filter(license_seat::Column::LicenseId.eq(license_id))
        .filter(license_seat::Column::ReleasedAt.is_null())
        .order_by_asc(license_seat::Column::Id)
        .all(db)
        .await?;
    Ok(seats.into_iter().map(|s| s.employee_id).collect())
}

pub async fn add(
    state: &AppState,
    rc: &RequestCtx,
    department: &str,
    product: &str,
    vendor: &str,
    seats: i32,
    expires_on: Option<NaiveDate>,
) -> AppResult<software_license::Model> {
    let principal = rc.principal()?;
    state.authz.require(principal, Perm::LICENSE_ADD, department)?;
    let product = validate::text("input.product", product, 200)?;
    let vendor = validate::text("input.vendor", vendor, 200)?;
    if !(1..=1_000_000).contains(&seats) {
        return Err(AppError::bad_input("input.seats", "seats must be between 1 and 1000000"));
    }
    let mut uow = UnitOfWork::begin(&state.db, rc, "addSoftwareLicense").await?;
    crate::org::service::require_department(uow.conn(), "input.department", department, false).await?;
    let now = time::now();
    let created = software_license::ActiveModel {
        id: Set(ids::new_id()),
        department_code: Set(department.to_string()),
        product: Set(product),
        vendor: Set(vendor),
        seats: Set(seats),
        expires_on: Set(expires_on),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(uow.conn())
    .await?;
    uow.record(Change::created(&LicenseRecord { license: &created, holders: &[] }));
    uow.commit().await?;
    Ok(created)
}

/// The licence, locked for the rest of the transaction (PostgreSQL: concurrent seat changes of
/// one licence queue here; SQLite write transactions are exclusive already).
async fn find_visible_locked<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> AppResult<software_license::Model> {
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    let found = software_license::Entity::find_by_id(id.to_string())
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    state.authz.scope(principal, Perm::LICENSE_READ).reveal(&found.department_code)?;
    Ok(found)
}

pub async fn assign_seat(
    state: &AppState,
    rc: &RequestCtx,
    license_id: &str,
    employee_id: &str,
) -> AppResult<software_license::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "assignLicenseSeat").await?;
    let license = find_visible_locked(uow.conn(), state, principal, license_id).await?;
    state.authz.require(principal, Perm::LICENSE_ASSIGN, &license.department_code)?;
    let employee = employees::find_visible(uow.conn(), state, principal, employee_id)
        .await
        .map_err(|e| e.as_reference("employeeId", "employee"))?;
    if employee.status != employees::ACTIVE {
        return Err(AppError::conflict("seats go to ACTIVE employees only"));
    }
    let before = holders(uow.conn(), &license.id).await?;
    if before.contains(&employee.id) {
        return Err(AppError::conflict("the employee already holds a seat of this licence"));
    }
    if before.len() >= license.seats as usize {
        return Err(AppError::conflict(format!("all {} seats are taken", license.seats)));
    }
    license_seat::ActiveModel {
        id: Set(ids::new_id()),
        license_id: Set(license.id.clone()),
        employee_id: Set(employee.id.clone()),
        assigned_at: Set(time::now()),
        released_at: Set(None),
    }
    .insert(uow.conn())
    .await?;
    let after = holders(uow.conn(), &license.id).await?;
    uow.record(Change::updated(
        &LicenseRecord { license: &license, holders: &before },
        &LicenseRecord { license: &license, holders: &after },
    ));
    uow.commit().await?;
    Ok(license)
}

pub async fn release_seat(
    state: &AppState,
    rc: &RequestCtx,
    license_id: &str,
    employee_id: &str,
) -> AppResult<software_license::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "releaseLicenseSeat").await?;
    let license = find_visible_locked(uow.conn(), state, principal, license_id).await?;
    state.authz.require(principal, Perm::LICENSE_ASSIGN, &license.department_code)?;
    if !release(&mut uow, &license, employee_id, None).await? {
        return Err(AppError::conflict("the employee holds no seat of this licence"));
    }
    uow.commit().await?;
    Ok(license)
}

/// Releases the employee's seat, recording the licence's change (as `auto:<mimics>` when it
/// is a consequence). False when there was no seat to release.
pub async fn release(
    uow: &mut UnitOfWork,
    license: &software_license::Model,
    employee_id: &str,
    auto: Option<&str>,
) -> AppResult<bool> {
    let before = holders(uow.conn(), &license.id).await?;
    let released = license_seat::Entity::update_many()
        .set(license_seat::ActiveModel { released_at: Set(Some(time::now())), ..Default::default() })
        .filter(license_seat::Column::LicenseId.eq(&license.id))
        .filter(license_seat::Column::EmployeeId.eq(employee_id))
        .filter(license_seat::Column::ReleasedAt.is_null())
        .exec(uow.conn())
        .await?;
    if released.rows_affected == 0 {
        return Ok(false);
    }
    let after = holders(uow.conn(), &license.id).await?;
    let change =
        Change::updated(&LicenseRecord { license, holders: &before }, &LicenseRecord { license, holders: &after });
    match auto {
        Some(mimics) => uow.record_auto(mimics, change),
        None => uow.record(change),
    }
    Ok(true)
}

/// Licences of which the employee holds a seat.
pub async fn held_by<C: ConnectionTrait>(
    db: &C,
    employee: &employee::Model,
) -> AppResult<Vec<software_license::Model>> {
    let seats = license_seat::Entity::find()
        .filter(license_seat::Column::EmployeeId.eq(&employee.id))
        .filter(license_seat::Column::ReleasedAt.is_null())
        .all(db)
        .await?;
    let ids: Vec<String> = seats.into_iter().map(|s| s.license_id).collect();
    Ok(software_license::Entity::find()
        .filter(software_license::Column::Id.is_in(ids))
        .lock_exclusive()
        .all(db)
        .await?)
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    department: Option<&str>,
    page: &PageRequest,
) -> AppResult<Vec<software_license::Model>> {
    let scope = state.authz.list_scope(principal, Perm::LICENSE_READ, department)?;
    let select = software_license::Entity::find().filter(scope.condition(software_license::Column::DepartmentCode));
    Ok(fetch(&state.db.conn, select, Keyset::newest_first(software_license::Column::Id), page).await?.0)
}
