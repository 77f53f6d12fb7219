//! GraphQL of IT: assets, licences, tickets, access grants.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use entity::{access_grant, asset, software_license, ticket, ticket_comment};

use super::loaders::{CommentsByTicket, HeldSeatsByLicense};
use super::{access, assets, licenses, rules, tickets};
use crate::connection;
use crate::error::loader_error;
use crate::hr::graphql::Employee;
use crate::hr::loaders::EmployeeById;
use crate::kernel::context::request_ctx;
use crate::kernel::money;
use crate::kernel::pagination::PageRequest;
use crate::kernel::scalars::{Date, DateTime, Decimal};
use crate::kernel::time;
use crate::org::graphql::{Department, User};
use crate::state::app_state;

/// Maps a GraphQL enum to and from the names stored in the database.
macro_rules! stored_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            fn parse(text: &str) -> Self {
                [$($name::$variant),+].into_iter().find(|v| v.as_str() == text).expect("stored values are valid")
            }
        }
    };
}

stored_enum!(AssetKind { Laptop => "LAPTOP", Desktop => "DESKTOP", Phone => "PHONE", Monitor => "MONITOR", Server => "SERVER", Network => "NETWORK", Other => "OTHER" });
stored_enum!(AssetStatus { InStock => "IN_STOCK", Assigned => "ASSIGNED", InRepair => "IN_REPAIR", Retired => "RETIRED" });
stored_enum!(TicketPriority { P1 => "P1", P2 => "P2", P3 => "P3", P4 => "P4" });
stored_enum!(TicketStatus { Open => "OPEN", InProgress => "IN_PROGRESS", Resolved => "RESOLVED", Closed => "CLOSED" });
stored_enum!(TicketCategory { Hardware => "HARDWARE", Software => "SOFTWARE", Access => "ACCESS", Network => "NETWORK", Other => "OTHER" });

// ---------------------------------------------------------------- assets

#[derive(Clone)]
pub struct Asset(pub asset::Model);

#[Object]
impl Asset {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Department::load(ctx, &self.0.department_code).await
    }
    async fn tag(&self) -> &str {
        &self.0.tag
    }
    async fn kind(&self) -> AssetKind {
        AssetKind::parse(&self.0.kind)
    }
    async fn model(&self) -> &str {
        &self.0.model
    }
    async fn serial_number(&self) -> &str {
        &self.0.serial_number
    }
    async fn status(&self) -> AssetStatus {
        AssetStatus::parse(&self.0.status)
    }
    async fn assigned_to(&self, ctx: &Context<'_>) -> Result<Option<Employee>> {
        Employee::load_opt(ctx, self.0.assigned_to.as_deref()).await
    }
    async fn purchase_date(&self) -> Option<Date> {
        self.0.purchase_date.map(Date)
    }
    async fn purchase_cost(&self) -> Option<Decimal> {
        self.0.purchase_cost.map(|c| Decimal(money::ledger(money::amount(c))))
    }
    async fn warranty_ends_on(&self) -> Option<Date> {
        self.0.warranty_ends_on.map(Date)
    }
}

connection!(AssetConnection, AssetEdge, Asset);

#[derive(InputObject)]
pub struct RegisterAssetInput {
    pub department: String,
    pub tag: String,
    pub kind: AssetKind,
    pub model: String,
    pub serial_number: String,
    pub purchase_date: Option<Date>,
    pub purchase_cost: Option<Decimal>,
    pub warranty_ends_on: Option<Date>,
}

// ---------------------------------------------------------------- licences

#[derive(Clone)]
pub struct SoftwareLicense(pub software_license::Model);

impl SoftwareLicense {
    async fn held(&self, ctx: &Context<'_>) -> Result<Vec<entity::license_seat::Model>> {
        let loader = ctx.data_unchecked::<DataLoader<HeldSeatsByLicense>>();
        Ok(loader.load_one(self.0.id.clone()).await.map_err(loader_error)?.unwrap_or_default())
    }
}

#[Object]
impl SoftwareLicense {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Department::load(ctx, &self.0.department_code).await
    }
    async fn product(&self) -> &str {
        &self.0.product
    }
    async fn vendor(&self) -> &str {
        &self.0.vendor
    }
    async fn seats(&self) -> i32 {
        self.0.seats
    }
    async fn seats_used(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(self.held(ctx).await?.len() as i32)
    }
    async fn expires_on(&self) -> Option<Date> {
        self.0.expires_on.map(Date)
    }
    async fn assignees(&self, ctx: &Context<'_>) -> Result<Vec<Employee>> {
        let ids: Vec<String> = self.held(ctx).await?.into_iter().map(|seat| seat.employee_id).collect();
        let loader = ctx.data_unchecked::<DataLoader<EmployeeById>>();
        let mut found = loader.load_many(ids.iter().cloned()).await.map_err(loader_error)?;
        // In the order the seats were taken.
        Ok(ids.iter().filter_map(|id| found.remove(id)).map(Employee).collect())
    }
}

#[derive(InputObject)]
pub struct AddSoftwareLicenseInput {
    pub department: String,
    pub product: String,
    pub vendor: String,
    pub seats: i32,
    pub expires_on: Option<Date>,
}

// ---------------------------------------------------------------- tickets

#[derive(Clone)]
pub struct TicketComment(pub ticket_comment::Model);

#[Object]
impl TicketComment {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<User> {
        User::load(ctx, &self.0.author_id).await
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

#[derive(Clone)]
pub struct Ticket(pub ticket::Model);

#[Object]
impl Ticket {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn department(&self, ctx: &Context<'_>) -> Result<Department> {
        Department::load(ctx, &self.0.department_code).await
    }
    async fn requester(&self, ctx: &Context<'_>) -> Result<User> {
        User::load(ctx, &self.0.requester_id).await
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn category(&self) -> TicketCategory {
        TicketCategory::parse(&self.0.category)
    }
    async fn priority(&self) -> TicketPriority {
        TicketPriority::parse(&self.0.priority)
    }
    async fn status(&self) -> TicketStatus {
        TicketStatus::parse(&self.0.status)
    }
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        User::load_opt(ctx, self.0.assignee_id.as_deref()).await
    }
    async fn sla_due_at(&self) -> DateTime {
        DateTime(self.0.sla_due_at)
    }
    /// Unresolved past slaDueAt, or resolved after it.
    async fn sla_breached(&self) -> bool {
        rules::sla_breached(self.0.sla_due_at, self.0.resolved_at, time::now())
    }
    async fn resolved_at(&self) -> Option<DateTime> {
        self.0.resolved_at.map(DateTime)
    }
    async fn comments(&self, ctx: &Context<'_>) -> Result<Vec<TicketComment>> {
        let loader = ctx.data_unchecked::<DataLoader<CommentsByTicket>>();
        let rows = loader.load_one(self.0.id.clone()).await.map_err(loader_error)?.unwrap_or_default();
        Ok(rows.into_iter().map(TicketComment).collect())
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

connection!(TicketConnection, TicketEdge, Ticket);

#[derive(InputObject)]
pub struct OpenTicketInput {
    /// Defaults to the department of the caller's employee record.
    pub department: Option<String>,
    pub title: String,
    pub description: String,
    pub category: TicketCategory,
    pub priority: TicketPriority,
}

#[derive(InputObject, Default)]
pub struct TicketFilter {
    pub department: Option<String>,
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    pub sla_breached: Option<bool>,
}

// ---------------------------------------------------------------- access

#[derive(Clone)]
pub struct AccessGrant(pub access_grant::Model);

#[Object]
impl AccessGrant {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn employee(&self, ctx: &Context<'_>) -> Result<Employee> {
        Employee::load(ctx, &self.0.employee_id).await
    }
    async fn system(&self) -> &str {
        &self.0.system
    }
    async fn level(&self) -> &str {
        &self.0.level
    }
    async fn granted_by(&self, ctx: &Context<'_>) -> Result<User> {
        User::load(ctx, &self.0.granted_by).await
    }
    async fn granted_at(&self) -> DateTime {
        DateTime(self.0.granted_at)
    }
    async fn revoked_at(&self) -> Option<DateTime> {
        self.0.revoked_at.map(DateTime)
    }
    async fn revoked_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        User::load_opt(ctx, self.0.revoked_by.as_deref()).await
    }
}

#[derive(InputObject)]
pub struct GrantAccessInput {
    pub employee_id: ID,
    pub system: String,
    pub level: String,
}

// ---------------------------------------------------------------- roots

#[derive(Default)]
pub struct ItQuery;

#[Object]
impl ItQuery {
    async fn assets(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        department: Option<String>,
        status: Option<AssetStatus>,
    ) -> Result<AssetConnection> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let principal = request_ctx(ctx).principal()?;
        let rows =
            assets::list(app_state(ctx), principal, department.as_deref(), status.map(AssetStatus::as_str), &page)
                .await?;
        Ok(rows.map(Asset).into())
    }

    /// Licences in scope, newest first (`first` at most 100, default 20).
    async fn software_licenses(
        &self,
        ctx: &Context<'_>,
        department: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Vec<SoftwareLicense>> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let principal = request_ctx(ctx).principal()?;
        Ok(licenses::list(app_state(ctx), principal, department.as_deref(), &page)
            .await?
            .into_iter()
            .map(SoftwareLicense)
            .collect())
    }

    /// Tickets of departments in scope, and those the caller opened.
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<TicketFilter>,
    ) -> Result<TicketConnection> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let f = filter.unwrap_or_default();
        let filter = tickets::Filter {
            department: f.department,
            status: f.status.map(TicketStatus::as_str),
            priority: f.priority.map(TicketPriority::as_str),
            sla_breached: f.sla_breached,
        };
        let principal = request_ctx(ctx).principal()?;
        Ok(tickets::list(app_state(ctx), principal, filter, &page).await?.map(Ticket).into())
    }

    async fn ticket(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Ticket>> {
        let state = app_state(ctx);
        let principal = request_ctx(ctx).principal()?;
        Ok(Some(Ticket(tickets::find_visible(&state.db.conn, state, principal, &id).await?)))
    }

    /// Grants in scope, newest first (`first` at most 100, default 20); `activeOnly` hides revoked ones.
    async fn access_grants(
        &self,
        ctx: &Context<'_>,
        employee_id: Option<ID>,
        active_only: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Vec<AccessGrant>> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let principal = request_ctx(ctx).principal()?;
        let employee_id = employee_id.as_ref().map(|id| id.as_str());
        let rows = access::list(app_state(ctx), principal, employee_id, active_only.unwrap_or(false), &page).await?;
        Ok(rows.into_iter().map(AccessGrant).collect())
    }
}

#[derive(Default)]
pub struct ItMutation;

#[Object]
impl ItMutation {
    async fn register_asset(&self, ctx: &Context<'_>, input: RegisterAssetInput) -> Result<Asset> {
        let new = assets::Register {
            department: input.department,
            tag: input.tag,
            kind: input.kind.as_str(),
            model: input.model,
            serial_number: input.serial_number,
            purchase_date: input.purchase_date.map(|d| d.0),
            purchase_cost: input.purchase_cost.map(|d| d.0),
            warranty_ends_on: input.warranty_ends_on.map(|d| d.0),
        };
        Ok(Asset(assets::register(app_state(ctx), request_ctx(ctx), new).await?))
    }

    async fn assign_asset(&self, ctx: &Context<'_>, asset_id: ID, employee_id: ID) -> Result<Asset> {
        Ok(Asset(assets::assign(app_state(ctx), request_ctx(ctx), &asset_id, &employee_id).await?))
    }

    async fn return_asset(&self, ctx: &Context<'_>, asset_id: ID) -> Result<Asset> {
        Ok(Asset(assets::give_back(app_state(ctx), request_ctx(ctx), &asset_id).await?))
    }

    async fn retire_asset(&self, ctx: &Context<'_>, asset_id: ID, reason: String) -> Result<Asset> {
        Ok(Asset(assets::retire(app_state(ctx), request_ctx(ctx), &asset_id, &reason).await?))
    }

    async fn add_software_license(&self, ctx: &Context<'_>, input: AddSoftwareLicenseInput) -> Result<SoftwareLicense> {
        let (state, rc) = (app_state(ctx), request_ctx(ctx));
        let expires = input.expires_on.map(|d| d.0);
        let license =
            licenses::add(state, rc, &input.department, &input.product, &input.vendor, input.seats, expires).await?;
        Ok(SoftwareLicense(license))
    }

    async fn assign_license_seat(&self, ctx: &Context<'_>, license_id: ID, employee_id: ID) -> Result<SoftwareLicense> {
        Ok(SoftwareLicense(licenses::assign_seat(app_state(ctx), request_ctx(ctx), &license_id, &employee_id).await?))
    }

    async fn release_license_seat(
        &self,
        ctx: &Context<'_>,
        license_id: ID,
        employee_id: ID,
    ) -> Result<SoftwareLicense> {
        Ok(SoftwareLicense(licenses::release_seat(app_state(ctx), request_ctx(ctx), &license_id, &employee_id).await?))
    }

    /// Anyone signed in may open a ticket, in their employee record's department by default.
    async fn open_ticket(&self, ctx: &Context<'_>, input: OpenTicketInput) -> Result<Ticket> {
        let new = tickets::OpenInput {
            department: input.department,
            title: input.title,
            description: input.description,
            category: input.category.as_str(),
            priority: input.priority.as_str(),
        };
        Ok(Ticket(tickets::open(app_state(ctx), request_ctx(ctx), new).await?))
    }

    async fn assign_ticket(&self, ctx: &Context<'_>, id: ID, assignee_id: ID) -> Result<Ticket> {
        Ok(Ticket(tickets::assign(app_state(ctx), request_ctx(ctx), &id, &assignee_id).await?))
    }

    /// OPEN → IN_PROGRESS → RESOLVED → CLOSED; RESOLVED → IN_PROGRESS reopens.
    async fn update_ticket_status(&self, ctx: &Context<'_>, id: ID, status: TicketStatus) -> Result<Ticket> {
        Ok(Ticket(tickets::update_status(app_state(ctx), request_ctx(ctx), &id, status.as_str()).await?))
    }

    async fn comment_on_ticket(&self, ctx: &Context<'_>, id: ID, body: String) -> Result<Ticket> {
        Ok(Ticket(tickets::comment(app_state(ctx), request_ctx(ctx), &id, &body).await?))
    }

    async fn grant_access(&self, ctx: &Context<'_>, input: GrantAccessInput) -> Result<AccessGrant> {
        let (state, rc) = (app_state(ctx), request_ctx(ctx));
        Ok(AccessGrant(access::grant(state, rc, &input.employee_id, &input.system, &input.level).await?))
    }

    async fn revoke_access(&self, ctx: &Context<'_>, id: ID) -> Result<AccessGrant> {
        Ok(AccessGrant(access::revoke(app_state(ctx), request_ctx(ctx), &id).await?))
    }
}
