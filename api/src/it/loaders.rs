//! DataLoaders of IT.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::license_seat;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::grouped_loader;

grouped_loader!(CommentsByTicket, ticket_comment, TicketId, ticket_id, Id);

/// The seats held now (not released), keyed by licence id.
pub struct HeldSeatsByLicense(pub DatabaseConnection);

impl Loader<String> for HeldSeatsByLicense {
    type Value = Vec<license_seat::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = license_seat::Entity::find()
            .filter(license_seat::Column::LicenseId.is_in(ids.iter().cloned()))
            .filter(license_seat::Column::ReleasedAt.is_null())
            .order_by_asc(license_seat::Column::Id)
            .all(&self.0)
            .await?;
        let mut held: HashMap<String, Self::Value> = ids.iter().map(|id| (id.clone(), Vec::new())).collect();
        for seat in rows {
            held.entry(seat.license_id.clone()).or_default().push(seat);
        }
        Ok(held)
    }
}
