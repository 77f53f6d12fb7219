//! Leave: requests (for oneself, or by HR for anyone), decisions by the department's manager
//! or HR (never by the employee), and the yearly vacation balance.

use chrono::{Datelike, NaiveDate};
use entity::{employee, leave_request};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::employees::{self, TERMINATED};
use super::rules;
use crate::audit::Audited;
use crate::authz::Perm;
use crate::error::{AppError, AppResult};
use crate::kernel::pagination::{Keyset, Page, PageRequest, paginate};
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, ids, time, validate};
use crate::state::AppState;

pub const PENDING: &str = "PENDING";
pub const APPROVED: &str = "APPROVED";
pub const REJECTED: &str = "REJECTED";
pub const VACATION: &str = "VACATION";

impl Audited for leave_request::Model {
    const ENTITY_TYPE: &'static str = "LeaveRequest";
    fn audit_id(&self) -> String {
        self.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        json!({
            "id": self.id,
            "employeeId": self.employee_id,
            "type": self.leave_type,
            "startDate": self.start_date.to_string(),
            "endDate": self.end_date.to_string(),
            "days": self.days,
            "status": self.status,
            "reason": self.reason,
            "decidedBy": self.decided_by,
            "note": self.decision_note,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balance {
    pub year: i32,
    pub allowance: i32,
    pub taken: i32,
    pub pending: i32,
    pub remaining: i32,
}

/// VACATION days approved and pending in `year`; `remaining` = allowance − taken − pending.
pub async fn balance_of<C: ConnectionTrait>(
    db: &C,
    employee_id: &str,
    year: i32,
    allowance: i32,
) -> AppResult<Balance> {
    let year = time::check_year("year", year)?;
    let (Some(first), Some(last)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else {
        return Err(AppError::bad_input("year", "not a valid year"));
    };
    let requests = leave_request::Entity::find()
        .filter(leave_request::Column::EmployeeId.eq(employee_id))
        .filter(leave_request::Column::LeaveType.eq(VACATION))
        .filter(leave_request::Column::Status.is_in([PENDING, APPROVED]))
        .filter(leave_request::Column::StartDate.between(first, last))
        .all(db)
        .await?;
    let sum = |status: &str| requests.iter().filter(|r| r.status == status).map(|r| r.days).sum::<i32>();
    let (taken, pending) = (sum(APPROVED), sum(PENDING));
    Ok(Balance { year, allowance, taken, pending, remaining: allowance - taken - pending })
}

pub struct NewRequest {
    pub employee_id: Option<String>,
    pub leave_type: &'static str,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub reason: Option<String>,
}

pub async fn request(state: &AppState, rc: &RequestCtx, input: NewRequest) -> AppResult<leave_request::Model> {
    let principal = rc.principal()?;
    let reason = validate::optional_text("input.reason", input.reason.as_deref(), 500)?;
    let employee_id = match (&input.employee_id, &principal.employee_id) {
        (Some(id), _) => id.clone(),
        (None, Some(own)) => own.clone(),
        (None, None) => {
            return Err(AppError::Forbidden(
                "you have no employee record: say whose leave this is (employeeId)".into(),
            ));
        }
    };
    let mut uow = UnitOfWork::begin(&state.db, rc, "requestLeave").await?;
    let employee = employees::find_visible(uow.conn(), state, principal, &employee_id)
        .await
        .map_err(|e| e.as_reference("input.employeeId", "employee"))?;
    let own = principal.employee_id.as_deref() == Some(employee.id.as_str());
    if !own {
        state.authz.require(principal, Perm::LEAVE_REQUEST, &employee.department_code)?;
    }
    let days = rules::leave_days(input.start_date, input.end_date)?;
    if employee.status == TERMINATED {
        return Err(AppError::conflict("the employee has been terminated"));
    }
    let overlapping = leave_request::Entity::find()
        .filter(leave_request::Column::EmployeeId.eq(&employee.id))
        .filter(leave_request::Column::Status.is_in([PENDING, APPROVED]))
        .filter(leave_request::Column::StartDate.lte(input.end_date))
        .filter(leave_request::Column::EndDate.gte(input.start_date))
        .one(uow.conn())
        .await?;
    if overlapping.is_some() {
        return Err(AppError::conflict("the dates overlap another pending or approved request"));
    }
    if input.leave_type == VACATION {
        let balance =
            balance_of(uow.conn(), &employee.id, input.start_date.year(), state.settings.vacation_days_per_year)
                .await?;
        if days > balance.remaining {
            return Err(AppError::conflict(format!("{days} vacation days asked, {} remaining", balance.remaining)));
        }
    }
    let now = time::now();
    let created = leave_request::ActiveModel {
        id: Set(ids::new_id()),
        employee_id: Set(employee.id.clone()),
        department_code: Set(employee.department_code.clone()),
        leave_type: Set(input.leave_type.into()),
        start_date: Set(input.start_date),
        end_date: Set(input.end_date),
        days: Set(days),
        status: Set(PENDING.into()),
        reason: Set(reason),
        decided_by: Set(None),
        decision_note: Set(None),
        created_by: Set(principal.user_id.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(uow.conn())
    .await?;
    uow.record(Change::created(&created));
    uow.commit().await?;
    Ok(created)
}

/// What a principal sees of leave: requests of departments where it reads leave, and its own.
fn visible(state: &AppState, principal: &Principal, department: Option<&str>) -> AppResult<Condition> {
    let scope = state.authz.list_scope(principal, Perm::LEAVE_READ, department)?;
    let mut condition = Condition::any().add(scope.expr(leave_request::Column::DepartmentCode));
    if let (Some(own), None) = (&principal.employee_id, department) {
        condition = condition.add(leave_request::Column::EmployeeId.eq(own));
    }
    Ok(condition)
}

pub async fn decide(
    state: &AppState,
    rc: &RequestCtx,
    id: &str,
    approve: bool,
    note: Option<String>,
) -> AppResult<leave_request::Model> {
    let principal = rc.principal()?;
    let note = validate::optional_text("note", note.as_deref(), 500)?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "decideLeaveRequest").await?;
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    let before = leave_request::Entity::find_by_id(id.to_string())
        .filter(visible(state, principal, None)?)
        .one(uow.conn())
        .await?
        .ok_or(AppError::NotFound)?;
    if principal.employee_id.as_deref() == Some(before.employee_id.as_str()) {
        return Err(AppError::Forbidden("nobody decides their own leave".into()));
    }
    state.authz.require(principal, Perm::LEAVE_DECIDE, &before.department_code)?;
    if before.status != PENDING {
        return Err(AppError::conflict(format!("only a PENDING request can be decided (it is {})", before.status)));
    }
    let decided = leave_request::Entity::update_many()
        .set(leave_request::ActiveModel {
            status: Set(if approve { APPROVED } else { REJECTED }.into()),
            decided_by: Set(Some(principal.user_id.clone())),
            decision_note: Set(note),
            updated_at: Set(time::now()),
            ..Default::default()
        })
        .filter(leave_request::Column::Id.eq(&before.id))
        .filter(leave_request::Column::Status.eq(PENDING))
        .exec(uow.conn())
        .await?;
    if decided.rows_affected != 1 {
        return Err(AppError::conflict("the request was decided meanwhile"));
    }
    let after =
        leave_request::Entity::find_by_id(before.id.clone()).one(uow.conn()).await?.ok_or(AppError::NotFound)?;
    uow.record(Change::updated(&before, &after));
    uow.commit().await?;
    Ok(after)
}

pub struct Filter {
    pub department: Option<String>,
    pub status: Option<&'static str>,
    pub employee_id: Option<String>,
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: Filter,
    page: &PageRequest,
) -> AppResult<Page<leave_request::Model>> {
    let mut condition = Condition::all().add(visible(state, principal, filter.department.as_deref())?);
    if let Some(status) = filter.status {
        condition = condition.add(leave_request::Column::Status.eq(status));
    }
    if let Some(employee) = &filter.employee_id {
        condition = condition.add(leave_request::Column::EmployeeId.eq(employee));
    }
    let select = leave_request::Entity::find().filter(condition);
    paginate(&state.db.conn, select, Keyset::newest_first(leave_request::Column::Id), page, |r| r.id.clone()).await
}

/// The employee's own balance, or any employee's for those who read leave in its department.
pub async fn balance(state: &AppState, principal: &Principal, employee_id: &str, year: i32) -> AppResult<Balance> {
    let employee: employee::Model = employees::find(&state.db.conn, employee_id).await?;
    let own = principal.employee_id.as_deref() == Some(employee.id.as_str());
    if !own && !state.authz.allows(principal, Perm::LEAVE_READ, &employee.department_code) {
        return Err(AppError::NotFound);
    }
    balance_of(&state.db.conn, &employee.id, year, state.settings.vacation_days_per_year).await
}
