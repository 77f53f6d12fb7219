use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "departments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// As given at creation; unique regardless of case through `code_key`.
    #[sea_orm(unique)]
    pub code: String,
    /// `code` in lower case: "FIN" and "fin" would print the same invoice numbers.
    #[sea_orm(unique)]
    pub code_key: String,
    pub name: String,
    /// FINANCE, HR, IT, OPERATIONS or OTHER.
    pub kind: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
