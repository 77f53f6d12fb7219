//! Rules of the organisation: departments, users, role assignments.

use entity::{department, refresh_token, role_assignment, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};
use serde_json::{Value, json};

use crate::audit::Audited;
use crate::auth::password;
use crate::authz::ALL_DEPARTMENTS;
use crate::authz::Role;
use crate::error::{AppError, AppResult, DbResultExt};
use crate::kernel::notify::Notice;
use crate::kernel::pagination::{Keyset, Page, PageRequest, paginate};
use crate::kernel::{Change, RequestCtx, UnitOfWork, ids, time, validate};
use crate::state::AppState;

pub const DEPARTMENT_KINDS: [&str; 5] = ["FINANCE", "HR", "IT", "OPERATIONS", "OTHER"];

impl Audited for department::Model {
    const ENTITY_TYPE: &'static str = "Department";
    fn audit_id(&self) -> String {
        self.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        Some(self.code.clone())
    }
    fn audit_snapshot(&self) -> Value {
        json!({"id": self.id, "code": self.code, "name": self.name, "kind": self.kind})
    }
}

/// A user as the audit log describes it: the API's fields, roles included, no secrets.
pub struct UserRecord<'a> {
    pub user: &'a user::Model,
    pub roles: &'a [role_assignment::Model],
}

impl Audited for UserRecord<'_> {
    const ENTITY_TYPE: &'static str = "User";
    fn audit_id(&self) -> String {
        self.user.id.clone()
    }
    fn audit_department(&self) -> Option<String> {
        None
    }
    fn audit_snapshot(&self) -> Value {
        let u = self.user;
        json!({
            "id": u.id,
            "email": u.email,
            "displayName": u.display_name,
            "active": u.active,
            "employeeId": u.employee_id,
            "roles": self.roles.iter().map(|r| json!({"role": r.role, "department": r.department})).collect::<Vec<_>>(),
            "createdAt": time::format_instant(&u.created_at),
        })
    }
}

// ---------------------------------------------------------------- departments

pub struct NewDepartment {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
}

/// Department codes: 1–32 letters, digits, `-` or `_`, starting with a letter or digit.
pub fn check_department_code(field: &str, code: &str) -> AppResult<String> {
    let code = code.trim();
    let valid = (1..=32).contains(&code.len())
        && code.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(code.to_string())
    } else {
        Err(AppError::bad_input(
            field,
            "code must be 1 to 32 letters, digits, '-' or '_', starting with a letter or digit",
        ))
    }
}

pub async fn list_departments(state: &AppState) -> AppResult<Vec<department::Model>> {
    Ok(department::Entity::find().order_by_asc(department::Column::Code).all(&state.db.conn).await?)
}

pub async fn create_department(
    state: &AppState,
    rc: &RequestCtx,
    input: NewDepartment,
) -> AppResult<department::Model> {
    let code = check_department_code("input.code", &input.code)?;
    let name = validate::text("input.name", &input.name, 200)?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "createDepartment").await?;
    let created = insert_department(uow.conn(), &code, &name, input.kind).await?;
    uow.record(Change::created(&created));
    uow.commit().await?;
    Ok(created)
}

pub async fn insert_department<C: ConnectionTrait>(
    db: &C,
    code: &str,
    name: &str,
    kind: &str,
) -> AppResult<department::Model> {
    department::ActiveModel {
        id: Set(ids::new_id()),
        code: Set(code.to_string()),
        code_key: Set(code.to_lowercase()),
        name: Set(name.to_string()),
        kind: Set(kind.to_string()),
        created_at: Set(time::now()),
    }
    .insert(db)
    .await
    .on_duplicate("a department with this code already exists")
}

/// Fails with `BAD_USER_INPUT` on `field` unless `code` is `*` (when allowed) or an existing department.
pub async fn require_department<C: ConnectionTrait>(db: &C, field: &str, code: &str, allow_all: bool) -> AppResult<()> {
    if allow_all && code == ALL_DEPARTMENTS {
        return Ok(());
    }
    let exists = department::Entity::find().filter(department::Column::Code.eq(code)).one(db).await?.is_some();
    if exists { Ok(()) } else { Err(AppError::bad_input(field, format!("no department with code {code:?}"))) }
}

// ---------------------------------------------------------------- users

pub struct NewUser {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub employee_id: Option<String>,
}

pub async fn find_user<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<user::Model> {
    if !ids::plausible(id) {
        return Err(AppError::NotFound);
    }
    user::Entity::find_by_id(id.to_string()).one(db).await?.ok_or(AppError::NotFound)
}

pub async fn find_user_by_email<C: ConnectionTrait>(db: &C, email: &str) -> AppResult<user::Model> {
    user::Entity::find().filter(user::Column::Email.eq(email.to_lowercase())).one(db).await?.ok_or(AppError::NotFound)
}

pub async fn roles_of<C: ConnectionTrait>(db: &C, user_id: &str) -> AppResult<Vec<role_assignment::Model>> {
    Ok(role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.eq(user_id))
        .order_by_asc(role_assignment::Column::Department)
        .order_by_asc(role_assignment::Column::Role)
        .all(db)
        .await?)
}

pub async fn list_users(state: &AppState, page: &PageRequest) -> AppResult<Page<user::Model>> {
    paginate(&state.db.conn, user::Entity::find(), Keyset::newest_first(user::Column::Id), page, |u| u.id.clone()).await
}

pub async fn create_user(state: &AppState, rc: &RequestCtx, input: NewUser) -> AppResult<user::Model> {
    let email = validate::email("input.email", &input.email)?;
    password::check_policy("input.password", &input.password)?;
    let display_name = validate::text("input.displayName", &input.display_name, 200)?;
    let password_hash = password::hash(input.password).await?;

    let mut uow = UnitOfWork::begin(&state.db, rc, "createUser").await?;
    if let Some(employee_id) = &input.employee_id {
        crate::hr::employees::check_linkable(uow.conn(), "input.employeeId", employee_id).await?;
    }
    let created = insert_user(uow.conn(), &email, password_hash, &display_name, input.employee_id).await?;
    uow.record(Change::created(&UserRecord { user: &created, roles: &[] }));
    uow.commit().await?;
    Ok(created)
}

pub async fn insert_user<C: ConnectionTrait>(
    db: &C,
    email: &str,
    password_hash: String,
    display_name: &str,
    employee_id: Option<String>,
) -> AppResult<user::Model> {
    let now = time::now();
    user::ActiveModel {
        id: Set(ids::new_id()),
        email: Set(email.to_string()),
        password_hash: Set(password_hash),
        display_name: Set(display_name.to_string()),
        active: Set(true),
        token_version: Set(0),
        failed_logins: Set(0),
        locked_until: Set(None),
        employee_id: Set(employee_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .on_duplicate("a user with this email, or linked to this employee, already exists")
}

/// Creates a user holding ADMIN on `*`: the first administrator (bootstrap, demo).
pub async fn create_administrator(
    state: &AppState,
    rc: &RequestCtx,
    email: &str,
    password_hash: String,
    display_name: &str,
) -> AppResult<user::Model> {
    let mut uow = UnitOfWork::begin(&state.db, rc, "createUser").await?;
    let user = insert_user(uow.conn(), email, password_hash, display_name, None).await?;
    insert_role(uow.conn(), &user.id, Role::Admin, ALL_DEPARTMENTS).await?;
    let roles = roles_of(uow.conn(), &user.id).await?;
    uow.record(Change::created(&UserRecord { user: &user, roles: &roles }));
    uow.commit().await?;
    Ok(user)
}

pub async fn insert_role<C: ConnectionTrait>(db: &C, user_id: &str, role: Role, department: &str) -> AppResult<()> {
    role_assignment::ActiveModel {
        id: Set(ids::new_id()),
        user_id: Set(user_id.to_string()),
        role: Set(role.as_str().to_string()),
        department: Set(department.to_string()),
        created_at: Set(time::now()),
    }
    .insert(db)
    .await
    .on_duplicate("the user already holds this role in this department")?;
    Ok(())
}

/// Bumps the token version, so every access token issued before stops working — on every
/// process, from the next request (`Notice::UserChanged` on commit).
pub async fn bump_token_version(uow: &mut UnitOfWork, user: &user::Model) -> AppResult<user::Model> {
    let mut active = user.clone().into_active_model();
    active.token_version = Set(user.token_version + 1);
    active.updated_at = Set(time::now());
    let updated = active.update(uow.conn()).await?;
    uow.notify(Notice::UserChanged(user.id.clone()));
    Ok(updated)
}

pub async fn revoke_refresh_tokens<C: ConnectionTrait>(db: &C, user_id: &str) -> AppResult<u64> {
    let result = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(time::now()))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RoleChange {
    Assign,
    Revoke,
}

pub async fn change_role(
    state: &AppState,
    rc: &RequestCtx,
    change: RoleChange,
    user_id: &str,
    role: Role,
    department: &str,
) -> AppResult<user::Model> {
    let department = department.trim();
    let action = if change == RoleChange::Assign { "assignRole" } else { "revokeRole" };
    let mut uow = UnitOfWork::begin(&state.db, rc, action).await?;
    let user = find_user(uow.conn(), user_id).await?;
    require_department(uow.conn(), "input.department", department, true).await?;
    let before_roles = roles_of(uow.conn(), &user.id).await?;
    let holds = before_roles.iter().any(|r| r.role == role.as_str() && r.department == department);
    match (change, holds) {
        // Nothing to change: answer with the user as it is, and write nothing.
        (RoleChange::Assign, true) | (RoleChange::Revoke, false) => {
            uow.rollback().await?;
            return Ok(user);
        }
        (RoleChange::Assign, false) => insert_role(uow.conn(), &user.id, role, department).await?,
        (RoleChange::Revoke, true) => {
            role_assignment::Entity::delete_many()
                .filter(role_assignment::Column::UserId.eq(&user.id))
                .filter(role_assignment::Column::Role.eq(role.as_str()))
                .filter(role_assignment::Column::Department.eq(department))
                .exec(uow.conn())
                .await?;
        }
    }
    let updated = bump_token_version(&mut uow, &user).await?;
    let after_roles = roles_of(uow.conn(), &user.id).await?;
    uow.record(Change::updated(
        &UserRecord { user: &user, roles: &before_roles },
        &UserRecord { user: &updated, roles: &after_roles },
    ));
    uow.commit().await?;
    Ok(updated)
}

pub async fn deactivate_user(state: &AppState, rc: &RequestCtx, user_id: &str) -> AppResult<user::Model> {
    let caller = rc.principal()?;
    let mut uow = UnitOfWork::begin(&state.db, rc, "deactivateUser").await?;
    let user = find_user(uow.conn(), user_id).await?;
    if user.id == caller.user_id {
        return Err(AppError::conflict("you cannot deactivate your own account"));
    }
    if !user.active {
        return Err(AppError::conflict("the user is already deactivated"));
    }
    let updated = deactivate(&mut uow, &user, None).await?;
    uow.commit().await?;
    Ok(updated)
}

/// Deactivates a user inside a unit of work: tokens bumped, refresh tokens revoked. `auto` names
/// the mutation this mimics when it is a consequence of another (offboarding).
pub async fn deactivate(uow: &mut UnitOfWork, user: &user::Model, auto: Option<&str>) -> AppResult<user::Model> {
    let roles = roles_of(uow.conn(), &user.id).await?;
    let mut active = user.clone().into_active_model();
    active.active = Set(false);
    active.updated_at = Set(time::now());
    let deactivated = active.update(uow.conn()).await?;
    let updated = bump_token_version(uow, &deactivated).await?;
    revoke_refresh_tokens(uow.conn(), &user.id).await?;
    let change = Change::updated(&UserRecord { user, roles: &roles }, &UserRecord { user: &updated, roles: &roles });
    match auto {
        Some(mimics) => uow.record_auto(mimics, change),
        None => uow.record(change),
    }
    Ok(updated)
}
