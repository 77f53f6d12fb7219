use sea_orm::entity::prelude::*;

/// One link of the append-only, hash-chained audit log. The database refuses UPDATE and
/// DELETE on this table (triggers created by the audit migration).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    #[sea_orm(unique)]
    pub id: String,
    pub occurred_at: DateTimeUtc,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub department: Option<String>,
    /// JSON text, exactly as hashed (text on both engines: no engine-specific JSON rewriting).
    pub before: Option<String>,
    pub after: Option<String>,
    /// SUCCESS or DENIED.
    pub outcome: String,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
