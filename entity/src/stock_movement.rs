use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub item_id: String,
    /// RECEIPT, ISSUE or ADJUSTMENT.
    pub kind: String,
    /// As given: positive for RECEIPT and ISSUE, a signed delta for ADJUSTMENT. Scaled by 10 000.
    pub quantity: i64,
    pub reference: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
