//! The root-field gate: an async-graphql extension that runs before every root resolver.
//!
//! It looks the field up in the [catalog](super::catalog) (missing → `FORBIDDEN`: default
//! deny), requires a valid token unless the field answers anonymous callers, and requires that
//! some role of the caller allows the field's permission in some department. Rows and fields
//! are checked further down, by services and guards. Every mutation that ends `FORBIDDEN` —
//! here or in its service — is recorded as a `DENIED` audit event in a transaction of its own.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{PathSegment, ServerError, ServerResult, Value, Variables};

use super::catalog::{Rule, mutation_rule, query_rule};
use crate::audit::{NewEvent, Outcome};
use crate::error::{AppError, code};
use crate::kernel::RequestCtx;
use crate::kernel::uow::record_refusal;
use crate::state::AppState;

/// The variables of the request being executed, for reading a refused mutation's arguments.
pub struct RequestVariables(pub Variables);

pub struct Gate;

impl ExtensionFactory for Gate {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GateExtension)
    }
}

struct GateExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for GateExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let is_root = info.path_node.parent.is_none() && !info.name.starts_with("__");
        let is_mutation = info.parent_type == "Mutation";
        if !is_root || !(is_mutation || info.parent_type == "Query") {
            return next.run(ctx, info).await;
        }
        let (Some(state), Some(rc)) = (ctx.data_opt::<AppState>(), ctx.data_opt::<RequestCtx>()) else {
            return Err(ServerError::new("request context missing", None));
        };
        let rule = if is_mutation { mutation_rule(info.name) } else { query_rule(info.name) };
        let result = match admit(state, rc, rule) {
            Ok(()) => next.run(ctx, info.clone_info()).await,
            Err(err) => Err(server_error(err, &info)),
        };
        if is_mutation
            && let Err(err) = &result
            && err.extensions.as_ref().and_then(|e| e.get("code")) == Some(&Value::from(code::FORBIDDEN))
        {
            let event = denied_event(rc, ctx.data_opt::<RequestVariables>(), &info);
            if let Err(record_err) = record_refusal(&state.db, event).await {
                tracing::error!(error = %record_err, "could not record a DENIED audit event");
            }
        }
        result
    }
}

fn admit(state: &AppState, rc: &RequestCtx, rule: Option<Rule>) -> Result<(), AppError> {
    match rule {
        Some(Rule::Anonymous) => Ok(()),
        Some(Rule::SignedIn) => rc.principal().map(|_| ()),
        Some(Rule::AnyOf(perms)) => {
            let principal = rc.principal()?;
            if perms.iter().any(|p| state.authz.allows_somewhere(principal, *p)) {
                Ok(())
            } else {
                Err(AppError::forbidden())
            }
        }
        // Not in the catalog: refused, whoever asks.
        None => match rc.principal() {
            Ok(_) => Err(AppError::forbidden()),
            Err(e) => Err(e),
        },
    }
}

fn server_error(err: AppError, info: &ResolveInfo<'_>) -> ServerError {
    let gql: async_graphql::Error = err.into();
    let mut server_error = ServerError::new(gql.message, None);
    server_error.extensions = gql.extensions;
    server_error.path = vec![PathSegment::Field(info.alias.unwrap_or(info.name).to_string())];
    server_error
}

/// The refused mutation's name, the type it returns, and its `id` and department arguments.
fn denied_event(rc: &RequestCtx, variables: Option<&RequestVariables>, info: &ResolveInfo<'_>) -> NewEvent {
    let argument = |name: &str| -> Option<Value> {
        let value = info.field.get_argument(name)?.node.clone();
        value.into_const_with(|var| variables.and_then(|v| v.0.get(&var).cloned()).ok_or(())).ok()
    };
    let as_string = |v: Option<Value>| match v {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let department = as_string(argument("department")).or_else(|| match argument("input") {
        Some(Value::Object(input)) => as_string(input.get("department").cloned()),
        _ => None,
    });
    let principal = rc.principal_opt();
    NewEvent {
        actor_id: principal.map(|p| p.user_id.clone()),
        actor_email: principal.map(|p| p.email.clone()),
        action: info.name.to_string(),
        entity_type: info.return_type.trim_matches(|c| c == '!' || c == '[' || c == ']').to_string(),
        entity_id: as_string(argument("id")).map(|id| id.chars().take(64).collect()),
        department: department.map(|d| d.chars().take(64).collect()),
        before: None,
        after: None,
        outcome: Outcome::Denied,
        request_id: rc.request_id.clone(),
    }
}

trait CloneInfo<'a> {
    fn clone_info(&self) -> ResolveInfo<'a>;
}

impl<'a> CloneInfo<'a> for ResolveInfo<'a> {
    fn clone_info(&self) -> ResolveInfo<'a> {
        ResolveInfo {
            path_node: self.path_node,
            parent_type: self.parent_type,
            return_type: self.return_type,
            name: self.name,
            alias: self.alias,
            is_for_introspection: self.is_for_introspection,
            field: self.field,
        }
    }
}
