use sea_orm::entity::prelude::*;

/// One hash of the audit log's Merkle tree: a leaf hash or the hash of a complete subtree, at
/// the dense index Go's `sumdb/tlog` assigns it (`api::audit::merkle::stored_hash_index`).
/// Append-only (triggers created by the evidence migration).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_tree_hashes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub idx: i64,
    /// The 32 raw bytes of the SHA-256.
    pub hash: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
