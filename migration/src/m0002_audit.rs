//! The audit log: an append-only table of hash-chained events, the chain head row that
//! appenders lock, and the triggers that make the database itself refuse edits.

use crate::cols::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum AuditEvents {
    Table,
    Seq,
    Id,
    OccurredAt,
    ActorId,
    ActorEmail,
    Action,
    EntityType,
    EntityId,
    Department,
    Before,
    After,
    Outcome,
    RequestId,
    PrevHash,
    Hash,
}

#[derive(DeriveIden, Clone)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

/// SHA-256 of nothing before the first event: 64 zeros.
const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events \
     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events \
     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
];

// `ENABLE ALWAYS`: a plain ENABLE lets the table owner skip the triggers by setting
// `session_replication_role = replica`.
const POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
    "CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events \
     FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events \
     FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()",
    "ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_no_update_delete",
    "ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_no_truncate",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(ColumnDef::new(AuditEvents::Seq).big_integer().not_null().primary_key())
                .col(ColumnDef::new(AuditEvents::Id).string_len(36).not_null().unique_key())
                .col(timestamp(AuditEvents::OccurredAt))
                .col(ref_id_null(AuditEvents::ActorId))
                .col(text_null(AuditEvents::ActorEmail))
                .col(ColumnDef::new(AuditEvents::Action).string_len(128).not_null())
                .col(short(AuditEvents::EntityType))
                .col(ColumnDef::new(AuditEvents::EntityId).string_len(64).null())
                .col(ColumnDef::new(AuditEvents::Department).string_len(64).null())
                .col(text_null(AuditEvents::Before))
                .col(text_null(AuditEvents::After))
                .col(ColumnDef::new(AuditEvents::Outcome).string_len(16).not_null())
                .col(ColumnDef::new(AuditEvents::RequestId).string_len(128).not_null())
                .col(ColumnDef::new(AuditEvents::PrevHash).string_len(64).not_null())
                .col(ColumnDef::new(AuditEvents::Hash).string_len(64).not_null())
                .to_owned(),
        )
        .await?;
        for (name, column) in [
            ("ix_audit_events_entity", AuditEvents::EntityId),
            ("ix_audit_events_actor", AuditEvents::ActorId),
            ("ix_audit_events_occurred_at", AuditEvents::OccurredAt),
        ] {
            m.create_index(index(name, AuditEvents::Table, &[column])).await?;
        }

        m.create_table(
            Table::create()
                .table(AuditHead::Table)
                .col(ColumnDef::new(AuditHead::Id).integer().not_null().primary_key())
                .col(big(AuditHead::Seq))
                .col(ColumnDef::new(AuditHead::Hash).string_len(64).not_null())
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(AuditHead::Table)
                .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
                .values_panic([1.into(), 0i64.into(), GENESIS_HASH.into()])
                .to_owned(),
        )
        .await?;

        let db = m.get_connection();
        let triggers = match m.get_database_backend() {
            DbBackend::Postgres => POSTGRES_TRIGGERS,
            _ => SQLITE_TRIGGERS,
        };
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
