use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leave_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub employee_id: String,
    /// The employee's department when the request was made: who may see and decide it.
    pub department_code: String,
    /// VACATION, SICK, PERSONAL or UNPAID.
    pub leave_type: String,
    pub start_date: Date,
    pub end_date: Date,
    /// Working days (Monday to Friday) between the dates, inclusive.
    pub days: i32,
    /// PENDING, APPROVED, REJECTED or CANCELLED.
    pub status: String,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
