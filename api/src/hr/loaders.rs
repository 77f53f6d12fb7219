//! DataLoaders of human resources.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::user;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::{by_key_loader, grouped_loader};

by_key_loader!(EmployeeById, employee, Id, id);
by_key_loader!(OpeningById, job_opening, Id, id);
grouped_loader!(PayslipsByRun, payslip, RunId, run_id, Id);
grouped_loader!(CandidatesByOpening, candidate, OpeningId, opening_id, Id);

/// The user linked to an employee record, keyed by employee id (the link is optional).
pub struct UserByEmployee(pub DatabaseConnection);

impl Loader<String> for UserByEmployee {
    type Value = user::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows =
            user::Entity::find().filter(user::Column::EmployeeId.is_in(ids.iter().cloned())).all(&self.0).await?;
        Ok(rows.into_iter().filter_map(|u| u.employee_id.clone().map(|id| (id, u))).collect())
    }
}
