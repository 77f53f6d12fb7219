//! DataLoaders for records that other records point to: one query per batch, never per row.
//! Departments and users keep what they load for the rest of the request.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, Iterable, QueryFilter, QuerySelect};

use crate::{at_position, by_key_loader, grouped_loader};

by_key_loader!(DepartmentByCode, department, Code, code);
grouped_loader!(RolesByUser, role_assignment, UserId, user_id, Department);

/// Users by id, never reading their password hash (it comes back empty).
pub struct UserById(pub DatabaseConnection);

impl Loader<String> for UserById {
    type Value = user::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let mut select = user::Entity::find().select_only();
        for column in user::Column::iter() {
            select = match column {
                user::Column::PasswordHash => select.column_as(Expr::val(""), column),
                other => select.column(other),
            };
        }
        let rows = select
            .filter(user::Column::Id.is_in(keys.iter().cloned()))
            .into_model::<user::Model>()
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|u| (u.id.clone(), u)).collect())
    }
}

/// The request's loaders of departments and users, which keep what they load.
pub type Departments = DataLoader<DepartmentByCode, HashMapCache>;
pub type Users = DataLoader<UserById, HashMapCache>;

at_position!(department { id, code, code_key, name, kind, created_at });

at_position!(user {
    id,
    email,
    password_hash,
    display_name,
    active,
    token_version,
    failed_logins,
    locked_until,
    employee_id,
    created_at,
    updated_at
});
