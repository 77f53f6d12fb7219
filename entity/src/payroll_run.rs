use sea_orm::entity::prelude::*;

/// A monthly payroll of one department.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payroll_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub department_code: String,
    /// `YYYY-MM`; one run per department and period.
    pub period: String,
    /// DRAFT, APPROVED or POSTED.
    pub status: String,
    /// Sums of the payslips, scaled by 10 000.
    pub total_gross: i64,
    pub total_income_tax: i64,
    pub total_social_security: i64,
    pub total_net: i64,
    pub created_by: String,
    pub approved_by: Option<String>,
    pub posted_by: Option<String>,
    pub journal_entry_id: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
