//! The root-field gate: runs before every resolver (through the schema's field hook).
//!
//! It requires a valid token unless the field answers anonymous callers, refuses hostile
//! arguments (`kernel::inputs`: NUL characters, oversized department codes — on every field
//! that takes arguments, not just root fields), looks the field up in the
//! [catalog](super::catalog) (missing → `FORBIDDEN`: default deny), and requires that some role
//! of the caller allows the field's permission in some department. Rows and fields
//! are checked further down, by services and guards. Every mutation that ends `FORBIDDEN` —
//! here or in its service — is recorded as a `DENIED` audit event in a transaction of its own.

use async_graphql::extensions::{ExtensionContext, NextResolve, ResolveInfo};
use async_graphql::{PathSegment, ServerError, ServerResult, Value, Variables};

use super::catalog::{Rule, mutation_rule, query_rule};
use crate::audit::{NewEvent, Outcome};
use crate::error::{AppError, code};
use crate::kernel::RequestCtx;
use crate::kernel::inputs::{self, InputProblem};
use crate::kernel::uow::record_refusal;
use crate::state::AppState;

/// The variables of the request being executed, for reading a refused mutation's arguments.
pub struct RequestVariables(pub Variables);

/// Runs before every field's resolver (the schema's field hook calls it: see `graphql.rs`).
pub async fn resolve(
    ctx: &ExtensionContext<'_>,
    info: ResolveInfo<'_>,
    next: NextResolve<'_>,
) -> ServerResult<Option<Value>> {
    let is_root = info.path_node.parent.is_none() && !info.name.starts_with("__");
    if !is_root && info.field.arguments.is_empty() {
        return next.run(ctx, info).await; // nothing to check: the common case, kept cheap
    }
    let variables = ctx.data_opt::<RequestVariables>();
    let problem = check_arguments(&info, variables);
    let is_mutation = info.parent_type == "Mutation";
    if !is_root || !(is_mutation || info.parent_type == "Query") {
        return match problem {
            Some(problem) => Err(server_error(bad_input(problem), &info)),
            None => next.run(ctx, info).await,
        };
    }
    let (Some(state), Some(rc)) = (ctx.data_opt::<AppState>(), ctx.data_opt::<RequestCtx>()) else {
        return Err(ServerError::new("request context missing", None));
    };
    let rule = if is_mutation { mutation_rule(info.name) } else { query_rule(info.name) };
    // Strangers learn nothing about their input: authentication comes first.
    if let Err(err) = authenticated(rc, rule) {
        return Err(server_error(err, &info));
    }
    let permitted = permitted(state, rc, rule);
    if let Some(problem) = problem {
        // A NUL is refused before anything runs, yet a refusal that §5 puts on the record
        // (a failed login, a mutation the caller's roles do not allow) is still recorded.
        if is_mutation && problem.nul && (info.name == "login" || permitted.is_err()) {
            record(state, denied_event(rc, variables, &info)).await;
        }
        return Err(server_error(bad_input(problem), &info));
    }
    let result = match permitted {
        Ok(()) => next.run(ctx, info.clone_info()).await,
        Err(err) => Err(server_error(err, &info)),
    };
    if is_mutation
        && let Err(err) = &result
        && err.extensions.as_ref().and_then(|e| e.get("code")) == Some(&Value::from(code::FORBIDDEN))
    {
        record(state, denied_event(rc, variables, &info)).await;
    }
    result
}

/// The field's arguments resolved against the request's variables, checked for hostile input.
fn check_arguments(info: &ResolveInfo<'_>, variables: Option<&RequestVariables>) -> Option<InputProblem> {
    if info.field.arguments.is_empty() {
        return None;
    }
    let resolved: Vec<(&str, Value)> = info
        .field
        .arguments
        .iter()
        .filter_map(|(name, value)| {
            let value = value.node.clone().into_const_with(|var| variable(variables, &var)).ok()?;
            Some((name.node.as_str(), value))
        })
        .collect();
    inputs::check_arguments(resolved.iter().map(|(name, value)| (*name, value)))
}

fn variable(variables: Option<&RequestVariables>, name: &str) -> Result<Value, ()> {
    variables.and_then(|v| v.0.get(name).cloned()).ok_or(())
}

fn bad_input(problem: InputProblem) -> AppError {
    AppError::bad_input(problem.field, problem.message)
}

async fn record(state: &AppState, event: NewEvent) {
    if let Err(err) = record_refusal(&state.db, event).await {
        tracing::error!(error = %err, "could not record a DENIED audit event");
    }
}

/// Does the field need a signed-in caller, and is there one?
fn authenticated(rc: &RequestCtx, rule: Option<Rule>) -> Result<(), AppError> {
    match rule {
        Some(Rule::Anonymous) => Ok(()),
        _ => rc.principal().map(|_| ()),
    }
}

/// Does some role of the caller allow the field somewhere? Fields missing from the catalog are
/// refused, whoever asks (default deny).
fn permitted(state: &AppState, rc: &RequestCtx, rule: Option<Rule>) -> Result<(), AppError> {
    match rule {
        Some(Rule::Anonymous | Rule::SignedIn) => Ok(()),
        Some(Rule::AnyOf(perms)) => {
            let principal = rc.principal()?;
            if perms.iter().any(|p| state.authz.allows_somewhere(principal, *p)) {
                Ok(())
            } else {
                Err(AppError::forbidden())
            }
        }
        None => Err(AppError::forbidden()),
    }
}

fn server_error(err: AppError, info: &ResolveInfo<'_>) -> ServerError {
    let gql: async_graphql::Error = err.into();
    let mut server_error = ServerError::new(gql.message, None);
    server_error.extensions = gql.extensions;
    server_error.path = vec![PathSegment::Field(info.alias.unwrap_or(info.name).to_string())];
    server_error
}

/// The refused mutation's name, the type it returns, and its `id` and department arguments,
/// made storable whatever they carry. A refused `login` is the failed login of §5: no actor,
/// the email tried, on `User`.
fn denied_event(rc: &RequestCtx, variables: Option<&RequestVariables>, info: &ResolveInfo<'_>) -> NewEvent {
    let argument = |name: &str| -> Option<Value> {
        let value = info.field.get_argument(name)?.node.clone();
        value.into_const_with(|var| variable(variables, &var)).ok()
    };
    let as_text = |v: Option<Value>, max: usize| match v {
        Some(Value::String(s)) => Some(inputs::storable(&s, max)),
        _ => None,
    };
    let department = as_text(argument("department"), 64).or_else(|| match argument("input") {
        Some(Value::Object(input)) => as_text(input.get("department").cloned(), 64),
        _ => None,
    });
    let principal = rc.principal_opt();
    let (actor_email, entity_type, entity_id) = if info.name == "login" {
        (as_text(argument("email"), 320), "User".to_string(), None)
    } else {
        (
            principal.map(|p| p.email.clone()),
            info.return_type.trim_matches(|c| c == '!' || c == '[' || c == ']').to_string(),
            as_text(argument("id"), 64),
        )
    };
    NewEvent {
        actor_id: principal.map(|p| p.user_id.clone()),
        actor_email,
        action: info.name.to_string(),
        entity_type,
        entity_id,
        department,
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
