//! DataLoaders for records that other records point to: one query per batch, never per row.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{department, role_assignment, user};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

pub struct DepartmentByCode(pub DatabaseConnection);

impl Loader<String> for DepartmentByCode {
    type Value = department::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, codes: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = department::Entity::find()
            .filter(department::Column::Code.is_in(codes.iter().cloned()))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|d| (d.code.clone(), d)).collect())
    }
}

pub struct UserById(pub DatabaseConnection);

impl Loader<String> for UserById {
    type Value = user::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(ids.iter().cloned()))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|u| (u.id.clone(), u)).collect())
    }
}

/// A user's role assignments, keyed by user id.
pub struct RolesByUser(pub DatabaseConnection);

impl Loader<String> for RolesByUser {
    type Value = Vec<role_assignment::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = role_assignment::Entity::find()
            .filter(role_assignment::Column::UserId.is_in(ids.iter().cloned()))
            .order_by_asc(role_assignment::Column::Department)
            .order_by_asc(role_assignment::Column::Role)
            .all(&self.0)
            .await?;
        let mut by_user: HashMap<String, Self::Value> =
            ids.iter().map(|id| (id.clone(), Vec::new())).collect();
        for row in rows {
            by_user.entry(row.user_id.clone()).or_default().push(row);
        }
        Ok(by_user)
    }
}
