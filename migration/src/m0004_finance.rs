//! Finance: chart of accounts (seeded), journal, invoices, payments, budgets, inventory.

use crate::cols::*;
use crate::{department_fk, ref_fk, t};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// CONTRACT.md §6: the chart every company starts with.
const CHART: &[(&str, &str, &str)] = &[
    ("1000", "Cash", "ASSET"),
    ("1100", "Accounts Receivable", "ASSET"),
    ("1200", "Inventory", "ASSET"),
    ("1300", "VAT Receivable", "ASSET"),
    ("2000", "Accounts Payable", "LIABILITY"),
    ("2100", "VAT Payable", "LIABILITY"),
    ("2200", "Payroll Liabilities", "LIABILITY"),
    ("2300", "Wages Payable", "LIABILITY"),
    ("3000", "Equity", "EQUITY"),
    ("4000", "Sales Revenue", "REVENUE"),
    ("5000", "Operating Expenses", "EXPENSE"),
    ("5100", "Salaries Expense", "EXPENSE"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(t("accounts"))
                .col(id(t("id")))
                .col(ColumnDef::new(t("code")).string_len(16).not_null().unique_key())
                .col(text(t("name")))
                .col(short(t("account_type")))
                .to_owned(),
        )
        .await?;
        for (i, (code, name, kind)) in CHART.iter().enumerate() {
            // Fixed ids, so that every installation names the chart alike.
            let account_id = format!("00000000-0000-7000-8000-{:012}", i + 1);
            m.exec_stmt(
                Query::insert()
                    .into_table(t("accounts"))
                    .columns([t("id"), t("code"), t("name"), t("account_type")])
                    .values_panic([account_id.into(), (*code).into(), (*name).into(), (*kind).into()])
                    .to_owned(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table(t("journal_entries"))
                .col(id(t("id")))
                .col(short(t("department_code")))
                .col(date(t("date")))
                .col(text(t("memo")))
                .col(text_null(t("source")))
                .col(ref_id_null(t("reversal_of_id")).unique_key())
                .col(ref_id(t("created_by")))
                .col(timestamp(t("created_at")))
                .foreign_key(&mut department_fk("journal_entries"))
                .foreign_key(&mut ref_fk("journal_entries", "reversal_of_id", "journal_entries"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_journal_entries_department_date",
            t("journal_entries"),
            &[t("department_code"), t("date")],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(t("journal_lines"))
                .col(id(t("id")))
                .col(ref_id(t("entry_id")))
                .col(int(t("line_no")))
                .col(ref_id(t("account_id")))
                .col(scaled(t("debit")))
                .col(scaled(t("credit")))
                .foreign_key(&mut ref_fk("journal_lines", "entry_id", "journal_entries"))
                .foreign_key(&mut ref_fk("journal_lines", "account_id", "accounts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_journal_lines_entry", t("journal_lines"), &[t("entry_id")])).await?;
        m.create_index(index("ix_journal_lines_account", t("journal_lines"), &[t("account_id")])).await?;

        m.create_table(
            Table::create()
                .table(t("invoices"))
                .col(id(t("id")))
                .col(short(t("department_code")))
                .col(ColumnDef::new(t("kind")).string_len(16).not_null())
                .col(ColumnDef::new(t("number")).string_len(64).null().unique_key())
                .col(text(t("counterparty")))
                .col(ColumnDef::new(t("currency")).string_len(3).not_null())
                .col(date(t("issue_date")))
                .col(date(t("due_date")))
                .col(scaled(t("subtotal")))
                .col(scaled(t("tax_total")))
                .col(scaled(t("total")))
                .col(scaled(t("amount_paid")))
                .col(ColumnDef::new(t("status")).string_len(16).not_null())
                .col(ref_id(t("created_by")))
                .col(ref_id_null(t("approved_by")))
                .col(ref_id_null(t("approval_entry_id")))
                .col(text_null(t("void_reason")))
                .col(big(t("version")))
                .col(timestamp(t("created_at")))
                .col(timestamp(t("updated_at")))
                .foreign_key(&mut department_fk("invoices"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_invoices_department", t("invoices"), &[t("department_code"), t("status")])).await?;
        m.create_table(
            Table::create()
                .table(t("invoice_lines"))
                .col(id(t("id")))
                .col(ref_id(t("invoice_id")))
                .col(int(t("line_no")))
                .col(text(t("description")))
                .col(scaled(t("quantity")))
                .col(scaled(t("unit_price")))
                .col(scaled(t("tax_rate")))
                .col(scaled(t("net_amount")))
                .col(scaled(t("tax_amount")))
                .foreign_key(&mut ref_fk("invoice_lines", "invoice_id", "invoices"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_invoice_lines_invoice", t("invoice_lines"), &[t("invoice_id")])).await?;
        m.create_table(
            Table::create()
                .table(t("payments"))
                .col(id(t("id")))
                .col(ref_id(t("invoice_id")))
                .col(scaled(t("amount")))
                .col(date(t("paid_on")))
                .col(text_null(t("reference")))
                .col(ref_id(t("journal_entry_id")))
                .col(ref_id(t("created_by")))
                .col(timestamp(t("created_at")))
                .foreign_key(&mut ref_fk("payments", "invoice_id", "invoices"))
                .foreign_key(&mut ref_fk("payments", "journal_entry_id", "journal_entries"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_payments_invoice", t("payments"), &[t("invoice_id")])).await?;

        m.create_table(
            Table::create()
                .table(t("budgets"))
                .col(id(t("id")))
                .col(short(t("department_code")))
                .col(int(t("year")))
                .col(ref_id(t("account_id")))
                .col(scaled(t("amount")))
                .col(timestamp(t("created_at")))
                .col(timestamp(t("updated_at")))
                .foreign_key(&mut department_fk("budgets"))
                .foreign_key(&mut ref_fk("budgets", "account_id", "accounts"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ux_budgets_department_year_account",
                t("budgets"),
                &[t("department_code"), t("year"), t("account_id")],
            )
            .unique()
            .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(t("inventory_items"))
                .col(id(t("id")))
                .col(short(t("department_code")))
                .col(ColumnDef::new(t("sku")).string_len(64).not_null())
                .col(text(t("name")))
                .col(ColumnDef::new(t("unit")).string_len(32).not_null())
                .col(scaled(t("quantity_on_hand")))
                .col(scaled(t("reorder_point")))
                .col(scaled(t("reorder_quantity")))
                .col(scaled(t("unit_cost")))
                .col(big(t("version")))
                .col(timestamp(t("created_at")))
                .col(timestamp(t("updated_at")))
                .foreign_key(&mut department_fk("inventory_items"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_inventory_items_department_sku", t("inventory_items"), &[t("department_code"), t("sku")])
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(t("stock_movements"))
                .col(id(t("id")))
                .col(ref_id(t("item_id")))
                .col(ColumnDef::new(t("kind")).string_len(16).not_null())
                .col(scaled(t("quantity")))
                .col(text_null(t("reference")))
                .col(ref_id(t("created_by")))
                .col(timestamp(t("created_at")))
                .foreign_key(&mut ref_fk("stock_movements", "item_id", "inventory_items"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_stock_movements_item", t("stock_movements"), &[t("item_id")])).await?;
        m.create_table(
            Table::create()
                .table(t("purchase_requests"))
                .col(id(t("id")))
                .col(short(t("department_code")))
                .col(ref_id(t("item_id")))
                .col(scaled(t("quantity")))
                .col(ColumnDef::new(t("status")).string_len(16).not_null())
                .col(timestamp(t("created_at")))
                .foreign_key(&mut department_fk("purchase_requests"))
                .foreign_key(&mut ref_fk("purchase_requests", "item_id", "inventory_items"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_purchase_requests_item", t("purchase_requests"), &[t("item_id"), t("status")])).await
    }
}
