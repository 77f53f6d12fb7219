use sea_orm::entity::prelude::*;

/// The single row (id 1) holding the chain's last seq and hash, and the Merkle tree's size.
/// Appenders lock this row inside their transaction, which serialises them across processes
/// sharing one database.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_head")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub seq: i64,
    pub hash: String,
    /// How many events the stored Merkle tree (`audit_tree_hashes`) covers; equal to `seq`
    /// except while a database that predates the tree is being caught up.
    pub tree_size: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
