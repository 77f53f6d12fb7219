//! Stock movements, and the purchase request a movement raises at the reorder point.

use entity::stock_movement;

use crate::error::AppResult;
use crate::finance::inventory::{self, NewMovement};
use crate::kernel::{RequestCtx, UnitOfWork};
use crate::state::AppState;

/// `recordStockMovement`: the movement, and — when it leaves the quantity on hand at or below the
/// reorder point and the item has no OPEN request — a purchase request for `reorderQuantity`.
pub async fn record_stock_movement(
    state: &AppState,
    rc: &RequestCtx,
    input: NewMovement,
) -> AppResult<stock_movement::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "recordStockMovement").await?;
    let (movement, item) = inventory::record_movement(&mut uow, state, principal, input).await?;
    if item.quantity_on_hand <= item.reorder_point
        && inventory::open_purchase_request(uow.conn(), &item.id).await?.is_none()
    {
        inventory::request_purchase(&mut uow, &item).await?;
    }
    uow.commit().await?;
    Ok(movement)
}
