//! `graphql.validate` and `graphql.execute` spans (the parse span is `http::graphql_endpoint`'s).
//!
//! Written here rather than taken from async-graphql: its `Tracing` extension records the query
//! text with the variables inlined, its `OpenTelemetry` one the raw variables. These spans carry
//! the operation's type and name only; errors add their count and codes, never their messages
//! (which may quote an input).

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult, Variables};
use tracing::Instrument;
use tracing::field::Empty;

/// Operation names are GraphQL names (letters, digits, `_`); longer ones are cut to this.
const MAX_OPERATION_NAME: usize = 64;

/// The extension to register on the schema.
pub struct Traced;

impl ExtensionFactory for Traced {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TracedRequest::default())
    }
}

/// One request's state: the operation it asked for, learnt before execution.
#[derive(Default)]
struct TracedRequest {
    requested_name: Mutex<Option<String>>,
    operation: Mutex<Option<(&'static str, Option<String>)>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for TracedRequest {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        *lock(&self.requested_name) = request.operation_name.clone();
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let requested = lock(&self.requested_name).clone();
        *lock(&self.operation) = selected_operation(&doc, requested.as_deref());
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let span = tracing::info_span!("graphql.validate", graphql.errors = Empty, otel.status_code = Empty);
        let result = next.run(ctx).instrument(span.clone()).await;
        if let Err(errors) = &result {
            span.record("graphql.errors", errors.len());
            span.record("otel.status_code", "ERROR");
        }
        result
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let (kind, name) = lock(&self.operation).clone().unwrap_or(("unknown", None));
        let name = name.or_else(|| operation_name.map(bounded));
        let span = tracing::info_span!(
            "graphql.execute",
            graphql.operation.type = kind,
            graphql.operation.name = name.as_deref().unwrap_or(""),
            graphql.errors = Empty,
            graphql.error_codes = Empty,
            otel.status_code = Empty,
        );
        let response = next.run(ctx, operation_name).instrument(span.clone()).await;
        if !response.errors.is_empty() {
            span.record("graphql.errors", response.errors.len());
            span.record("graphql.error_codes", error_codes(&response.errors).as_str());
            span.record("otel.status_code", "ERROR");
        }
        response
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The type and name of the operation the request runs: the one named, or the only one.
fn selected_operation(doc: &ExecutableDocument, requested: Option<&str>) -> Option<(&'static str, Option<String>)> {
    let mut operations = doc.operations.iter();
    let (name, operation) = match requested {
        Some(wanted) => operations.find(|(name, _)| name.is_some_and(|n| n.as_str() == wanted))?,
        None => {
            let only = operations.next()?;
            if operations.next().is_some() {
                return None;
            }
            only
        }
    };
    let kind = match operation.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    Some((kind, name.map(|n| bounded(n.as_str()))))
}

fn bounded(name: &str) -> String {
    name.chars().take(MAX_OPERATION_NAME).collect()
}

/// The distinct `extensions.code`s of the errors, sorted: a fixed vocabulary (CONTRACT.md §2).
fn error_codes(errors: &[ServerError]) -> String {
    let mut codes: Vec<String> = errors
        .iter()
        .map(|e| match e.extensions.as_ref().and_then(|x| x.get("code")) {
            Some(async_graphql::Value::String(code)) if is_code(code) => code.clone(),
            _ => "OTHER".to_string(),
        })
        .collect();
    codes.sort();
    codes.dedup();
    codes.join(",")
}

fn is_code(code: &str) -> bool {
    (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(text).unwrap()
    }

    #[test]
    fn the_selected_operation_is_named_by_type_and_name() {
        assert_eq!(selected_operation(&doc("{ a }"), None), Some(("query", None)));
        let two = doc("query A { a } mutation B { b }");
        assert_eq!(selected_operation(&two, Some("B")), Some(("mutation", Some("B".into()))));
        assert_eq!(selected_operation(&two, None), None);
        assert_eq!(selected_operation(&two, Some("C")), None);
        let long = format!("query {} {{ a }}", "N".repeat(200));
        assert_eq!(selected_operation(&doc(&long), None).unwrap().1.unwrap().len(), MAX_OPERATION_NAME);
    }

    #[test]
    fn error_codes_are_a_closed_vocabulary() {
        let mut coded = ServerError::new("secret-ish message", None);
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", "BAD_USER_INPUT");
        coded.extensions = Some(ext);
        let mut odd = ServerError::new("x", None);
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", "hunter2 is my password");
        odd.extensions = Some(ext);
        let plain = ServerError::new("y", None);
        assert_eq!(error_codes(&[coded.clone(), odd, plain, coded]), "BAD_USER_INPUT,OTHER");
    }
}
