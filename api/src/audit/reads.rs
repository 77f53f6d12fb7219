//! Sensitive reads are evidence too (CONTRACT.md §13): a request that returns a non-null
//! `annualSalary`, `nationalId` or `bankAccount` writes a `READ` event into the chain.
//!
//! The guarded field resolvers report each value they return ([`record`]) to a collector that
//! lives for one request ([`SensitiveReads`], added by `graphql::add_request_data`). When the
//! operation has run, the [`ReadEvidence`] extension writes one event per root field that
//! returned such values: action the root field's name, `entityType` `Employee`, `entityId`
//! null, `after: {"fields": [...], "employeeIds": [...]}` (sorted, distinct), in a transaction
//! of its own. Only requests that selected those fields, and got values, pay anything.
//!
//! Fail closed: if the event cannot be written, the response is replaced by an `INTERNAL` error,
//! so no sensitive value leaves without its record.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, ResolveInfo};
use async_graphql::{Context, QueryPathSegment, Response, ServerError};
use serde_json::json;

use super::{NewEvent, Outcome};
use crate::error::{AppError, AppResult};
use crate::kernel::RequestCtx;
use crate::kernel::db::Database;
use crate::state::AppState;

/// The entity type of every READ event: the sensitive fields are the employee's.
const ENTITY_TYPE: &str = "Employee";

/// What one request returned of the sensitive fields, per root field.
#[derive(Default)]
pub struct SensitiveReads(Mutex<Collected>);

#[derive(Default)]
struct Collected {
    /// Root response key (alias or name) → the root field's name.
    root_fields: HashMap<String, String>,
    /// Root response key → (fields, employee ids).
    reads: BTreeMap<String, (BTreeSet<&'static str>, BTreeSet<String>)>,
}

/// One READ event to write.
#[derive(Debug, PartialEq, Eq)]
pub struct ReadEvent {
    pub action: String,
    pub fields: Vec<&'static str>,
    pub employee_ids: Vec<String>,
}

impl SensitiveReads {
    fn lock(&self) -> std::sync::MutexGuard<'_, Collected> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn root_field(&self, key: &str, name: &str) {
        self.lock().root_fields.insert(key.to_string(), name.to_string());
    }

    fn add(&self, root_key: &str, field: &'static str, employee_id: &str) {
        let mut collected = self.lock();
        let (fields, ids) = collected.reads.entry(root_key.to_string()).or_default();
        fields.insert(field);
        ids.insert(employee_id.to_string());
    }

    /// The events owed, one per root field (aliases of one field merged), and none when nothing
    /// sensitive was returned.
    pub fn take(&self) -> Vec<ReadEvent> {
        let mut collected = self.lock();
        let reads = std::mem::take(&mut collected.reads);
        let mut by_field: BTreeMap<String, (BTreeSet<&'static str>, BTreeSet<String>)> = BTreeMap::new();
        for (key, (fields, ids)) in reads {
            let name = collected.root_fields.get(&key).cloned().unwrap_or(key);
            let (all_fields, all_ids) = by_field.entry(name).or_default();
            all_fields.extend(fields);
            all_ids.extend(ids);
        }
        by_field
            .into_iter()
            .map(|(action, (fields, ids))| ReadEvent {
                action,
                fields: fields.into_iter().collect(),
                employee_ids: ids.into_iter().collect(),
            })
            .collect()
    }
}

/// Called by a guarded field resolver that is about to return a non-null sensitive value:
/// `field` as the API names it, of the employee `employee_id`. Fails (and the field with it)
/// if the request has no collector, rather than let the value out unrecorded.
pub fn record(ctx: &Context<'_>, field: &'static str, employee_id: &str) -> AppResult<()> {
    let reads = ctx
        .data_opt::<Arc<SensitiveReads>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("sensitive read outside a request with a collector")))?;
    // The root field is the top of the path: its response key (an alias, perhaps).
    let mut node = ctx.path_node.as_ref();
    let mut root_key = None;
    while let Some(current) = node {
        if let QueryPathSegment::Name(name) = current.segment {
            root_key = Some(name);
        }
        node = current.parent;
    }
    let root_key = root_key.ok_or_else(|| AppError::internal(anyhow::anyhow!("a field without a path")))?;
    reads.add(root_key, field, employee_id);
    Ok(())
}

/// Writes the READ events of a request in a transaction of their own.
pub async fn write(db: &Database, rc: &RequestCtx, events: Vec<ReadEvent>) -> AppResult<()> {
    let principal = rc.principal_opt();
    let events = events
        .into_iter()
        .map(|read| NewEvent {
            actor_id: principal.map(|p| p.user_id.clone()),
            actor_email: principal.map(|p| p.email.clone()),
            action: read.action,
            entity_type: ENTITY_TYPE.to_string(),
            entity_id: None,
            department: None,
            before: None,
            after: Some(json!({"fields": read.fields, "employeeIds": read.employee_ids})),
            outcome: Outcome::Read,
            request_id: rc.request_id.clone(),
        })
        .collect();
    let txn = db.begin_write().await?;
    let appended = super::chain::append(&txn.txn, events).await?;
    txn.txn.commit().await?;
    appended.committed(&db.notifier);
    Ok(())
}

/// The extension that names root fields for the collector and writes the events once the
/// operation has run.
pub struct ReadEvidence;

impl ExtensionFactory for ReadEvidence {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ReadEvidence)
    }
}

/// Names the root field a sensitive read happens under; called by the schema's field hook
/// (`graphql.rs`) for every root field, so that this needs no per-field hook of its own.
pub fn enter_root_field(ctx: &ExtensionContext<'_>, info: &ResolveInfo<'_>) {
    if let Some(reads) = ctx.data_opt::<Arc<SensitiveReads>>() {
        reads.root_field(info.alias.unwrap_or(info.name), info.name);
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ReadEvidence {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        let Some(reads) = ctx.data_opt::<Arc<SensitiveReads>>() else {
            return response;
        };
        let events = reads.take();
        if events.is_empty() {
            return response;
        }
        let written = match (ctx.data_opt::<AppState>(), ctx.data_opt::<RequestCtx>()) {
            (Some(state), Some(rc)) => write(&state.db, rc, events).await,
            _ => Err(AppError::internal(anyhow::anyhow!("request context missing"))),
        };
        match written {
            Ok(()) => response,
            Err(err) => {
                // The values were read but could not be put on the record: send none of them.
                let gql: async_graphql::Error = err.into();
                let mut error = ServerError::new(gql.message, None);
                error.extensions = gql.extensions;
                Response::from_errors(vec![error])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_grouped_per_root_field_sorted_and_distinct() {
        let reads = SensitiveReads::default();
        reads.root_field("a", "employee");
        reads.root_field("b", "employee");
        reads.root_field("employees", "employees");
        reads.add("a", "nationalId", "e2");
        reads.add("a", "annualSalary", "e2");
        reads.add("b", "annualSalary", "e1");
        reads.add("employees", "bankAccount", "e9");
        reads.add("employees", "bankAccount", "e3");
        reads.add("employees", "bankAccount", "e9");
        assert_eq!(
            reads.take(),
            vec![
                ReadEvent {
                    action: "employee".into(),
                    fields: vec!["annualSalary", "nationalId"],
                    employee_ids: vec!["e1".into(), "e2".into()],
                },
                ReadEvent {
                    action: "employees".into(),
                    fields: vec!["bankAccount"],
                    employee_ids: vec!["e3".into(), "e9".into()]
                },
            ]
        );
        assert!(reads.take().is_empty(), "taken once");
    }
}
