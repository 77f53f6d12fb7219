//! Indexes for every list and filter at volume, and foreign keys on the reference columns that
//! had none.
//!
//! Lists are pages ordered by id (UUIDv7, so newest first is `id DESC`) and scoped to the
//! caller's departments: `(department_code, id)` serves a department's page by walking the index
//! backwards, `(department_code, status, id)` the same page filtered by status; an all-departments
//! page walks the primary key. The audit log is ordered by `seq`, so each of its filters gets
//! `(filter, seq)`. Overdue invoices are `status IN (…) AND due_date < day`.
//!
//! Foreign keys: SQLite cannot add a constraint to an existing table (it would have to copy every
//! table), so these are added on PostgreSQL, where production data lives; on SQLite the services
//! only ever write ids they have just read. The names follow PostgreSQL's own convention
//! (`<table>_<column>_fkey`), like the constraints created with the tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::t;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index name, table, columns)
const INDEXES: &[(&str, &str, &[&str])] = &[
    // Scoped lists, newest first, with and without their status filter.
    ("ix_invoices_department_id", "invoices", &["department_code", "id"]),
    ("ix_invoices_department_status_id", "invoices", &["department_code", "status", "id"]),
    ("ix_invoices_department_kind_id", "invoices", &["department_code", "kind", "id"]),
    ("ix_invoices_overdue", "invoices", &["status", "due_date"]),
    ("ix_invoices_created_by", "invoices", &["created_by"]),
    ("ix_journal_entries_department_id", "journal_entries", &["department_code", "id"]),
    ("ix_journal_entries_date", "journal_entries", &["date"]),
    ("ix_inventory_items_department_id", "inventory_items", &["department_code", "id"]),
    ("ix_purchase_requests_department_status_id", "purchase_requests", &["department_code", "status", "id"]),
    ("ix_purchase_requests_department_id", "purchase_requests", &["department_code", "id"]),
    ("ix_employees_department_id", "employees", &["department_code", "id"]),
    ("ix_employees_department_status_id", "employees", &["department_code", "status", "id"]),
    ("ix_employees_manager", "employees", &["manager_id"]),
    ("ix_leave_requests_department_id", "leave_requests", &["department_code", "id"]),
    ("ix_leave_requests_department_status_id", "leave_requests", &["department_code", "status", "id"]),
    ("ix_job_openings_department_id", "job_openings", &["department_code", "id"]),
    ("ix_training_records_department_id", "training_records", &["department_code", "id"]),
    ("ix_training_records_employee", "training_records", &["employee_id"]),
    ("ix_payroll_runs_department_id", "payroll_runs", &["department_code", "id"]),
    ("ix_assets_department_id", "assets", &["department_code", "id"]),
    ("ix_assets_department_status_id", "assets", &["department_code", "status", "id"]),
    ("ix_software_licenses_department_id", "software_licenses", &["department_code", "id"]),
    ("ix_software_licenses_expiry", "software_licenses", &["expires_on"]),
    ("ix_access_grants_department_id", "access_grants", &["department_code", "id"]),
    ("ix_tickets_department_id", "tickets", &["department_code", "id"]),
    ("ix_tickets_department_status_id", "tickets", &["department_code", "status", "id"]),
    ("ix_tickets_requester_id", "tickets", &["requester_id", "id"]),
    ("ix_tickets_assignee_id", "tickets", &["assignee_id", "id"]),
    ("ix_tickets_sla", "tickets", &["status", "sla_due_at"]),
    ("ix_candidates_opening_id", "candidates", &["opening_id", "id"]),
    // The audit log's filters, each in seq order.
    ("ix_audit_events_action_seq", "audit_events", &["action", "seq"]),
    ("ix_audit_events_department_seq", "audit_events", &["department", "seq"]),
    ("ix_audit_events_entity_seq", "audit_events", &["entity_type", "entity_id", "seq"]),
    ("ix_audit_events_entity_id_seq", "audit_events", &["entity_id", "seq"]),
    ("ix_audit_events_outcome_seq", "audit_events", &["outcome", "seq"]),
    ("ix_audit_events_actor_seq", "audit_events", &["actor_id", "seq"]),
];

/// Indexes the ones above make redundant (a prefix of a wider one, or a filter now paired
/// with `seq`).
const REPLACED: &[(&str, &str)] = &[
    ("ix_invoices_department", "invoices"),
    ("ix_employees_department", "employees"),
    ("ix_tickets_department_status", "tickets"),
    ("ix_tickets_requester", "tickets"),
    ("ix_audit_events_entity", "audit_events"),
    ("ix_audit_events_actor", "audit_events"),
];

/// (table, column, referenced table): every reference column without a constraint.
const FOREIGN_KEYS: &[(&str, &str, &str)] = &[
    ("invoices", "created_by", "users"),
    ("invoices", "approved_by", "users"),
    ("invoices", "approval_entry_id", "journal_entries"),
    ("journal_entries", "created_by", "users"),
    ("payments", "created_by", "users"),
    ("stock_movements", "created_by", "users"),
    ("payroll_runs", "created_by", "users"),
    ("payroll_runs", "approved_by", "users"),
    ("payroll_runs", "posted_by", "users"),
    ("payroll_runs", "journal_entry_id", "journal_entries"),
    ("leave_requests", "created_by", "users"),
    ("leave_requests", "decided_by", "users"),
    ("training_records", "created_by", "users"),
    ("access_grants", "granted_by", "users"),
    ("access_grants", "revoked_by", "users"),
    ("users", "employee_id", "employees"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns) in INDEXES {
            let mut index = Index::create().name(*name).table(t(table)).to_owned();
            for column in *columns {
                index.col(t(column));
            }
            m.create_index(index).await?;
        }
        for (name, table) in REPLACED {
            m.drop_index(Index::drop().name(*name).table(t(table)).to_owned()).await?;
        }
        if m.get_database_backend() == DbBackend::Postgres {
            for (table, column, target) in FOREIGN_KEYS {
                let key = ForeignKey::create()
                    .name(format!("{table}_{column}_fkey"))
                    .from(t(table), t(column))
                    .to(t(target), t("id"))
                    .to_owned();
                m.create_foreign_key(key).await?;
            }
        }
        Ok(())
    }
}
