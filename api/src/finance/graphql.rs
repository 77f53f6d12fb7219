//! GraphQL of finance: types built from entity models, and the Query/Mutation roots.

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, InputObject, InputType, Object, Result, SelectionField, SimpleObject, Value};
use entity::{
    account, inventory_item, invoice, invoice_line, journal_entry, journal_line, payment, purchase_request,
    stock_movement,
};

use super::loaders::{AccountById, EntryById, InvoiceById, ItemById, LinesByEntry, LinesByInvoice};
use super::rules::{InvoiceStatus as Status, JournalLineInput as LineIn, LineInput};
use super::{budgets, inventory, invoices, ledger};
use crate::authz::Perm;
use crate::connection;
use crate::error::{AppError, loader_error};
use crate::kernel::context::request_ctx;
use crate::kernel::joins::{Needed, needed_by};
use crate::kernel::money;
use crate::kernel::pagination::PageRequest;
use crate::kernel::projection::{Plain, Project, Projected};
use crate::kernel::scalars::{Date, DateTime, Decimal};
use crate::org::graphql::{Department, User};
use crate::state::app_state;

fn ledger_amount(units: i64) -> Decimal {
    Decimal(money::ledger(money::amount(units)))
}

fn quantity(units: i64) -> Decimal {
    Decimal(money::plain(money::amount(units)))
}

// ---------------------------------------------------------------- ledger

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum AccountType {
    Asset,
    Liability,
    Equity,
    Revenue,
    Expense,
}

#[derive(Clone)]
pub struct Account(pub account::Model);

#[Object]
impl Account {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    #[graphql(name = "type")]
    async fn account_type(&self) -> AccountType {
        match self.0.account_type.as_str() {
            "ASSET" => AccountType::Asset,
            "LIABILITY" => AccountType::Liability,
            "EQUITY" => AccountType::Equity,
            "REVENUE" => AccountType::Revenue,
            _ => AccountType::Expense,
        }
    }
}

async fn load_account(ctx: &Context<'_>, id: &str) -> Result<Account> {
    let loader = ctx.data_unchecked::<DataLoader<AccountById>>();
    let found = loader.load_one(id.to_string()).await.map_err(loader_error)?;
    found.map(Account).ok_or_else(|| AppError::internal(anyhow::anyhow!("account {id} is missing")).into())
}

#[derive(Clone)]
pub struct JournalLine(pub journal_line::Model);

#[Object]
impl JournalLine {
    async fn account(&self, ctx: &Context<'_>) -> Result<Account> {
        load_account(ctx, &self.0.account_id).await
    }
    async fn debit(&self) -> Decimal {
        ledger_amount(self.0.debit)
    }
    async fn credit(&self) -> Decimal {
        ledger_amount(self.0.credit)
    }
}

#[derive(Clone)]
pub struct JournalEntry(pub journal_entry::Model);

#[Object]
impl JournalEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Department::load(ctx, &self.0.department_code).await
    }
    async fn date(&self) -> Date {
        Date(self.0.date)
    }
    async fn memo(&self) -> &str {
        &self.0.memo
    }
    /// What produced the entry when it was automatic, e.g. "invoice:<id>", "payment:<id>", "payroll:<id>"; null when posted by hand.
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<JournalLine>> {
        let loader = ctx.data_unchecked::<DataLoader<LinesByEntry>>();
        let lines = loader.load_one(self.0.id.clone()).await.map_err(loader_error)?.unwrap_or_default();
        Ok(lines.into_iter().map(JournalLine).collect())
    }
    async fn reversal_of(&self, ctx: &Context<'_>) -> Result<Option<JournalEntry>> {
        let Some(id) = &self.0.reversal_of_id else { return Ok(None) };
        let loader = ctx.data_unchecked::<DataLoader<EntryById>>();
        Ok(loader.load_one(id.clone()).await.map_err(loader_error)?.map(JournalEntry))
    }
    async fn created_by(&self, ctx: &Context<'_>) -> Result<User> {
        User::load(ctx, &self.0.created_by).await
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

connection!(JournalEntryConnection, JournalEntryEdge, JournalEntry);

#[derive(InputObject)]
pub struct JournalLineInput {
    pub account_code: String,
    pub debit: Decimal,
    pub credit: Decimal,
}

#[derive(InputObject)]
pub struct PostJournalEntryInput {
    pub department: String,
    pub date: Date,
    pub memo: String,
    pub lines: Vec<JournalLineInput>,
}

#[derive(InputObject, Default)]
pub struct JournalEntryFilter {
    pub department: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub account_code: Option<String>,
}

#[derive(SimpleObject)]
pub struct TrialBalanceRow {
    pub account: Account,
    pub debit: Decimal,
    pub credit: Decimal,
    /// debit - credit
    pub balance: Decimal,
}

#[derive(SimpleObject)]
pub struct TrialBalance {
    pub as_of: Date,
    pub rows: Vec<TrialBalanceRow>,
    pub total_debit: Decimal,
    pub total_credit: Decimal,
}

// ---------------------------------------------------------------- invoices

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceKind {
    Payable,
    Receivable,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Draft,
    Approved,
    PartiallyPaid,
    Paid,
    Void,
}

impl InvoiceStatus {
    fn from_rule(s: Status) -> Self {
        match s {
            Status::Draft => InvoiceStatus::Draft,
            Status::Approved => InvoiceStatus::Approved,
            Status::PartiallyPaid => InvoiceStatus::PartiallyPaid,
            Status::Paid => InvoiceStatus::Paid,
            Status::Void => InvoiceStatus::Void,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => Status::Draft.as_str(),
            InvoiceStatus::Approved => Status::Approved.as_str(),
            InvoiceStatus::PartiallyPaid => Status::PartiallyPaid.as_str(),
            InvoiceStatus::Paid => Status::Paid.as_str(),
            InvoiceStatus::Void => Status::Void.as_str(),
        }
    }
}

/// An invoice line; its amounts are in the invoice's currency.
#[derive(Clone)]
pub struct InvoiceLine {
    line: invoice_line::Model,
    /// The minor unit of the invoice's currency.
    decimals: u32,
}

impl InvoiceLine {
    fn amount(&self, units: i64) -> Decimal {
        Decimal(money::round(money::amount(units), self.decimals))
    }

    fn rate(&self) -> Decimal {
        Decimal(money::plain(money::rate(self.line.tax_rate)))
    }
}

#[Object]
impl InvoiceLine {
    async fn description(&self) -> &str {
        &self.line.description
    }
    async fn quantity(&self) -> Decimal {
        quantity(self.line.quantity)
    }
    async fn unit_price(&self) -> Decimal {
        quantity(self.line.unit_price)
    }
    /// A fraction: 0.21 means 21 %.
    async fn tax_rate(&self) -> Decimal {
        self.rate()
    }
    async fn net_amount(&self) -> Decimal {
        self.amount(self.line.net_amount)
    }
    async fn tax_amount(&self) -> Decimal {
        self.amount(self.line.tax_amount)
    }
}

impl Project for InvoiceLine {
    fn type_name(&self) -> &'static str {
        "InvoiceLine"
    }

    fn plain(&self, field: &str) -> Option<Plain<'_>> {
        let l = &self.line;
        let value = match field {
            "description" => Value::String(l.description.clone()),
            "quantity" => quantity(l.quantity).to_value(),
            "unitPrice" => quantity(l.unit_price).to_value(),
            "taxRate" => self.rate().to_value(),
            "netAmount" => self.amount(l.net_amount).to_value(),
            "taxAmount" => self.amount(l.tax_amount).to_value(),
            _ => return None,
        };
        Some(Plain::Value(value))
    }
}

/// An invoice, with the relations its query read beside it (a page, a lookup): their resolvers
/// and its [projection](crate::kernel::projection) take them from here, with no statement.
#[derive(Clone)]
pub struct Invoice {
    model: invoice::Model,
    read: Option<Arc<ReadWith>>,
}

/// What was read with an invoice; `None` means not read (the loaders fetch it).
struct ReadWith {
    department: Option<Department>,
    created_by: Option<User>,
    approved_by: Option<Option<User>>,
    lines: Option<Vec<InvoiceLine>>,
}

impl From<invoice::Model> for Invoice {
    fn from(model: invoice::Model) -> Self {
        Self { model, read: None }
    }
}

impl Invoice {
    /// The invoice of a row read as `reading` says, with the relations read beside it.
    fn read_with(row: invoices::InvoiceRow, reading: invoices::Reading) -> Self {
        let decimals = invoices::decimals_of(&row.invoice);
        let read = ReadWith {
            department: row.department.map(Department),
            created_by: row.created_by.map(User::new),
            approved_by: reading.approved_by.map(|_| row.approved_by.map(User::new)),
            lines: row.lines.map(|lines| lines.into_iter().map(|line| InvoiceLine { line, decimals }).collect()),
        };
        Self { model: row.invoice, read: Some(Arc::new(read)) }
    }

    fn read(&self) -> Option<&ReadWith> {
        self.read.as_deref()
    }

    fn amount(&self, units: i64) -> Decimal {
        Decimal(invoices::amount_of(&self.model, units))
    }

    fn kind_of(&self) -> InvoiceKind {
        if self.model.kind == invoices::RECEIVABLE { InvoiceKind::Receivable } else { InvoiceKind::Payable }
    }

    fn status_of(&self) -> InvoiceStatus {
        InvoiceStatus::from_rule(Status::parse(&self.model.status))
    }
}

#[Object]
impl Invoice {
    async fn id(&self) -> ID {
        ID(self.model.id.clone())
    }
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        match self.read().and_then(|r| r.department.clone()) {
            Some(department) => Ok(department),
            None => Department::load(ctx, &self.model.department_code).await,
        }
    }
    async fn kind(&self) -> InvoiceKind {
        self.kind_of()
    }
    /// Assigned at approval; null while DRAFT.
    async fn number(&self) -> Option<&str> {
        self.model.number.as_deref()
    }
    async fn counterparty(&self) -> &str {
        &self.model.counterparty
    }
    async fn currency(&self) -> &str {
        &self.model.currency
    }
    async fn issue_date(&self) -> Date {
        Date(self.model.issue_date)
    }
    async fn due_date(&self) -> Date {
        Date(self.model.due_date)
    }
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<InvoiceLine>> {
        if let Some(lines) = self.read().and_then(|r| r.lines.clone()) {
            return Ok(lines);
        }
        let loader = ctx.data_unchecked::<DataLoader<LinesByInvoice>>();
        let lines = loader.load_one(self.model.id.clone()).await.map_err(loader_error)?.unwrap_or_default();
        let decimals = invoices::decimals_of(&self.model);
        Ok(lines.into_iter().map(|line| InvoiceLine { line, decimals }).collect())
    }
    async fn subtotal(&self) -> Decimal {
        self.amount(self.model.subtotal)
    }
    async fn tax_total(&self) -> Decimal {
        self.amount(self.model.tax_total)
    }
    async fn total(&self) -> Decimal {
        self.amount(self.model.total)
    }
    async fn amount_paid(&self) -> Decimal {
        self.amount(self.model.amount_paid)
    }
    async fn balance_due(&self) -> Decimal {
        self.amount(invoices::balance_due_units(&self.model))
    }
    async fn status(&self) -> InvoiceStatus {
        self.status_of()
    }
    async fn created_by(&self, ctx: &Context<'_>) -> Result<User> {
        match self.read().and_then(|r| r.created_by.clone()) {
            Some(user) => Ok(user),
            None => User::load(ctx, &self.model.created_by).await,
        }
    }
    async fn approved_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.read().and_then(|r| r.approved_by.clone()) {
            Some(user) => Ok(user),
            None => User::load_opt(ctx, self.model.approved_by.as_deref()).await,
        }
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.model.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.model.updated_at)
    }
}

/// The resolvers above, for the fields that are plain (every one but unread relations).
impl Project for Invoice {
    fn type_name(&self) -> &'static str {
        "Invoice"
    }

    fn plain(&self, field: &str) -> Option<Plain<'_>> {
        let m = &self.model;
        let value = match field {
            "id" => Value::String(m.id.clone()),
            "kind" => self.kind_of().to_value(),
            "number" => m.number.clone().map_or(Value::Null, Value::String),
            "counterparty" => Value::String(m.counterparty.clone()),
            "currency" => Value::String(m.currency.clone()),
            "issueDate" => Date(m.issue_date).to_value(),
            "dueDate" => Date(m.due_date).to_value(),
            "subtotal" => self.amount(m.subtotal).to_value(),
            "taxTotal" => self.amount(m.tax_total).to_value(),
            "total" => self.amount(m.total).to_value(),
            "amountPaid" => self.amount(m.amount_paid).to_value(),
            "balanceDue" => self.amount(invoices::balance_due_units(m)).to_value(),
            "status" => self.status_of().to_value(),
            "createdAt" => DateTime(m.created_at).to_value(),
            "updatedAt" => DateTime(m.updated_at).to_value(),
            "department" => return Some(Plain::Object(Some(self.read()?.department.as_ref()?))),
            "createdBy" => return Some(Plain::Object(Some(self.read()?.created_by.as_ref()?))),
            "approvedBy" => {
                let approver = self.read()?.approved_by.as_ref()?;
                return Some(Plain::Object(approver.as_ref().map(|u| u as &dyn Project)));
            }
            "lines" => {
                let lines = self.read()?.lines.as_ref()?;
                return Some(Plain::List(lines.iter().map(|l| l as &dyn Project).collect()));
            }
            _ => return None,
        };
        Some(Plain::Value(value))
    }
}

connection!(InvoiceConnection, InvoiceEdge, Invoice, projected);

impl Invoice {
    /// The columns and relations that a selection of an invoice's `fields` reads (the resolvers
    /// and projection above), so that its statement reads those and no more.
    fn reading<'a>(fields: impl IntoIterator<Item = SelectionField<'a>>) -> invoices::Reading {
        use invoice::Column as C;
        let fields: Vec<SelectionField<'a>> = fields.into_iter().collect();
        // A relation shown is read with the invoice (below), so its key column is not needed;
        // an amount needs the currency's decimals.
        let invoice = needed_by(fields.iter().copied(), |field| {
            Some(match field {
                "__typename" | "id" | "department" | "createdBy" | "approvedBy" => &[],
                "kind" => &[C::Kind],
                "number" => &[C::Number],
                "counterparty" => &[C::Counterparty],
                "currency" | "lines" => &[C::Currency],
                "issueDate" => &[C::IssueDate],
                "dueDate" => &[C::DueDate],
                "subtotal" => &[C::Subtotal, C::Currency],
                "taxTotal" => &[C::TaxTotal, C::Currency],
                "total" => &[C::Total, C::Currency],
                "amountPaid" => &[C::AmountPaid, C::Currency],
                "balanceDue" => &[C::Total, C::AmountPaid, C::Status, C::Currency],
                "status" => &[C::Status],
                "createdAt" => &[C::CreatedAt],
                "updatedAt" => &[C::UpdatedAt],
                _ => return None,
            })
        });
        let mut reading =
            invoices::Reading { invoice, department: None, created_by: None, approved_by: None, lines: None };
        let add = |read: &mut Option<Needed>, needed: Needed| *read = Some(read.map_or(needed, |r| r.union(needed)));
        for field in fields {
            let children = field.selection_set();
            match field.name() {
                "department" => add(&mut reading.department, Department::needed(children)),
                "createdBy" => add(&mut reading.created_by, User::needed(children)),
                "approvedBy" => add(&mut reading.approved_by, User::needed(children)),
                "lines" => add(&mut reading.lines, InvoiceLine::needed(children)),
                _ => {}
            }
        }
        reading
    }
}

impl InvoiceLine {
    /// The columns a selection of a line's `fields` reads (its resolvers above).
    fn needed<'a>(fields: impl IntoIterator<Item = SelectionField<'a>>) -> Needed {
        use invoice_line::Column as C;
        needed_by(fields, |field| {
            Some(match field {
                "__typename" => &[],
                "description" => &[C::Description],
                "quantity" => &[C::Quantity],
                "unitPrice" => &[C::UnitPrice],
                "taxRate" => &[C::TaxRate],
                "netAmount" => &[C::NetAmount],
                "taxAmount" => &[C::TaxAmount],
                _ => return None,
            })
        })
    }
}

/// The invoices a connection's selection shows: under `nodes` and under `edges { node }`.
fn invoices_shown(connection: SelectionField<'_>) -> Vec<SelectionField<'_>> {
    let mut shown = Vec::new();
    for child in connection.selection_set() {
        match child.name() {
            "nodes" => shown.extend(child.selection_set()),
            "edges" => {
                for node in child.selection_set().filter(|e| e.name() == "node") {
                    shown.extend(node.selection_set());
                }
            }
            _ => {}
        }
    }
    shown
}

#[derive(InputObject)]
pub struct InvoiceLineInput {
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub tax_rate: Decimal,
}

#[derive(InputObject)]
pub struct CreateInvoiceInput {
    pub department: String,
    pub kind: InvoiceKind,
    pub counterparty: String,
    pub currency: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub lines: Vec<InvoiceLineInput>,
}

#[derive(InputObject, Default)]
pub struct InvoiceFilter {
    pub department: Option<String>,
    pub kind: Option<InvoiceKind>,
    pub status: Option<InvoiceStatus>,
    /// Unpaid (APPROVED or PARTIALLY_PAID) invoices whose due date is before this date.
    pub overdue_on: Option<Date>,
}

#[derive(Clone)]
pub struct Payment(pub payment::Model);

impl Payment {
    async fn parent(&self, ctx: &Context<'_>) -> Result<invoice::Model> {
        let loader = ctx.data_unchecked::<DataLoader<InvoiceById>>();
        let found = loader.load_one(self.0.invoice_id.clone()).await.map_err(loader_error)?;
        found.ok_or_else(|| AppError::internal(anyhow::anyhow!("invoice of payment {} is missing", self.0.id)).into())
    }
}

#[Object]
impl Payment {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn invoice(&self, ctx: &Context<'_>) -> Result<Invoice> {
        Ok(self.parent(ctx).await?.into())
    }
    async fn amount(&self, ctx: &Context<'_>) -> Result<Decimal> {
        Ok(Decimal(invoices::amount_of(&self.parent(ctx).await?, self.0.amount)))
    }
    async fn paid_on(&self) -> Date {
        Date(self.0.paid_on)
    }
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

#[derive(InputObject)]
pub struct RecordPaymentInput {
    pub invoice_id: ID,
    pub amount: Decimal,
    pub paid_on: Date,
    pub reference: Option<String>,
}

// ---------------------------------------------------------------- budgets

#[derive(SimpleObject)]
pub struct Budget {
    pub id: ID,
    pub department: Department,
    pub year: i32,
    pub account: Account,
    pub amount: Decimal,
}

#[derive(InputObject)]
pub struct SetBudgetInput {
    pub department: String,
    pub year: i32,
    pub account_code: String,
    pub amount: Decimal,
}

#[derive(SimpleObject)]
pub struct BudgetLine {
    pub account: Account,
    pub budget: Decimal,
    pub actual: Decimal,
    pub remaining: Decimal,
}

// ---------------------------------------------------------------- inventory

#[derive(Clone)]
pub struct InventoryItem(pub inventory_item::Model);

#[Object]
impl InventoryItem {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Department::load(ctx, &self.0.department_code).await
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn unit(&self) -> &str {
        &self.0.unit
    }
    async fn quantity_on_hand(&self) -> Decimal {
        quantity(self.0.quantity_on_hand)
    }
    async fn reorder_point(&self) -> Decimal {
        quantity(self.0.reorder_point)
    }
    async fn reorder_quantity(&self) -> Decimal {
        quantity(self.0.reorder_quantity)
    }
    /// Hidden from FRONT_OFFICE: null with a FORBIDDEN error at this path.
    async fn unit_cost(&self, ctx: &Context<'_>) -> Result<Option<Decimal>> {
        let principal = request_ctx(ctx).principal()?;
        if !app_state(ctx).authz.allows(principal, Perm::INVENTORY_COST_READ, &self.0.department_code) {
            return Err(AppError::forbidden().into());
        }
        Ok(Some(ledger_amount(self.0.unit_cost)))
    }
    /// quantityOnHand > 0
    async fn available(&self) -> bool {
        self.0.quantity_on_hand > 0
    }
}

async fn load_item(ctx: &Context<'_>, id: &str) -> Result<InventoryItem> {
    let loader = ctx.data_unchecked::<DataLoader<ItemById>>();
    let found = loader.load_one(id.to_string()).await.map_err(loader_error)?;
    found.map(InventoryItem).ok_or_else(|| AppError::internal(anyhow::anyhow!("item {id} is missing")).into())
}

connection!(InventoryItemConnection, InventoryItemEdge, InventoryItem);

#[derive(InputObject)]
pub struct CreateInventoryItemInput {
    pub department: String,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub reorder_point: Decimal,
    pub reorder_quantity: Decimal,
    pub unit_cost: Decimal,
}

#[derive(InputObject, Default)]
pub struct InventoryItemFilter {
    pub department: Option<String>,
    pub below_reorder_point: Option<bool>,
    pub search: Option<String>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum StockMovementKind {
    Receipt,
    Issue,
    Adjustment,
}

#[derive(Clone)]
pub struct StockMovement(pub stock_movement::Model);

#[Object]
impl StockMovement {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<InventoryItem> {
        load_item(ctx, &self.0.item_id).await
    }
    async fn kind(&self) -> StockMovementKind {
        match self.0.kind.as_str() {
            "RECEIPT" => StockMovementKind::Receipt,
            "ISSUE" => StockMovementKind::Issue,
            _ => StockMovementKind::Adjustment,
        }
    }
    async fn quantity(&self) -> Decimal {
        quantity(self.0.quantity)
    }
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    async fn created_by(&self, ctx: &Context<'_>) -> Result<User> {
        User::load(ctx, &self.0.created_by).await
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

#[derive(InputObject)]
pub struct StockMovementInput {
    pub item_id: ID,
    pub kind: StockMovementKind,
    pub quantity: Decimal,
    pub reference: Option<String>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseRequestStatus {
    Open,
    Ordered,
    Cancelled,
}

#[derive(Clone)]
pub struct PurchaseRequest(pub purchase_request::Model);

#[Object]
impl PurchaseRequest {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Department::load(ctx, &self.0.department_code).await
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<InventoryItem> {
        load_item(ctx, &self.0.item_id).await
    }
    async fn quantity(&self) -> Decimal {
        quantity(self.0.quantity)
    }
    async fn status(&self) -> PurchaseRequestStatus {
        match self.0.status.as_str() {
            "ORDERED" => PurchaseRequestStatus::Ordered,
            "CANCELLED" => PurchaseRequestStatus::Cancelled,
            _ => PurchaseRequestStatus::Open,
        }
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

// ---------------------------------------------------------------- roots

#[derive(Default)]
pub struct FinanceQuery;

#[Object]
impl FinanceQuery {
    /// The chart of accounts.
    async fn accounts(&self, ctx: &Context<'_>) -> Result<Vec<Account>> {
        Ok(ledger::accounts(&app_state(ctx).db.conn).await?.into_iter().map(Account).collect())
    }

    /// Journal entries in scope, newest first.
    async fn journal_entries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<JournalEntryFilter>,
    ) -> Result<JournalEntryConnection> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let f = filter.unwrap_or_default();
        let filter = ledger::EntryFilter {
            department: f.department,
            from: f.from.map(|d| d.0),
            to: f.to.map(|d| d.0),
            account_code: f.account_code,
        };
        let principal = request_ctx(ctx).principal()?;
        Ok(ledger::list_entries(app_state(ctx), principal, filter, &page).await?.map(JournalEntry).into())
    }

    /// Gross debits, credits and balance per account with activity up to `asOf`.
    async fn trial_balance(&self, ctx: &Context<'_>, department: Option<String>, as_of: Date) -> Result<TrialBalance> {
        let principal = request_ctx(ctx).principal()?;
        let tb = ledger::trial_balance(app_state(ctx), principal, department.as_deref(), as_of.0).await?;
        Ok(TrialBalance {
            as_of: Date(tb.as_of),
            rows: tb
                .rows
                .into_iter()
                .map(|r| TrialBalanceRow {
                    account: Account(r.account),
                    debit: Decimal(money::ledger(r.debit)),
                    credit: Decimal(money::ledger(r.credit)),
                    balance: Decimal(money::ledger(r.debit - r.credit)),
                })
                .collect(),
            total_debit: Decimal(money::ledger(tb.total_debit)),
            total_credit: Decimal(money::ledger(tb.total_credit)),
        })
    }

    async fn invoices(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<InvoiceFilter>,
    ) -> Result<InvoiceConnection> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let f = filter.unwrap_or_default();
        let filter = invoices::InvoiceFilter {
            department: f.department,
            kind: f.kind.map(|k| if k == InvoiceKind::Receivable { invoices::RECEIVABLE } else { invoices::PAYABLE }),
            status: f.status.map(InvoiceStatus::as_str),
            overdue_on: f.overdue_on.map(|d| d.0),
        };
        let principal = request_ctx(ctx).principal()?;
        let reading = Invoice::reading(invoices_shown(ctx.field()));
        let page = invoices::list(app_state(ctx), principal, filter, &page, reading).await?;
        Ok(page.map(|row| Invoice::read_with(row, reading)).into())
    }

    async fn invoice(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Projected<Invoice>>> {
        let principal = request_ctx(ctx).principal()?;
        let reading = Invoice::reading(ctx.field().selection_set());
        let row = invoices::find_visible_with(app_state(ctx), principal, &id, reading).await?;
        Ok(Some(Projected(Invoice::read_with(row, reading))))
    }

    async fn payments(&self, ctx: &Context<'_>, invoice_id: ID) -> Result<Vec<Payment>> {
        let principal = request_ctx(ctx).principal()?;
        Ok(invoices::payments(app_state(ctx), principal, &invoice_id).await?.into_iter().map(Payment).collect())
    }

    /// Per budgeted account of the department and year: budget, actual from the journal, remaining.
    async fn budget_report(&self, ctx: &Context<'_>, department: String, year: i32) -> Result<Vec<BudgetLine>> {
        let principal = request_ctx(ctx).principal()?;
        let lines = budgets::report(app_state(ctx), principal, &department, year).await?;
        Ok(lines
            .into_iter()
            .map(|l| BudgetLine {
                account: Account(l.account),
                budget: Decimal(money::ledger(l.budget)),
                actual: Decimal(money::ledger(l.actual)),
                remaining: Decimal(money::ledger(l.remaining)),
            })
            .collect())
    }

    async fn inventory_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<InventoryItemFilter>,
    ) -> Result<InventoryItemConnection> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let f = filter.unwrap_or_default();
        let filter = inventory::ItemFilter {
            department: f.department,
            below_reorder_point: f.below_reorder_point,
            search: f.search,
        };
        let principal = request_ctx(ctx).principal()?;
        Ok(inventory::list_items(app_state(ctx), principal, filter, &page).await?.map(InventoryItem).into())
    }

    /// An item's movements, newest first (`first` at most 100, default 20; `after` a movement id cursor).
    async fn stock_movements(
        &self,
        ctx: &Context<'_>,
        item_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Vec<StockMovement>> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let principal = request_ctx(ctx).principal()?;
        let rows = inventory::movements(app_state(ctx), principal, &item_id, &page).await?;
        Ok(rows.into_iter().map(StockMovement).collect())
    }

    /// Purchase requests in scope, newest first (`first` at most 100, default 20).
    async fn purchase_requests(
        &self,
        ctx: &Context<'_>,
        department: Option<String>,
        status: Option<PurchaseRequestStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Vec<PurchaseRequest>> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let status = status.map(|s| match s {
            PurchaseRequestStatus::Open => "OPEN",
            PurchaseRequestStatus::Ordered => "ORDERED",
            PurchaseRequestStatus::Cancelled => "CANCELLED",
        });
        let principal = request_ctx(ctx).principal()?;
        let rows =
            inventory::purchase_requests(app_state(ctx), principal, department.as_deref(), status, &page).await?;
        Ok(rows.into_iter().map(PurchaseRequest).collect())
    }
}

#[derive(Default)]
pub struct FinanceMutation;

#[Object]
impl FinanceMutation {
    async fn post_journal_entry(&self, ctx: &Context<'_>, input: PostJournalEntryInput) -> Result<JournalEntry> {
        let input = ledger::PostInput {
            department: input.department,
            date: input.date.0,
            memo: input.memo,
            lines: input
                .lines
                .into_iter()
                .map(|l| LineIn { account_code: l.account_code, debit: l.debit.0, credit: l.credit.0 })
                .collect(),
        };
        Ok(JournalEntry(ledger::post_journal_entry(app_state(ctx), request_ctx(ctx), input).await?))
    }

    /// Posts the mirror of an entry, once.
    async fn reverse_journal_entry(
        &self,
        ctx: &Context<'_>,
        id: ID,
        date: Date,
        memo: Option<String>,
    ) -> Result<JournalEntry> {
        Ok(JournalEntry(ledger::reverse_journal_entry(app_state(ctx), request_ctx(ctx), &id, date.0, memo).await?))
    }

    async fn create_invoice(&self, ctx: &Context<'_>, input: CreateInvoiceInput) -> Result<Invoice> {
        let new = invoices::NewInvoice {
            department: input.department,
            receivable: input.kind == InvoiceKind::Receivable,
            counterparty: input.counterparty,
            currency: input.currency,
            issue_date: input.issue_date.0,
            due_date: input.due_date.0,
            lines: input
                .lines
                .into_iter()
                .map(|l| LineInput {
                    description: l.description,
                    quantity: l.quantity.0,
                    unit_price: l.unit_price.0,
                    tax_rate: l.tax_rate.0,
                })
                .collect(),
        };
        Ok(invoices::create_invoice(app_state(ctx), request_ctx(ctx), new).await?.into())
    }

    /// DRAFT -> APPROVED: assigns the number and posts the journal entry.
    async fn approve_invoice(&self, ctx: &Context<'_>, id: ID) -> Result<Invoice> {
        Ok(crate::workflows::postings::approve_invoice(app_state(ctx), request_ctx(ctx), &id).await?.into())
    }

    async fn void_invoice(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Invoice> {
        Ok(crate::workflows::postings::void_invoice(app_state(ctx), request_ctx(ctx), &id, &reason).await?.into())
    }

    async fn record_payment(&self, ctx: &Context<'_>, input: RecordPaymentInput) -> Result<Payment> {
        let new = invoices::NewPayment {
            invoice_id: input.invoice_id.0,
            amount: input.amount.0,
            paid_on: input.paid_on.0,
            reference: input.reference,
        };
        Ok(Payment(crate::workflows::postings::record_payment(app_state(ctx), request_ctx(ctx), new).await?))
    }

    /// Creates or replaces the budget of a department, year and account.
    async fn set_budget(&self, ctx: &Context<'_>, input: SetBudgetInput) -> Result<Budget> {
        let new = budgets::SetBudget {
            department: input.department,
            year: input.year,
            account_code: input.account_code,
            amount: input.amount.0,
        };
        let (budget, account) = budgets::set_budget(app_state(ctx), request_ctx(ctx), new).await?;
        Ok(Budget {
            id: ID(budget.id),
            department: Department::load(ctx, &budget.department_code).await?,
            year: budget.year,
            account: Account(account),
            amount: ledger_amount(budget.amount),
        })
    }

    async fn create_inventory_item(&self, ctx: &Context<'_>, input: CreateInventoryItemInput) -> Result<InventoryItem> {
        let new = inventory::NewItem {
            department: input.department,
            sku: input.sku,
            name: input.name,
            unit: input.unit,
            reorder_point: input.reorder_point.0,
            reorder_quantity: input.reorder_quantity.0,
            unit_cost: input.unit_cost.0,
        };
        Ok(InventoryItem(inventory::create_item(app_state(ctx), request_ctx(ctx), new).await?))
    }

    /// RECEIPT and ISSUE take a quantity > 0, ADJUSTMENT a signed delta; never below zero.
    async fn record_stock_movement(&self, ctx: &Context<'_>, input: StockMovementInput) -> Result<StockMovement> {
        let kind = match input.kind {
            StockMovementKind::Receipt => inventory::MovementKind::Receipt,
            StockMovementKind::Issue => inventory::MovementKind::Issue,
            StockMovementKind::Adjustment => inventory::MovementKind::Adjustment,
        };
        let new = inventory::NewMovement {
            item_id: input.item_id.0,
            kind,
            quantity: input.quantity.0,
            reference: input.reference,
        };
        Ok(StockMovement(
            crate::workflows::reordering::record_stock_movement(app_state(ctx), request_ctx(ctx), new).await?,
        ))
    }
}
