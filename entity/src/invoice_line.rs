use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub invoice_id: String,
    pub line_no: i32,
    pub description: String,
    /// Scaled by 10 000.
    pub quantity: i64,
    pub unit_price: i64,
    /// Scaled by 1 000 000.
    pub tax_rate: i64,
    pub net_amount: i64,
    pub tax_amount: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
