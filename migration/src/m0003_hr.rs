//! Human resources: employees, payroll, leave, recruitment, training records.

use crate::cols::*;
use crate::m0001_org::Departments;
use crate::{department_fk, ref_fk, t};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
pub enum Employees {
    Table,
    Id,
    EmployeeNumber,
    FirstName,
    LastName,
    Email,
    DepartmentCode,
    Position,
    ManagerId,
    HireDate,
    TerminationDate,
    Status,
    Currency,
    AnnualSalary,
    NationalId,
    BankAccount,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Employees::Table)
                .col(id(Employees::Id))
                .col(ColumnDef::new(Employees::EmployeeNumber).string_len(16).not_null().unique_key())
                .col(text(Employees::FirstName))
                .col(text(Employees::LastName))
                .col(ColumnDef::new(Employees::Email).string_len(320).not_null().unique_key())
                .col(short(Employees::DepartmentCode))
                .col(text(Employees::Position))
                .col(ref_id_null(Employees::ManagerId))
                .col(date(Employees::HireDate))
                .col(date_null(Employees::TerminationDate))
                .col(ColumnDef::new(Employees::Status).string_len(16).not_null())
                .col(ColumnDef::new(Employees::Currency).string_len(3).not_null())
                .col(scaled(Employees::AnnualSalary))
                .col(text_null(Employees::NationalId))
                .col(text_null(Employees::BankAccount))
                .col(timestamp(Employees::CreatedAt))
                .col(timestamp(Employees::UpdatedAt))
                .foreign_key(
                    &mut ForeignKey::create()
                        .from(Employees::Table, Employees::DepartmentCode)
                        .to(Departments::Table, Departments::Code)
                        .to_owned(),
                )
                .foreign_key(&mut fk(Employees::Table, Employees::ManagerId, Employees::Table, Employees::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_employees_department", Employees::Table, &[Employees::DepartmentCode])).await?;
        m.create_table(
            Table::create()
                .table(t("payroll_runs"))
                .col(id(t("id")))
                .col(short(t("department_code")))
                .col(ColumnDef::new(t("period")).string_len(7).not_null())
                .col(ColumnDef::new(t("status")).string_len(16).not_null())
                .col(scaled(t("total_gross")))
                .col(scaled(t("total_income_tax")))
                .col(scaled(t("total_social_security")))
                .col(scaled(t("total_net")))
                .col(ref_id(t("created_by")))
                .col(ref_id_null(t("approved_by")))
                .col(ref_id_null(t("posted_by")))
                .col(ref_id_null(t("journal_entry_id")))
                .col(big(t("version")))
                .col(timestamp(t("created_at")))
                .col(timestamp(t("updated_at")))
                .foreign_key(&mut department_fk("payroll_runs"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_payroll_runs_department_period", t("payroll_runs"), &[t("department_code"), t("period")])
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("payslips"))
                .col(id(t("id")))
                .col(ref_id(t("run_id")))
                .col(ref_id(t("employee_id")))
                .col(ColumnDef::new(t("period")).string_len(7).not_null())
                .col(int(t("days_in_period")))
                .col(int(t("days_worked")))
                .col(scaled(t("gross")))
                .col(scaled(t("income_tax")))
                .col(scaled(t("social_security")))
                .col(scaled(t("net")))
                .col(ColumnDef::new(t("currency")).string_len(3).not_null())
                .foreign_key(&mut ref_fk("payslips", "run_id", "payroll_runs"))
                .foreign_key(&mut ref_fk("payslips", "employee_id", "employees"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_payslips_run", t("payslips"), &[t("run_id")])).await?;
        m.create_index(index("ix_payslips_employee", t("payslips"), &[t("employee_id")])).await?;

        m.create_table(
            Table::create()
                .table(t("leave_requests"))
                .col(id(t("id")))
                .col(ref_id(t("employee_id")))
                .col(short(t("department_code")))
                .col(ColumnDef::new(t("leave_type")).string_len(16).not_null())
                .col(date(t("start_date")))
                .col(date(t("end_date")))
                .col(int(t("days")))
                .col(ColumnDef::new(t("status")).string_len(16).not_null())
                .col(text_null(t("reason")))
                .col(ref_id_null(t("decided_by")))
                .col(text_null(t("decision_note")))
                .col(ref_id(t("created_by")))
                .col(timestamp(t("created_at")))
                .col(timestamp(t("updated_at")))
                .foreign_key(&mut ref_fk("leave_requests", "employee_id", "employees"))
                .foreign_key(&mut department_fk("leave_requests"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_leave_requests_employee", t("leave_requests"), &[t("employee_id"), t("status")]))
            .await?;

        m.create_table(
            Table::create()
                .table(t("job_openings"))
                .col(id(t("id")))
                .col(short(t("department_code")))
                .col(text(t("title")))
                .col(int(t("headcount")))
                .col(ColumnDef::new(t("status")).string_len(16).not_null())
                .col(timestamp(t("created_at")))
                .col(timestamp(t("updated_at")))
                .foreign_key(&mut department_fk("job_openings"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("candidates"))
                .col(id(t("id")))
                .col(ref_id(t("opening_id")))
                .col(text(t("full_name")))
                .col(ColumnDef::new(t("email")).string_len(320).not_null())
                .col(ColumnDef::new(t("stage")).string_len(16).not_null())
                .col(timestamp(t("created_at")))
                .col(timestamp(t("updated_at")))
                .foreign_key(&mut ref_fk("candidates", "opening_id", "job_openings"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_candidates_opening_email", t("candidates"), &[t("opening_id"), t("email")]).unique().to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(t("training_records"))
                .col(id(t("id")))
                .col(ref_id(t("employee_id")))
                .col(short(t("department_code")))
                .col(text(t("title")))
                .col(ColumnDef::new(t("kind")).string_len(16).not_null())
                .col(date(t("completed_on")))
                .col(date_null(t("expires_on")))
                .col(ref_id(t("created_by")))
                .col(timestamp(t("created_at")))
                .foreign_key(&mut ref_fk("training_records", "employee_id", "employees"))
                .foreign_key(&mut department_fk("training_records"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_training_records_expiry", t("training_records"), &[t("expires_on")])).await?;

        // The self-service link users.employee_id -> employees.id is checked by the service:
        // SQLite cannot add a foreign key to an existing table. The unique index on
        // users.employee_id keeps the link one-to-one.
        Ok(())
    }
}
