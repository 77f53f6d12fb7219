//! Payable and receivable invoices: drafting, approval (segregation of duties, approval limit,
//! gapless numbers), payments and voids, each with its automatic journal entry.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use entity::{department, invoice, invoice_line, payment, user};
use rust_decimal::Decimal;
use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QueryResult, QueryTrait,
};
use serde_json::{Value, json};

use super::rules::{self, InvoiceStatus, LineInput};
use crate::at_position;
use crate::audit::Audited;
use crate::authz::{Perm, Scope};
use crate::config::ApprovalLimits;
use crate::error::{AppError, AppResult};
use crate::kernel::joins::{self, AtPosition, Columns};
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
    Ok(Condition::any()
        .add(full.expr(column))
        .add(Condition::all().add(receivables.expr(column)).add(invoice::Column::Kind.eq(RECEIVABLE))))
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

/// The to-one relations of an invoice that a caller's selection shows: read in the invoice's own
/// statement (`kernel::joins`) rather than by a loader's query each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WithRelated {
    pub department: bool,
    pub created_by: bool,
    pub approved_by: bool,
}

/// An invoice with the relations that were asked for.
pub struct InvoiceRow {
    pub invoice: invoice::Model,
    pub department: Option<department::Model>,
    pub created_by: Option<user::Model>,
    pub approved_by: Option<user::Model>,
}

fn widen(query: &mut SelectStatement, with: WithRelated) {
    use invoice::Column as I;
    if with.department {
        joins::join_to_one::<department::Entity>(
            query,
            "dep",
            department::Column::Code,
            (invoice::Entity, I::DepartmentCode),
            &[],
        );
    }
    let secret = [user::Column::PasswordHash];
    if with.created_by {
        joins::join_to_one::<user::Entity>(query, "cby", user::Column::Id, (invoice::Entity, I::CreatedBy), &secret);
    }
    if with.approved_by {
        joins::join_to_one::<user::Entity>(query, "aby", user::Column::Id, (invoice::Entity, I::ApprovedBy), &secret);
    }
}

/// The row of [`widen`]: the invoice's columns, then those of each relation asked for.
fn read_row(row: &QueryResult, with: WithRelated) -> AppResult<InvoiceRow> {
    let invoice = invoice::Model::read(&mut Columns::at(row, 0))?;
    let mut at = invoice::Model::width();
    let mut relation = |asked: bool, width: usize| {
        let start = at;
        at += if asked { width } else { 0 };
        asked.then_some(start)
    };
    let department = relation(with.department, department::Model::width());
    let created_by = relation(with.created_by, user::Model::width());
    let approved_by = relation(with.approved_by, user::Model::width());
    Ok(InvoiceRow {
        invoice,
        department: department.map(|at| joins::joined_at(row, at)).transpose()?.flatten(),
        created_by: created_by.map(|at| joins::joined_at(row, at)).transpose()?.flatten(),
        approved_by: approved_by.map(|at| joins::joined_at(row, at)).transpose()?.flatten(),
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

at_position!(invoice_line {
    id,
    invoice_id,
    line_no,
    description,
    quantity,
    unit_price,
    tax_rate,
    net_amount,
    tax_amount
});

/// The lines of each invoice, in order, in one statement (invoices without lines are absent).
pub async fn lines_of_page(
    db: &DatabaseConnection,
    ids: &[String],
) -> Result<HashMap<String, Vec<invoice_line::Model>>, DbErr> {
    use invoice_line::Column as L;
    let query = invoice_line::Entity::find()
        .filter(L::InvoiceId.is_in(ids.iter().cloned()))
        .order_by_asc(L::InvoiceId)
        .order_by_asc(L::LineNo)
        .into_query();
    let rows = db.query_all_raw(db.get_database_backend().build(&query)).await?;
    let mut lines: HashMap<String, Vec<invoice_line::Model>> = HashMap::with_capacity(ids.len());
    for row in &rows {
        let line = invoice_line::Model::read(&mut Columns::at(row, 0))?;
        lines.entry(line.invoice_id.clone()).or_default().push(line);
    }
    Ok(lines)
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: InvoiceFilter,
    page: &PageRequest,
    with: WithRelated,
) -> AppResult<Page<InvoiceRow>> {
    use invoice::Column as C;
    let mut condition = Condition::all().add(visible(state, principal, filter.department.as_deref())?);
    if let Some(kind) = filter.kind {
        condition = condition.add(C::Kind.eq(kind));
    }
    if let Some(status) = filter.status {
        condition = condition.add(C::Status.eq(status));
    }
    if let Some(day) = filter.overdue_on {
        condition = condition
            .add(C::Status.is_in([InvoiceStatus::Approved.as_str(), InvoiceStatus::PartiallyPaid.as_str()]))
            .add(C::DueDate.lt(day));
    }
    let select = invoice::Entity::find().filter(condition);
    let (rows, has_next_page, total_count) =
        paginate_rows(&state.db.conn, select, Keyset::newest_first(C::Id), page, |q| widen(q, with)).await?;
    let items =
        rows.iter().map(|row| read_row(row, with).map(|r| (r.invoice.id.clone(), r))).collect::<AppResult<Vec<_>>>()?;
    Ok(Page { items, has_next_page, has_previous_page: page.after.is_some(), total_count })
}

/// One invoice by id with the relations asked for, in one statement; `NOT_FOUND` when it does
/// not exist or the caller cannot see it.
pub async fn find_visible_with(
    state: &AppState,
    principal: &Principal,
    id: &str,
    with: WithRelated,
) -> AppResult<InvoiceRow> {
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    let mut query = invoice::Entity::find_by_id(id.to_string()).into_query();
    widen(&mut query, with);
    let db = &state.db.conn;
    let row = db.query_one_raw(db.get_database_backend().build(&query)).await?.ok_or(AppError::NotFound)?;
    let row = read_row(&row, with)?;
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
