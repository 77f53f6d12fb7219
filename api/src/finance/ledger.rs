//! The general ledger: chart of accounts, balanced journal entries (manual and automatic),
//! reversals, the trial balance and account activity.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{account, journal_entry, journal_line};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

use super::rules::{self, JournalLineInput};
use crate::audit::Audited;
use crate::authz::{Perm, Scope};
use crate::error::{AppError, AppResult, DbResultExt};
use crate::kernel::pagination::{Keyset, Page, PageRequest, paginate};
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, ids, time, validate};
use crate::kernel::{aggregate, money};
use crate::state::AppState;

/// A posted entry with its lines, as the audit log describes it.
pub struct EntryRecord {
    pub entry: journal_entry::Model,
    /// (account code, debit, credit) in scaled units.
    pub lines: Vec<(String, i64, i64)>,
}

impl Audited for EntryRecord {
    const ENTITY_TYPE: &'static str = "JournalEntry";
    fn audit_id(&self) -> String {
        self.entry.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.entry.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        let e = &self.entry;
        json!({
            "id": e.id,
            "department": e.department_code,
            "date": e.date.to_string(),
            "memo": e.memo,
            "source": e.source,
            "reversalOf": e.reversal_of_id,
            "lines": self.lines.iter().map(|(code, dr, cr)| json!({
                "accountCode": code,
                "debit": money::ledger(money::amount(*dr)).to_string(),
                "credit": money::ledger(money::amount(*cr)).to_string(),
            })).collect::<Vec<_>>(),
            "createdBy": e.created_by,
        })
    }
}

pub async fn accounts<C: ConnectionTrait>(db: &C) -> AppResult<Vec<account::Model>> {
    Ok(account::Entity::find().order_by_asc(account::Column::Code).all(db).await?)
}

pub async fn account_by_code<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<Option<account::Model>> {
    Ok(account::Entity::find().filter(account::Column::Code.eq(code)).one(db).await?)
}

/// What an entry is made of before it is stored. Amounts in scaled units.
pub struct NewEntry<'a> {
    pub department: &'a str,
    pub date: NaiveDate,
    pub memo: String,
    pub source: Option<String>,
    pub reversal_of: Option<String>,
    pub lines: Vec<(String, i64, i64)>,
}

/// Stores a balanced entry. Lines naming unknown accounts are refused with the line's path.
async fn insert_entry(uow: &UnitOfWork, created_by: &str, new: NewEntry<'_>) -> AppResult<EntryRecord> {
    let accounts: HashMap<String, account::Model> =
        accounts(uow.conn()).await?.into_iter().map(|a| (a.code.clone(), a)).collect();
    let entry = journal_entry::ActiveModel {
        id: Set(ids::new_id()),
        department_code: Set(new.department.to_string()),
        date: Set(new.date),
        memo: Set(new.memo),
        source: Set(new.source),
        reversal_of_id: Set(new.reversal_of),
        created_by: Set(created_by.to_string()),
        created_at: Set(time::now()),
    }
    .insert(uow.conn())
    .await
    .on_duplicate("this entry has already been reversed")?;
    for (i, (code, debit, credit)) in new.lines.iter().enumerate() {
        let account = accounts.get(code).ok_or_else(|| {
            AppError::bad_input(format!("input.lines[{i}].accountCode"), format!("no account {code:?}"))
        })?;
        journal_line::ActiveModel {
            id: Set(ids::new_id()),
            entry_id: Set(entry.id.clone()),
            line_no: Set(i as i32 + 1),
            account_id: Set(account.id.clone()),
            debit: Set(*debit),
            credit: Set(*credit),
        }
        .insert(uow.conn())
        .await?;
    }
    Ok(EntryRecord { entry, lines: new.lines })
}

pub struct PostInput {
    pub department: String,
    pub date: NaiveDate,
    pub memo: String,
    pub lines: Vec<JournalLineInput>,
}

pub async fn post_journal_entry(
    state: &AppState,
    rc: &RequestCtx,
    input: PostInput,
) -> AppResult<journal_entry::Model> {
    let principal = rc.principal()?;
    state.authz.require(principal, Perm::JOURNAL_WRITE, &input.department)?;
    let memo = validate::text("input.memo", &input.memo, 500)?;
    rules::check_balanced(&input.lines)?;
    let lines = input
        .lines
        .iter()
        .map(|l| (l.account_code.trim().to_string(), money::amount_units(l.debit), money::amount_units(l.credit)))
        .collect();

    let mut uow = UnitOfWork::begin(&state.db, rc, "postJournalEntry").await?;
    crate::org::service::require_department(uow.conn(), "input.department", &input.department, false).await?;
    let new =
        NewEntry { department: &input.department, date: input.date, memo, source: None, reversal_of: None, lines };
    let record = insert_entry(&uow, &principal.user_id, new).await?;
    uow.record(Change::created(&record));
    uow.commit().await?;
    Ok(record.entry)
}

/// Posts an entry the system derives from another change (an approval, a payment, payroll),
/// recorded as `auto:postJournalEntry`. Lines are (account code, debit, credit) decimals;
/// zero lines are left out.
pub async fn post_automatic(
    uow: &mut UnitOfWork,
    created_by: &str,
    department: &str,
    date: NaiveDate,
    memo: String,
    source: String,
    lines: &[(&str, Decimal, Decimal)],
) -> AppResult<journal_entry::Model> {
    let lines = lines
        .iter()
        .filter(|(_, dr, cr)| !dr.is_zero() || !cr.is_zero())
        .map(|(code, dr, cr)| (code.to_string(), money::amount_units(*dr), money::amount_units(*cr)))
        .collect();
    let new = NewEntry { department, date, memo, source: Some(source), reversal_of: None, lines };
    let record = insert_entry(uow, created_by, new).await?;
    uow.record_auto("postJournalEntry", Change::created(&record));
    Ok(record.entry)
}

pub async fn find_entry<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<journal_entry::Model> {
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    journal_entry::Entity::find_by_id(id.to_string()).one(db).await?.ok_or(AppError::NotFound)
}

async fn lines_of<C: ConnectionTrait>(db: &C, entry_id: &str) -> AppResult<Vec<(String, i64, i64)>> {
    let accounts: HashMap<String, String> = accounts(db).await?.into_iter().map(|a| (a.id, a.code)).collect();
    let lines = journal_line::Entity::find()
        .filter(journal_line::Column::EntryId.eq(entry_id))
        .order_by_asc(journal_line::Column::LineNo)
        .all(db)
        .await?;
    Ok(lines
        .into_iter()
        .map(|l| (accounts.get(&l.account_id).cloned().unwrap_or_default(), l.debit, l.credit))
        .collect())
}

pub async fn reverse_journal_entry(
    state: &AppState,
    rc: &RequestCtx,
    id: &str,
    date: NaiveDate,
    memo: Option<String>,
) -> AppResult<journal_entry::Model> {
    let principal = rc.principal()?;
    let memo = validate::optional_text("memo", memo.as_deref(), 500)?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "reverseJournalEntry").await?;
    let original = find_entry(uow.conn(), id).await?;
    state.authz.scope(principal, Perm::JOURNAL_READ).reveal(&original.department_code)?;
    state.authz.require(principal, Perm::JOURNAL_WRITE, &original.department_code)?;
    let record = reverse(&uow, &principal.user_id, &original, date, memo).await?;
    uow.record(Change::created(&record));
    uow.commit().await?;
    Ok(record.entry)
}

/// The mirror of `original` (debits and credits swapped), once: a second time is `CONFLICT`.
pub async fn reverse(
    uow: &UnitOfWork,
    created_by: &str,
    original: &journal_entry::Model,
    date: NaiveDate,
    memo: Option<String>,
) -> AppResult<EntryRecord> {
    let already = journal_entry::Entity::find()
        .filter(journal_entry::Column::ReversalOfId.eq(&original.id))
        .one(uow.conn())
        .await?;
    if already.is_some() {
        return Err(AppError::conflict("this entry has already been reversed"));
    }
    let lines = lines_of(uow.conn(), &original.id).await?.into_iter().map(|(code, dr, cr)| (code, cr, dr)).collect();
    let new = NewEntry {
        department: &original.department_code,
        date,
        memo: memo.unwrap_or_else(|| format!("Reversal of: {}", original.memo)),
        source: original.source.clone(),
        reversal_of: Some(original.id.clone()),
        lines,
    };
    insert_entry(uow, created_by, new).await
}

/// The reversal a void posts, recorded as `auto:postJournalEntry`.
pub async fn reverse_automatically(
    uow: &mut UnitOfWork,
    created_by: &str,
    original_id: &str,
    date: NaiveDate,
    memo: String,
) -> AppResult<journal_entry::Model> {
    let original = find_entry(uow.conn(), original_id).await?;
    let record = reverse(uow, created_by, &original, date, Some(memo)).await?;
    uow.record_auto("postJournalEntry", Change::created(&record));
    Ok(record.entry)
}

pub struct EntryFilter {
    pub department: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub account_code: Option<String>,
}

pub async fn list_entries(
    state: &AppState,
    principal: &Principal,
    filter: EntryFilter,
    page: &PageRequest,
) -> AppResult<Page<journal_entry::Model>> {
    use journal_entry::Column as C;
    let scope = state.authz.list_scope(principal, Perm::JOURNAL_READ, filter.department.as_deref())?;
    let mut condition = scope.condition(C::DepartmentCode);
    if let Some(from) = filter.from {
        condition = condition.add(C::Date.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(C::Date.lte(to));
    }
    if let Some(code) = filter.account_code {
        let with_account = Query::select()
            .column(journal_line::Column::EntryId)
            .from(journal_line::Entity)
            .inner_join(
                account::Entity,
                Expr::col((account::Entity, account::Column::Id))
                    .equals((journal_line::Entity, journal_line::Column::AccountId)),
            )
            .cond_where(account::Column::Code.eq(code))
            .to_owned();
        condition = condition.add(C::Id.in_subquery(with_account));
    }
    let select = journal_entry::Entity::find().filter(condition);
    paginate(&state.db.conn, select, Keyset::newest_first(C::Id), page, |e| e.id.clone()).await
}

/// Gross debits and credits of one account, in scaled units, summed exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    pub debit: i128,
    pub credit: i128,
}

#[derive(FromQueryResult)]
struct ActivityRow {
    account_id: String,
    debit_hi: i64,
    debit_lo: i64,
    credit_hi: i64,
    credit_lo: i64,
}

/// Σ debit and Σ credit per account over entries in `scope`, dated within `[from, to]`.
/// The sums run in SQL and cannot overflow however many maximal lines they add up
/// (`kernel::aggregate`).
pub async fn activity<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    from: Option<NaiveDate>,
    to: NaiveDate,
    account_id: Option<&str>,
) -> AppResult<HashMap<String, Activity>> {
    // ColumnTrait conditions are qualified with their table, as the join needs.
    let mut condition = Condition::all()
        .add(scope.expr(journal_entry::Column::DepartmentCode))
        .add(journal_entry::Column::Date.lte(to));
    if let Some(from) = from {
        condition = condition.add(journal_entry::Column::Date.gte(from));
    }
    if let Some(id) = account_id {
        condition = condition.add(journal_line::Column::AccountId.eq(id));
    }
    let mut query = Query::select();
    query.column((journal_line::Entity, journal_line::Column::AccountId));
    aggregate::select_exact_sum(&mut query, "journal_lines.debit", "debit");
    aggregate::select_exact_sum(&mut query, "journal_lines.credit", "credit");
    query
        .from(journal_line::Entity)
        .inner_join(
            journal_entry::Entity,
            Expr::col((journal_entry::Entity, journal_entry::Column::Id))
                .equals((journal_line::Entity, journal_line::Column::EntryId)),
        )
        .cond_where(condition)
        .group_by_col((journal_line::Entity, journal_line::Column::AccountId));
    let rows = ActivityRow::find_by_statement(db.get_database_backend().build(&query)).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let activity = Activity {
                debit: aggregate::combine(r.debit_hi, r.debit_lo),
                credit: aggregate::combine(r.credit_hi, r.credit_lo),
            };
            (r.account_id, activity)
        })
        .collect())
}

pub struct TrialBalanceRow {
    pub account: account::Model,
    pub debit: Decimal,
    pub credit: Decimal,
}

pub struct TrialBalance {
    pub as_of: NaiveDate,
    pub rows: Vec<TrialBalanceRow>,
    pub total_debit: Decimal,
    pub total_credit: Decimal,
}

/// Per account with activity up to `as_of`, within the caller's scope (or one department).
pub async fn trial_balance(
    state: &AppState,
    principal: &Principal,
    department: Option<&str>,
    as_of: NaiveDate,
) -> AppResult<TrialBalance> {
    let scope = state.authz.list_scope(principal, Perm::JOURNAL_READ, department)?;
    let activity = activity(&state.db.conn, &scope, None, as_of, None).await?;
    let mut rows: Vec<TrialBalanceRow> = accounts(&state.db.conn)
        .await?
        .into_iter()
        .filter_map(|account| {
            let a = activity.get(&account.id)?;
            Some(TrialBalanceRow { debit: money::amount_i128(a.debit), credit: money::amount_i128(a.credit), account })
        })
        .collect();
    rows.sort_by(|a, b| a.account.code.cmp(&b.account.code));
    let total_debit = rows.iter().map(|r| r.debit).sum();
    let total_credit = rows.iter().map(|r| r.credit).sum();
    Ok(TrialBalance { as_of, rows, total_debit, total_credit })
}
