//! The subscriptions WebSocket: `GET /graphql` with `Upgrade: websocket`, protocol
//! `graphql-transport-ws`. async-graphql speaks the protocol; this file decides who may speak.
//!
//! - A browser page of an origin not in `CORS_ALLOWED_ORIGINS` is refused at the upgrade (403),
//!   the server's own included (a rebound DNS name makes any page "same-origin"): cookies are
//!   not used, but a page must not even try tokens.
//! - `connection_init` must come within 5 s (4408) and carry `{"authorization": "Bearer …"}`,
//!   checked as HTTP checks it, token version included (4403 otherwise). async-graphql would
//!   close a refused init with 1002, so the first message is read here and only then handed on.
//! - Once a second the connection checks the token's expiry, and its version when the user
//!   changed (a notice) or every few seconds anyway: a revoked or expired token closes it with
//!   4401 within 5 s.
//! - Subscriptions take a slot of the connection (`WS_MAX_SUBSCRIPTIONS`); a user's connections
//!   beyond `WS_MAX_CONNECTIONS_PER_USER` stay open but every subscription on them is refused.
//!   Both refusals are `TOO_MANY_REQUESTS` on that subscription only.
//! - When the process is told to stop, every socket closes with 1001 (going away) at once, and
//!   clients reconnect elsewhere (`auditEvents` with `afterSeq` loses nothing).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Session};
use async_graphql::http::{WebSocket, WebSocketProtocols as Protocols, WsMessage};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Data, Executor, Request, Response};
use futures::stream::{self, BoxStream};
use futures::{StreamExt, future};
use serde_json::Value;

use crate::auth::service::authenticate;
use crate::authz::gate::RequestVariables;
use crate::error::{AppError, AppResult, code};
use crate::graphql::add_request_data;
use crate::http::{ClientAddr, Gateway, graphql_endpoint};
use crate::kernel::{Auth, Principal, RequestCtx};
use crate::telemetry::metrics::{self, OperationType as OperationKind};

const PROTOCOL: &str = "graphql-transport-ws";
const INIT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a connection looks at its token.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// Every this many checks the version is read even without a notice (another SQLite process,
/// a lost notice): a revoked token never outlives 5 s.
const FULL_CHECK_EVERY: u32 = 3;

/// graphql-ws close codes.
const UNAUTHORIZED: u16 = 4401;
const FORBIDDEN: u16 = 4403;
const INIT_TIMEOUT_CODE: u16 = 4408;

/// Subscriptions running in this process (for the `subscriptions_active` gauge).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

pub fn active_subscriptions() -> usize {
    ACTIVE.load(Ordering::Relaxed)
}

/// `GET /graphql` asking for an upgrade.
pub fn is_upgrade(ctx: &actix_web::guard::GuardContext<'_>) -> bool {
    ctx.head().headers().get(header::UPGRADE).is_some()
}

pub async fn upgrade(req: HttpRequest, body: web::Payload, gateway: web::Data<Gateway>) -> HttpResponse {
    if !origin_allowed(&req, &gateway.state.settings.cors_allowed_origins) {
        return HttpResponse::Forbidden().body("this origin may not open the subscriptions socket");
    }
    let (response, session, messages) = match actix_ws::handle_with_protocols(&req, body, &[PROTOCOL]) {
        Ok(parts) => parts,
        Err(err) => return err.error_response(),
    };
    let client_ip = req.extensions().get::<ClientAddr>().and_then(|c| c.0);
    let limit = gateway.state.settings.limits.body_bytes;
    let messages = messages.max_frame_size(limit).aggregate_continuations().max_continuation_size(limit);
    actix_web::rt::spawn(serve(gateway.into_inner(), session, messages, client_ip));
    response
}

/// No `Origin`: not a browser. Otherwise one of the allowed origins (CONTRACT.md §12).
fn origin_allowed(req: &HttpRequest, allowed: &[String]) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN) else { return true };
    let Ok(origin) = origin.to_str() else { return false };
    allowed.iter().any(|a| a == origin)
}

/// The signed-in caller of a connection, and what its subscriptions may take.
pub struct Connection {
    pub principal: Arc<Principal>,
    open: AtomicUsize,
    max: usize,
    /// One of the user's connections beyond `WS_MAX_CONNECTIONS_PER_USER`.
    over_user_limit: bool,
}

impl Connection {
    /// A slot for one more subscription, held for as long as it runs.
    pub fn slot(self: &Arc<Self>) -> AppResult<Slot> {
        if self.over_user_limit {
            return Err(AppError::TooManyRequests);
        }
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.max).then_some(n + 1))
            .map_err(|_| AppError::TooManyRequests)?;
        ACTIVE.fetch_add(1, Ordering::Relaxed);
        Ok(Slot(self.clone()))
    }
}

pub struct Slot(Arc<Connection>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
        ACTIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Connections per user in this process.
#[derive(Default)]
pub struct Connections(Mutex<HashMap<String, usize>>);

struct Counted<'a> {
    connections: &'a Connections,
    user_id: String,
}

impl Connections {
    fn open(&self, user_id: &str, max: usize) -> (Counted<'_>, bool) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = map.entry(user_id.to_string()).or_default();
        *count += 1;
        (Counted { connections: self, user_id: user_id.to_string() }, *count > max)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        let mut map = self.connections.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = map.get_mut(&self.user_id) {
            *count -= 1;
            if *count == 0 {
                map.remove(&self.user_id);
            }
        }
    }
}

async fn serve(
    gateway: Arc<Gateway>,
    mut session: Session,
    mut messages: actix_ws::AggregatedMessageStream,
    client_ip: Option<std::net::IpAddr>,
) {
    let state = &gateway.state;
    let init = match tokio::time::timeout(INIT_TIMEOUT, connection_init(&mut session, &mut messages)).await {
        Err(_) => return close(session, INIT_TIMEOUT_CODE, "Connection initialisation timeout").await,
        Ok(Err((code, reason))) => return close(session, code, reason).await,
        Ok(Ok(None)) => return, // the client went away
        Ok(Ok(Some(init))) => init,
    };
    let header = init.payload.get("authorization").and_then(Value::as_str).map(str::to_string);
    let claims = header.as_deref().and_then(|h| h.strip_prefix("Bearer ")).and_then(|t| state.tokens.verify(t.trim()));
    let principal = match (authenticate(state, header.as_deref()).await, &claims) {
        (Ok(Auth::User(principal)), Some(_)) => principal,
        (Err(err), _) => {
            tracing::error!(error = %err, "authentication lookup failed");
            return close(session, 1011, "internal error").await;
        }
        _ => return close(session, FORBIDDEN, "Forbidden").await,
    };
    let expires_at = claims.map_or(0, |c| c.exp);
    let (_counted, over_user_limit) =
        state.live.connections.open(&principal.user_id, state.settings.ws_max_connections_per_user);
    let connection = Arc::new(Connection {
        principal: principal.clone(),
        open: AtomicUsize::new(0),
        max: state.settings.ws_max_subscriptions,
        over_user_limit,
    });
    let executor = LiveExecutor { gateway: gateway.clone(), connection, client_ip };
    // async-graphql answers the init (its default accepts it) and runs the protocol from here.
    let pong = session.clone();
    let incoming = stream::once(future::ready(init.text.into_bytes())).chain(
        messages
            .take_while(|m| future::ready(matches!(m, Ok(m) if !matches!(m, AggregatedMessage::Close(_)))))
            .filter_map(move |m| {
                let mut pong = pong.clone();
                async move {
                    match m {
                        Ok(AggregatedMessage::Text(text)) => Some(text.as_bytes().to_vec()),
                        Ok(AggregatedMessage::Binary(bytes)) => Some(bytes.to_vec()),
                        Ok(AggregatedMessage::Ping(bytes)) => {
                            let _ = pong.pong(&bytes).await;
                            None
                        }
                        _ => None,
                    }
                }
            }),
    );
    let mut protocol = Box::pin(WebSocket::new(executor, incoming, Protocols::GraphQLWS));
    let mut users = state.live.user_changes();
    let mut ticks = tokio::time::interval(CHECK_EVERY);
    let mut ticks_since_full = 0;
    let stopping = state.live.stopping();
    tokio::pin!(stopping);
    loop {
        let mut recheck = false;
        tokio::select! {
            out = protocol.next() => match out {
                Some(WsMessage::Text(text)) => {
                    if session.text(text).await.is_err() {
                        return;
                    }
                }
                Some(WsMessage::Close(code, reason)) => return close(session, code, &reason).await,
                None => return close(session, 1000, "").await,
            },
            _ = ticks.tick() => {
                if chrono::Utc::now().timestamp() >= expires_at {
                    return close(session, UNAUTHORIZED, "Unauthorized: the token expired").await;
                }
                ticks_since_full += 1;
                recheck = ticks_since_full >= FULL_CHECK_EVERY;
            }
            () = &mut stopping => return close(session, 1001, "the server is stopping").await,
            changed = users.recv() => {
                recheck = match changed {
                    Ok(user_id) => user_id == principal.user_id,
                    Err(_) => true, // lagged: some of them may have been ours
                };
            }
        }
        if recheck {
            ticks_since_full = 0;
            // The same question HTTP asks: a changed version, a deactivated user → refused.
            match authenticate(state, header.as_deref()).await {
                Ok(Auth::User(_)) => {}
                Ok(_) => return close(session, UNAUTHORIZED, "Unauthorized: the token was revoked").await,
                Err(err) => tracing::warn!(error = %err, "could not recheck a subscriber's token"),
            }
        }
    }
}

/// The `connection_init` message, as its text and its payload.
struct Init {
    text: String,
    payload: serde_json::Map<String, Value>,
}

/// Waits for `connection_init`, answering pings meanwhile. `Ok(None)`: the client left.
async fn connection_init(
    session: &mut Session,
    messages: &mut actix_ws::AggregatedMessageStream,
) -> Result<Option<Init>, (u16, &'static str)> {
    while let Some(message) = messages.next().await {
        let text = match message {
            Ok(AggregatedMessage::Text(text)) => text.to_string(),
            Ok(AggregatedMessage::Ping(bytes)) => {
                let _ = session.pong(&bytes).await;
                continue;
            }
            Ok(AggregatedMessage::Pong(_)) => continue,
            _ => return Ok(None),
        };
        let message: Value = serde_json::from_str(&text).map_err(|_| (4400, "Invalid message"))?;
        match message.get("type").and_then(Value::as_str) {
            Some("connection_init") => {
                let payload = message.get("payload").and_then(Value::as_object).cloned().unwrap_or_default();
                return Ok(Some(Init { text, payload }));
            }
            Some("ping") => {
                let _ = session.text(r#"{"type":"pong"}"#).await;
            }
            // graphql-ws: anything before the acknowledgement is unauthorised.
            _ => return Err((UNAUTHORIZED, "Unauthorized")),
        }
    }
    Ok(None)
}

async fn close(session: Session, code: u16, reason: &str) {
    let reason = CloseReason { code: CloseCode::from(code), description: Some(reason.to_string()) };
    let _ = session.close(Some(reason)).await;
}

/// Runs the subscriptions of one connection: the HTTP endpoint's document checks, then the
/// schema, with the connection's caller and a request id of each subscription's own.
#[derive(Clone)]
struct LiveExecutor {
    gateway: Arc<Gateway>,
    connection: Arc<Connection>,
    client_ip: Option<std::net::IpAddr>,
}

impl Executor for LiveExecutor {
    async fn execute(&self, _request: Request) -> Response {
        refusal("subscriptions only: queries and mutations go over HTTP", code::BAD_USER_INPUT, "")
    }

    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let gateway = &self.gateway;
        let started = Instant::now();
        let checked = match graphql_endpoint::check(request, &gateway.state.settings.limits, gateway) {
            Ok(checked) => checked,
            Err(refused) => {
                metrics::graphql_operation(OperationKind::Unknown, false, true, started.elapsed());
                return once(refusal(&refused.message, refused.code, &request_id));
            }
        };
        if !is_subscription(&checked.doc, checked.request.operation_name.as_deref()) {
            metrics::graphql_operation(OperationKind::Unknown, false, true, started.elapsed());
            let message = "only subscriptions run over the WebSocket: queries and mutations go over HTTP";
            return once(refusal(message, code::BAD_USER_INPUT, &request_id));
        }
        let mut request = checked.request;
        let rc = RequestCtx {
            request_id: request_id.clone(),
            client_ip: self.client_ip,
            auth: Auth::User(self.connection.principal.clone()),
        };
        let variables = RequestVariables(request.variables.clone());
        request.set_parsed_query(checked.doc);
        let request = add_request_data(request.data(rc).data(variables).data(self.connection.clone()), &gateway.state);
        let responses = gateway.schema.execute_stream_with_session_data(request, session_data.unwrap_or_default());
        // Counted once, by its first answer: the first event, or the refusal (FORBIDDEN, limits).
        let mut first = true;
        responses
            .map(move |response| {
                if std::mem::take(&mut first) {
                    let failed = !response.errors.is_empty();
                    metrics::graphql_operation(OperationKind::Subscription, true, failed, started.elapsed());
                }
                graphql_endpoint::finish(response, &request_id)
            })
            .boxed()
    }
}

fn once(response: Response) -> BoxStream<'static, Response> {
    stream::once(future::ready(response)).boxed()
}

fn refusal(message: &str, code: &str, request_id: &str) -> Response {
    graphql_endpoint::error_response(message.to_string(), code, request_id)
}

fn is_subscription(doc: &async_graphql::parser::types::ExecutableDocument, name: Option<&str>) -> bool {
    let operation = match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    };
    operation.is_some_and(|op| op.node.ty == OperationType::Subscription)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn only_the_allowed_origins_may_open_the_socket() {
        let allowed = vec!["https://app.example".to_string()];
        let with = |origin: Option<&str>| {
            let mut req = TestRequest::get().insert_header((header::HOST, "api.example:8080"));
            if let Some(origin) = origin {
                req = req.insert_header((header::ORIGIN, origin));
            }
            origin_allowed(&req.to_http_request(), &allowed)
        };
        assert!(with(None), "not a browser");
        assert!(with(Some("https://app.example")));
        assert!(!with(Some("http://api.example:8080")), "not even the server's own host, unless listed");
        assert!(!with(Some("https://evil.example")));
        assert!(!with(Some("https://app.example.evil.example")));
        assert!(!with(Some("null")));
    }

    #[test]
    fn a_connection_holds_at_most_its_subscriptions() {
        let principal =
            Arc::new(Principal { user_id: "u".into(), email: "e".into(), employee_id: None, assignments: vec![] });
        let conn = Arc::new(Connection { principal, open: AtomicUsize::new(0), max: 2, over_user_limit: false });
        let (a, b) = (conn.slot().unwrap(), conn.slot().unwrap());
        assert!(matches!(conn.slot(), Err(AppError::TooManyRequests)));
        drop(a);
        let _c = conn.slot().unwrap();
        drop(b);

        let connections = Connections::default();
        let (first, over) = connections.open("u", 1);
        assert!(!over);
        let (second, over) = connections.open("u", 1);
        assert!(over, "the second connection of a user allowed one");
        drop((first, second));
        assert!(!connections.open("u", 1).1, "counted down when they close");
    }
}
