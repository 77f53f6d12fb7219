//! Signed checkpoints of the audit log (CONTRACT.md §13): c2sp.org/tlog-checkpoint notes,
//! signed with Ed25519 as c2sp.org/signed-note, readable by Go's `golang.org/x/mod/sumdb/note`.
//!
//! A checkpoint says "the first *n* events of log *origin* have Merkle root *r*", signed. An
//! auditor who keeps one outside the company catches any later rewrite, truncation or fork of
//! those *n* events (`trastienda audit verify --checkpoint`), even by someone who can drop the
//! triggers and rehash the chain.
//!
//! This process signs only what it has verified: before a new checkpoint, the events since the
//! previous one (by the same key) are rehashed and their tree hashes recomputed
//! ([`chain::verify_from`]), so a rewrite below a signed checkpoint is never signed over. The
//! cost follows the new events. Checkpoints are stored once per key and tree size; two processes
//! signing the same size at once produce the same note (Ed25519 is deterministic) and one row.
//! Checkpoints are not audit events: they add nothing to the log they describe.

use std::time::Duration;

use entity::{audit_checkpoint, audit_head};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use super::chain::{self, Extension, HEAD_ID, TrustedRoot};
use super::merkle::{self, Hash};
use super::note::{self, Signer, Verifier};
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::kernel::time;
use crate::state::AppState;

/// What this process needs to sign and check checkpoints.
pub struct Checkpoints {
    signer: Option<Signer>,
    pub origin: String,
    pub interval: Duration,
}

impl Checkpoints {
    /// From the settings, whose `AUDIT_SIGNING_KEY` was validated when they were read.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let signer = match &settings.audit_signing_key {
            Some(key) => Some(Signer::new(key.expose()).map_err(|e| anyhow::anyhow!("AUDIT_SIGNING_KEY: {e}"))?),
            None => None,
        };
        Ok(Self {
            signer,
            origin: settings.audit_origin.clone(),
            interval: Duration::from_secs(settings.audit_checkpoint_interval_secs),
        })
    }

    /// The key that signs, or the `CONFLICT` that explains why there is none.
    pub fn signer(&self) -> AppResult<&Signer> {
        self.signer.as_ref().ok_or_else(no_key)
    }

    /// The verifier key (`<name>+<hex8 id>+<base64>`) of the signing key.
    pub fn verifier(&self) -> AppResult<Verifier> {
        Ok(self.signer()?.verifier())
    }
}

/// Refusing to make checkpoints without a key is `CONFLICT`: the server's state (its
/// configuration) forbids it, whoever asks.
fn no_key() -> AppError {
    AppError::conflict(
        "no audit signing key is configured: set AUDIT_SIGNING_KEY (see `trastienda audit keygen`) \
         to make audit checkpoints",
    )
}

/// Checkpoints by `key`, newest (largest) first, or the one of tree size `size`.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    key: Option<&str>,
    size: Option<i64>,
) -> AppResult<Option<audit_checkpoint::Model>> {
    let mut query = audit_checkpoint::Entity::find();
    if let Some(key) = key {
        query = query.filter(audit_checkpoint::Column::VerifierKey.eq(key));
    }
    if let Some(size) = size {
        query = query.filter(audit_checkpoint::Column::TreeSize.eq(size));
    }
    let found = query
        .order_by_desc(audit_checkpoint::Column::TreeSize)
        .order_by_desc(audit_checkpoint::Column::CreatedAt)
        .one(db)
        .await?;
    Ok(found)
}

/// The checkpoint `auditCheckpoint` answers with: the current key's (latest, or of that
/// size); with no key configured, whichever key signed it.
pub async fn lookup(state: &AppState, size: Option<i64>) -> AppResult<Option<audit_checkpoint::Model>> {
    let key = state.checkpoints.verifier().ok().map(|v| v.to_string());
    find(&state.db.conn, key.as_deref(), size).await
}

/// The latest checkpoint by `verifier`, as a root to trust: its note must verify with that key
/// and say what its row says. `Err` with the reason when the stored note is not genuine.
pub async fn latest_trusted(
    db: &DatabaseConnection,
    origin: &str,
    verifier: &Verifier,
) -> AppResult<Result<Option<(audit_checkpoint::Model, TrustedRoot)>, String>> {
    let Some(latest) = find(db, Some(&verifier.to_string()), None).await? else {
        return Ok(Ok(None));
    };
    Ok(match open(&latest.note, origin, verifier) {
        Ok(trusted) if trusted.size == latest.tree_size && merkle::encode_hash(&trusted.root) == latest.root_hash => {
            Ok(Some((latest, trusted)))
        }
        Ok(_) => Err(format!("the stored checkpoint of tree size {} does not match its note", latest.tree_size)),
        Err(why) => Err(format!("the stored checkpoint of tree size {}: {why}", latest.tree_size)),
    })
}

/// Opens a signed checkpoint with `verifier` and checks its origin.
pub fn open(text: &str, origin: &str, verifier: &Verifier) -> Result<TrustedRoot, String> {
    let checkpoint = note::open_checkpoint(text.as_bytes(), verifier).map_err(|e| match e {
        note::NoteError::Unverified(_) => format!("the note is not signed by {}", verifier.name()),
        other => other.to_string(),
    })?;
    if checkpoint.origin != origin {
        return Err(format!("the checkpoint is for {:?}, not this log ({origin:?})", checkpoint.origin));
    }
    Ok(TrustedRoot { size: checkpoint.size, root: checkpoint.root })
}

/// Signs a checkpoint of the whole log, unless the latest one by this key already covers it
/// (then that one is the answer). Refuses (`CONFLICT`) without a key, and when the log does not
/// extend the previous checkpoint: a log that fails verification is never signed.
pub async fn create(state: &AppState) -> AppResult<audit_checkpoint::Model> {
    let checkpoints = &state.checkpoints;
    let signer = checkpoints.signer()?;
    let verifier = signer.verifier();
    let db = &state.db.conn;
    let previous = latest_trusted(db, &checkpoints.origin, &verifier).await?.map_err(refuse)?;
    let Extension { report, head } = chain::verify_from(db, previous.as_ref().map(|(_, t)| *t)).await?;
    let head = match head {
        Some(head) if report.valid => head,
        _ => return Err(refuse(report.problem.unwrap_or_else(|| "the audit log does not verify".into()))),
    };
    if let Some((latest, _)) = previous
        && latest.tree_size == head.size
    {
        return Ok(latest);
    }
    store(db, &checkpoints.origin, signer, head).await
}

fn refuse(problem: String) -> AppError {
    tracing::error!(%problem, "refusing to sign an audit checkpoint");
    AppError::conflict(format!("refusing to sign an audit checkpoint: {problem}"))
}

async fn store(
    db: &DatabaseConnection,
    origin: &str,
    signer: &Signer,
    head: TrustedRoot,
) -> AppResult<audit_checkpoint::Model> {
    let note = note::sign_checkpoint(origin, head.size, &head.root, signer)
        .map_err(|e| AppError::internal(anyhow::anyhow!("signing a checkpoint: {e}")))?;
    let key = signer.verifier().to_string();
    let row = audit_checkpoint::Model {
        verifier_key: key.clone(),
        tree_size: head.size,
        root_hash: merkle::encode_hash(&head.root),
        note,
        created_at: time::now(),
    };
    // Another process may have signed the same size a moment ago: the same note, kept once.
    audit_checkpoint::Entity::insert(row.into_active_model())
        .on_conflict(
            OnConflict::columns([audit_checkpoint::Column::VerifierKey, audit_checkpoint::Column::TreeSize])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    find(db, Some(&key), Some(head.size))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("checkpoint of size {} vanished", head.size)))
}

/// Whether the log holds events that the latest checkpoint by this key does not cover: two
/// small reads, so an idle process pays next to nothing per tick.
async fn has_grown(state: &AppState, verifier: &Verifier) -> AppResult<bool> {
    let db = &state.db.conn;
    let head = audit_head::Entity::find_by_id(HEAD_ID).one(db).await?.map(|h| h.seq).unwrap_or(0);
    let covered = find(db, Some(&verifier.to_string()), None).await?.map(|c| c.tree_size).unwrap_or(0);
    Ok(head > covered)
}

/// Signs a checkpoint every `AUDIT_CHECKPOINT_INTERVAL_SECS` when the log has grown, for as long
/// as the runtime lives. Does nothing without a signing key.
pub fn spawn_periodic(state: AppState) {
    let Ok(verifier) = state.checkpoints.verifier() else {
        return;
    };
    let period = state.checkpoints.interval;
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if !state.health.is_up() {
                continue;
            }
            match has_grown(&state, &verifier).await {
                Ok(true) => match create(&state).await {
                    Ok(made) => tracing::info!(tree_size = made.tree_size, "signed an audit checkpoint"),
                    Err(err) => tracing::error!(error = %err, "could not sign an audit checkpoint"),
                },
                Ok(false) => {}
                Err(err) => tracing::warn!(error = %err, "could not check the audit log for a checkpoint"),
            }
        }
    });
}

/// What `checkAuditCheckpoint` found about a pasted checkpoint.
pub struct PastedCheck {
    pub valid: bool,
    pub reason: String,
    pub checkpoint: Option<TrustedRoot>,
    /// The log's current size and root, when it extends the checkpoint.
    pub current: Option<TrustedRoot>,
    /// The consistency proof from the checkpoint to the current log (RFC 9162 order).
    pub consistency_proof: Vec<Hash>,
}

/// Checks a checkpoint someone kept: signed by this server's key for this log, and extended by
/// the current log ([`chain::verify_from`] from it: its root against the stored tree, its last
/// event proven in it, every event after it rehashed).
pub async fn check_pasted(state: &AppState, text: &str) -> AppResult<PastedCheck> {
    let refused = |reason: String, checkpoint| PastedCheck {
        valid: false,
        reason,
        checkpoint,
        current: None,
        consistency_proof: Vec::new(),
    };
    let verifier = state.checkpoints.verifier()?;
    // Pasting through a browser often turns "\n" into "\r\n" or drops the final newline.
    let mut text = text.replace("\r\n", "\n");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let checkpoint = match open(&text, &state.checkpoints.origin, &verifier) {
        Ok(checkpoint) => checkpoint,
        Err(why) => return Ok(refused(why, None)),
    };
    let Extension { report, head } = chain::verify_from(&state.db.conn, Some(checkpoint)).await?;
    let Some(current) = head.filter(|_| report.valid) else {
        let problem = report.problem.unwrap_or_else(|| "the log does not extend it".into());
        return Ok(refused(problem, Some(checkpoint)));
    };
    let consistency_proof = if checkpoint.size > 0 {
        super::tree::consistency_proof(&state.db.conn, checkpoint.size, current.size).await?
    } else {
        Vec::new()
    };
    Ok(PastedCheck {
        valid: true,
        reason: format!(
            "signed by {}; the log's first {} events have this root, and the current log ({} events) extends it",
            verifier.name(),
            checkpoint.size,
            current.size
        ),
        checkpoint: Some(checkpoint),
        current: Some(current),
        consistency_proof,
    })
}

/// `verifyAuditChain(fromCheckpoint: true)`: from the latest genuine checkpoint by the current
/// key (from the empty log when there is none, or no key).
pub async fn verify_from_latest(state: &AppState) -> AppResult<chain::ChainReport> {
    let db = &state.db.conn;
    let base = match state.checkpoints.verifier() {
        Ok(verifier) => match latest_trusted(db, &state.checkpoints.origin, &verifier).await? {
            Ok(latest) => latest.map(|(_, trusted)| trusted),
            Err(problem) => {
                let mut report = chain::verify_from(db, None).await?.report;
                report.valid = false;
                report.problem = Some(problem);
                return Ok(report);
            }
        },
        Err(_) => None,
    };
    Ok(chain::verify_from(db, base).await?.report)
}

/// A demo run without `AUDIT_SIGNING_KEY`: a throw-away key named after the log, whose verifier
/// key is logged (the signer key never is).
pub fn demo_key(settings: &mut Settings) -> anyhow::Result<()> {
    if settings.audit_signing_key.is_some() {
        return Ok(());
    }
    let name = if note::is_valid_name(&settings.audit_origin) { settings.audit_origin.as_str() } else { "trastienda" };
    let (skey, vkey) = note::generate_key(name).map_err(|e| anyhow::anyhow!("generating an audit key: {e}"))?;
    tracing::warn!(
        verifier_key = %vkey,
        "AUDIT_SIGNING_KEY is not set: this demo run signs audit checkpoints with a throw-away key"
    );
    settings.audit_signing_key = Some(crate::config::Secret::new(skey));
    Ok(())
}
