//! Recruitment: job openings, candidates moving forward through the stages, and openings that
//! close by themselves once their headcount is hired.

use entity::{candidate, job_opening};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter,
};
use serde_json::{Value, json};

use super::rules;
use crate::audit::Audited;
use crate::authz::Perm;
use crate::error::{AppError, AppResult, DbResultExt};
use crate::kernel::pagination::{Keyset, PageRequest, fetch};
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, ids, time, validate};
use crate::state::AppState;

pub const OPEN: &str = "OPEN";
pub const CLOSED: &str = "CLOSED";
pub const HIRED: &str = "HIRED";

impl Audited for job_opening::Model {
    const ENTITY_TYPE: &'static str = "JobOpening";
    fn audit_id(&self) -> String {
        self.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        json!({"id": self.id, "department": self.department_code, "title": self.title, "headcount": self.headcount, "status": self.status})
    }
}

/// A candidate, described in its opening's department.
pub struct CandidateRecord<'a> {
    pub candidate: &'a candidate::Model,
    pub opening: &'a job_opening::Model,
}

impl Audited for CandidateRecord<'_> {
    const ENTITY_TYPE: &'static str = "Candidate";
    fn audit_id(&self) -> String {
        self.candidate.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.opening.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        let c = self.candidate;
        json!({"id": c.id, "openingId": c.opening_id, "fullName": c.full_name, "email": c.email, "stage": c.stage})
    }
}

pub async fn open(
    state: &AppState,
    rc: &RequestCtx,
    department: &str,
    title: &str,
    headcount: i32,
) -> AppResult<job_opening::Model> {
    let principal = rc.principal()?;
    state.authz.require(principal, Perm::RECRUITMENT_WRITE, department)?;
    let title = validate::text("input.title", title, 200)?;
    if !(1..=1000).contains(&headcount) {
        return Err(AppError::bad_input("input.headcount", "headcount must be between 1 and 1000"));
    }
    let mut uow = UnitOfWork::begin(&state.db, rc, "openJobOpening").await?;
    crate::org::service::require_department(uow.conn(), "input.department", department, false).await?;
    let now = time::now();
    let opening = job_opening::ActiveModel {
        id: Set(ids::new_id()),
        department_code: Set(department.to_string()),
        title: Set(title),
        headcount: Set(headcount),
        status: Set(OPEN.into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(uow.conn())
    .await?;
    uow.record(Change::created(&opening));
    uow.commit().await?;
    Ok(opening)
}

async fn find_visible_opening<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> AppResult<job_opening::Model> {
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    let opening = job_opening::Entity::find_by_id(id.to_string()).one(db).await?.ok_or(AppError::NotFound)?;
    state.authz.scope(principal, Perm::RECRUITMENT_READ).reveal(&opening.department_code)?;
    Ok(opening)
}

pub async fn add_candidate(
    state: &AppState,
    rc: &RequestCtx,
    opening_id: &str,
    full_name: &str,
    email: &str,
) -> AppResult<candidate::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "addCandidate").await?;
    let opening = find_visible_opening(uow.conn(), state, principal, opening_id)
        .await
        .map_err(|e| e.as_reference("input.openingId", "job opening"))?;
    state.authz.require(principal, Perm::RECRUITMENT_WRITE, &opening.department_code)?;
    let full_name = validate::text("input.fullName", full_name, 200)?;
    let email = validate::email("input.email", email)?;
    if opening.status == CLOSED {
        return Err(AppError::conflict("the opening is closed"));
    }
    let now = time::now();
    let created = candidate::ActiveModel {
        id: Set(ids::new_id()),
        opening_id: Set(opening.id.clone()),
        full_name: Set(full_name),
        email: Set(email),
        stage: Set(rules::STAGES[0].into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(uow.conn())
    .await
    .on_duplicate("this email has already applied to the opening")?;
    uow.record(Change::created(&CandidateRecord { candidate: &created, opening: &opening }));
    uow.commit().await?;
    Ok(created)
}

pub async fn move_candidate(state: &AppState, rc: &RequestCtx, id: &str, stage: &str) -> AppResult<candidate::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "moveCandidate").await?;
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    let before = candidate::Entity::find_by_id(id.to_string()).one(uow.conn()).await?.ok_or(AppError::NotFound)?;
    let opening = find_visible_opening(uow.conn(), state, principal, &before.opening_id).await?;
    state.authz.require(principal, Perm::RECRUITMENT_WRITE, &opening.department_code)?;
    if !rules::can_move(&before.stage, stage) {
        return Err(AppError::conflict(format!("a candidate at {} cannot move to {stage}", before.stage)));
    }
    if stage == HIRED && opening.status == CLOSED {
        return Err(AppError::conflict("the opening is closed: nobody more can be hired into it"));
    }
    let mut change = before.clone().into_active_model();
    change.stage = Set(stage.to_string());
    change.updated_at = Set(time::now());
    let after = change.update(uow.conn()).await?;
    uow.record(Change::updated(
        &CandidateRecord { candidate: &before, opening: &opening },
        &CandidateRecord { candidate: &after, opening: &opening },
    ));
    if stage == HIRED {
        let hired = candidate::Entity::find()
            .filter(candidate::Column::OpeningId.eq(&opening.id))
            .filter(candidate::Column::Stage.eq(HIRED))
            .count(uow.conn())
            .await?;
        if hired >= opening.headcount as u64 {
            let mut closing = opening.clone().into_active_model();
            closing.status = Set(CLOSED.into());
            closing.updated_at = Set(time::now());
            let closed = closing.update(uow.conn()).await?;
            uow.record_auto("closeJobOpening", Change::updated(&opening, &closed));
        }
    }
    uow.commit().await?;
    Ok(after)
}

pub async fn openings(
    state: &AppState,
    principal: &Principal,
    department: Option<&str>,
    status: Option<&str>,
    page: &PageRequest,
) -> AppResult<Vec<job_opening::Model>> {
    let scope = state.authz.list_scope(principal, Perm::RECRUITMENT_READ, department)?;
    let mut condition = scope.condition(job_opening::Column::DepartmentCode);
    if let Some(status) = status {
        condition = condition.add(job_opening::Column::Status.eq(status));
    }
    let select = job_opening::Entity::find().filter(condition);
    Ok(fetch(&state.db.conn, select, Keyset::newest_first(job_opening::Column::Id), page).await?.0)
}
