//! The HTTP edge: routes, request ids, CORS, and the GraphQL endpoint's transport rules
//! (CONTRACT.md §1).
//!
//! `POST /graphql` takes `application/json` only (415 otherwise, so no form or `text/plain`
//! request from another site ever executes), a body of at most `HTTP_BODY_LIMIT_BYTES` (413),
//! one operation or a batch of at most `GRAPHQL_MAX_BATCH` (400 beyond, and none of it runs).
//! `GET /graphql` runs queries only (405 for a mutation). The response type follows `Accept`.
//! `GET /graphql` with `Upgrade: websocket` opens the subscriptions socket (`live::socket`).

mod documents;
pub mod graphiql;
pub(crate) mod graphql_endpoint;
pub mod guard;
pub mod persisted;

use std::time::Instant;

use actix_cors::Cors;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use tracing::Instrument;

use crate::graphql::AppSchema;
use crate::kernel;
use crate::state::AppState;
use crate::telemetry::metrics;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request id of this request: the client's when well formed, else a new UUID.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The client's address: the TCP peer, or behind a trusted proxy the rightmost untrusted
/// `X-Forwarded-For` hop (`kernel::net`).
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

/// What the routes share.
pub struct Gateway {
    pub schema: AppSchema,
    pub state: AppState,
    pub documents: documents::DocumentCache,
    pub persisted: persisted::Persisted,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/graphql")
            .route(web::post().to(graphql_endpoint::post))
            // Subscriptions (CONTRACT.md §12): the WebSocket upgrade, before plain GETs.
            .route(
                web::get()
                    .guard(actix_web::guard::fn_guard(crate::live::socket::is_upgrade))
                    .to(crate::live::socket::upgrade),
            )
            .route(web::get().to(graphql_endpoint::get)),
    )
    .route("/graphiql", web::get().to(graphiql::page))
    .route("/graphiql/{name}", web::get().to(graphiql::asset))
    .route("/health", web::get().to(health))
    .route("/ready", web::get().to(ready));
    cfg.configure(crate::audit::console::routes);
}

pub fn cors(allowed_origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static(REQUEST_ID_HEADER),
        ])
        .expose_headers([HeaderName::from_static(REQUEST_ID_HEADER)])
        .max_age(600)
        // An origin not on the list gets no CORS headers (the browser then refuses to share
        // the response) rather than an error, so same-origin pages such as GraphiQL still work.
        .block_on_origin_mismatch(false);
    for origin in allowed_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Gives every request an id (kept from the client when it is 1–128 characters of
/// `A-Za-z0-9._-`), its client address, a tracing span carrying both, and the `X-Request-Id`
/// response header — on errors too.
pub async fn with_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_request_id(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let trusted =
        req.app_data::<web::Data<Gateway>>().map(|g| g.state.settings.trusted_proxies.clone()).unwrap_or_default();
    let forwarded = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok());
    let client = kernel::net::client_address(req.peer_addr().map(|a| a.ip()), forwarded, &trusted);
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(ClientAddr(client));
    let client_field = client.map(|c| c.to_string()).unwrap_or_default();
    // Also the root of the request's trace (telemetry.rs): named by method and route, never by
    // the raw path; it continues the caller's trace when a `traceparent` header names one.
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        client = %client_field,
        method = %req.method(),
        path = %req.path(),
        otel.name = %format_args!("{} {}", req.method(), route(req.path())),
        otel.kind = "server",
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    crate::telemetry::continue_trace(&span, req.headers());
    let method = req.method().clone();
    let started = Instant::now();
    let header = (HeaderName::from_static(REQUEST_ID_HEADER), HeaderValue::from_str(&id).expect("validated id"));
    let mut res = match next.call(req).instrument(span.clone()).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(err) => {
            // An error becomes its response here, so that it carries the request id too.
            let mut response = err.error_response();
            response.headers_mut().insert(header.0, header.1);
            span.record("http.response.status_code", response.status().as_u16());
            metrics::http_request(&method, None, response.status().as_u16(), started.elapsed());
            return Err(actix_web::error::InternalError::from_response(err, response).into());
        }
    };
    res.headers_mut().insert(header.0, header.1);
    span.record("http.response.status_code", res.status().as_u16());
    metrics::http_request(&method, res.request().match_pattern(), res.status().as_u16(), started.elapsed());
    if res.status().is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    span.in_scope(|| {
        tracing::info!(status = res.status().as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "request")
    });
    Ok(res)
}

/// The route a path belongs to, for span names: a fixed set, so a client's random paths never
/// become names.
fn route(path: &str) -> &'static str {
    match path {
        "/graphql" => "/graphql",
        "/graphiql" => "/graphiql",
        "/health" => "/health",
        "/ready" => "/ready",
        p if p.starts_with("/graphiql/") => "/graphiql/{asset}",
        _ => "unmatched",
    }
}

pub fn valid_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// 200 when the database answers within `DATABASE_ACQUIRE_TIMEOUT_SECS`, 503 otherwise.
async fn ready(gateway: web::Data<Gateway>) -> HttpResponse {
    let state = &gateway.state;
    let within = std::time::Duration::from_secs(state.settings.database_acquire_timeout_secs);
    let answers = state.health.is_up() && tokio::time::timeout(within, state.db.ping()).await.unwrap_or(false);
    if answers {
        HttpResponse::Ok().json(serde_json::json!({"status": "ready"}))
    } else {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "database unavailable"}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_short_and_plain() {
        assert!(valid_request_id("abc-123_x.y"));
        assert!(valid_request_id(&"a".repeat(128)));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id(&"a".repeat(129)));
        assert!(!valid_request_id("a b"));
        assert!(!valid_request_id("a\nb"));
        assert!(!valid_request_id("ä"));
    }
}
