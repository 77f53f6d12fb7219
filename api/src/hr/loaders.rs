//! DataLoaders of human resources.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{employee, user};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

pub struct EmployeeById(pub DatabaseConnection);

impl Loader<String> for EmployeeById {
    type Value = employee::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = employee::Entity::find()
            .filter(employee::Column::Id.is_in(ids.iter().cloned()))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|e| (e.id.clone(), e)).collect())
    }
}

/// The user linked to an employee record, keyed by employee id.
pub struct UserByEmployee(pub DatabaseConnection);

impl Loader<String> for UserByEmployee {
    type Value = user::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = user::Entity::find()
            .filter(user::Column::EmployeeId.is_in(ids.iter().cloned()))
            .all(&self.0)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|u| u.employee_id.clone().map(|id| (id, u)))
            .collect())
    }
}
