use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `TCK-` and six digits, global.
    #[sea_orm(unique)]
    pub number: String,
    pub department_code: String,
    pub requester_id: String,
    pub title: String,
    pub description: String,
    /// HARDWARE, SOFTWARE, ACCESS, NETWORK or OTHER.
    pub category: String,
    /// P1 to P4.
    pub priority: String,
    /// OPEN, IN_PROGRESS, RESOLVED or CLOSED.
    pub status: String,
    pub assignee_id: Option<String>,
    pub sla_due_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
