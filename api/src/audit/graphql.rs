//! The auditor's view: `auditLog`, `auditTrail`, `verifyAuditChain`.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result, SimpleObject};
use entity::audit_event;
use serde_json::Value;

use super::chain;
use super::service::{self, AuditQuery};
use crate::connection;
use crate::kernel::pagination::PageRequest;
use crate::kernel::scalars::DateTime;
use crate::org::graphql::User;
use crate::state::app_state;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum AuditOutcome {
    Success,
    Denied,
}

#[derive(Clone)]
pub struct AuditEvent(pub audit_event::Model);

#[Object]
impl AuditEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Global, gapless, strictly increasing from 1.
    async fn seq(&self) -> i64 {
        self.0.seq
    }
    async fn occurred_at(&self) -> DateTime {
        DateTime(self.0.occurred_at)
    }
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = &self.0.actor_id else {
            return Ok(None);
        };
        let loader = ctx.data_unchecked::<crate::org::loaders::Users>();
        Ok(loader.load_one(id.clone()).await.map_err(crate::error::loader_error)?.map(User::new))
    }
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_id.clone().map(ID)
    }
    async fn actor_email(&self) -> Option<&str> {
        self.0.actor_email.as_deref()
    }
    /// The mutation's name (e.g. "approveInvoice"), or "auto:<what>" for a change the system made as a consequence of one.
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }
    async fn entity_id(&self) -> Option<ID> {
        self.0.entity_id.clone().map(ID)
    }
    /// Code of the department the entity belongs to, if any.
    async fn department(&self) -> Option<&str> {
        self.0.department.as_deref()
    }
    async fn before(&self) -> Option<Json<Value>> {
        self.0.before.as_deref().map(|t| Json(chain::parse_json(Some(t))))
    }
    async fn after(&self) -> Option<Json<Value>> {
        self.0.after.as_deref().map(|t| Json(chain::parse_json(Some(t))))
    }
    async fn outcome(&self) -> AuditOutcome {
        if self.0.outcome == "DENIED" { AuditOutcome::Denied } else { AuditOutcome::Success }
    }
    async fn request_id(&self) -> &str {
        &self.0.request_id
    }
    async fn prev_hash(&self) -> &str {
        &self.0.prev_hash
    }
    async fn hash(&self) -> &str {
        &self.0.hash
    }
}

connection!(AuditEventConnection, AuditEventEdge, AuditEvent);

#[derive(InputObject, Default)]
pub struct AuditFilter {
    pub actor_id: Option<ID>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<ID>,
    pub department: Option<String>,
    pub outcome: Option<AuditOutcome>,
    pub from: Option<DateTime>,
    pub to: Option<DateTime>,
}

#[derive(SimpleObject)]
pub struct AuditChainReport {
    pub valid: bool,
    pub events_checked: i64,
    /// The first event whose hash does not match, or whose seq or prevHash breaks the chain.
    pub first_invalid_seq: Option<i64>,
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
}

impl From<chain::ChainReport> for AuditChainReport {
    fn from(r: chain::ChainReport) -> Self {
        Self {
            valid: r.valid,
            events_checked: r.events_checked,
            first_invalid_seq: r.first_invalid_seq,
            head_seq: r.head_seq,
            head_hash: r.head_hash,
        }
    }
}

#[derive(Default)]
pub struct AuditQueryRoot;

#[Object]
impl AuditQueryRoot {
    /// The audit log, newest first. AUDITOR and ADMIN.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<AuditFilter>,
    ) -> Result<AuditEventConnection> {
        let page = PageRequest::for_connection(ctx, first, after)?;
        let f = filter.unwrap_or_default();
        let query = AuditQuery {
            actor_id: f.actor_id.map(|i| i.0),
            action: f.action,
            entity_type: f.entity_type,
            entity_id: f.entity_id.map(|i| i.0),
            department: f.department,
            outcome: f.outcome.map(|o| if o == AuditOutcome::Denied { "DENIED" } else { "SUCCESS" }),
            from: f.from.map(|d| d.0),
            to: f.to.map(|d| d.0),
        };
        let events = service::log(app_state(ctx), &query, &page).await?;
        Ok(events.map(AuditEvent).into())
    }

    /// Everything recorded about one entity, oldest first.
    async fn audit_trail(&self, ctx: &Context<'_>, entity_type: String, entity_id: ID) -> Result<Vec<AuditEvent>> {
        let events = service::trail(app_state(ctx), &entity_type, &entity_id).await?;
        Ok(events.into_iter().map(AuditEvent).collect())
    }

    /// Recomputes every hash of the chain.
    async fn verify_audit_chain(&self, ctx: &Context<'_>) -> Result<AuditChainReport> {
        Ok(service::verify(&app_state(ctx).db.conn).await?.into())
    }
}
