//! The unit of work: every mutation's transaction, and the audit events it owes.
//!
//! A service begins one, makes its changes through [`UnitOfWork::conn`], records one
//! [`Change`] per entity it touched (and one per automatic consequence), and commits. Commit
//! appends the events to the chain in the same transaction, so the change and its record
//! land together or not at all. A commit without events is refused: a mutation cannot
//! forget its audit by accident. Dropping a unit of work rolls it back.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};
use serde_json::Value;

use super::RequestCtx;
use super::db::{Database, WriteTxn};
use super::notify::{CHANNEL, Notice, Notifier};
use crate::audit::{self, Audited, NewEvent, Outcome};
use crate::error::{AppError, AppResult};

/// One entity changed by a mutation.
#[derive(Clone, Debug)]
pub struct Change {
    pub entity_type: &'static str,
    pub entity_id: String,
    pub department: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Change {
    pub fn created<T: Audited>(after: &T) -> Self {
        Self {
            entity_type: T::ENTITY_TYPE,
            entity_id: after.audit_id(),
            department: after.audit_department(),
            before: None,
            after: Some(after.audit_snapshot()),
        }
    }

    pub fn updated<T: Audited>(before: &T, after: &T) -> Self {
        Self {
            entity_type: T::ENTITY_TYPE,
            entity_id: after.audit_id(),
            department: after.audit_department(),
            before: Some(before.audit_snapshot()),
            after: Some(after.audit_snapshot()),
        }
    }

    /// An event on the entity that did not change its API fields (a session issued, say).
    pub fn touched<T: Audited>(entity: &T, after: Value) -> Self {
        Self {
            entity_type: T::ENTITY_TYPE,
            entity_id: entity.audit_id(),
            department: entity.audit_department(),
            before: Some(entity.audit_snapshot()),
            after: Some(after),
        }
    }
}

pub struct UnitOfWork {
    txn: WriteTxn,
    request_id: String,
    actor_id: Option<String>,
    actor_email: Option<String>,
    action: String,
    events: Vec<NewEvent>,
    notices: Vec<Notice>,
    notifier: Arc<Notifier>,
}

impl UnitOfWork {
    /// Begins the unit of work of mutation `action` on behalf of the request's caller.
    pub async fn begin(db: &Database, rc: &RequestCtx, action: &str) -> AppResult<Self> {
        let txn = db.begin_write().await?;
        let principal = rc.principal_opt();
        Ok(Self {
            txn,
            request_id: rc.request_id.clone(),
            actor_id: principal.map(|p| p.user_id.clone()),
            actor_email: principal.map(|p| p.email.clone()),
            action: action.to_string(),
            events: Vec::new(),
            notices: Vec::new(),
            notifier: db.notifier.clone(),
        })
    }

    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn.txn
    }

    /// The user on whose behalf this unit of work runs, if any.
    pub fn actor_id(&self) -> Option<String> {
        self.actor_id.clone()
    }

    /// Names the actor when the request had none yet (a login).
    pub fn set_actor(&mut self, user_id: Option<String>, email: Option<String>) {
        self.actor_id = user_id;
        self.actor_email = email;
    }

    /// A notice for this process and the others, sent if and when the unit of work commits.
    pub fn notify(&mut self, notice: Notice) {
        self.notices.push(notice);
    }

    /// The mutation's own change.
    pub fn record(&mut self, change: Change) {
        let action = self.action.clone();
        self.push(action, Outcome::Success, change);
    }

    /// A consequence the system adds, named `auto:<mutation it mimics>`.
    pub fn record_auto(&mut self, mimics: &str, change: Change) {
        self.push(format!("auto:{mimics}"), Outcome::Success, change);
    }

    /// A refusal that must be on the record together with what it changed (a failed login
    /// counts towards the lockout).
    pub fn record_denied(&mut self, entity_type: &str, entity_id: Option<String>) {
        self.events.push(NewEvent {
            actor_id: self.actor_id.clone(),
            actor_email: self.actor_email.clone(),
            action: self.action.clone(),
            entity_type: entity_type.to_string(),
            entity_id,
            department: None,
            before: None,
            after: None,
            outcome: Outcome::Denied,
            request_id: self.request_id.clone(),
        });
    }

    fn push(&mut self, action: String, outcome: Outcome, change: Change) {
        self.events.push(NewEvent {
            actor_id: self.actor_id.clone(),
            actor_email: self.actor_email.clone(),
            action,
            entity_type: change.entity_type.to_string(),
            entity_id: Some(change.entity_id),
            department: change.department,
            before: change.before,
            after: change.after,
            outcome,
            request_id: self.request_id.clone(),
        });
    }

    /// Appends the recorded events to the chain and commits, all or nothing.
    pub async fn commit(self) -> AppResult<()> {
        if self.events.is_empty() {
            return Err(AppError::internal(anyhow::anyhow!(
                "mutation {} tried to commit without an audit event",
                self.action
            )));
        }
        let appended = audit::chain::append(&self.txn.txn, self.events).await?;
        let txn = &self.txn.txn;
        if txn.get_database_backend() == DbBackend::Postgres {
            // Delivered to the other processes by PostgreSQL on commit, never before.
            for payload in self.notices.iter().filter_map(Notice::payload) {
                let notify = Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), payload.into()],
                );
                txn.execute_raw(notify).await?;
            }
        }
        self.txn.txn.commit().await?;
        for notice in &self.notices {
            self.notifier.publish(notice);
        }
        appended.committed(&self.notifier);
        Ok(())
    }

    /// Ends a unit of work that changed nothing (e.g. logging out an unknown token).
    pub async fn rollback(self) -> AppResult<()> {
        self.txn.txn.rollback().await?;
        Ok(())
    }
}

/// Records a refused mutation (`FORBIDDEN`) in a transaction of its own.
pub async fn record_refusal(db: &Database, event: NewEvent) -> AppResult<()> {
    let txn = db.begin_write().await?;
    let appended = audit::chain::append(&txn.txn, vec![event]).await?;
    txn.txn.commit().await?;
    appended.committed(&db.notifier);
    Ok(())
}
