use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payslips")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub run_id: String,
    pub employee_id: String,
    pub period: String,
    pub days_in_period: i32,
    pub days_worked: i32,
    /// Scaled by 10 000, rounded to the employee's currency.
    pub gross: i64,
    pub income_tax: i64,
    pub social_security: i64,
    pub net: i64,
    pub currency: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
