//! Employees: hiring, updates, termination, and the scoped lists. What hiring and termination
//! set off in IT is `workflows/`' business: these functions work inside the caller's unit of work.

use chrono::NaiveDate;
use entity::employee;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::{Value, json};

use crate::audit::{Audited, mask};
use crate::authz::Perm;
use crate::error::{AppError, AppResult, DbResultExt};
use crate::kernel::money::{self, Currency};
use crate::kernel::pagination::{Keyset, Page, PageRequest, paginate};
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, counters, ids, time, validate};
use crate::state::AppState;

pub const ACTIVE: &str = "ACTIVE";
pub const TERMINATED: &str = "TERMINATED";

/// The annual salary, with the currency's decimals.
pub fn salary(e: &employee::Model) -> Decimal {
    let decimals = Currency::parse(&e.currency).map(|c| c.decimals).unwrap_or(2);
    money::round(money::amount(e.annual_salary), decimals)
}

impl Audited for employee::Model {
    const ENTITY_TYPE: &'static str = "Employee";
    fn audit_id(&self) -> String {
        self.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        json!({
            "id": self.id,
            "employeeNumber": self.employee_number,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": self.email,
            "department": self.department_code,
            "position": self.position,
            "managerId": self.manager_id,
            "hireDate": self.hire_date.to_string(),
            "terminationDate": self.termination_date.map(|d| d.to_string()),
            "status": self.status,
            "currency": self.currency,
            "annualSalary": salary(self).to_string(),
            "nationalId": self.national_id.as_deref().map(mask),
            "bankAccount": self.bank_account.as_deref().map(mask),
        })
    }
}

pub async fn find<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<employee::Model> {
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    employee::Entity::find_by_id(id.to_string()).one(db).await?.ok_or(AppError::NotFound)
}

/// The caller's own record, or one of a department where it reads employees; else `NOT_FOUND`.
pub async fn find_visible<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> AppResult<employee::Model> {
    let employee = find(db, id).await?;
    let own = principal.employee_id.as_deref() == Some(employee.id.as_str());
    if own || state.authz.allows(principal, Perm::EMPLOYEE_READ, &employee.department_code) {
        Ok(employee)
    } else {
        Err(AppError::NotFound)
    }
}

/// A user may be linked only to an existing employee record (one user per employee).
pub async fn check_linkable<C: ConnectionTrait>(db: &C, field: &str, employee_id: &str) -> AppResult<()> {
    match find(db, employee_id).await {
        Ok(_) => Ok(()),
        Err(AppError::NotFound) => Err(AppError::bad_input(field, "no employee with this id")),
        Err(other) => Err(other),
    }
}

pub struct Hire {
    pub department: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub position: String,
    pub manager_id: Option<String>,
    pub hire_date: NaiveDate,
    pub annual_salary: Decimal,
    pub currency: String,
    pub national_id: Option<String>,
    pub bank_account: Option<String>,
}

fn check_salary(currency: Currency, salary: Decimal) -> AppResult<i64> {
    if salary < Decimal::ZERO {
        return Err(AppError::bad_input("input.annualSalary", "annualSalary must not be negative"));
    }
    if currency.round(salary) != salary {
        return Err(AppError::bad_input(
            "input.annualSalary",
            format!("annualSalary has more decimals than {} allows", currency.code),
        ));
    }
    money::to_scaled(salary, money::AMOUNT_SCALE)
        .map_err(|e| AppError::bad_input("input.annualSalary", format!("annualSalary: {e}")))
}

/// The manager must be an employee the caller can see — anything else reads as "no employee
/// with this id", so the answer never reveals a record of another department — and neither the
/// employee nor someone reporting to them, directly or not.
async fn check_manager<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    principal: &Principal,
    employee_id: Option<&str>,
    manager_id: &str,
) -> AppResult<()> {
    let invalid = |why: &str| AppError::bad_input("input.managerId", why.to_string());
    let mut current = find_visible(db, state, principal, manager_id)
        .await
        .map_err(|e| e.as_reference("input.managerId", "employee"))?;
    for _ in 0..64 {
        if Some(current.id.as_str()) == employee_id {
            return Err(invalid("an employee cannot report to themself, directly or through others"));
        }
        match &current.manager_id {
            Some(next) => current = find(db, next).await?,
            None => return Ok(()),
        }
    }
    Err(invalid("the reporting line is too long"))
}

/// Hires inside `uow` (its `hireEmployee` event recorded); `workflows::hiring` adds the rest.
pub async fn hire(
    uow: &mut UnitOfWork,
    state: &AppState,
    principal: &Principal,
    input: Hire,
) -> AppResult<employee::Model> {
    state.authz.require(principal, Perm::EMPLOYEE_HIRE, &input.department)?;
    let first_name = validate::text("input.firstName", &input.first_name, 100)?;
    let last_name = validate::text("input.lastName", &input.last_name, 100)?;
    let email = validate::email("input.email", &input.email)?;
    let position = validate::text("input.position", &input.position, 200)?;
    let currency = Currency::parse(input.currency.trim()).ok_or_else(|| {
        AppError::bad_input("input.currency", "currency must be an upper-case ISO 4217 code such as EUR")
    })?;
    let annual_salary = check_salary(currency, input.annual_salary)?;
    let national_id = validate::optional_text("input.nationalId", input.national_id.as_deref(), 64)?;
    let bank_account = validate::optional_text("input.bankAccount", input.bank_account.as_deref(), 64)?;

    crate::org::service::require_department(uow.conn(), "input.department", &input.department, false).await?;
    if let Some(manager) = &input.manager_id {
        check_manager(uow.conn(), state, principal, None, manager).await?;
    }
    let number = format!("E{:06}", counters::next(uow.conn(), "employee").await?);
    let now = time::now();
    let hired = employee::ActiveModel {
        id: Set(ids::new_id()),
        employee_number: Set(number),
        first_name: Set(first_name),
        last_name: Set(last_name),
        email: Set(email),
        department_code: Set(input.department.clone()),
        position: Set(position),
        manager_id: Set(input.manager_id),
        hire_date: Set(input.hire_date),
        termination_date: Set(None),
        status: Set(ACTIVE.into()),
        currency: Set(currency.code.into()),
        annual_salary: Set(annual_salary),
        national_id: Set(national_id),
        bank_account: Set(bank_account),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(uow.conn())
    .await
    .on_duplicate("an employee with this email already exists")?;
    uow.record(Change::created(&hired));
    Ok(hired)
}

pub struct Update {
    pub position: Option<String>,
    pub manager_id: Option<String>,
    pub department: Option<String>,
    pub annual_salary: Option<Decimal>,
    pub bank_account: Option<String>,
}

pub async fn update(state: &AppState, rc: &RequestCtx, id: &str, input: Update) -> AppResult<employee::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "updateEmployee").await?;
    let before = find_visible(uow.conn(), state, principal, id).await?;
    state.authz.require(principal, Perm::EMPLOYEE_UPDATE, &before.department_code)?;
    if principal.employee_id.as_deref() == Some(before.id.as_str())
        && (input.annual_salary.is_some() || input.bank_account.is_some())
    {
        // Segregation of duties: HR may not raise their own pay or redirect it (CONTRACT.md §10).
        return Err(AppError::Forbidden(
            "nobody changes the salary, bank account or national id of their own employee record".into(),
        ));
    }
    if let Some(target) = &input.department {
        state.authz.require(principal, Perm::EMPLOYEE_UPDATE, target)?;
    }
    if before.status == TERMINATED {
        return Err(AppError::conflict("a terminated employee's record is closed"));
    }
    let mut change = before.clone().into_active_model();
    if let Some(position) = &input.position {
        change.position = Set(validate::text("input.position", position, 200)?);
    }
    if let Some(manager) = &input.manager_id {
        check_manager(uow.conn(), state, principal, Some(&before.id), manager).await?;
        change.manager_id = Set(Some(manager.clone()));
    }
    if let Some(department) = &input.department {
        crate::org::service::require_department(uow.conn(), "input.department", department, false).await?;
        change.department_code = Set(department.clone());
    }
    if let Some(salary) = input.annual_salary {
        let currency = Currency::parse(&before.currency).expect("stored currencies are valid");
        change.annual_salary = Set(check_salary(currency, salary)?);
    }
    if let Some(account) = &input.bank_account {
        change.bank_account = Set(validate::optional_text("input.bankAccount", Some(account), 64)?);
    }
    change.updated_at = Set(time::now());
    let after = change.update(uow.conn()).await?;
    uow.record(Change::updated(&before, &after));
    uow.commit().await?;
    Ok(after)
}

/// Terminates inside `uow` (its `terminateEmployee` event recorded); `workflows::offboarding`
/// takes away what the leaver held.
pub async fn terminate(
    uow: &mut UnitOfWork,
    state: &AppState,
    principal: &Principal,
    id: &str,
    date: NaiveDate,
    reason: &str,
) -> AppResult<employee::Model> {
    let before = find_visible(uow.conn(), state, principal, id).await?;
    state.authz.require(principal, Perm::EMPLOYEE_TERMINATE, &before.department_code)?;
    if before.status == TERMINATED {
        return Err(AppError::conflict("the employee is already terminated"));
    }
    if date < before.hire_date {
        return Err(AppError::bad_input("terminationDate", "terminationDate must not be before hireDate"));
    }
    validate::text("reason", reason, 500)?;
    // Claim the transition: of two racing terminations, only one gets past this update.
    let claimed = employee::Entity::update_many()
        .set(employee::ActiveModel {
            status: Set(TERMINATED.into()),
            termination_date: Set(Some(date)),
            updated_at: Set(time::now()),
            ..Default::default()
        })
        .filter(employee::Column::Id.eq(&before.id))
        .filter(employee::Column::Status.ne(TERMINATED))
        .exec(uow.conn())
        .await?;
    if claimed.rows_affected != 1 {
        return Err(AppError::conflict("the employee is already terminated"));
    }
    let after = find(uow.conn(), &before.id).await?;
    uow.record(Change::updated(&before, &after));
    Ok(after)
}

pub struct Filter {
    pub department: Option<String>,
    pub status: Option<&'static str>,
    pub search: Option<String>,
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: Filter,
    page: &PageRequest,
) -> AppResult<Page<employee::Model>> {
    use employee::Column as C;
    let scope = state.authz.list_scope(principal, Perm::EMPLOYEE_READ, filter.department.as_deref())?;
    let mut condition = scope.condition(C::DepartmentCode);
    if let Some(status) = filter.status {
        condition = condition.add(C::Status.eq(status));
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        let columns = [C::FirstName, C::LastName, C::Email, C::EmployeeNumber, C::Position];
        condition = condition.add(crate::kernel::search::contains_any(&columns, search));
    }
    let select = employee::Entity::find().filter(condition);
    paginate(&state.db.conn, select, Keyset::newest_first(C::Id), page, |e| e.id.clone()).await
}
