use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "employees")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `E000001`, … assigned by the system.
    #[sea_orm(unique)]
    pub employee_number: String,
    pub first_name: String,
    pub last_name: String,
    /// Lower case; unique among employees.
    #[sea_orm(unique)]
    pub email: String,
    pub department_code: String,
    pub position: String,
    pub manager_id: Option<String>,
    pub hire_date: Date,
    pub termination_date: Option<Date>,
    /// ACTIVE, ON_LEAVE or TERMINATED.
    pub status: String,
    pub currency: String,
    /// Scaled by 10 000 (see `api::kernel::money`).
    pub annual_salary: i64,
    pub national_id: Option<String>,
    pub bank_account: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
