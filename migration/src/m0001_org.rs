//! Organisation and identity: departments, users, role assignments, refresh tokens, and the
//! named counters behind gapless numbers (invoices, employees, tickets).

use crate::cols::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
pub enum Departments {
    Table,
    Id,
    Code,
    CodeKey,
    Name,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
pub enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    DisplayName,
    Active,
    TokenVersion,
    FailedLogins,
    LockedUntil,
    EmployeeId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum RoleAssignments {
    Table,
    Id,
    UserId,
    Role,
    Department,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum RefreshTokens {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum Counters {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Departments::Table)
                .col(id(Departments::Id))
                .col(short(Departments::Code).unique_key())
                .col(short(Departments::CodeKey).unique_key())
                .col(text(Departments::Name))
                .col(short(Departments::Kind))
                .col(timestamp(Departments::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(id(Users::Id))
                .col(ColumnDef::new(Users::Email).string_len(320).not_null().unique_key())
                .col(text(Users::PasswordHash))
                .col(text(Users::DisplayName))
                .col(boolean(Users::Active))
                .col(big(Users::TokenVersion))
                .col(int(Users::FailedLogins))
                .col(timestamp_null(Users::LockedUntil))
                .col(ref_id_null(Users::EmployeeId).unique_key())
                .col(timestamp(Users::CreatedAt))
                .col(timestamp(Users::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RoleAssignments::Table)
                .col(id(RoleAssignments::Id))
                .col(ref_id(RoleAssignments::UserId))
                .col(short(RoleAssignments::Role))
                .col(short(RoleAssignments::Department))
                .col(timestamp(RoleAssignments::CreatedAt))
                .foreign_key(&mut fk(RoleAssignments::Table, RoleAssignments::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ux_role_assignments_user_role_department",
                RoleAssignments::Table,
                &[RoleAssignments::UserId, RoleAssignments::Role, RoleAssignments::Department],
            )
            .unique()
            .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(id(RefreshTokens::Id))
                .col(ref_id(RefreshTokens::UserId))
                .col(ref_id(RefreshTokens::FamilyId))
                .col(ColumnDef::new(RefreshTokens::TokenHash).string_len(64).not_null().unique_key())
                .col(timestamp(RefreshTokens::ExpiresAt))
                .col(timestamp_null(RefreshTokens::UsedAt))
                .col(timestamp_null(RefreshTokens::RevokedAt))
                .col(timestamp(RefreshTokens::CreatedAt))
                .foreign_key(&mut fk(RefreshTokens::Table, RefreshTokens::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_refresh_tokens_family", RefreshTokens::Table, &[RefreshTokens::FamilyId])).await?;
        m.create_index(index("ix_refresh_tokens_user", RefreshTokens::Table, &[RefreshTokens::UserId])).await?;

        m.create_table(
            Table::create()
                .table(Counters::Table)
                .col(ColumnDef::new(Counters::Name).string_len(128).not_null().primary_key())
                .col(big(Counters::Value))
                .to_owned(),
        )
        .await
    }
}
