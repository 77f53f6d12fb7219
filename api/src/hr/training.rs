//! Labour compliance beyond the contract: training and certification records, and what
//! lapses soon.

use chrono::{Duration, NaiveDate};
use entity::training_record;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

use super::employees;
use crate::audit::Audited;
use crate::authz::Perm;
use crate::error::{AppError, AppResult};
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, ids, time, validate};
use crate::state::AppState;

impl Audited for training_record::Model {
    const ENTITY_TYPE: &'static str = "TrainingRecord";
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
            "title": self.title,
            "kind": self.kind,
            "completedOn": self.completed_on.to_string(),
            "expiresOn": self.expires_on.map(|d| d.to_string()),
        })
    }
}

pub struct NewRecord {
    pub employee_id: String,
    pub title: String,
    pub kind: &'static str,
    pub completed_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
}

pub async fn record(state: &AppState, rc: &RequestCtx, input: NewRecord) -> AppResult<training_record::Model> {
    let principal = rc.principal()?;
    let title = validate::text("input.title", &input.title, 200)?;
    if input.expires_on.is_some_and(|e| e < input.completed_on) {
        return Err(AppError::bad_input("input.expiresOn", "expiresOn must not be before completedOn"));
    }
    let mut uow = UnitOfWork::begin(&state.db, rc, "recordTraining").await?;
    let employee = employees::find_visible(uow.conn(), state, principal, &input.employee_id)
        .await
        .map_err(|e| e.as_reference("input.employeeId", "employee"))?;
    state.authz.require(principal, Perm::TRAINING_WRITE, &employee.department_code)?;
    let created = training_record::ActiveModel {
        id: Set(ids::new_id()),
        employee_id: Set(employee.id.clone()),
        department_code: Set(employee.department_code.clone()),
        title: Set(title),
        kind: Set(input.kind.into()),
        completed_on: Set(input.completed_on),
        expires_on: Set(input.expires_on),
        created_by: Set(principal.user_id.clone()),
        created_at: Set(time::now()),
    }
    .insert(uow.conn())
    .await?;
    uow.record(Change::created(&created));
    uow.commit().await?;
    Ok(created)
}

/// An employee's records, newest first: their own, or HR's and managers' of the department.
pub async fn of_employee(
    state: &AppState,
    principal: &Principal,
    employee_id: &str,
) -> AppResult<Vec<training_record::Model>> {
    let employee = employees::find_visible(&state.db.conn, state, principal, employee_id).await?;
    let own = principal.employee_id.as_deref() == Some(employee.id.as_str());
    if !own && !state.authz.allows(principal, Perm::TRAINING_READ, &employee.department_code) {
        return Err(AppError::Forbidden(
            "training records are for HR, the department's manager and the employee".into(),
        ));
    }
    Ok(training_record::Entity::find()
        .filter(training_record::Column::EmployeeId.eq(employee.id))
        .order_by_desc(training_record::Column::CompletedOn)
        .all(&state.db.conn)
        .await?)
}

/// Records in scope lapsing within `days` from today (and, if asked, those already lapsed),
/// soonest first; at most `first` of them.
pub async fn expiring(
    state: &AppState,
    principal: &Principal,
    department: Option<&str>,
    days: i32,
    include_expired: bool,
    first: u64,
) -> AppResult<Vec<training_record::Model>> {
    if !(0..=3650).contains(&days) {
        return Err(AppError::bad_input("withinDays", "withinDays must be between 0 and 3650"));
    }
    let scope = state.authz.list_scope(principal, Perm::TRAINING_READ, department)?;
    let today = time::today();
    let mut condition = scope
        .condition(training_record::Column::DepartmentCode)
        .add(training_record::Column::ExpiresOn.lte(today + Duration::days(days as i64)));
    if !include_expired {
        condition = condition.add(training_record::Column::ExpiresOn.gte(today));
    }
    Ok(training_record::Entity::find()
        .filter(condition)
        .order_by_asc(training_record::Column::ExpiresOn)
        .order_by_asc(training_record::Column::Id)
        .limit(first)
        .all(&state.db.conn)
        .await?)
}
