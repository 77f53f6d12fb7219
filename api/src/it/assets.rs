//! Hardware assets: registered in stock, assigned to active employees, returned, retired.

use chrono::NaiveDate;
use entity::{asset, employee};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::audit::Audited;
use crate::authz::Perm;
use crate::error::{AppError, AppResult, DbResultExt};
use crate::hr::employees;
use crate::kernel::money::{self, AMOUNT_SCALE};
use crate::kernel::pagination::{Keyset, Page, PageRequest, paginate};
use crate::kernel::versioned::save_if_unchanged;
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, ids, time, validate};
use crate::state::AppState;

pub const IN_STOCK: &str = "IN_STOCK";
pub const ASSIGNED: &str = "ASSIGNED";
pub const RETIRED: &str = "RETIRED";

impl Audited for asset::Model {
    const ENTITY_TYPE: &'static str = "Asset";
    fn audit_id(&self) -> String {
        self.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        json!({
            "id": self.id,
            "department": self.department_code,
            "tag": self.tag,
            "kind": self.kind,
            "model": self.model,
            "serialNumber": self.serial_number,
            "status": self.status,
            "assignedTo": self.assigned_to,
            "purchaseDate": self.purchase_date.map(|d| d.to_string()),
            "purchaseCost": self.purchase_cost.map(|c| money::ledger(money::amount(c)).to_string()),
            "warrantyEndsOn": self.warranty_ends_on.map(|d| d.to_string()),
        })
    }
}

pub struct Register {
    pub department: String,
    pub tag: String,
    pub kind: &'static str,
    pub model: String,
    pub serial_number: String,
    pub purchase_date: Option<NaiveDate>,
    pub purchase_cost: Option<Decimal>,
    pub warranty_ends_on: Option<NaiveDate>,
}

pub async fn register(state: &AppState, rc: &RequestCtx, input: Register) -> AppResult<asset::Model> {
    let principal = rc.principal()?;
    state.authz.require(principal, Perm::ASSET_WRITE, &input.department)?;
    let tag = validate::text("input.tag", &input.tag, 64)?;
    let model = validate::text("input.model", &input.model, 200)?;
    let serial_number = validate::text("input.serialNumber", &input.serial_number, 200)?;
    let purchase_cost =
        input.purchase_cost.map(|c| money::scaled_input("input.purchaseCost", c, AMOUNT_SCALE)).transpose()?;
    if purchase_cost.is_some_and(|c| c < 0) {
        return Err(AppError::bad_input("input.purchaseCost", "purchaseCost must not be negative"));
    }
    if let (Some(bought), Some(warranty)) = (input.purchase_date, input.warranty_ends_on)
        && warranty < bought
    {
        return Err(AppError::bad_input("input.warrantyEndsOn", "warrantyEndsOn must not be before purchaseDate"));
    }
    let mut uow = UnitOfWork::begin(&state.db, rc, "registerAsset").await?;
    crate::org::service::require_department(uow.conn(), "input.department", &input.department, false).await?;
    let now = time::now();
    let created = asset::ActiveModel {
        id: Set(ids::new_id()),
        department_code: Set(input.department),
        tag: Set(tag),
        kind: Set(input.kind.into()),
        model: Set(model),
        serial_number: Set(serial_number),
        status: Set(IN_STOCK.into()),
        assigned_to: Set(None),
        purchase_date: Set(input.purchase_date),
        purchase_cost: Set(purchase_cost),
        warranty_ends_on: Set(input.warranty_ends_on),
        retired_reason: Set(None),
        version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(uow.conn())
    .await
    .on_duplicate("an asset with this tag already exists")?;
    uow.record(Change::created(&created));
    uow.commit().await?;
    Ok(created)
}

async fn find_visible<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> AppResult<asset::Model> {
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    let found = asset::Entity::find_by_id(id.to_string()).one(db).await?.ok_or(AppError::NotFound)?;
    state.authz.scope(principal, Perm::ASSET_READ).reveal(&found.department_code)?;
    Ok(found)
}

/// Saves a transition from the version that was read (optimistic concurrency).
async fn save(uow: &UnitOfWork, read: &asset::Model, change: asset::ActiveModel) -> AppResult<asset::Model> {
    let conflict = "the asset was changed by someone else; reload it";
    save_if_unchanged::<asset::Entity, _>(uow.conn(), &read.id, read.version, change, conflict).await
}

pub async fn assign(state: &AppState, rc: &RequestCtx, asset_id: &str, employee_id: &str) -> AppResult<asset::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "assignAsset").await?;
    let before = find_visible(uow.conn(), state, principal, asset_id).await?;
    state.authz.require(principal, Perm::ASSET_WRITE, &before.department_code)?;
    let employee = employees::find_visible(uow.conn(), state, principal, employee_id)
        .await
        .map_err(|e| e.as_reference("employeeId", "employee"))?;
    if before.status != IN_STOCK {
        return Err(AppError::conflict(format!("only an IN_STOCK asset can be assigned (it is {})", before.status)));
    }
    if employee.status != employees::ACTIVE {
        return Err(AppError::conflict("assets go to ACTIVE employees only"));
    }
    let change =
        asset::ActiveModel { status: Set(ASSIGNED.into()), assigned_to: Set(Some(employee.id)), ..Default::default() };
    let after = save(&uow, &before, change).await?;
    uow.record(Change::updated(&before, &after));
    uow.commit().await?;
    Ok(after)
}

pub async fn give_back(state: &AppState, rc: &RequestCtx, asset_id: &str) -> AppResult<asset::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "returnAsset").await?;
    let before = find_visible(uow.conn(), state, principal, asset_id).await?;
    state.authz.require(principal, Perm::ASSET_WRITE, &before.department_code)?;
    if before.status != ASSIGNED {
        return Err(AppError::conflict(format!("only an ASSIGNED asset can be returned (it is {})", before.status)));
    }
    let after = save(
        &uow,
        &before,
        asset::ActiveModel { status: Set(IN_STOCK.into()), assigned_to: Set(None), ..Default::default() },
    )
    .await?;
    uow.record(Change::updated(&before, &after));
    uow.commit().await?;
    Ok(after)
}

pub async fn retire(state: &AppState, rc: &RequestCtx, asset_id: &str, reason: &str) -> AppResult<asset::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "retireAsset").await?;
    let before = find_visible(uow.conn(), state, principal, asset_id).await?;
    state.authz.require(principal, Perm::ASSET_RETIRE, &before.department_code)?;
    if before.status == ASSIGNED || before.status == RETIRED {
        return Err(AppError::conflict(format!("an asset that is {} cannot be retired", before.status)));
    }
    let reason = validate::text("reason", reason, 500)?;
    let after = save(
        &uow,
        &before,
        asset::ActiveModel { status: Set(RETIRED.into()), retired_reason: Set(Some(reason)), ..Default::default() },
    )
    .await?;
    uow.record(Change::updated(&before, &after));
    uow.commit().await?;
    Ok(after)
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    department: Option<&str>,
    status: Option<&str>,
    page: &PageRequest,
) -> AppResult<Page<asset::Model>> {
    let scope = state.authz.list_scope(principal, Perm::ASSET_READ, department)?;
    let mut condition = scope.condition(asset::Column::DepartmentCode);
    if let Some(status) = status {
        condition = condition.add(asset::Column::Status.eq(status));
    }
    let select = asset::Entity::find().filter(condition);
    paginate(&state.db.conn, select, Keyset::newest_first(asset::Column::Id), page, |a| a.id.clone()).await
}

/// The assets an employee holds.
pub async fn held_by<C: ConnectionTrait>(db: &C, employee: &employee::Model) -> AppResult<Vec<asset::Model>> {
    Ok(asset::Entity::find()
        .filter(asset::Column::AssignedTo.eq(&employee.id))
        .filter(asset::Column::Status.eq(ASSIGNED))
        .all(db)
        .await?)
}
