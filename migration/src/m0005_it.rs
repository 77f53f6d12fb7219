//! Information technology: assets, software licences and their seats, tickets and their
//! comments, access grants.

use crate::cols::*;
use crate::{department_fk, ref_fk, t};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("assets"))
                .col(id(t("id")))
                .col(short(t("department_code")))
                .col(ColumnDef::new(t("tag")).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(t("kind")).string_len(16).not_null())
                .col(text(t("model")))
                .col(text(t("serial_number")))
                .col(ColumnDef::new(t("status")).string_len(16).not_null())
                .col(ref_id_null(t("assigned_to")))
                .col(date_null(t("purchase_date")))
                .col(ColumnDef::new(t("purchase_cost")).big_integer().null())
                .col(date_null(t("warranty_ends_on")))
                .col(text_null(t("retired_reason")))
                .col(big(t("version")))
                .col(timestamp(t("created_at")))
                .col(timestamp(t("updated_at")))
                .foreign_key(&mut department_fk("assets"))
                .foreign_key(&mut ref_fk("assets", "assigned_to", "employees"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_assets_assigned_to", t("assets"), &[t("assigned_to")])).await?;

        m.create_table(
            Table::create()
                .table(t("software_licenses"))
                .col(id(t("id")))
                .col(short(t("department_code")))
                .col(text(t("product")))
                .col(text(t("vendor")))
                .col(int(t("seats")))
                .col(date_null(t("expires_on")))
                .col(timestamp(t("created_at")))
                .col(timestamp(t("updated_at")))
                .foreign_key(&mut department_fk("software_licenses"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("license_seats"))
                .col(id(t("id")))
                .col(ref_id(t("license_id")))
                .col(ref_id(t("employee_id")))
                .col(timestamp(t("assigned_at")))
                .col(timestamp_null(t("released_at")))
                .foreign_key(&mut ref_fk("license_seats", "license_id", "software_licenses"))
                .foreign_key(&mut ref_fk("license_seats", "employee_id", "employees"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_license_seats_license", t("license_seats"), &[t("license_id"), t("released_at")]))
            .await?;
        m.create_index(index("ix_license_seats_employee", t("license_seats"), &[t("employee_id")])).await?;

        m.create_table(
            Table::create()
                .table(t("tickets"))
                .col(id(t("id")))
                .col(ColumnDef::new(t("number")).string_len(16).not_null().unique_key())
                .col(short(t("department_code")))
                .col(ref_id(t("requester_id")))
                .col(text(t("title")))
                .col(text(t("description")))
                .col(ColumnDef::new(t("category")).string_len(16).not_null())
                .col(ColumnDef::new(t("priority")).string_len(4).not_null())
                .col(ColumnDef::new(t("status")).string_len(16).not_null())
                .col(ref_id_null(t("assignee_id")))
                .col(timestamp(t("sla_due_at")))
                .col(timestamp_null(t("resolved_at")))
                .col(big(t("version")))
                .col(timestamp(t("created_at")))
                .col(timestamp(t("updated_at")))
                .foreign_key(&mut department_fk("tickets"))
                .foreign_key(&mut ref_fk("tickets", "requester_id", "users"))
                .foreign_key(&mut ref_fk("tickets", "assignee_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_tickets_department_status", t("tickets"), &[t("department_code"), t("status")]))
            .await?;
        m.create_index(index("ix_tickets_requester", t("tickets"), &[t("requester_id")])).await?;
        m.create_table(
            Table::create()
                .table(t("ticket_comments"))
                .col(id(t("id")))
                .col(ref_id(t("ticket_id")))
                .col(ref_id(t("author_id")))
                .col(text(t("body")))
                .col(timestamp(t("created_at")))
                .foreign_key(&mut ref_fk("ticket_comments", "ticket_id", "tickets"))
                .foreign_key(&mut ref_fk("ticket_comments", "author_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_ticket_comments_ticket", t("ticket_comments"), &[t("ticket_id")])).await?;

        m.create_table(
            Table::create()
                .table(t("access_grants"))
                .col(id(t("id")))
                .col(ref_id(t("employee_id")))
                .col(short(t("department_code")))
                .col(text(t("system")))
                .col(text(t("level")))
                .col(ref_id(t("granted_by")))
                .col(timestamp(t("granted_at")))
                .col(timestamp_null(t("revoked_at")))
                .col(ref_id_null(t("revoked_by")))
                .foreign_key(&mut ref_fk("access_grants", "employee_id", "employees"))
                .foreign_key(&mut department_fk("access_grants"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_access_grants_employee", t("access_grants"), &[t("employee_id"), t("revoked_at")]))
            .await
    }
}
