//! `/graphql`: from HTTP bytes to an executed (or refused) GraphQL request and back.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerError, Value, Variables};
use bytes::BytesMut;
use futures::{FutureExt, StreamExt};
use serde::Deserialize;

use super::guard::{self, Analysis, Refusal};
use super::persisted::Refused;
use super::{ClientAddr, Gateway, RequestId};
use crate::auth::service::authenticate;
use crate::authz::gate::RequestVariables;
use crate::config::{Introspection, Limits};
use crate::error::{AppError, code};
use crate::graphql::{FieldErrors, add_request_data};
use crate::kernel::{Auth, RequestCtx};
use crate::telemetry::metrics::{self, OperationType};

const JSON: &str = "application/json";
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The media type the client asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    GraphqlResponseJson,
}

impl Format {
    /// The first of the two types `Accept` names, weighed by `q`; JSON when it names neither.
    fn negotiate(req: &HttpRequest) -> Format {
        let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mut best: Option<(u32, Format)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let q = parts.filter_map(|p| p.strip_prefix("q=")).find_map(quality).unwrap_or(1000);
            let format = match media.as_str() {
                GRAPHQL_RESPONSE_JSON => Format::GraphqlResponseJson,
                JSON | "application/*" | "*/*" => Format::Json,
                _ => continue,
            };
            if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, format));
            }
        }
        best.map(|(_, f)| f).unwrap_or(Format::Json)
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
        }
    }
}

/// An `Accept` quality value (`0` to `1`, up to three decimals) in thousandths.
fn quality(q: &str) -> Option<u32> {
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{frac:0<3}").parse::<u32>().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// One request's outcome.
struct Outcome {
    response: Response,
    /// False when it was refused before execution.
    ran: bool,
    /// A mutation sent over GET (405).
    mutation_over_get: bool,
}

pub async fn post(req: HttpRequest, payload: web::Payload, gateway: web::Data<Gateway>) -> HttpResponse {
    let format = Format::negotiate(&req);
    let request_id = request_id(&req);
    if !is_json(&req) {
        return transport_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST /graphql takes application/json",
            &request_id,
            format,
        );
    }
    let limit = gateway.state.settings.limits.body_bytes;
    let body = match read_body(&req, payload, limit).await {
        Ok(body) => body,
        Err(status) => {
            let message = format!("the request body is larger than {limit} bytes");
            return transport_error(status, &message, &request_id, format);
        }
    };
    let (requests, is_batch) = match parse_body(&body) {
        Ok(parsed) => parsed,
        Err(message) => return transport_error(StatusCode::BAD_REQUEST, &message, &request_id, format),
    };
    let max = gateway.state.settings.limits.batch;
    if is_batch && (requests.is_empty() || requests.len() > max) {
        let message = format!("a batch holds 1 to {max} operations");
        return transport_error(StatusCode::BAD_REQUEST, &message, &request_id, format);
    }
    let limits = &gateway.state.settings.limits;
    let checked: Vec<Result<Checked, Refused>> =
        requests.into_iter().map(|request| check(request, limits, &gateway)).collect();
    // Counted over the whole batch: one password check per HTTP request, or none runs.
    let password_checks: usize = checked.iter().flatten().map(|c| c.analysis.password_checks).sum();
    let mut outcomes = Vec::with_capacity(checked.len());
    for item in checked {
        outcomes.push(match item {
            _ if password_checks > 1 => {
                unrun(refused(TOO_MANY_PASSWORD_CHECKS.into(), code::BAD_USER_INPUT, &request_id))
            }
            Ok(checked) => execute(&req, &gateway, checked, &request_id, false).await,
            Err(Refused { message, code }) => unrun(refused(message, code, &request_id)),
        });
    }
    let status = status_of(format, &outcomes.iter().collect::<Vec<_>>());
    if is_batch {
        let responses: Vec<&Response> = outcomes.iter().map(|o| &o.response).collect();
        respond(format, &responses, status)
    } else {
        respond(format, &outcomes[0].response, status)
    }
}

const TOO_MANY_PASSWORD_CHECKS: &str =
    "a request (a batch counted as a whole) holds at most one login or changePassword";

/// One GraphQL request (a JSON object), or a batch (a JSON array of objects). async-graphql's
/// own `BatchRequest` would read `[]` as a single request with every field defaulted.
fn parse_body(body: &[u8]) -> Result<(Vec<Request>, bool), String> {
    let shape =
        |err: serde_json::Error| format!("the body is not a GraphQL request in JSON: {}", json_error_summary(&err));
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok((vec![serde_json::from_slice::<Request>(body).map_err(shape)?], false)),
        Some(b'[') => {
            let items: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_slice(body).map_err(shape)?;
            let requests = items
                .into_iter()
                .map(|item| serde_json::from_value::<Request>(serde_json::Value::Object(item)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(shape)?;
            Ok((requests, true))
        }
        _ => Err("the body is not a GraphQL request in JSON: expected an object or an array of objects".into()),
    }
}

#[derive(Deserialize)]
pub struct GetParams {
    query: Option<String>,
    variables: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    /// Apollo's persisted queries travel here over GET: `{"persistedQuery": {...}}`.
    extensions: Option<String>,
}

pub async fn get(req: HttpRequest, gateway: web::Data<Gateway>) -> HttpResponse {
    let format = Format::negotiate(&req);
    let request_id = request_id(&req);
    let Ok(params) = web::Query::<GetParams>::from_query(req.query_string()) else {
        return transport_error(StatusCode::BAD_REQUEST, "malformed query string", &request_id, format);
    };
    let params = params.into_inner();
    let extensions = match params.extensions.as_deref().map(serde_json::from_str::<HashMap<String, Value>>) {
        None => HashMap::new(),
        Some(Ok(extensions)) => extensions,
        Some(Err(_)) => {
            return transport_error(StatusCode::BAD_REQUEST, "`extensions` is not a JSON object", &request_id, format);
        }
    };
    if params.query.is_none() && !extensions.contains_key("persistedQuery") {
        return transport_error(StatusCode::BAD_REQUEST, "GET /graphql needs a `query` parameter", &request_id, format);
    }
    let query = params.query.unwrap_or_default();
    let variables = match params.variables.as_deref().map(serde_json::from_str::<Variables>) {
        None => Variables::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => {
            return transport_error(StatusCode::BAD_REQUEST, "`variables` is not a JSON object", &request_id, format);
        }
    };
    let mut request = Request::new(query).variables(variables);
    request.extensions = async_graphql::Extensions(extensions);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    let outcome = match check(request, &gateway.state.settings.limits, &gateway) {
        Ok(checked) => execute(&req, &gateway, checked, &request_id, true).await,
        Err(Refused { message, code }) => unrun(refused(message, code, &request_id)),
    };
    if outcome.mutation_over_get {
        let mut res = respond(format, &outcome.response, StatusCode::METHOD_NOT_ALLOWED);
        res.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return res;
    }
    respond(format, &outcome.response, status_of(format, &[&outcome]))
}

const MUTATION_OVER_GET: &str = "mutations are only accepted over POST";

/// A request that passed the document checks, parsed once.
pub(crate) struct Checked {
    pub request: Request,
    pub doc: ExecutableDocument,
    pub analysis: Analysis,
}

fn refused(message: String, code: &str, request_id: &str) -> Outcome {
    Outcome { response: error_response(message, code, request_id), ran: false, mutation_over_get: false }
}

/// The document the request runs (persisted operations) and its limits, before anything is
/// parsed twice or run.
pub(crate) fn check(mut request: Request, limits: &Limits, gateway: &Gateway) -> Result<Checked, Refused> {
    let to_learn = gateway.persisted.resolve(&mut request)?;
    let bad = |Refusal(message)| Refused { message, code: code::BAD_USER_INPUT };
    guard::check_text(&request.query, limits).map_err(bad)?;
    let doc = tracing::info_span!("graphql.parse").in_scope(|| gateway.documents.parse(&request.query));
    let doc = doc.map_err(|e| bad(Refusal(format!("syntax error: {e}"))))?;
    let analysis = guard::analyze(&doc, request.operation_name.as_deref(), limits).map_err(bad)?;
    if let Some(to_learn) = to_learn {
        gateway.persisted.learn(to_learn, &request.query);
    }
    Ok(Checked { request, doc, analysis })
}

/// Authenticates and runs one checked GraphQL request.
/// Counts an operation refused before its document was read (`telemetry::metrics`).
fn unrun(outcome: Outcome) -> Outcome {
    metrics::graphql_operation(OperationType::Unknown, false, true, Duration::ZERO);
    outcome
}

/// Runs a checked operation, and counts and times it (`telemetry::metrics`).
async fn execute(req: &HttpRequest, gateway: &Gateway, checked: Checked, request_id: &str, over_get: bool) -> Outcome {
    let kind = if checked.analysis.is_mutation { OperationType::Mutation } else { OperationType::Query };
    let started = Instant::now();
    let outcome = execute_checked(req, gateway, checked, request_id, over_get).await;
    metrics::graphql_operation(kind, outcome.ran, !outcome.response.errors.is_empty(), started.elapsed());
    outcome
}

async fn execute_checked(
    req: &HttpRequest,
    gateway: &Gateway,
    checked: Checked,
    request_id: &str,
    over_get: bool,
) -> Outcome {
    let state = &gateway.state;
    let Checked { request, doc, analysis } = checked;
    let refused = |message: String, code: &str| refused(message, code, request_id);
    if over_get && analysis.is_mutation {
        return Outcome { mutation_over_get: true, ..refused(MUTATION_OVER_GET.into(), code::BAD_USER_INPUT) };
    }
    // A database that does not answer fails requests at once rather than letting them queue,
    // and abandons those in flight (their transactions roll back): never a hang (§11).
    if !state.health.is_up() {
        return refused("the database is unavailable".into(), code::INTERNAL);
    }
    tokio::select! {
        outcome = run(req, gateway, request, doc, analysis, request_id) => outcome,
        () = state.health.lost() => refused("the database stopped answering".into(), code::INTERNAL),
    }
}

async fn run(
    req: &HttpRequest,
    gateway: &Gateway,
    mut request: Request,
    doc: ExecutableDocument,
    analysis: Analysis,
    request_id: &str,
) -> Outcome {
    let state = &gateway.state;
    let refused = |message: String, code: &str| refused(message, code, request_id);
    let header = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let auth = match authenticate(state, header).await {
        Ok(auth) => auth,
        Err(err) => {
            tracing::error!(error = %err, "authentication lookup failed");
            return refused("internal error".into(), code::INTERNAL);
        }
    };
    if analysis.uses_introspection {
        match (state.settings.introspection, &auth) {
            (Introspection::On, _) | (Introspection::Authenticated, Auth::User(_)) => {}
            (Introspection::Authenticated, _) => {
                return refused("introspection needs a signed-in user".into(), code::UNAUTHENTICATED);
            }
            (Introspection::Off, _) => {
                return refused("introspection is disabled".into(), code::BAD_USER_INPUT);
            }
        }
    }

    let client_ip = req.extensions().get::<ClientAddr>().and_then(|c| c.0);
    let rc = RequestCtx { request_id: request_id.to_string(), client_ip, auth };
    let variables = RequestVariables(request.variables.clone());
    request.set_parsed_query(doc);
    let field_errors = Arc::new(FieldErrors::default());
    let request = add_request_data(request.data(rc).data(variables).data(field_errors.clone()), state);

    let response = match AssertUnwindSafe(gateway.schema.execute(request)).catch_unwind().await {
        Ok(mut response) => {
            field_errors.merge_into(&mut response);
            response
        }
        Err(_) => {
            tracing::error!("a resolver panicked");
            return refused("internal error".into(), code::INTERNAL);
        }
    };
    // Validation failures (unknown fields, bad argument types …) have no path and no data.
    let ran = !(response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty()));
    Outcome { response: finish(response, request_id), ran, mutation_over_get: false }
}

/// Gives every error its request id, and a code when async-graphql produced it (its own
/// errors are all about the request: syntax, validation, limits, argument coercion).
pub(crate) fn finish(mut response: Response, request_id: &str) -> Response {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code::BAD_USER_INPUT);
        }
        extensions.set("requestId", request_id);
    }
    response
}

pub(crate) fn error_response(message: String, code: &str, request_id: &str) -> Response {
    let gql: async_graphql::Error = match code {
        code::UNAUTHENTICATED => AppError::Unauthenticated.into(),
        code::INTERNAL => AppError::internal(anyhow::anyhow!("{message}")).into(),
        code::FORBIDDEN => AppError::Forbidden(message.clone()).into(),
        _ => AppError::bad_input("query", message.clone()).into(),
    };
    let mut error = ServerError::new(if code == code::INTERNAL { "internal error".into() } else { message }, None);
    error.extensions = gql.extensions;
    if let Some(ext) = error.extensions.as_mut() {
        ext.unset("field");
    }
    finish(Response::from_errors(vec![error]), request_id)
}

fn transport_error(status: StatusCode, message: &str, request_id: &str, format: Format) -> HttpResponse {
    respond(format, &error_response(message.to_string(), code::BAD_USER_INPUT, request_id), status)
}

/// `application/graphql-response+json` says 400 for a request that never ran; JSON keeps 200.
fn status_of(format: Format, outcomes: &[&Outcome]) -> StatusCode {
    if format == Format::GraphqlResponseJson && outcomes.iter().all(|o| !o.ran) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

fn respond<T: serde::Serialize>(format: Format, body: &T, status: StatusCode) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => HttpResponse::build(status).content_type(format.content_type()).body(bytes),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

fn request_id(req: &HttpRequest) -> String {
    req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(JSON))
}

/// Reads the body, refusing (413) as soon as it passes `limit`, whatever Content-Length claims.
async fn read_body(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<BytesMut, StatusCode> {
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| StatusCode::BAD_REQUEST)?;
        if body.len() + chunk.len() > limit {
            return Err(StatusCode::PAYLOAD_TOO_LARGE);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Where the JSON broke, without echoing the body back.
fn json_error_summary(err: &serde_json::Error) -> String {
    let what = match err.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "malformed JSON",
        serde_json::error::Category::Data => "unexpected JSON shape",
        serde_json::error::Category::Io => "unreadable body",
    };
    format!("{what} at line {} column {}", err.line(), err.column())
}

#[cfg(test)]
mod tests {
    use super::quality;

    #[test]
    fn accept_qualities_are_read_in_thousandths() {
        assert_eq!(quality("1"), Some(1000));
        assert_eq!(quality("0.5"), Some(500));
        assert_eq!(quality("0.125"), Some(125));
        assert_eq!(quality("0"), Some(0));
        for bad in ["2", "0.1234", "x", "1.5", "-1"] {
            assert_eq!(quality(bad), None, "{bad}");
        }
    }
}
