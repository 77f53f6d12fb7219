//! Optimistic concurrency for records with a `version` column: a change is applied only to the
//! version that was read, so of two racing changes the second is `CONFLICT` (on PostgreSQL the
//! second `UPDATE` waits for the first to commit, then finds the version moved on).

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::time;
use crate::error::{AppError, AppResult};

/// An entity with a text `id`, a `version` and an `updated_at`.
pub trait Versioned: EntityTrait {
    const ID: Self::Column;
    const VERSION: Self::Column;
    const UPDATED_AT: Self::Column;
}

/// Applies `change` to row `id` if it still has `read_version`, bumping the version, and
/// returns the row as saved; `CONFLICT` with `conflict` as message otherwise.
pub async fn save_if_unchanged<E, C>(
    db: &C,
    id: &str,
    read_version: i64,
    mut change: E::ActiveModel,
    conflict: &str,
) -> AppResult<E::Model>
where
    E: Versioned,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    C: ConnectionTrait,
{
    change.set(E::VERSION, (read_version + 1).into());
    change.set(E::UPDATED_AT, time::now().into());
    let done = E::update_many().set(change).filter(E::ID.eq(id)).filter(E::VERSION.eq(read_version)).exec(db).await?;
    if done.rows_affected != 1 {
        return Err(AppError::conflict(conflict));
    }
    E::find().filter(E::ID.eq(id)).one(db).await?.ok_or(AppError::NotFound)
}

/// Declares `Versioned` for entities whose columns are named `Id`, `Version`, `UpdatedAt`.
macro_rules! versioned {
    ($($entity:ident),+) => {
        $(impl Versioned for entity::$entity::Entity {
            const ID: entity::$entity::Column = entity::$entity::Column::Id;
            const VERSION: entity::$entity::Column = entity::$entity::Column::Version;
            const UPDATED_AT: entity::$entity::Column = entity::$entity::Column::UpdatedAt;
        })+
    };
}

versioned!(asset, inventory_item, invoice, payroll_run, ticket);
