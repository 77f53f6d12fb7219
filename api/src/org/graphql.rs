//! GraphQL of the organisation: `Department`, `User`, `RoleAssignment`, and their operations.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, InputObject, InputType, Object, Result, SelectionField, SimpleObject, Value};
use entity::{department, user};

use super::loaders::{Departments, RolesByUser, Users};
use super::service::{self, NewDepartment, NewUser, RoleChange};
use crate::authz::{Perm, Role};
use crate::connection;
use crate::error::{AppError, loader_error};
use crate::kernel::context::request_ctx;
use crate::kernel::joins::{Needed, needed_by};
use crate::kernel::pagination::PageRequest;
use crate::kernel::projection::{Plain, Project};
use crate::kernel::scalars::DateTime;
use crate::state::app_state;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum DepartmentKind {
    Finance,
    Hr,
    It,
    Operations,
    Other,
}

impl DepartmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DepartmentKind::Finance => "FINANCE",
            DepartmentKind::Hr => "HR",
            DepartmentKind::It => "IT",
            DepartmentKind::Operations => "OPERATIONS",
            DepartmentKind::Other => "OTHER",
        }
    }

    fn parse(kind: &str) -> Self {
        match kind {
            "FINANCE" => DepartmentKind::Finance,
            "HR" => DepartmentKind::Hr,
            "IT" => DepartmentKind::It,
            "OPERATIONS" => DepartmentKind::Operations,
            _ => DepartmentKind::Other,
        }
    }
}

#[derive(Clone)]
pub struct Department(pub department::Model);

#[Object]
impl Department {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> DepartmentKind {
        DepartmentKind::parse(&self.0.kind)
    }
}

impl Project for Department {
    fn type_name(&self) -> &'static str {
        "Department"
    }

    fn plain(&self, field: &str) -> Option<Plain<'_>> {
        let value = match field {
            "id" => Value::String(self.0.id.clone()),
            "code" => Value::String(self.0.code.clone()),
            "name" => Value::String(self.0.name.clone()),
            "kind" => DepartmentKind::parse(&self.0.kind).to_value(),
            _ => return None,
        };
        Some(Plain::Value(value))
    }
}

impl Department {
    /// The columns a selection of a department's `fields` reads (its resolvers above).
    pub fn needed<'a>(fields: impl IntoIterator<Item = SelectionField<'a>>) -> Needed {
        use department::Column as C;
        needed_by(fields, |field| {
            Some(match field {
                "__typename" => &[],
                "id" => &[C::Id],
                "code" => &[C::Code],
                "name" => &[C::Name],
                "kind" => &[C::Kind],
                _ => return None,
            })
        })
    }

    /// The department a record belongs to, batched per request.
    pub async fn load(ctx: &Context<'_>, code: &str) -> Result<Department> {
        let loader = ctx.data_unchecked::<Departments>();
        let found = loader.load_one(code.to_string()).await.map_err(loader_error)?;
        found.map(Department).ok_or_else(|| AppError::internal(anyhow::anyhow!("department {code} is missing")).into())
    }
}

#[derive(SimpleObject, Clone)]
pub struct RoleAssignment {
    pub role: Role,
    /// A department code, or "*" for every department.
    pub department: String,
}

#[derive(Clone)]
pub struct User {
    pub model: user::Model,
    /// Set on `AuthPayload.user`: the user who just signed in sees their own roles.
    pub viewer_is_self: bool,
}

impl User {
    pub fn new(model: user::Model) -> Self {
        Self { model, viewer_is_self: false }
    }

    /// The columns a selection of a user's `fields` reads (its resolvers below).
    pub fn needed<'a>(fields: impl IntoIterator<Item = SelectionField<'a>>) -> Needed {
        use user::Column as C;
        needed_by(fields, |field| {
            Some(match field {
                "__typename" => &[],
                "id" | "roles" => &[C::Id],
                "email" => &[C::Email],
                "displayName" => &[C::DisplayName],
                "active" => &[C::Active],
                "employee" => &[C::EmployeeId],
                "createdAt" => &[C::CreatedAt],
                _ => return None,
            })
        })
    }

    /// A user that a visible record points to (`createdBy`, `approvedBy` …), batched.
    pub async fn load(ctx: &Context<'_>, id: &str) -> Result<User> {
        Self::load_opt(ctx, Some(id))
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("user {id} is missing")).into())
    }

    pub async fn load_opt(ctx: &Context<'_>, id: Option<&str>) -> Result<Option<User>> {
        let Some(id) = id else { return Ok(None) };
        let loader = ctx.data_unchecked::<Users>();
        Ok(loader.load_one(id.to_string()).await.map_err(loader_error)?.map(User::new))
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.model.id.clone())
    }
    async fn email(&self) -> &str {
        &self.model.email
    }
    async fn display_name(&self) -> &str {
        &self.model.display_name
    }
    async fn active(&self) -> bool {
        self.model.active
    }
    async fn employee(&self, ctx: &Context<'_>) -> Result<Option<crate::hr::graphql::Employee>> {
        crate::hr::graphql::Employee::load_opt(ctx, self.model.employee_id.as_deref()).await
    }
    /// Visible to ADMIN, AUDITOR and the user themself; others get null with a FORBIDDEN error at this path.
    async fn roles(&self, ctx: &Context<'_>) -> Result<Option<Vec<RoleAssignment>>> {
        let rc = request_ctx(ctx);
        let allowed = self.viewer_is_self
            || rc.principal_opt().is_some_and(|p| {
                p.user_id == self.model.id || app_state(ctx).authz.allows_everywhere(p, Perm::USERS_READ)
            });
        if !allowed {
            return Err(AppError::forbidden().into());
        }
        let loader = ctx.data_unchecked::<DataLoader<RolesByUser>>();
        let rows = loader.load_one(self.model.id.clone()).await.map_err(loader_error)?.unwrap_or_default();
        Ok(Some(
            rows.into_iter()
                .filter_map(|r| Role::parse(&r.role).map(|role| RoleAssignment { role, department: r.department }))
                .collect(),
        ))
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.model.created_at)
    }
}

/// `employee` and `roles` (authorized) need their resolvers.
impl Project for User {
    fn type_name(&self) -> &'static str {
        "User"
    }

    fn plain(&self, field: &str) -> Option<Plain<'_>> {
        let m = &self.model;
        let value = match field {
            "id" => Value::String(m.id.clone()),
            "email" => Value::String(m.email.clone()),
            "displayName" => Value::String(m.display_name.clone()),
            "active" => Value::Boolean(m.active),
            "createdAt" => DateTime(m.created_at).to_value(),
            _ => return None,
        };
        Some(Plain::Value(value))
    }
}

connection!(UserConnection, UserEdge, User);

#[derive(InputObject)]
pub struct CreateDepartmentInput {
    pub code: String,
    pub name: String,
    pub kind: DepartmentKind,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    #[graphql(secret)]
    pub password: String,
    pub display_name: String,
    pub employee_id: Option<ID>,
}

#[derive(InputObject)]
pub struct RoleInput {
    pub user_id: ID,
    pub role: Role,
    pub department: String,
}

#[derive(Default)]
pub struct OrgQuery;

#[Object]
impl OrgQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let principal = request_ctx(ctx).principal()?;
        User::load(ctx, &principal.user_id).await
    }

    async fn departments(&self, ctx: &Context<'_>) -> Result<Vec<Department>> {
        Ok(service::list_departments(app_state(ctx)).await?.into_iter().map(Department).collect())
    }

    /// Every user, newest first. ADMIN and AUDITOR.
    async fn users(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<UserConnection> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        Ok(service::list_users(app_state(ctx), &page).await?.map(User::new).into())
    }
}

#[derive(Default)]
pub struct OrgMutation;

#[Object]
impl OrgMutation {
    async fn create_department(&self, ctx: &Context<'_>, input: CreateDepartmentInput) -> Result<Department> {
        let new = NewDepartment { code: input.code, name: input.name, kind: input.kind.as_str() };
        Ok(Department(service::create_department(app_state(ctx), request_ctx(ctx), new).await?))
    }

    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let new = NewUser {
            email: input.email,
            password: input.password,
            display_name: input.display_name,
            employee_id: input.employee_id.map(|i| i.0),
        };
        Ok(User::new(service::create_user(app_state(ctx), request_ctx(ctx), new).await?))
    }

    async fn assign_role(&self, ctx: &Context<'_>, input: RoleInput) -> Result<User> {
        let (state, rc) = (app_state(ctx), request_ctx(ctx));
        let user =
            service::change_role(state, rc, RoleChange::Assign, &input.user_id, input.role, &input.department).await?;
        Ok(User::new(user))
    }

    async fn revoke_role(&self, ctx: &Context<'_>, input: RoleInput) -> Result<User> {
        let (state, rc) = (app_state(ctx), request_ctx(ctx));
        let user =
            service::change_role(state, rc, RoleChange::Revoke, &input.user_id, input.role, &input.department).await?;
        Ok(User::new(user))
    }

    async fn deactivate_user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        Ok(User::new(service::deactivate_user(app_state(ctx), request_ctx(ctx), &id).await?))
    }
}
