//! The `Subscription` root. The gate (`authz::gate`) guards `Query` and `Mutation` fields as
//! they resolve; a subscription's root field is checked here instead, before its stream
//! exists: who may subscribe, then a slot of the connection, then the arguments.

use std::sync::Arc;

use async_graphql::{Context, ID, Result, SimpleObject, Subscription};
use entity::audit_event as audit_event_model;
use futures::{Stream, StreamExt};

use super::hub::{Event, Feed};
use super::scope::Watch;
use super::socket::{Connection, Slot};
use crate::audit::graphql::{AuditEvent, AuditFilter};
use crate::authz::Perm;
use crate::error::AppError;
use crate::kernel::context::request_ctx;
use crate::kernel::scalars::DateTime;
use crate::kernel::{Principal, inputs};
use crate::state::{AppState, app_state};

/// A change to an entity the subscriber may see: what happened, never the data itself.
#[derive(SimpleObject)]
pub struct Change {
    pub seq: i64,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<ID>,
    pub department: Option<String>,
    pub occurred_at: DateTime,
}

impl From<&audit_event_model::Model> for Change {
    fn from(e: &audit_event_model::Model) -> Self {
        Self {
            seq: e.seq,
            action: e.action.clone(),
            entity_type: e.entity_type.clone(),
            entity_id: e.entity_id.clone().map(ID),
            department: e.department.clone(),
            occurred_at: DateTime(e.occurred_at),
        }
    }
}

#[derive(Default)]
pub struct LiveSubscription;

#[Subscription]
impl LiveSubscription {
    /// AUDITOR and ADMIN: events in seq order as they commit; afterSeq replays the missed ones first.
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        after_seq: Option<i64>,
        filter: Option<AuditFilter>,
    ) -> Result<impl Stream<Item = AuditEvent> + use<>> {
        let (state, principal, connection) = caller(ctx)?;
        if !state.authz.allows_everywhere(principal, Perm::AUDIT_READ) {
            return Err(AppError::forbidden().into());
        }
        let slot = connection.slot()?;
        let filter = filter.unwrap_or_default().into_query();
        let feed = Feed::open(&state.live, after_seq).await?;
        Ok(events(feed, slot, move |e| filter.matches(e)).map(|e| AuditEvent((*e).clone())))
    }

    /// Any signed-in user: SUCCESS events on entities the caller may see; never before/after.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        entity_types: Option<Vec<String>>,
        department: Option<String>,
    ) -> Result<impl Stream<Item = Change> + use<>> {
        let (state, principal, connection) = caller(ctx)?;
        let watch = Watch::new(&state.authz, principal, entity_types.as_deref(), department)?;
        let slot = connection.slot()?;
        let feed = Feed::open(&state.live, None).await?;
        Ok(events(feed, slot, move |e| watch.sees(e)).map(|e| Change::from(&*e)))
    }
}

/// The caller of a subscription, and its connection (the WebSocket attaches both); arguments
/// are refused by the hostile-input rules every field obeys (CONTRACT.md §10).
fn caller<'a>(ctx: &Context<'a>) -> Result<(&'a AppState, &'a Principal, &'a Arc<Connection>)> {
    let principal = request_ctx(ctx).principal()?;
    let connection = ctx.data_opt::<Arc<Connection>>().ok_or(AppError::Unauthenticated)?;
    let arguments = ctx.field().arguments().map_err(|e| async_graphql::Error::new(e.message))?;
    if let Some(problem) = inputs::check_arguments(arguments.iter().map(|(name, value)| (name.as_str(), value))) {
        return Err(AppError::bad_input(problem.field, problem.message).into());
    }
    Ok((app_state(ctx), principal, connection))
}

/// The events of `feed` that pass `keep`, holding the connection's slot until dropped.
fn events(
    feed: Feed,
    slot: Slot,
    keep: impl Fn(&audit_event_model::Model) -> bool + Send + 'static,
) -> impl Stream<Item = Event> {
    futures::stream::unfold((feed, slot, keep), |(mut feed, slot, keep)| async move {
        loop {
            let event = feed.next().await?;
            if keep(&event) {
                return Some((event, (feed, slot, keep)));
            }
        }
    })
}
