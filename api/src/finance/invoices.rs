//! Payable and receivable invoices: drafting, approval (segregation of duties, approval limit,
//! gapless numbers), payments and voids, each with its automatic journal entry.

use chrono::{Datelike, NaiveDate};
use entity::{department, invoice, invoice_line, payment, user};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, SelectStatement};
use sea_orm::sqlx::Row;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    IdenStatic, IntoActiveModel, QueryFilter, QueryOrder, QueryResult, QueryTrait,
};
use serde_json::{Value, json};

use super::rules::{self, InvoiceStatus, LineInput};
use crate::at_position;
use crate::audit::Audited;
use crate::authz::{Perm, Scope};
use crate::config::ApprovalLimits;
use crate::error::{AppError, AppResult};
use crate::kernel::db::literal;
use crate::kernel::joins::{self, AtPosition, Columns, Needed};
use crate::kernel::money::{self, Currency};
use crate::kernel::pagination::{Keyset, Page, PageRequest, paginate_rows};
use crate::kernel::versioned::save_if_unchanged;
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, counters, ids, time, validate};
use crate::state::AppState;

pub const PAYABLE: &str = "PAYABLE";
pub const RECEIVABLE: &str = "RECEIVABLE";

/// An amount of this invoice's currency, rendered with the currency's decimals.
pub fn amount_of(invoice: &invoice::Model, units: i64) -> Decimal {
    money::round(money::amount(units), decimals_of(invoice))
}

/// The minor unit of the invoice's currency.
pub fn decimals_of(invoice: &invoice::Model) -> u32 {
    Currency::parse(&invoice.currency).map(|c| c.decimals).unwrap_or(2)
}

/// What is still owed: nothing once the invoice is void.
pub fn balance_due_units(invoice: &invoice::Model) -> i64 {
    if InvoiceStatus::parse(&invoice.status) == InvoiceStatus::Void { 0 } else { invoice.total - invoice.amount_paid }
}

/// An invoice with its lines, as the audit log describes it.
pub struct InvoiceRecord<'a> {
    pub invoice: &'a invoice::Model,
    pub lines: &'a [invoice_line::Model],
}

impl Audited for InvoiceRecord<'_> {
    const ENTITY_TYPE: &'static str = "Invoice";
    fn audit_id(&self) -> String {
        self.invoice.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.invoice.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        let i = self.invoice;
        let amount = |units| amount_of(i, units).to_string();
        json!({
            "id": i.id,
            "department": i.department_code,
            "kind": i.kind,
            "number": i.number,
            "counterparty": i.counterparty,
            "currency": i.currency,
            "issueDate": i.issue_date.to_string(),
            "dueDate": i.due_date.to_string(),
            "lines": self.lines.iter().map(|l| json!({
                "description": l.description,
                "quantity": money::plain(money::amount(l.quantity)).to_string(),
                "unitPrice": money::plain(money::amount(l.unit_price)).to_string(),
                "taxRate": money::plain(money::rate(l.tax_rate)).to_string(),
                "netAmount": amount(l.net_amount),
                "taxAmount": amount(l.tax_amount),
            })).collect::<Vec<_>>(),
            "subtotal": amount(i.subtotal),
            "taxTotal": amount(i.tax_total),
            "total": amount(i.total),
            "amountPaid": amount(i.amount_paid),
            "balanceDue": amount(balance_due_units(i)),
            "status": i.status,
            "createdBy": i.created_by,
            "approvedBy": i.approved_by,
        })
    }
}

/// A payment, described in its invoice's currency and department.
pub struct PaymentRecord<'a> {
    pub payment: &'a payment::Model,
    pub invoice: &'a invoice::Model,
}

impl Audited for PaymentRecord<'_> {
    const ENTITY_TYPE: &'static str = "Payment";
    fn audit_id(&self) -> String {
        self.payment.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.invoice.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        let p = self.payment;
        json!({
            "id": p.id,
            "invoiceId": p.invoice_id,
            "amount": amount_of(self.invoice, p.amount).to_string(),
            "paidOn": p.paid_on.to_string(),
            "reference": p.reference,
        })
    }
}

/// Which invoices the principal sees: everything of the departments where it reads invoices,
/// and the receivables of those where it reads only receivables (front office).
pub fn visible(state: &AppState, principal: &Principal, department: Option<&str>) -> AppResult<Condition> {
    let full = state.authz.scope(principal, Perm::INVOICE_READ);
    let receivables = state.authz.scope(principal, Perm::RECEIVABLE_READ);
    if let Some(d) = department
        && !full.contains(d)
        && !receivables.contains(d)
    {
        return Err(AppError::forbidden());
    }
    let narrow = |s: Scope| match department {
        Some(d) => s.restrict_to(d).unwrap_or_else(Scope::none),
        None => s,
    };
    let (full, receivables) = (narrow(full), narrow(receivables));
    let column = invoice::Column::DepartmentCode;
    // The common case, one plain condition: it keeps the plan an index walk.
    if receivables.is_within(&full) {
        return Ok(full.condition(column));
    }
    Ok(Condition::any().add(full.expr(column)).add(
        Condition::all()
            .add(receivables.expr(column))
            .add(Expr::col((invoice::Entity, invoice::Column::Kind)).eq(literal(RECEIVABLE))),
    ))
}

fn can_see(state: &AppState, principal: &Principal, invoice: &invoice::Model) -> bool {
    state.authz.allows(principal, Perm::INVOICE_READ, &invoice.department_code)
        || (invoice.kind == RECEIVABLE
            && state.authz.allows(principal, Perm::RECEIVABLE_READ, &invoice.department_code))
}

/// The invoice, or `NOT_FOUND` when it does not exist or the caller cannot see it.
pub async fn find_visible<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> AppResult<invoice::Model> {
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    let invoice = invoice::Entity::find_by_id(id.to_string()).one(db).await?.ok_or(AppError::NotFound)?;
    if can_see(state, principal, &invoice) { Ok(invoice) } else { Err(AppError::NotFound) }
}

pub async fn lines_of<C: ConnectionTrait>(db: &C, invoice_id: &str) -> AppResult<Vec<invoice_line::Model>> {
    Ok(invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(invoice_line::Column::LineNo)
        .all(db)
        .await?)
}

pub struct NewInvoice {
    pub department: String,
    pub receivable: bool,
    pub counterparty: String,
    pub currency: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub lines: Vec<LineInput>,
}

pub async fn create_invoice(state: &AppState, rc: &RequestCtx, input: NewInvoice) -> AppResult<invoice::Model> {
    let principal = rc.principal()?;
    let may_create = state.authz.allows(principal, Perm::INVOICE_CREATE, &input.department)
        || (input.receivable && state.authz.allows(principal, Perm::RECEIVABLE_CREATE, &input.department));
    if !may_create {
        return Err(AppError::forbidden());
    }
    let counterparty = validate::text("input.counterparty", &input.counterparty, 200)?;
    let currency = Currency::parse(input.currency.trim()).ok_or_else(|| {
        AppError::bad_input("input.currency", "currency must be an upper-case ISO 4217 code such as EUR")
    })?;
    if input.due_date < input.issue_date {
        return Err(AppError::bad_input("input.dueDate", "dueDate must not be before issueDate"));
    }
    let totals = rules::price_lines(currency, &input.lines)?;
    for (i, line) in input.lines.iter().enumerate() {
        validate::text(&format!("input.lines[{i}].description"), &line.description, 500)?;
    }

    let mut uow = UnitOfWork::begin(&state.db, rc, "createInvoice").await?;
    crate::org::service::require_department(uow.conn(), "input.department", &input.department, false).await?;
    let now = time::now();
    let created = invoice::ActiveModel {
        id: Set(ids::new_id()),
        department_code: Set(input.department.clone()),
        kind: Set(if input.receivable { RECEIVABLE } else { PAYABLE }.to_string()),
        number: Set(None),
        counterparty: Set(counterparty),
        currency: Set(currency.code.to_string()),
        issue_date: Set(input.issue_date),
        due_date: Set(input.due_date),
        subtotal: Set(money::amount_units(totals.subtotal)),
        tax_total: Set(money::amount_units(totals.tax_total)),
        total: Set(money::amount_units(totals.total)),
        amount_paid: Set(0),
        status: Set(InvoiceStatus::Draft.as_str().to_string()),
        created_by: Set(principal.user_id.clone()),
        approved_by: Set(None),
        approval_entry_id: Set(None),
        void_reason: Set(None),
        version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(uow.conn())
    .await?;
    let mut lines = Vec::with_capacity(totals.lines.len());
    for (i, line) in totals.lines.iter().enumerate() {
        let stored = invoice_line::ActiveModel {
            id: Set(ids::new_id()),
            invoice_id: Set(created.id.clone()),
            line_no: Set(i as i32 + 1),
            description: Set(line.description.trim().to_string()),
            quantity: Set(money::amount_units(line.quantity)),
            unit_price: Set(money::amount_units(line.unit_price)),
            tax_rate: Set(money::to_scaled(line.tax_rate, money::RATE_SCALE).expect("checked by price_lines")),
            net_amount: Set(money::amount_units(line.net_amount)),
            tax_amount: Set(money::amount_units(line.tax_amount)),
        }
        .insert(uow.conn())
        .await?;
        lines.push(stored);
    }
    uow.record(Change::created(&InvoiceRecord { invoice: &created, lines: &lines }));
    uow.commit().await?;
    Ok(created)
}

/// Moves an invoice on from the version that was read (optimistic concurrency).
async fn save_transition(
    uow: &UnitOfWork,
    read: &invoice::Model,
    change: invoice::ActiveModel,
) -> AppResult<invoice::Model> {
    let conflict = "the invoice was changed by someone else; reload it and try again";
    save_if_unchanged::<invoice::Entity, _>(uow.conn(), &read.id, read.version, change, conflict).await
}

/// An approval under way: the invoice as it was, as claimed (APPROVED), and its new number.
pub struct Approval {
    pub before: invoice::Model,
    pub claimed: invoice::Model,
    pub number: String,
}

/// Approval, step one, inside `uow`: visibility, rights, segregation of duties and the limit of
/// the invoice's currency; then DRAFT → APPROVED is claimed and the next gapless number taken.
/// `workflows::postings` posts the entry, then [`complete_approval`].
pub async fn claim_approval(
    uow: &UnitOfWork,
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> AppResult<Approval> {
    let invoice = find_visible(uow.conn(), state, principal, id).await?;
    state.authz.require(principal, Perm::INVOICE_APPROVE, &invoice.department_code)?;
    if invoice.created_by == principal.user_id {
        return Err(AppError::Forbidden("the creator of an invoice may not approve it".into()));
    }
    if !state.authz.allows(principal, Perm::INVOICE_APPROVE_ANY_AMOUNT, &invoice.department_code) {
        check_approval_limit(&state.settings.approval_limits, &invoice.currency, money::amount(invoice.total))?;
    }
    if InvoiceStatus::parse(&invoice.status) != InvoiceStatus::Draft {
        return Err(AppError::conflict(format!("only a DRAFT invoice can be approved (it is {})", invoice.status)));
    }
    // Claim the transition first: a racing approval fails here, before it takes a number.
    let claimed = save_transition(
        uow,
        &invoice,
        invoice::ActiveModel { status: Set(InvoiceStatus::Approved.as_str().into()), ..Default::default() },
    )
    .await?;
    let receivable = invoice.kind == RECEIVABLE;
    let year = invoice.issue_date.year();
    let counter = format!("invoice:{}:{}:{year}", invoice.department_code.to_lowercase(), invoice.kind);
    let number =
        rules::invoice_number(&invoice.department_code, receivable, year, counters::next(uow.conn(), &counter).await?);
    Ok(Approval { before: invoice, claimed, number })
}

/// Refuses a total above the approval limit of the invoice's currency, and any amount in a
/// currency without one (CONTRACT.md §10): those need an approver above the limit.
pub fn check_approval_limit(limits: &ApprovalLimits, currency: &str, total: Decimal) -> AppResult<()> {
    match limits.limit_for(currency) {
        Some(limit) if total <= limit => Ok(()),
        Some(limit) => Err(AppError::Forbidden(format!(
            "a total above {limit} {currency} needs the approval of a finance manager"
        ))),
        None => Err(AppError::Forbidden(format!(
            "invoices in {currency} have no approval limit: a finance manager must approve them"
        ))),
    }
}

/// The entry an approval posts (CONTRACT.md §6), dated the issue date; zero lines are left out
/// by the ledger.
pub fn approval_lines(invoice: &invoice::Model) -> Vec<(&'static str, Decimal, Decimal)> {
    let (subtotal, tax, total) =
        (money::amount(invoice.subtotal), money::amount(invoice.tax_total), money::amount(invoice.total));
    let zero = Decimal::ZERO;
    if invoice.kind == RECEIVABLE {
        vec![("1100", total, zero), ("4000", zero, subtotal), ("2100", zero, tax)]
    } else {
        vec![("5000", subtotal, zero), ("1300", tax, zero), ("2000", zero, total)]
    }
}

/// Approval, step two: number, approver and journal entry stored; the invoice's event recorded.
pub async fn complete_approval(
    uow: &mut UnitOfWork,
    approval: Approval,
    approver: &str,
    entry_id: String,
) -> AppResult<invoice::Model> {
    let mut approved = approval.claimed.into_active_model();
    approved.number = Set(Some(approval.number));
    approved.approved_by = Set(Some(approver.to_string()));
    approved.approval_entry_id = Set(Some(entry_id));
    let approved = approved.update(uow.conn()).await?;
    record_update(uow, &approval.before, &approved).await?;
    Ok(approved)
}

/// The invoice's own event: its fields before and after, lines included.
pub async fn record_update(uow: &mut UnitOfWork, before: &invoice::Model, after: &invoice::Model) -> AppResult<()> {
    let lines = lines_of(uow.conn(), &before.id).await?;
    uow.record(Change::updated(
        &InvoiceRecord { invoice: before, lines: &lines },
        &InvoiceRecord { invoice: after, lines: &lines },
    ));
    Ok(())
}

pub struct NewPayment {
    pub invoice_id: String,
    pub amount: Decimal,
    pub paid_on: NaiveDate,
    pub reference: Option<String>,
}

/// A payment under way: the invoice as it was and as claimed (its paid amount and status moved on).
pub struct PaymentClaim {
    pub before: invoice::Model,
    pub updated: invoice::Model,
    pub reference: Option<String>,
}

/// Payment, step one, inside `uow`: the state is checked before the amount (CONTRACT.md §6),
/// then the invoice's new paid amount and status are claimed on its version.
pub async fn claim_payment(
    uow: &UnitOfWork,
    state: &AppState,
    principal: &Principal,
    input: &NewPayment,
) -> AppResult<PaymentClaim> {
    let reference = validate::optional_text("input.reference", input.reference.as_deref(), 200)?;
    let invoice = find_visible(uow.conn(), state, principal, &input.invoice_id).await?;
    state.authz.require(principal, Perm::INVOICE_PAY, &invoice.department_code)?;
    let status = InvoiceStatus::parse(&invoice.status);
    if !status.accepts_payment() {
        return Err(AppError::conflict(format!(
            "payments are recorded on APPROVED or PARTIALLY_PAID invoices (it is {})",
            invoice.status
        )));
    }
    let currency = Currency::parse(&invoice.currency).expect("stored currencies are valid");
    if money::round(input.amount, currency.decimals) != input.amount {
        return Err(AppError::bad_input(
            "input.amount",
            format!("amount has more decimals than {} allows", currency.code),
        ));
    }
    let (paid, new_status) =
        rules::apply_payment(money::amount(invoice.total), money::amount(invoice.amount_paid), input.amount)?;
    let updated = save_transition(
        uow,
        &invoice,
        invoice::ActiveModel {
            amount_paid: Set(money::amount_units(paid)),
            status: Set(new_status.as_str().into()),
            ..Default::default()
        },
    )
    .await?;
    Ok(PaymentClaim { before: invoice, updated, reference })
}

/// The entry a payment posts, dated the day it was paid.
pub fn payment_lines(invoice: &invoice::Model, amount: Decimal) -> Vec<(&'static str, Decimal, Decimal)> {
    let zero = Decimal::ZERO;
    if invoice.kind == RECEIVABLE {
        vec![("1000", amount, zero), ("1100", zero, amount)]
    } else {
        vec![("2000", amount, zero), ("1000", zero, amount)]
    }
}

/// Payment, step two: the payment stored with its journal entry; both events recorded.
pub async fn complete_payment(
    uow: &mut UnitOfWork,
    claim: PaymentClaim,
    input: &NewPayment,
    payment_id: String,
    entry_id: String,
    created_by: &str,
) -> AppResult<payment::Model> {
    let created = payment::ActiveModel {
        id: Set(payment_id),
        invoice_id: Set(claim.before.id.clone()),
        amount: Set(money::amount_units(input.amount)),
        paid_on: Set(input.paid_on),
        reference: Set(claim.reference),
        journal_entry_id: Set(entry_id),
        created_by: Set(created_by.to_string()),
        created_at: Set(time::now()),
    }
    .insert(uow.conn())
    .await?;
    uow.record(Change::created(&PaymentRecord { payment: &created, invoice: &claim.updated }));
    record_update(uow, &claim.before, &claim.updated).await?;
    Ok(created)
}

/// Voids an invoice inside `uow`; returns the invoice as it was and as voided. The caller
/// (`workflows::postings`) reverses the approval entry of an approved one, then records the
/// change with [`record_update`].
pub async fn void(
    uow: &UnitOfWork,
    state: &AppState,
    principal: &Principal,
    id: &str,
    reason: &str,
) -> AppResult<(invoice::Model, invoice::Model)> {
    let invoice = find_visible(uow.conn(), state, principal, id).await?;
    state.authz.require(principal, Perm::INVOICE_VOID, &invoice.department_code)?;
    let status = InvoiceStatus::parse(&invoice.status);
    if !status.can_void(money::amount(invoice.amount_paid)) {
        return Err(AppError::conflict(format!(
            "only a DRAFT, or an APPROVED invoice with no payment, can be voided (it is {})",
            invoice.status
        )));
    }
    let reason = validate::text("reason", reason, 500)?;
    let voided = save_transition(
        uow,
        &invoice,
        invoice::ActiveModel {
            status: Set(InvoiceStatus::Void.as_str().into()),
            void_reason: Set(Some(reason)),
            ..Default::default()
        },
    )
    .await?;
    Ok((invoice, voided))
}

pub struct InvoiceFilter {
    pub department: Option<String>,
    pub kind: Option<&'static str>,
    pub status: Option<&'static str>,
    pub overdue_on: Option<NaiveDate>,
}

/// What of an invoice a caller's selection shows: the invoice's columns, and the relations read
/// in the invoice's own statement (`kernel::joins` for the to-one relations, an aggregate for
/// the lines) rather than by a loader's query each, with the columns each needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    pub invoice: Needed,
    pub department: Option<Needed>,
    pub created_by: Option<Needed>,
    pub approved_by: Option<Needed>,
    pub lines: Option<Needed>,
}

impl Reading {
    /// The invoice's columns: those asked for, and its id (a page's cursors, its lines).
    fn own_columns(self) -> Needed {
        self.invoice.union(Needed::KEY)
    }
}

/// An invoice with the relations that were asked for. Columns not asked for hold their type's
/// default ([`Reading`]).
pub struct InvoiceRow {
    pub invoice: invoice::Model,
    pub department: Option<department::Model>,
    pub created_by: Option<user::Model>,
    pub approved_by: Option<user::Model>,
    pub lines: Option<Vec<invoice_line::Model>>,
}

fn widen(query: &mut SelectStatement, backend: DbBackend, reading: Reading) {
    use invoice::Column as I;
    query.clear_selects();
    for column in reading.own_columns().columns::<I>() {
        query.column((invoice::Entity, column));
    }
    if let Some(needed) = reading.department {
        let key = (invoice::Entity, I::DepartmentCode);
        joins::join_to_one::<department::Entity>(query, "dep", department::Column::Code, key, &[], needed);
    }
    let secret = [user::Column::PasswordHash];
    if let Some(needed) = reading.created_by {
        let key = (invoice::Entity, I::CreatedBy);
        joins::join_to_one::<user::Entity>(query, "cby", user::Column::Id, key, &secret, needed);
    }
    if let Some(needed) = reading.approved_by {
        let key = (invoice::Entity, I::ApprovedBy);
        joins::join_to_one::<user::Entity>(query, "aby", user::Column::Id, key, &secret, needed);
    }
    if let Some(needed) = reading.lines {
        query.expr(Expr::cust(lines_aggregate(backend, needed)));
    }
}

/// The invoice's lines, in line order, as one more column of the invoice's row: a page's lines
/// cost no statement of their own. Each line holds its `needed` columns (one at least, so that
/// every line counts) as text, in declaration order. PostgreSQL sends them as a two-dimensional
/// text array, in binary (cheaper to build than JSON, and read without unescaping); SQLite as a
/// JSON array of arrays.
fn lines_aggregate(backend: DbBackend, needed: Needed) -> String {
    let columns = line_columns(needed).map(|c| c.as_str());
    let of_invoice = "FROM invoice_lines AS l WHERE l.invoice_id = invoices.id";
    match backend {
        DbBackend::Postgres => {
            let values: Vec<String> = columns.map(|c| format!("l.{c}::text")).collect();
            format!("array(SELECT array[{}] {of_invoice} ORDER BY l.line_no)", values.join(", "))
        }
        _ => {
            let values: Vec<String> = columns.map(|c| format!("CAST(l.{c} AS TEXT)")).collect();
            format!("(SELECT json_group_array(json_array({}) ORDER BY l.line_no) {of_invoice})", values.join(", "))
        }
    }
}

/// The columns of each line in [`lines_aggregate`].
fn line_columns(needed: Needed) -> impl Iterator<Item = invoice_line::Column> {
    let needed = if needed == Needed::NONE { Needed::KEY } else { needed };
    needed.columns::<invoice_line::Column>().filter(|c| c.as_str() != invoice_line::Column::InvoiceId.as_str())
}

/// The lines of [`lines_aggregate`] at column `at`; the columns not needed keep their defaults.
fn read_lines(
    row: &QueryResult,
    at: usize,
    invoice_id: &str,
    needed: Needed,
) -> Result<Vec<invoice_line::Model>, DbErr> {
    let columns: Vec<invoice_line::Column> = line_columns(needed).collect();
    let width = columns.len();
    let owned: Vec<String>;
    let cells: Vec<&str> = match row.try_as_pg_row() {
        Some(pg) => {
            let value = pg.try_get_raw(at).map_err(|e| DbErr::Type(e.to_string()))?;
            let bytes = value.as_bytes().map_err(|e| DbErr::Type(format!("invoice lines: {e}")))?;
            text_matrix(bytes, width)?
        }
        None => {
            let json: String = row.try_get_by_index(at)?;
            let lines: Vec<Vec<String>> =
                serde_json::from_str(&json).map_err(|e| DbErr::Type(format!("invoice lines: {e}")))?;
            if lines.iter().any(|line| line.len() != width) {
                return Err(DbErr::Type("invoice lines: a line of another width".into()));
            }
            owned = lines.into_iter().flatten().collect();
            owned.iter().map(String::as_str).collect()
        }
    };
    cells
        .chunks(width)
        .map(|cells| {
            let mut line = blank_line(invoice_id);
            for (column, cell) in columns.iter().zip(cells) {
                set_line_column(&mut line, *column, cell)?;
            }
            Ok(line)
        })
        .collect()
}

fn blank_line(invoice_id: &str) -> invoice_line::Model {
    invoice_line::Model {
        id: String::new(),
        invoice_id: invoice_id.to_string(),
        line_no: 0,
        description: String::new(),
        quantity: 0,
        unit_price: 0,
        tax_rate: 0,
        net_amount: 0,
        tax_amount: 0,
    }
}

fn set_line_column(line: &mut invoice_line::Model, column: invoice_line::Column, text: &str) -> Result<(), DbErr> {
    use invoice_line::Column as L;
    let number = || text.parse::<i64>().map_err(|_| DbErr::Type(format!("invoice lines: {text:?} is not a number")));
    match column {
        L::Id => line.id = text.to_string(),
        L::InvoiceId => line.invoice_id = text.to_string(),
        L::LineNo => line.line_no = i32::try_from(number()?).map_err(|e| DbErr::Type(e.to_string()))?,
        L::Description => line.description = text.to_string(),
        L::Quantity => line.quantity = number()?,
        L::UnitPrice => line.unit_price = number()?,
        L::TaxRate => line.tax_rate = number()?,
        L::NetAmount => line.net_amount = number()?,
        L::TaxAmount => line.tax_amount = number()?,
    }
    Ok(())
}

/// The cells, row after row, of a PostgreSQL text array of `width` columns in binary format:
/// dimensions, then each cell's length and UTF-8 bytes (an empty array has no dimensions).
fn text_matrix(bytes: &[u8], width: usize) -> Result<Vec<&str>, DbErr> {
    let malformed = || DbErr::Type("invoice lines: not a two-dimensional text array of lines".into());
    let mut bytes = Bytes(bytes);
    let [dimensions, _has_nulls, _element_type] = [bytes.int(), bytes.int(), bytes.int()];
    match dimensions {
        Some(0) => return Ok(Vec::new()),
        Some(2) => {}
        _ => return Err(malformed()),
    }
    let [lines, _, columns, _] = [bytes.int(), bytes.int(), bytes.int(), bytes.int()];
    if columns.and_then(|c| usize::try_from(c).ok()) != Some(width) {
        return Err(malformed());
    }
    let count = lines.and_then(|n| usize::try_from(n).ok()).ok_or_else(malformed)? * width;
    let mut cells = Vec::with_capacity(count);
    for _ in 0..count {
        // A negative length is a NULL: no column read here is nullable.
        let len = bytes.int().and_then(|len| usize::try_from(len).ok()).ok_or_else(malformed)?;
        let cell = bytes.take(len).ok_or_else(malformed)?;
        cells.push(std::str::from_utf8(cell).map_err(|e| DbErr::Type(format!("invoice lines: {e}")))?);
    }
    Ok(cells)
}

/// A big-endian reader over a value's bytes.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.0.split_at_checked(len)?;
        self.0 = tail;
        Some(head)
    }

    fn int(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
}

/// The row of [`widen`]: the invoice's columns, then those of each relation asked for.
fn read_row(row: &QueryResult, reading: Reading) -> AppResult<InvoiceRow> {
    let own = reading.own_columns();
    let invoice = invoice::Model::read_needed(&mut Columns::at(row, 0), own)?;
    let mut at = invoice::Model::width(own);
    let mut next = |width: usize| {
        at += width;
        at - width
    };
    let mut joined = |needed: Option<Needed>, width: fn(Needed) -> usize| {
        needed.map(|needed| (next(width(needed.union(Needed::KEY))), needed))
    };
    let department = joined(reading.department, department::Model::width);
    let created_by = joined(reading.created_by, user::Model::width);
    let approved_by = joined(reading.approved_by, user::Model::width);
    let lines = joined(reading.lines, |_| 1);
    Ok(InvoiceRow {
        department: department.map(|(at, n)| joins::joined_at(row, at, n)).transpose()?.flatten(),
        created_by: created_by.map(|(at, n)| joins::joined_at(row, at, n)).transpose()?.flatten(),
        approved_by: approved_by.map(|(at, n)| joins::joined_at(row, at, n)).transpose()?.flatten(),
        lines: lines.map(|(at, needed)| read_lines(row, at, &invoice.id, needed)).transpose()?,
        invoice,
    })
}

at_position!(invoice {
    id,
    department_code,
    kind,
    number,
    counterparty,
    currency,
    issue_date,
    due_date,
    subtotal,
    tax_total,
    total,
    amount_paid,
    status,
    created_by,
    approved_by,
    approval_entry_id,
    void_reason,
    version,
    created_at,
    updated_at
});

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: InvoiceFilter,
    page: &PageRequest,
    reading: Reading,
) -> AppResult<Page<InvoiceRow>> {
    use invoice::Column as C;
    // Filters written into the statement, so each has its own plan (`kernel::db::literal`).
    let column = |c: C| Expr::col((invoice::Entity, c));
    let mut condition = Condition::all().add(visible(state, principal, filter.department.as_deref())?);
    if let Some(kind) = filter.kind {
        condition = condition.add(column(C::Kind).eq(literal(kind)));
    }
    if let Some(status) = filter.status {
        condition = condition.add(column(C::Status).eq(literal(status)));
    }
    if let Some(day) = filter.overdue_on {
        let open = [InvoiceStatus::Approved.as_str(), InvoiceStatus::PartiallyPaid.as_str()];
        condition = condition.add(column(C::Status).is_in(open.map(literal))).add(column(C::DueDate).lt(literal(day)));
    }
    let select = invoice::Entity::find().filter(condition);
    let backend = state.db.conn.get_database_backend();
    let (rows, has_next_page, total_count) =
        paginate_rows(&state.db.conn, select, Keyset::newest_first(C::Id), page, |q| widen(q, backend, reading))
            .await?;
    let items = rows
        .iter()
        .map(|row| read_row(row, reading).map(|r| (r.invoice.id.clone(), r)))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Page { items, has_next_page, has_previous_page: page.after.is_some(), total_count })
}

/// One invoice by id with the relations asked for, in one statement; `NOT_FOUND` when it does
/// not exist or the caller cannot see it.
pub async fn find_visible_with(
    state: &AppState,
    principal: &Principal,
    id: &str,
    reading: Reading,
) -> AppResult<InvoiceRow> {
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    let db = &state.db.conn;
    let mut query = invoice::Entity::find_by_id(id.to_string()).into_query();
    // What `can_see` reads, besides what was asked for.
    let visibility = Needed::of(&[invoice::Column::DepartmentCode, invoice::Column::Kind]);
    let reading = Reading { invoice: reading.invoice.union(visibility), ..reading };
    widen(&mut query, db.get_database_backend(), reading);
    let row = db.query_one_raw(db.get_database_backend().build(&query)).await?.ok_or(AppError::NotFound)?;
    let row = read_row(&row, reading)?;
    if can_see(state, principal, &row.invoice) { Ok(row) } else { Err(AppError::NotFound) }
}

pub async fn payments(state: &AppState, principal: &Principal, invoice_id: &str) -> AppResult<Vec<payment::Model>> {
    let invoice = find_visible(&state.db.conn, state, principal, invoice_id).await?;
    Ok(payment::Entity::find()
        .filter(payment::Column::InvoiceId.eq(invoice.id))
        .order_by_asc(payment::Column::Id)
        .all(&state.db.conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text array in PostgreSQL's binary format, as `array_send` writes it.
    fn array_bytes(dimensions: &[i32], cells: &[Option<&str>]) -> Vec<u8> {
        let mut bytes = Vec::new();
        let has_nulls = i32::from(cells.iter().any(Option::is_none));
        for int in [dimensions.len() as i32, has_nulls, 25] {
            bytes.extend(int.to_be_bytes());
        }
        for &len in dimensions {
            bytes.extend(len.to_be_bytes());
            bytes.extend(1i32.to_be_bytes());
        }
        for cell in cells {
            match cell {
                Some(text) => {
                    bytes.extend((text.len() as i32).to_be_bytes());
                    bytes.extend(text.as_bytes());
                }
                None => bytes.extend((-1i32).to_be_bytes()),
            }
        }
        bytes
    }

    #[test]
    fn a_text_matrix_reads_its_cells_row_after_row() {
        let odd = "a \"quoted\" \\ {brace}, NULL ñ 💶";
        let bytes = array_bytes(&[2, 2], &[Some(odd), Some("1"), Some(""), Some("-42")]);
        assert_eq!(text_matrix(&bytes, 2).unwrap(), vec![odd, "1", "", "-42"]);
        assert_eq!(text_matrix(&array_bytes(&[], &[]), 3).unwrap(), Vec::<&str>::new());
    }

    #[test]
    fn a_text_matrix_of_another_shape_is_refused() {
        let two_by_one = array_bytes(&[2, 1], &[Some("a"), Some("b")]);
        assert!(text_matrix(&two_by_one, 2).is_err(), "another width");
        assert!(text_matrix(&array_bytes(&[2], &[Some("a"), Some("b")]), 1).is_err(), "one dimension");
        assert!(text_matrix(&array_bytes(&[1, 2], &[Some("a"), None]), 2).is_err(), "a null cell");
        let whole = array_bytes(&[1, 2], &[Some("a"), Some("bc")]);
        assert!(text_matrix(&whole[..whole.len() - 1], 2).is_err(), "truncated");
        assert!(text_matrix(&[0, 0], 2).is_err(), "no header");
        let mut not_utf8 = array_bytes(&[1, 1], &[Some("ab")]);
        let last = not_utf8.len() - 1;
        not_utf8[last] = 0xff;
        assert!(text_matrix(&not_utf8, 1).is_err(), "not UTF-8");
    }

    #[test]
    fn line_cells_fill_the_columns_they_name() {
        use invoice_line::Column as L;
        let needed = Needed::of(&[L::Description, L::NetAmount]);
        let columns: Vec<L> = line_columns(needed).collect();
        assert_eq!(columns.iter().map(|c| c.as_str()).collect::<Vec<_>>(), ["description", "net_amount"]);
        assert_eq!(line_columns(Needed::NONE).map(|c| c.as_str()).collect::<Vec<_>>(), ["id"], "one at least");
        let all: Vec<&str> = line_columns(Needed::ALL).map(|c| c.as_str()).collect();
        assert!(!all.contains(&"invoice_id") && all.len() == 8);
        let mut line = blank_line("i");
        set_line_column(&mut line, L::NetAmount, "-9223372036854775808").unwrap();
        set_line_column(&mut line, L::Description, "x").unwrap();
        assert_eq!((line.net_amount, line.description.as_str()), (i64::MIN, "x"));
        assert!(set_line_column(&mut line, L::Quantity, "1.5").is_err());
        assert!(set_line_column(&mut line, L::LineNo, "4294967296").is_err());
    }
}
