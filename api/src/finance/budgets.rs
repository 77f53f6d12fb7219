//! Budgets per department, year and account, and the report of actuals from the journal.

use chrono::NaiveDate;
use entity::{account, budget};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde_json::{Value, json};

use super::ledger;
use crate::audit::Audited;
use crate::authz::{Perm, Scope};
use crate::error::{AppError, AppResult};
use crate::kernel::money::{self, AMOUNT_SCALE};
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, ids, time};
use crate::state::AppState;

/// A budget, described with its account's code.
pub struct BudgetRecord<'a> {
    pub budget: &'a budget::Model,
    pub account: &'a account::Model,
}

impl Audited for BudgetRecord<'_> {
    const ENTITY_TYPE: &'static str = "Budget";
    fn audit_id(&self) -> String {
        self.budget.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.budget.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        json!({
            "id": self.budget.id,
            "department": self.budget.department_code,
            "year": self.budget.year,
            "accountCode": self.account.code,
            "amount": money::ledger(money::amount(self.budget.amount)).to_string(),
        })
    }
}

pub struct SetBudget {
    pub department: String,
    pub year: i32,
    pub account_code: String,
    pub amount: Decimal,
}

/// Creates the budget, or replaces its amount (one per department, year and account).
pub async fn set_budget(
    state: &AppState,
    rc: &RequestCtx,
    input: SetBudget,
) -> AppResult<(budget::Model, account::Model)> {
    let principal = rc.principal()?;
    state.authz.require(principal, Perm::BUDGET_WRITE, &input.department)?;
    time::check_year("input.year", input.year)?;
    let amount = money::scaled_input("input.amount", input.amount, AMOUNT_SCALE)?;
    if amount < 0 {
        return Err(AppError::bad_input("input.amount", "amount must not be negative"));
    }
    let mut uow = UnitOfWork::begin(&state.db, rc, "setBudget").await?;
    crate::org::service::require_department(uow.conn(), "input.department", &input.department, false).await?;
    let account = ledger::account_by_code(uow.conn(), input.account_code.trim())
        .await?
        .ok_or_else(|| AppError::bad_input("input.accountCode", format!("no account {:?}", input.account_code)))?;
    let existing = budget::Entity::find()
        .filter(budget::Column::DepartmentCode.eq(&input.department))
        .filter(budget::Column::Year.eq(input.year))
        .filter(budget::Column::AccountId.eq(&account.id))
        .one(uow.conn())
        .await?;
    let now = time::now();
    let saved = match &existing {
        Some(before) => {
            let mut change = before.clone().into_active_model();
            change.amount = Set(amount);
            change.updated_at = Set(now);
            let after = change.update(uow.conn()).await?;
            uow.record(Change::updated(
                &BudgetRecord { budget: before, account: &account },
                &BudgetRecord { budget: &after, account: &account },
            ));
            after
        }
        None => {
            let created = budget::ActiveModel {
                id: Set(ids::new_id()),
                department_code: Set(input.department.clone()),
                year: Set(input.year),
                account_id: Set(account.id.clone()),
                amount: Set(amount),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(uow.conn())
            .await?;
            uow.record(Change::created(&BudgetRecord { budget: &created, account: &account }));
            created
        }
    };
    uow.commit().await?;
    Ok((saved, account))
}

pub struct BudgetLine {
    pub account: account::Model,
    pub budget: Decimal,
    pub actual: Decimal,
    pub remaining: Decimal,
}

/// Per budgeted account: `actual` = Σ(debit − credit) in the department and year.
pub async fn report(
    state: &AppState,
    principal: &Principal,
    department: &str,
    year: i32,
) -> AppResult<Vec<BudgetLine>> {
    state.authz.require(principal, Perm::BUDGET_READ, department)?;
    let year = time::check_year("year", year)?;
    let (Some(first), Some(last)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else {
        return Err(AppError::bad_input("year", "not a valid year"));
    };
    let budgets = budget::Entity::find()
        .filter(budget::Column::DepartmentCode.eq(department))
        .filter(budget::Column::Year.eq(year))
        .all(&state.db.conn)
        .await?;
    let department_only = Scope::Only([department.to_string()].into());
    let activity = ledger::activity(&state.db.conn, &department_only, Some(first), last, None).await?;
    let accounts = ledger::accounts(&state.db.conn).await?;
    let mut lines: Vec<BudgetLine> = budgets
        .into_iter()
        .filter_map(|b| {
            let account = accounts.iter().find(|a| a.id == b.account_id)?.clone();
            let a = activity.get(&b.account_id).copied().unwrap_or_default();
            let budget = money::amount(b.amount);
            let actual = money::amount_i128(a.debit - a.credit);
            Some(BudgetLine { account, budget, actual, remaining: budget - actual })
        })
        .collect();
    lines.sort_by(|a, b| a.account.code.cmp(&b.account.code));
    Ok(lines)
}
