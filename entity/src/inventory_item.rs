use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub department_code: String,
    /// Unique within the department.
    pub sku: String,
    pub name: String,
    pub unit: String,
    /// Quantities and cost scaled by 10 000.
    pub quantity_on_hand: i64,
    pub reorder_point: i64,
    pub reorder_quantity: i64,
    pub unit_cost: i64,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
