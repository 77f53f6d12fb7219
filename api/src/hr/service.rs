//! Rules of human resources.

use entity::employee;
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::error::{AppError, AppResult};
use crate::kernel::ids;

/// A user may be linked only to an existing employee record (one user per employee).
pub async fn check_linkable_employee<C: ConnectionTrait>(db: &C, field: &str, employee_id: &str) -> AppResult<()> {
    let exists =
        ids::plausible(employee_id) && employee::Entity::find_by_id(employee_id.to_string()).one(db).await?.is_some();
    if exists { Ok(()) } else { Err(AppError::bad_input(field, "no employee with this id")) }
}
