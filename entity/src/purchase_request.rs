use sea_orm::entity::prelude::*;

/// Raised automatically when stock falls to the reorder point.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub department_code: String,
    pub item_id: String,
    /// Scaled by 10 000.
    pub quantity: i64,
    /// OPEN, ORDERED or CANCELLED.
    pub status: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
