//! Payroll runs: created by HR with a payslip per employee of the period, approved by an HR
//! manager who did not create them, posted to the journal by finance.

use entity::{employee, payroll_run, payslip};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use serde_json::{Value, json};

use super::rules::{self, Period};
use crate::audit::Audited;
use crate::authz::Perm;
use crate::error::{AppError, AppResult, DbResultExt};
use crate::kernel::money::{self, Currency};
use crate::kernel::pagination::{Keyset, Page, PageRequest, paginate};
use crate::kernel::versioned::save_if_unchanged;
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, ids, time};
use crate::state::AppState;

pub const DRAFT: &str = "DRAFT";
pub const APPROVED: &str = "APPROVED";
pub const POSTED: &str = "POSTED";

/// A payslip's amount, with its currency's decimals.
pub fn slip_amount(slip: &payslip::Model, units: i64) -> Decimal {
    let decimals = Currency::parse(&slip.currency).map(|c| c.decimals).unwrap_or(2);
    money::round(money::amount(units), decimals)
}

/// A run with its payslips: one aggregate, one audit event.
pub struct RunRecord<'a> {
    pub run: &'a payroll_run::Model,
    pub payslips: &'a [payslip::Model],
}

impl Audited for RunRecord<'_> {
    const ENTITY_TYPE: &'static str = "PayrollRun";
    fn audit_id(&self) -> String {
        self.run.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.run.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        let r = self.run;
        let ledger = |units| money::ledger(money::amount(units)).to_string();
        json!({
            "id": r.id,
            "department": r.department_code,
            "period": r.period,
            "status": r.status,
            "totalGross": ledger(r.total_gross),
            "totalNet": ledger(r.total_net),
            "createdBy": r.created_by,
            "approvedBy": r.approved_by,
            "payslips": self.payslips.iter().map(|p| json!({
                "id": p.id,
                "employeeId": p.employee_id,
                "daysInPeriod": p.days_in_period,
                "daysWorked": p.days_worked,
                "gross": slip_amount(p, p.gross).to_string(),
                "incomeTax": slip_amount(p, p.income_tax).to_string(),
                "socialSecurity": slip_amount(p, p.social_security).to_string(),
                "net": slip_amount(p, p.net).to_string(),
            })).collect::<Vec<_>>(),
        })
    }
}

pub async fn payslips_of<C: ConnectionTrait>(db: &C, run_id: &str) -> AppResult<Vec<payslip::Model>> {
    Ok(payslip::Entity::find()
        .filter(payslip::Column::RunId.eq(run_id))
        .order_by_asc(payslip::Column::Id)
        .all(db)
        .await?)
}

pub async fn create_run(
    state: &AppState,
    rc: &RequestCtx,
    department: &str,
    period: &str,
) -> AppResult<payroll_run::Model> {
    let principal = rc.principal()?;
    state.authz.require(principal, Perm::PAYROLL_CREATE, department)?;
    let period = Period::parse("period", period.trim())?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "createPayrollRun").await?;
    crate::org::service::require_department(uow.conn(), "department", department, false).await?;
    let employed = employee::Entity::find()
        .filter(employee::Column::DepartmentCode.eq(department))
        .filter(employee::Column::HireDate.lte(period.last))
        .filter(
            Condition::any()
                .add(employee::Column::TerminationDate.is_null())
                .add(employee::Column::TerminationDate.gte(period.first)),
        )
        .order_by_asc(employee::Column::EmployeeNumber)
        .all(uow.conn())
        .await?;

    let now = time::now();
    let run_id = ids::new_id();
    let (settings, label) = (&state.settings, period.label());
    let mut slips = Vec::with_capacity(employed.len());
    for e in &employed {
        let currency = Currency::parse(&e.currency).expect("stored currencies are valid");
        let amounts = rules::payslip(
            currency,
            money::amount(e.annual_salary),
            &period,
            e.hire_date,
            e.termination_date,
            settings.payroll_income_tax_rate,
            settings.payroll_social_security_rate,
        );
        slips.push(payslip::Model {
            id: ids::new_id(),
            run_id: run_id.clone(),
            employee_id: e.id.clone(),
            period: label.clone(),
            days_in_period: amounts.days_in_period,
            days_worked: amounts.days_worked,
            gross: money::amount_units(amounts.gross),
            income_tax: money::amount_units(amounts.income_tax),
            social_security: money::amount_units(amounts.social_security),
            net: money::amount_units(amounts.net),
            currency: currency.code.into(),
        });
    }
    // Summed in 128 bits: a run of many top salaries must not wrap around.
    let sum = |f: fn(&payslip::Model) -> i64| i64::try_from(slips.iter().map(|p| i128::from(f(p))).sum::<i128>());
    let (Ok(gross), Ok(income_tax), Ok(social_security), Ok(net)) =
        (sum(|p| p.gross), sum(|p| p.income_tax), sum(|p| p.social_security), sum(|p| p.net))
    else {
        return Err(AppError::conflict(
            "the period's payroll of the department exceeds what one run can hold (922 trillion)",
        ));
    };
    let run = payroll_run::ActiveModel {
        id: Set(run_id),
        department_code: Set(department.to_string()),
        period: Set(label),
        status: Set(DRAFT.into()),
        total_gross: Set(gross),
        total_income_tax: Set(income_tax),
        total_social_security: Set(social_security),
        total_net: Set(net),
        created_by: Set(principal.user_id.clone()),
        approved_by: Set(None),
        posted_by: Set(None),
        journal_entry_id: Set(None),
        version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(uow.conn())
    .await
    .on_duplicate("this department already has a payroll run for the period")?;
    // Multi-row inserts: a thousand payslips a statement keeps within every engine's limit
    // of bound parameters.
    for chunk in slips.chunks(1000) {
        let rows = chunk.iter().cloned().map(payslip::ActiveModel::from);
        payslip::Entity::insert_many(rows).exec_without_returning(uow.conn()).await?;
    }
    uow.record(Change::created(&RunRecord { run: &run, payslips: &slips }));
    uow.commit().await?;
    Ok(run)
}

/// The run, or `NOT_FOUND` unless the caller reads payroll in its department.
async fn find_visible<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> AppResult<payroll_run::Model> {
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    let run = payroll_run::Entity::find_by_id(id.to_string()).one(db).await?.ok_or(AppError::NotFound)?;
    state.authz.scope(principal, Perm::PAYROLL_READ).reveal(&run.department_code)?;
    Ok(run)
}

/// Moves a run on from the version that was read (optimistic concurrency).
async fn transition(
    uow: &UnitOfWork,
    run: &payroll_run::Model,
    change: payroll_run::ActiveModel,
) -> AppResult<payroll_run::Model> {
    let conflict = "the payroll run was changed by someone else; reload it";
    save_if_unchanged::<payroll_run::Entity, _>(uow.conn(), &run.id, run.version, change, conflict).await
}

pub async fn approve_run(state: &AppState, rc: &RequestCtx, id: &str) -> AppResult<payroll_run::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "approvePayrollRun").await?;
    let run = find_visible(uow.conn(), state, principal, id).await?;
    state.authz.require(principal, Perm::PAYROLL_APPROVE, &run.department_code)?;
    if run.created_by == principal.user_id {
        return Err(AppError::Forbidden("the creator of a payroll run may not approve it".into()));
    }
    if run.status != DRAFT {
        return Err(AppError::conflict(format!("only a DRAFT run can be approved (it is {})", run.status)));
    }
    let change = payroll_run::ActiveModel {
        status: Set(APPROVED.into()),
        approved_by: Set(Some(principal.user_id.clone())),
        ..Default::default()
    };
    let approved = transition(&uow, &run, change).await?;
    let slips = payslips_of(uow.conn(), &run.id).await?;
    uow.record(Change::updated(
        &RunRecord { run: &run, payslips: &slips },
        &RunRecord { run: &approved, payslips: &slips },
    ));
    uow.commit().await?;
    Ok(approved)
}

/// Claims an APPROVED run for posting inside `uow`: it is POSTED from here on (a racing post
/// fails on the version). `workflows::payroll_posting` then posts its journal entry and links it
/// with [`link_posting`].
pub async fn claim_posting(
    uow: &UnitOfWork,
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> AppResult<(payroll_run::Model, payroll_run::Model, Period)> {
    let run = find_visible(uow.conn(), state, principal, id).await?;
    state.authz.require(principal, Perm::PAYROLL_POST, &run.department_code)?;
    if run.status != APPROVED {
        return Err(AppError::conflict(format!("only an APPROVED run can be posted (it is {})", run.status)));
    }
    let period = Period::parse("period", &run.period)?;
    let change = payroll_run::ActiveModel {
        status: Set(POSTED.into()),
        posted_by: Set(Some(principal.user_id.clone())),
        ..Default::default()
    };
    let claimed = transition(uow, &run, change).await?;
    Ok((run, claimed, period))
}

/// Stores the posted run's journal entry and records the run's `postPayrollRun` event.
pub async fn link_posting(
    uow: &mut UnitOfWork,
    before: &payroll_run::Model,
    claimed: payroll_run::Model,
    entry_id: String,
) -> AppResult<payroll_run::Model> {
    let mut posted = sea_orm::IntoActiveModel::into_active_model(claimed);
    posted.journal_entry_id = Set(Some(entry_id));
    let posted = posted.update(uow.conn()).await?;
    let slips = payslips_of(uow.conn(), &before.id).await?;
    uow.record(Change::updated(
        &RunRecord { run: before, payslips: &slips },
        &RunRecord { run: &posted, payslips: &slips },
    ));
    Ok(posted)
}

pub async fn list_runs(
    state: &AppState,
    principal: &Principal,
    department: Option<&str>,
    period: Option<&str>,
    page: &PageRequest,
) -> AppResult<Page<payroll_run::Model>> {
    let scope = state.authz.list_scope(principal, Perm::PAYROLL_READ, department)?;
    let mut condition = scope.condition(payroll_run::Column::DepartmentCode);
    if let Some(period) = period {
        condition = condition.add(payroll_run::Column::Period.eq(Period::parse("period", period.trim())?.label()));
    }
    let select = payroll_run::Entity::find().filter(condition);
    paginate(&state.db.conn, select, Keyset::newest_first(payroll_run::Column::Id), page, |r| r.id.clone()).await
}

/// The caller's own payslips, of APPROVED or POSTED runs, newest period first.
pub async fn my_payslips(state: &AppState, principal: &Principal) -> AppResult<Vec<payslip::Model>> {
    let Some(employee_id) = &principal.employee_id else { return Ok(Vec::new()) };
    let released = payroll_run::Entity::find()
        .filter(payroll_run::Column::Status.is_in([APPROVED, POSTED]))
        .select_only()
        .column(payroll_run::Column::Id)
        .into_query();
    Ok(payslip::Entity::find()
        .filter(payslip::Column::EmployeeId.eq(employee_id))
        .filter(payslip::Column::RunId.in_subquery(released))
        .order_by_desc(payslip::Column::Period)
        .all(&state.db.conn)
        .await?)
}
