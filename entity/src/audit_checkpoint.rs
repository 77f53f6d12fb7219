use sea_orm::entity::prelude::*;

/// A signed checkpoint of the audit log (c2sp.org/tlog-checkpoint): one per signing key and
/// tree size. Append-only (triggers created by the evidence migration).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_checkpoints")]
pub struct Model {
    /// The verifier key (`<name>+<hex8 id>+<base64>`) of the key that signed `note`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub verifier_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tree_size: i64,
    /// Standard base64 of the RFC 6962 root hash of the first `tree_size` events.
    pub root_hash: String,
    /// The signed note, verbatim.
    pub note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
