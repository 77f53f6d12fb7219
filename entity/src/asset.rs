use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub department_code: String,
    #[sea_orm(unique)]
    pub tag: String,
    /// LAPTOP, DESKTOP, PHONE, MONITOR, SERVER, NETWORK or OTHER.
    pub kind: String,
    pub model: String,
    pub serial_number: String,
    /// IN_STOCK, ASSIGNED, IN_REPAIR or RETIRED.
    pub status: String,
    /// The employee holding it while ASSIGNED.
    pub assigned_to: Option<String>,
    pub purchase_date: Option<Date>,
    /// Scaled by 10 000.
    pub purchase_cost: Option<i64>,
    pub warranty_ends_on: Option<Date>,
    pub retired_reason: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
