//! Evidence an auditor can carry away (CONTRACT.md §13): the audit log's Merkle tree, kept
//! incrementally, and the signed checkpoints over it.
//!
//! - `audit_tree_hashes`: every hash of a complete subtree of the RFC 6962 tree over the events,
//!   at the dense index Go's `sumdb/tlog` gives it (`api::audit::merkle::stored_hash_index`).
//!   Written once, in the transaction that appends the event completing the subtree.
//! - `audit_head.tree_size`: how many events the stored tree covers. Equal to `seq` once the
//!   tree is built; a database that predates this migration starts at 0 and the server builds
//!   the tree from the existing events at start-up (`api::audit::tree::catch_up`).
//! - `audit_checkpoints`: signed notes (c2sp.org/tlog-checkpoint), one per signing key and tree
//!   size, so two processes signing the same size at once store it once.
//!
//! Both tables are append-only in the database itself, like `audit_events` (m0002).

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum AuditTreeHashes {
    Table,
    Idx,
    Hash,
}

#[derive(DeriveIden, Clone)]
enum AuditCheckpoints {
    Table,
    VerifierKey,
    TreeSize,
    RootHash,
    Note,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum AuditHead {
    Table,
    TreeSize,
}

const TABLES: [&str; 2] = ["audit_tree_hashes", "audit_checkpoints"];

fn sqlite_triggers(table: &str) -> Vec<String> {
    ["UPDATE", "DELETE"]
        .iter()
        .map(|op| {
            format!(
                "CREATE TRIGGER {table}_no_{} BEFORE {op} ON {table} \
                 BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
                op.to_lowercase()
            )
        })
        .collect()
}

/// As for `audit_events`: row and TRUNCATE triggers, `ENABLE ALWAYS` so that replication mode
/// does not switch them off.
fn postgres_triggers(table: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION audit_evidence_refuse_change()"
        ),
        format!(
            "CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION audit_evidence_refuse_change()"
        ),
        format!("ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_update_delete"),
        format!("ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuditTreeHashes::Table)
                .col(ColumnDef::new(AuditTreeHashes::Idx).big_integer().not_null().primary_key())
                // The 32 raw bytes of a SHA-256 (bytea / blob).
                .col(ColumnDef::new(AuditTreeHashes::Hash).binary().not_null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditCheckpoints::Table)
                // The verifier key (c2sp.org/signed-note) of the key that signed the note.
                .col(ColumnDef::new(AuditCheckpoints::VerifierKey).string_len(256).not_null())
                .col(big(AuditCheckpoints::TreeSize))
                // Standard base64 of the 32-byte root, as the note and the API carry it.
                .col(ColumnDef::new(AuditCheckpoints::RootHash).string_len(64).not_null())
                .col(text(AuditCheckpoints::Note))
                .col(timestamp(AuditCheckpoints::CreatedAt))
                .primary_key(Index::create().col(AuditCheckpoints::VerifierKey).col(AuditCheckpoints::TreeSize))
                .to_owned(),
        )
        .await?;

        // Existing rows get 0: the server builds the tree from the existing events at start-up.
        m.alter_table(
            Table::alter()
                .table(AuditHead::Table)
                .add_column(ColumnDef::new(AuditHead::TreeSize).big_integer().not_null().default(0))
                .to_owned(),
        )
        .await?;

        let db = m.get_connection();
        let mut statements = Vec::new();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                statements.push(
                    "CREATE FUNCTION audit_evidence_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
                        .to_string(),
                );
                TABLES.iter().for_each(|t| statements.extend(postgres_triggers(t)));
            }
            _ => TABLES.iter().for_each(|t| statements.extend(sqlite_triggers(t))),
        }
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}
