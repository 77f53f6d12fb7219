//! The login rate limit, shared by every process of a deployment (CONTRACT.md §11): one row per
//! client address, counted by an atomic upsert. Instants are Unix milliseconds, compared as
//! integers the same way on both engines.

use crate::cols::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum LoginThrottle {
    Table,
    Client,
    WindowStartMs,
    Attempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LoginThrottle::Table)
                .col(ColumnDef::new(LoginThrottle::Client).string_len(64).not_null().primary_key())
                .col(big(LoginThrottle::WindowStartMs))
                .col(big(LoginThrottle::Attempts))
                .to_owned(),
        )
        .await?;
        // Lets the periodic clean-up find old windows without a scan.
        m.create_index(index("ix_login_throttle_window", LoginThrottle::Table, &[LoginThrottle::WindowStartMs])).await
    }
}
