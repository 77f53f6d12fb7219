//! The auditor's view: `auditLog`, `auditTrail`, `verifyAuditChain`, and the evidence of §13:
//! checkpoints, proofs, the verifier key, and checking a checkpoint someone kept.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result, SimpleObject};
use entity::{audit_checkpoint, audit_event};
use serde_json::Value;

use super::service::{self, AuditQuery};
use super::{chain, checkpoint, merkle, tree};
use crate::audit::Outcome;
use crate::connection;
use crate::error::{AppError, AppResult};
use crate::kernel::pagination::PageRequest;
use crate::kernel::scalars::DateTime;
use crate::org::graphql::User;
use crate::state::app_state;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum AuditOutcome {
    Success,
    Denied,
    /// Sensitive fields (annualSalary, nationalId, bankAccount) were returned.
    Read,
}

impl AuditOutcome {
    fn outcome(self) -> Outcome {
        match self {
            AuditOutcome::Success => Outcome::Success,
            AuditOutcome::Denied => Outcome::Denied,
            AuditOutcome::Read => Outcome::Read,
        }
    }

    fn parse(stored: &str) -> Self {
        match stored {
            "DENIED" => AuditOutcome::Denied,
            "READ" => AuditOutcome::Read,
            _ => AuditOutcome::Success,
        }
    }
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
        AuditOutcome::parse(&self.0.outcome)
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

impl AuditFilter {
    /// The filter as the service applies it: in SQL for `auditLog`, in memory for subscriptions.
    pub fn into_query(self) -> AuditQuery {
        AuditQuery {
            actor_id: self.actor_id.map(|i| i.0),
            action: self.action,
            entity_type: self.entity_type,
            entity_id: self.entity_id.map(|i| i.0),
            department: self.department,
            outcome: self.outcome.map(|o| o.outcome().as_str()),
            from: self.from.map(|d| d.0),
            to: self.to.map(|d| d.0),
        }
    }
}

#[derive(SimpleObject)]
pub struct AuditChainReport {
    pub valid: bool,
    pub events_checked: i64,
    /// The first event whose hash does not match, or whose seq or prevHash breaks the chain.
    pub first_invalid_seq: Option<i64>,
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    /// With fromCheckpoint: the tree size of the signed checkpoint the verification started from
    /// (null when there was none: then every event was checked).
    pub checkpoint_tree_size: Option<i64>,
    /// What is wrong, in words (e.g. "checkpoint mismatch at tree size 42"); null when valid.
    pub problem: Option<String>,
}

impl From<chain::ChainReport> for AuditChainReport {
    fn from(r: chain::ChainReport) -> Self {
        Self {
            valid: r.valid,
            events_checked: r.events_checked,
            first_invalid_seq: r.first_invalid_seq,
            head_seq: r.head_seq,
            head_hash: r.head_hash,
            checkpoint_tree_size: r.checkpoint_size,
            problem: r.problem,
        }
    }
}

/// A signed checkpoint of the audit log (c2sp.org/tlog-checkpoint).
#[derive(SimpleObject)]
pub struct AuditCheckpoint {
    pub tree_size: i64,
    /// Base64 RFC 6962 root hash of the first treeSize events.
    pub root_hash: String,
    /// The C2SP signed note, verbatim.
    pub note: String,
    pub created_at: DateTime,
}

impl From<audit_checkpoint::Model> for AuditCheckpoint {
    fn from(c: audit_checkpoint::Model) -> Self {
        Self { tree_size: c.tree_size, root_hash: c.root_hash, note: c.note, created_at: DateTime(c.created_at) }
    }
}

/// What checkAuditCheckpoint found about a checkpoint someone kept.
#[derive(SimpleObject)]
pub struct AuditCheckpointCheck {
    /// Signed by this server's key for this log, and the current log extends it.
    pub valid: bool,
    /// Why it was accepted or refused, in words.
    pub reason: String,
    /// The checkpoint's tree size and root, once its signature checked out.
    pub tree_size: Option<i64>,
    pub root_hash: Option<String>,
    /// The log's current size and root (base64), when it extends the checkpoint.
    pub current_tree_size: Option<i64>,
    pub current_root_hash: Option<String>,
    /// Consistency proof from treeSize to currentTreeSize (base64, RFC 9162 order).
    pub consistency_proof: Vec<String>,
}

fn encode_all(hashes: Vec<merkle::Hash>) -> Vec<String> {
    hashes.iter().map(merkle::encode_hash).collect()
}

/// The number of events the stored tree covers: sizes beyond it are `BAD_USER_INPUT`.
async fn tree_size(ctx: &Context<'_>) -> AppResult<i64> {
    tree::size(&app_state(ctx).db.conn).await
}

fn check_size(field: &str, value: i64, min: i64, max: i64) -> AppResult<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(AppError::bad_input(field, format!("{field} must be from {min} to {max} (the log holds {max} events)")))
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
        let query = filter.unwrap_or_default().into_query();
        let events = service::log(app_state(ctx), &query, &page).await?;
        Ok(events.map(AuditEvent).into())
    }

    /// Everything recorded about one entity, oldest first.
    async fn audit_trail(&self, ctx: &Context<'_>, entity_type: String, entity_id: ID) -> Result<Vec<AuditEvent>> {
        let events = service::trail(app_state(ctx), &entity_type, &entity_id).await?;
        Ok(events.into_iter().map(AuditEvent).collect())
    }

    /// Recomputes every hash of the chain. With fromCheckpoint: true, starts from the latest
    /// signed checkpoint (its root against the stored tree) and checks only the events after it.
    async fn verify_audit_chain(&self, ctx: &Context<'_>, from_checkpoint: Option<bool>) -> Result<AuditChainReport> {
        let state = app_state(ctx);
        let report = match from_checkpoint {
            Some(true) => checkpoint::verify_from_latest(state).await?,
            _ => service::verify(&state.db.conn).await?,
        };
        Ok(report.into())
    }

    /// The latest signed checkpoint, or the one of that tree size (null when there is none).
    async fn audit_checkpoint(&self, ctx: &Context<'_>, tree_size: Option<i64>) -> Result<Option<AuditCheckpoint>> {
        if let Some(size) = tree_size {
            check_size("treeSize", size, 0, i64::MAX)?;
        }
        Ok(checkpoint::lookup(app_state(ctx), tree_size).await?.map(Into::into))
    }

    /// The inclusion proof of event seq in the tree of size treeSize: base64 hashes from the
    /// leaf's sibling up (RFC 9162 order). Leaf seq - 1 is SHA-256(0x00 ‖ the event's hash bytes).
    async fn audit_inclusion_proof(&self, ctx: &Context<'_>, seq: i64, tree_size: i64) -> Result<Vec<String>> {
        let size = self::tree_size(ctx).await?;
        check_size("treeSize", tree_size, 1, size)?;
        check_size("seq", seq, 1, tree_size)?;
        Ok(encode_all(tree::inclusion_proof(&app_state(ctx).db.conn, tree_size, seq - 1).await?))
    }

    /// The consistency proof that the tree of size toSize extends that of size fromSize (base64,
    /// RFC 9162 order; empty when the sizes are equal).
    async fn audit_consistency_proof(&self, ctx: &Context<'_>, from_size: i64, to_size: i64) -> Result<Vec<String>> {
        let size = self::tree_size(ctx).await?;
        check_size("toSize", to_size, 1, size)?;
        check_size("fromSize", from_size, 1, to_size)?;
        Ok(encode_all(tree::consistency_proof(&app_state(ctx).db.conn, from_size, to_size).await?))
    }

    /// The key that verifies checkpoints: `<name>+<hex8 id>+<base64(0x01 ‖ public key)>`.
    async fn audit_verifier_key(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(app_state(ctx).checkpoints.verifier()?.to_string())
    }

    /// Checks a checkpoint someone kept (the signed note, verbatim): its signature by this
    /// server's key and origin, its root against the log, and every event after it.
    async fn check_audit_checkpoint(&self, ctx: &Context<'_>, note: String) -> Result<AuditCheckpointCheck> {
        if note.len() > 4096 {
            return Err(AppError::bad_input("note", "a checkpoint is a few lines: at most 4096 bytes").into());
        }
        let check = checkpoint::check_pasted(app_state(ctx), &note).await?;
        Ok(AuditCheckpointCheck {
            valid: check.valid,
            reason: check.reason,
            tree_size: check.checkpoint.map(|c| c.size),
            root_hash: check.checkpoint.map(|c| merkle::encode_hash(&c.root)),
            current_tree_size: check.current.map(|c| c.size),
            current_root_hash: check.current.map(|c| merkle::encode_hash(&c.root)),
            consistency_proof: encode_all(check.consistency_proof),
        })
    }
}

#[derive(Default)]
pub struct AuditMutation;

#[Object]
impl AuditMutation {
    /// Signs a checkpoint of the whole log now (or returns the latest, if it already covers the
    /// log). AUDITOR and ADMIN. Not an audit event. CONFLICT without AUDIT_SIGNING_KEY.
    async fn create_audit_checkpoint(&self, ctx: &Context<'_>) -> Result<AuditCheckpoint> {
        Ok(checkpoint::create(app_state(ctx)).await?.into())
    }
}
