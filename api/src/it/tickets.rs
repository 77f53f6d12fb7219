//! Support tickets: anyone opens one; IT assigns, works and closes it against its SLA clock;
//! requesters follow their own.

use entity::{role_assignment, ticket, ticket_comment};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::rules;
use crate::audit::Audited;
use crate::authz::{ALL_DEPARTMENTS, Perm, Role};
use crate::error::{AppError, AppResult};
use crate::kernel::pagination::{Keyset, Page, PageRequest, paginate};
use crate::kernel::versioned::save_if_unchanged;
use crate::kernel::{Change, Principal, RequestCtx, UnitOfWork, counters, ids, time, validate};
use crate::state::AppState;

pub const OPEN: &str = "OPEN";
pub const RESOLVED: &str = "RESOLVED";
pub const CLOSED: &str = "CLOSED";

impl Audited for ticket::Model {
    const ENTITY_TYPE: &'static str = "Ticket";
    fn audit_id(&self) -> String {
        self.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        json!({
            "id": self.id,
            "number": self.number,
            "department": self.department_code,
            "requesterId": self.requester_id,
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "priority": self.priority,
            "status": self.status,
            "assigneeId": self.assignee_id,
            "slaDueAt": time::format_instant(&self.sla_due_at),
            "resolvedAt": self.resolved_at.as_ref().map(time::format_instant),
        })
    }
}

/// A comment, described in its ticket's department.
pub struct CommentRecord<'a> {
    pub comment: &'a ticket_comment::Model,
    pub ticket: &'a ticket::Model,
}

impl Audited for CommentRecord<'_> {
    const ENTITY_TYPE: &'static str = "TicketComment";
    fn audit_id(&self) -> String {
        self.comment.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.ticket.department_code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        json!({"id": self.comment.id, "ticketId": self.comment.ticket_id, "authorId": self.comment.author_id, "body": self.comment.body})
    }
}

pub struct NewTicket {
    pub department: String,
    pub requester_id: String,
    pub title: String,
    pub description: String,
    pub category: &'static str,
    pub priority: &'static str,
}

/// Stores a ticket with its number and SLA clock (no event: the caller records it).
async fn insert<C: ConnectionTrait>(db: &C, new: NewTicket) -> AppResult<ticket::Model> {
    let number = format!("TCK-{:06}", counters::next(db, "ticket").await?);
    let now = time::now();
    Ok(ticket::ActiveModel {
        id: Set(ids::new_id()),
        number: Set(number),
        department_code: Set(new.department),
        requester_id: Set(new.requester_id),
        title: Set(new.title),
        description: Set(new.description),
        category: Set(new.category.into()),
        priority: Set(new.priority.into()),
        status: Set(OPEN.into()),
        assignee_id: Set(None),
        sla_due_at: Set(rules::sla_due(now, new.priority)),
        resolved_at: Set(None),
        version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

pub struct OpenInput {
    pub department: Option<String>,
    pub title: String,
    pub description: String,
    pub category: &'static str,
    pub priority: &'static str,
}

/// Anyone signed in may open a ticket in any department, by default their own employee's.
pub async fn open(state: &AppState, rc: &RequestCtx, input: OpenInput) -> AppResult<ticket::Model> {
    let principal = rc.principal()?;
    let title = validate::text("input.title", &input.title, 200)?;
    let description = validate::text("input.description", &input.description, 5000)?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "openTicket").await?;
    let department = match (input.department, &principal.employee_id) {
        (Some(d), _) => d.trim().to_string(),
        (None, Some(employee)) => crate::hr::employees::find(uow.conn(), employee).await?.department_code,
        (None, None) => return Err(AppError::bad_input("input.department", "say which department the ticket is for")),
    };
    crate::org::service::require_department(uow.conn(), "input.department", &department, false).await?;
    let new = NewTicket {
        department,
        requester_id: principal.user_id.clone(),
        title,
        description,
        category: input.category,
        priority: input.priority,
    };
    let created = insert(uow.conn(), new).await?;
    uow.record(Change::created(&created));
    uow.commit().await?;
    Ok(created)
}

/// A ticket the system opens as a consequence of another change, as `auto:openTicket`.
pub async fn open_automatically(uow: &mut UnitOfWork, new: NewTicket) -> AppResult<ticket::Model> {
    let created = insert(uow.conn(), new).await?;
    uow.record_auto("openTicket", Change::created(&created));
    Ok(created)
}

/// Tickets of departments where the principal reads tickets, and those it opened.
fn visible(state: &AppState, principal: &Principal, department: Option<&str>) -> AppResult<Condition> {
    let scope = state.authz.list_scope(principal, Perm::TICKET_READ, department)?;
    let mut mine = Condition::all().add(ticket::Column::RequesterId.eq(&principal.user_id));
    if let Some(d) = department {
        mine = mine.add(ticket::Column::DepartmentCode.eq(d));
    }
    Ok(Condition::any().add(scope.expr(ticket::Column::DepartmentCode)).add(mine))
}

/// The ticket, or `NOT_FOUND` unless the principal reads its department's tickets or opened it.
pub async fn find_visible<C: ConnectionTrait>(
    db: &C,
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> AppResult<ticket::Model> {
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    let found = ticket::Entity::find_by_id(id.to_string()).one(db).await?.ok_or(AppError::NotFound)?;
    let mine = found.requester_id == principal.user_id;
    if mine || state.authz.allows(principal, Perm::TICKET_READ, &found.department_code) {
        Ok(found)
    } else {
        Err(AppError::NotFound)
    }
}

/// Saves a change made from the version read (optimistic concurrency).
async fn save(uow: &UnitOfWork, read: &ticket::Model, change: ticket::ActiveModel) -> AppResult<ticket::Model> {
    let conflict = "the ticket was changed by someone else; reload it";
    save_if_unchanged::<ticket::Entity, _>(uow.conn(), &read.id, read.version, change, conflict).await
}

/// Does the user hold IT_TECHNICIAN or IT_MANAGER in the department (or in `*`)?
async fn holds_it_role<C: ConnectionTrait>(db: &C, user_id: &str, department: &str) -> AppResult<bool> {
    let found = role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.eq(user_id))
        .filter(role_assignment::Column::Role.is_in([Role::ItTechnician.as_str(), Role::ItManager.as_str()]))
        .filter(role_assignment::Column::Department.is_in([department, ALL_DEPARTMENTS]))
        .one(db)
        .await?;
    Ok(found.is_some())
}

pub async fn assign(state: &AppState, rc: &RequestCtx, id: &str, assignee_id: &str) -> AppResult<ticket::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "assignTicket").await?;
    let before = find_visible(uow.conn(), state, principal, id).await?;
    state.authz.require(principal, Perm::TICKET_MANAGE, &before.department_code)?;
    if !ids::plausible(assignee_id) || !holds_it_role(uow.conn(), assignee_id, &before.department_code).await? {
        return Err(AppError::bad_input("assigneeId", "the assignee must hold an IT role in the ticket's department"));
    }
    if before.status == CLOSED {
        return Err(AppError::conflict("the ticket is closed"));
    }
    let after = save(
        &uow,
        &before,
        ticket::ActiveModel { assignee_id: Set(Some(assignee_id.to_string())), ..Default::default() },
    )
    .await?;
    uow.record(Change::updated(&before, &after));
    uow.commit().await?;
    Ok(after)
}

pub async fn update_status(
    state: &AppState,
    rc: &RequestCtx,
    id: &str,
    status: &'static str,
) -> AppResult<ticket::Model> {
    let principal = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "updateTicketStatus").await?;
    let before = find_visible(uow.conn(), state, principal, id).await?;
    state.authz.require(principal, Perm::TICKET_MANAGE, &before.department_code)?;
    if !rules::can_transition(&before.status, status) {
        return Err(AppError::conflict(format!("a ticket cannot go from {} to {status}", before.status)));
    }
    let resolved_at = match status {
        RESOLVED => Some(time::now()),
        CLOSED => before.resolved_at,
        _ => None, // reopening clears the resolution
    };
    let change =
        ticket::ActiveModel { status: Set(status.into()), resolved_at: Set(resolved_at), ..Default::default() };
    let after = save(&uow, &before, change).await?;
    uow.record(Change::updated(&before, &after));
    uow.commit().await?;
    Ok(after)
}

/// The requester and IT comment; readers (a department manager) only read.
pub async fn comment(state: &AppState, rc: &RequestCtx, id: &str, body: &str) -> AppResult<ticket::Model> {
    let principal = rc.principal()?;
    let body = validate::text("body", body, 5000)?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "commentOnTicket").await?;
    let found = find_visible(uow.conn(), state, principal, id).await?;
    let mine = found.requester_id == principal.user_id;
    if !mine && !state.authz.allows(principal, Perm::TICKET_MANAGE, &found.department_code) {
        return Err(AppError::Forbidden("only the requester and IT comment on a ticket".into()));
    }
    let comment = ticket_comment::ActiveModel {
        id: Set(ids::new_id()),
        ticket_id: Set(found.id.clone()),
        author_id: Set(principal.user_id.clone()),
        body: Set(body),
        created_at: Set(time::now()),
    }
    .insert(uow.conn())
    .await?;
    uow.record(Change::created(&CommentRecord { comment: &comment, ticket: &found }));
    uow.commit().await?;
    Ok(found)
}

pub struct Filter {
    pub department: Option<String>,
    pub status: Option<&'static str>,
    pub priority: Option<&'static str>,
    pub sla_breached: Option<bool>,
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: Filter,
    page: &PageRequest,
) -> AppResult<Page<ticket::Model>> {
    use ticket::Column as C;
    let mut condition = Condition::all().add(visible(state, principal, filter.department.as_deref())?);
    if let Some(status) = filter.status {
        condition = condition.add(C::Status.eq(status));
    }
    if let Some(priority) = filter.priority {
        condition = condition.add(C::Priority.eq(priority));
    }
    if let Some(breached) = filter.sla_breached {
        let now = time::now();
        let late = Condition::any().add(Condition::all().add(C::ResolvedAt.is_null()).add(C::SlaDueAt.lt(now))).add(
            Condition::all().add(C::ResolvedAt.is_not_null()).add(Expr::col(C::ResolvedAt).gt(Expr::col(C::SlaDueAt))),
        );
        condition = condition.add(if breached { late } else { late.not() });
    }
    let select = ticket::Entity::find().filter(condition);
    paginate(&state.db.conn, select, Keyset::newest_first(C::Id), page, |t| t.id.clone()).await
}
