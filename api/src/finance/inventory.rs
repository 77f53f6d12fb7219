//! Inventory: items, stock movements that never take stock below zero, and purchase requests
//! raised automatically at the reorder point.

use entity::{inventory_item, purchase_request, stock_movement};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::audit::Audited;
use crate::authz::Perm;
use crate::error::{AppError, AppResult, DbResultExt};
use crate::kernel::money::{self, AMOUNT_SCALE};
use crate::kernel::pagination::{Keyset, Page, PageRequest, fetch, paginate};
use crate::kernel::versioned::save_if_unchanged;
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, ids, time, validate};
use crate::state::AppState;

pub const OPEN: &str = "OPEN";

impl Audited for inventory_item::Model {
    const ENTITY_TYPE: &'static str = "InventoryItem";
    fn audit_id(&self) -> String {
        self.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        let q = |units| money::plain(money::amount(units)).to_string();
        json!({
            "id": self.id,
            "department": self.department_code,
            "sku": self.sku,
            "name": self.name,
            "unit": self.unit,
            "quantityOnHand": q(self.quantity_on_hand),
            "reorderPoint": q(self.reorder_point),
            "reorderQuantity": q(self.reorder_quantity),
            "unitCost": money::ledger(money::amount(self.unit_cost)).to_string(),
        })
    }
}

/// A movement, described in its item's department.
pub struct MovementRecord<'a> {
    pub movement: &'a stock_movement::Model,
    pub item: &'a inventory_item::Model,
}

impl Audited for MovementRecord<'_> {
    const ENTITY_TYPE: &'static str = "StockMovement";
    fn audit_id(&self) -> String {
        self.movement.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.item.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        let m = self.movement;
        json!({
            "id": m.id,
            "itemId": m.item_id,
            "kind": m.kind,
            "quantity": money::plain(money::amount(m.quantity)).to_string(),
            "reference": m.reference,
        })
    }
}

impl Audited for purchase_request::Model {
    const ENTITY_TYPE: &'static str = "PurchaseRequest";
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
            "itemId": self.item_id,
            "quantity": money::plain(money::amount(self.quantity)).to_string(),
            "status": self.status,
        })
    }
}

pub struct NewItem {
    pub department: String,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub reorder_point: Decimal,
    pub reorder_quantity: Decimal,
    pub unit_cost: Decimal,
}

pub async fn create_item(state: &AppState, rc: &RequestCtx, input: NewItem) -> AppResult<inventory_item::Model> {
    let principal = rc.principal()?;
    state.authz.require(principal, Perm::INVENTORY_WRITE, &input.department)?;
    let sku = validate::text("input.sku", &input.sku, 64)?;
    let name = validate::text("input.name", &input.name, 200)?;
    let unit = validate::text("input.unit", &input.unit, 32)?;
    let reorder_point = money::scaled_input("input.reorderPoint", input.reorder_point, AMOUNT_SCALE)?;
    let reorder_quantity = money::scaled_input("input.reorderQuantity", input.reorder_quantity, AMOUNT_SCALE)?;
    let unit_cost = money::scaled_input("input.unitCost", input.unit_cost, AMOUNT_SCALE)?;
    if reorder_point < 0 {
        return Err(AppError::bad_input("input.reorderPoint", "reorderPoint must not be negative"));
    }
    if reorder_quantity <= 0 {
        return Err(AppError::bad_input("input.reorderQuantity", "reorderQuantity must be greater than 0"));
    }
    if unit_cost < 0 {
        return Err(AppError::bad_input("input.unitCost", "unitCost must not be negative"));
    }
    let mut uow = UnitOfWork::begin(&state.db, rc, "createInventoryItem").await?;
    crate::org::service::require_department(uow.conn(), "input.department", &input.department, false).await?;
    let now = time::now();
    let item = inventory_item::ActiveModel {
        id: Set(ids::new_id()),
        department_code: Set(input.department),
        sku: Set(sku),
        name: Set(name),
        unit: Set(unit),
        quantity_on_hand: Set(0),
        reorder_point: Set(reorder_point),
        reorder_quantity: Set(reorder_quantity),
        unit_cost: Set(unit_cost),
        version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(uow.conn())
    .await
    .on_duplicate("an item with this SKU already exists in the department")?;
    uow.record(Change::created(&item));
    uow.commit().await?;
    Ok(item)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum MovementKind {
    Receipt,
    Issue,
    Adjustment,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receipt => "RECEIPT",
            MovementKind::Issue => "ISSUE",
            MovementKind::Adjustment => "ADJUSTMENT",
        }
    }

    /// The change to the quantity on hand: RECEIPT and ISSUE take a quantity > 0, ADJUSTMENT a
    /// signed, non-zero delta.
    pub fn delta(self, quantity: i64) -> AppResult<i64> {
        match self {
            MovementKind::Receipt | MovementKind::Issue if quantity <= 0 => {
                Err(AppError::bad_input("input.quantity", "quantity must be greater than 0"))
            }
            MovementKind::Adjustment if quantity == 0 => {
                Err(AppError::bad_input("input.quantity", "an adjustment must change the quantity"))
            }
            MovementKind::Issue => Ok(-quantity),
            _ => Ok(quantity),
        }
    }
}

pub struct NewMovement {
    pub item_id: String,
    pub kind: MovementKind,
    pub quantity: Decimal,
    pub reference: Option<String>,
}

pub async fn find_visible_item<C: sea_orm::ConnectionTrait>(
    db: &C,
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> AppResult<inventory_item::Model> {
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    let item = inventory_item::Entity::find_by_id(id.to_string()).one(db).await?.ok_or(AppError::NotFound)?;
    state.authz.scope(principal, Perm::INVENTORY_READ).reveal(&item.department_code)?;
    Ok(item)
}

/// Records a movement inside `uow` (the movement's and the item's events) and returns it with
/// the item as it now stands; `workflows::reordering` decides whether to ask for more.
pub async fn record_movement(
    uow: &mut UnitOfWork,
    state: &AppState,
    principal: &Principal,
    input: NewMovement,
) -> AppResult<(stock_movement::Model, inventory_item::Model)> {
    let quantity = money::scaled_input("input.quantity", input.quantity, AMOUNT_SCALE)?;
    let reference = validate::optional_text("input.reference", input.reference.as_deref(), 200)?;
    let item = find_visible_item(uow.conn(), state, principal, &input.item_id).await?;
    state.authz.require(principal, Perm::INVENTORY_WRITE, &item.department_code)?;
    let delta = input.kind.delta(quantity)?;
    let on_hand =
        item.quantity_on_hand.checked_add(delta).filter(|q| money::fits(*q)).ok_or_else(|| {
            AppError::conflict("the movement would take the quantity on hand beyond what can be stored")
        })?;
    if on_hand < 0 {
        return Err(AppError::conflict(format!(
            "only {} {} on hand: the movement would take stock below zero",
            money::plain(money::amount(item.quantity_on_hand)),
            item.unit
        )));
    }
    let change = inventory_item::ActiveModel { quantity_on_hand: Set(on_hand), ..Default::default() };
    let conflict = "the item's stock changed meanwhile; try again";
    let updated =
        save_if_unchanged::<inventory_item::Entity, _>(uow.conn(), &item.id, item.version, change, conflict).await?;
    let movement = stock_movement::ActiveModel {
        id: Set(ids::new_id()),
        item_id: Set(item.id.clone()),
        kind: Set(input.kind.as_str().to_string()),
        quantity: Set(quantity),
        reference: Set(reference),
        created_by: Set(principal.user_id.clone()),
        created_at: Set(time::now()),
    }
    .insert(uow.conn())
    .await?;
    uow.record(Change::created(&MovementRecord { movement: &movement, item: &updated }));
    uow.record(Change::updated(&item, &updated));
    Ok((movement, updated))
}

/// The item's OPEN purchase request, if any.
pub async fn open_purchase_request<C: sea_orm::ConnectionTrait>(
    db: &C,
    item_id: &str,
) -> AppResult<Option<purchase_request::Model>> {
    Ok(purchase_request::Entity::find()
        .filter(purchase_request::Column::ItemId.eq(item_id))
        .filter(purchase_request::Column::Status.eq(OPEN))
        .one(db)
        .await?)
}

/// Opens a purchase request for the item's `reorderQuantity`, recorded as
/// `auto:createPurchaseRequest`.
pub async fn request_purchase(
    uow: &mut UnitOfWork,
    item: &inventory_item::Model,
) -> AppResult<purchase_request::Model> {
    let request = purchase_request::ActiveModel {
        id: Set(ids::new_id()),
        department_code: Set(item.department_code.clone()),
        item_id: Set(item.id.clone()),
        quantity: Set(item.reorder_quantity),
        status: Set(OPEN.to_string()),
        created_at: Set(time::now()),
    }
    .insert(uow.conn())
    .await?;
    uow.record_auto("createPurchaseRequest", Change::created(&request));
    Ok(request)
}

pub struct ItemFilter {
    pub department: Option<String>,
    pub below_reorder_point: Option<bool>,
    pub search: Option<String>,
}

pub async fn list_items(
    state: &AppState,
    principal: &Principal,
    filter: ItemFilter,
    page: &PageRequest,
) -> AppResult<Page<inventory_item::Model>> {
    use inventory_item::Column as C;
    use sea_orm::sea_query::{Expr, ExprTrait};
    let scope = state.authz.list_scope(principal, Perm::INVENTORY_READ, filter.department.as_deref())?;
    let mut condition = scope.condition(C::DepartmentCode);
    match filter.below_reorder_point {
        Some(true) => condition = condition.add(Expr::col(C::QuantityOnHand).lte(Expr::col(C::ReorderPoint))),
        Some(false) => condition = condition.add(Expr::col(C::QuantityOnHand).gt(Expr::col(C::ReorderPoint))),
        None => {}
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        condition = condition.add(crate::kernel::search::contains_any(&[C::Name, C::Sku], search));
    }
    let select = inventory_item::Entity::find().filter(condition);
    paginate(&state.db.conn, select, Keyset::newest_first(C::Id), page, |i| i.id.clone()).await
}

/// An item's movements, newest first, one page at a time.
pub async fn movements(
    state: &AppState,
    principal: &Principal,
    item_id: &str,
    page: &PageRequest,
) -> AppResult<Vec<stock_movement::Model>> {
    let item = find_visible_item(&state.db.conn, state, principal, item_id).await?;
    let select = stock_movement::Entity::find().filter(stock_movement::Column::ItemId.eq(item.id));
    let keyset = Keyset::newest_first(stock_movement::Column::Id);
    Ok(fetch(&state.db.conn, select, keyset, page).await?.0)
}

pub async fn purchase_requests(
    state: &AppState,
    principal: &Principal,
    department: Option<&str>,
    status: Option<&str>,
    page: &PageRequest,
) -> AppResult<Vec<purchase_request::Model>> {
    let scope = state.authz.list_scope(principal, Perm::PURCHASE_REQUEST_READ, department)?;
    let mut condition = scope.condition(purchase_request::Column::DepartmentCode);
    if let Some(status) = status {
        condition = condition.add(purchase_request::Column::Status.eq(status));
    }
    let select = purchase_request::Entity::find().filter(condition);
    let keyset = Keyset::newest_first(purchase_request::Column::Id);
    Ok(fetch(&state.db.conn, select, keyset, page).await?.0)
}
