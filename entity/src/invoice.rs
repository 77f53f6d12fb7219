use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub department_code: String,
    /// PAYABLE or RECEIVABLE.
    pub kind: String,
    /// Assigned at approval, gapless per department, kind and year.
    #[sea_orm(unique)]
    pub number: Option<String>,
    pub counterparty: String,
    pub currency: String,
    pub issue_date: Date,
    pub due_date: Date,
    /// Amounts scaled by 10 000, rounded to the currency.
    pub subtotal: i64,
    pub tax_total: i64,
    pub total: i64,
    pub amount_paid: i64,
    /// DRAFT, APPROVED, PARTIALLY_PAID, PAID or VOID.
    pub status: String,
    pub created_by: String,
    pub approved_by: Option<String>,
    /// The journal entry its approval posted (reversed by a void).
    pub approval_entry_id: Option<String>,
    pub void_reason: Option<String>,
    /// Optimistic concurrency: every change bumps it, and only from the version read.
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
