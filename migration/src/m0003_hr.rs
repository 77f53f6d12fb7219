//! Human resources: employees, payroll, leave, recruitment, training records.

use crate::cols::*;
use crate::m0001_org::Departments;
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
        // The self-service link users.employee_id -> employees.id is checked by the service:
        // SQLite cannot add a foreign key to an existing table. The unique index on
        // users.employee_id keeps the link one-to-one.
        Ok(())
    }
}
