use sea_orm::entity::prelude::*;

/// A balanced journal entry; never edited once posted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "journal_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub department_code: String,
    pub date: Date,
    pub memo: String,
    /// What produced an automatic entry: `invoice:<id>`, `payment:<id>`, `payroll:<id>` …
    pub source: Option<String>,
    /// Unique: an entry is reversed at most once.
    #[sea_orm(unique)]
    pub reversal_of_id: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
