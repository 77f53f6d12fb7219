use sea_orm::entity::prelude::*;

/// A seat of a licence held by an employee; released seats stay as history.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "license_seats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub license_id: String,
    pub employee_id: String,
    pub assigned_at: DateTimeUtc,
    /// Null while the seat is held.
    pub released_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
