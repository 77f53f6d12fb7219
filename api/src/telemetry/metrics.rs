//! Prometheus metrics (CONTRACT.md §12): the text format at `/metrics` on a listener of its own,
//! `METRICS_ADDR` (default `127.0.0.1:9464`, empty disables it), never on `BIND_ADDR`, so a
//! public gateway never shows its internals.
//!
//! Every label is bounded: HTTP routes are the matched route *patterns* (`unmatched` for any
//! other path), methods a fixed set, operation types and outcomes fixed words; no client-chosen
//! string (path, operation name, email) ever becomes a label, so random requests cannot grow
//! the number of series. Gauges that describe shared state (the pool, the audit chain's head,
//! open subscriptions) are read when scraped.
//!
//! The `metrics` facade is process-wide: one recorder per process, installed the first time a
//! metrics listener starts. Until then (or with `METRICS_ADDR=` empty) recording is a no-op.

use std::sync::OnceLock;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::Method;
use actix_web::{App, HttpResponse, HttpServer, web};
use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::{DbBackend, EntityTrait};

use crate::audit::chain::Outcome;
use crate::state::AppState;

/// Histogram buckets in seconds: from half a millisecond (a cached lookup) to ten seconds.
const SECONDS_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// How often histogram samples are folded into their buckets between scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);
/// A scrape never waits longer than this for the database (the head seq is then left as it was).
const SCRAPE_DB_TIMEOUT: Duration = Duration::from_secs(1);

/// The process's recorder.
fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new().set_buckets(&SECONDS_BUCKETS).expect("buckets are not empty");
        let handle = match builder.install_recorder() {
            Ok(handle) => handle,
            Err(err) => {
                tracing::error!(error = %err, "could not install the metrics recorder; /metrics will be empty");
                PrometheusBuilder::new().build_recorder().handle()
            }
        };
        describe();
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_INTERVAL);
                    upkeep.run_upkeep();
                }
            })
            .expect("a thread for metrics upkeep");
        handle
    })
}

fn describe() {
    describe_counter!("http_requests_total", "HTTP requests answered, by method, route pattern and status");
    describe_histogram!("http_request_duration_seconds", Unit::Seconds, "Time to answer an HTTP request");
    describe_counter!("graphql_operations_total", "GraphQL operations, by type and outcome");
    describe_histogram!("graphql_operation_duration_seconds", Unit::Seconds, "Time to run a GraphQL operation");
    describe_gauge!("db_pool_connections", "Database pool connections, by state (idle, in_use, max)");
    describe_gauge!("audit_chain_head_seq", "The seq of the last event of the audit chain");
    describe_counter!("audit_events_total", "Audit events this process appended, by outcome");
    describe_counter!("login_attempts_total", "Sign-in attempts, by outcome");
    describe_gauge!("subscriptions_active", "GraphQL subscriptions open on this process");
    // Families exist from the first scrape, before anything happened.
    for outcome in [Outcome::Success, Outcome::Denied, Outcome::Read] {
        counter!("audit_events_total", "outcome" => outcome_label(outcome)).absolute(0);
    }
    for outcome in LoginOutcome::ALL {
        counter!("login_attempts_total", "outcome" => outcome.label()).absolute(0);
    }
    gauge!("subscriptions_active").set(0.0);
}

/// A method as a label: the standard ones by name, anything else `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

/// One answered HTTP request. `route` is the matched route pattern (`None` when no route
/// matched), never the path the client sent.
pub fn http_request(method: &Method, route: Option<String>, status: u16, elapsed: Duration) {
    let method = method_label(method);
    let route = route.unwrap_or_else(|| "unmatched".into());
    counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    histogram!("http_request_duration_seconds", "method" => method, "route" => route).record(elapsed.as_secs_f64());
}

/// The kind of a GraphQL operation, as far as the server got with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationType {
    Query,
    Mutation,
    Subscription,
    /// Refused before its document was read (limits, persisted operations).
    Unknown,
}

impl OperationType {
    fn label(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Mutation => "mutation",
            Self::Subscription => "subscription",
            Self::Unknown => "unknown",
        }
    }
}

/// How an operation ended: `ok` with no error, `error` with some (field errors included),
/// `refused` when it never ran.
pub fn graphql_operation(kind: OperationType, ran: bool, has_errors: bool, elapsed: Duration) {
    let outcome = match (ran, has_errors) {
        (false, _) => "refused",
        (true, false) => "ok",
        (true, true) => "error",
    };
    counter!("graphql_operations_total", "type" => kind.label(), "outcome" => outcome).increment(1);
    histogram!("graphql_operation_duration_seconds", "type" => kind.label()).record(elapsed.as_secs_f64());
}

fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "success",
        Outcome::Denied => "denied",
        Outcome::Read => "read",
    }
}

/// Audit events this process committed.
pub fn audit_events(outcomes: impl IntoIterator<Item = Outcome>) {
    for outcome in outcomes {
        counter!("audit_events_total", "outcome" => outcome_label(outcome)).increment(1);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    Success,
    /// Wrong email or password, a locked or deactivated account: one answer for all (§3).
    Failure,
    RateLimited,
    Error,
}

impl LoginOutcome {
    const ALL: [LoginOutcome; 4] = [Self::Success, Self::Failure, Self::RateLimited, Self::Error];

    fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::RateLimited => "rate_limited",
            Self::Error => "error",
        }
    }
}

pub fn login_attempt(outcome: LoginOutcome) {
    counter!("login_attempts_total", "outcome" => outcome.label()).increment(1);
}

/// The scrape: gauges of shared state read now, then everything in the text format.
async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let handle = recorder();
    refresh_gauges(&state).await;
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(handle.render())
}

async fn refresh_gauges(state: &AppState) {
    let (size, idle) = match state.db.backend() {
        DbBackend::Postgres => {
            let pool = state.db.conn.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = state.db.conn.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    gauge!("db_pool_connections", "state" => "idle").set(idle as f64);
    gauge!("db_pool_connections", "state" => "in_use").set(size.saturating_sub(idle as u32) as f64);
    gauge!("db_pool_connections", "state" => "max").set(f64::from(state.settings.database_max_connections));
    let head = entity::audit_head::Entity::find_by_id(crate::audit::chain::HEAD_ID).one(&state.db.conn);
    if let Ok(Ok(Some(head))) = tokio::time::timeout(SCRAPE_DB_TIMEOUT, head).await {
        gauge!("audit_chain_head_seq").set(head.seq as f64);
    }
    gauge!("subscriptions_active").set(crate::live::active_subscriptions() as f64);
}

/// Starts recording, when metrics are served: called first thing at start-up, so that what
/// start-up itself does (the demo company's audit events) is counted too.
pub fn start_recording(settings: &crate::config::Settings) {
    if settings.metrics_addr.is_some() {
        recorder();
    }
}

/// The metrics listener, when `METRICS_ADDR` is set and can be bound. One that cannot be bound
/// (another process on this host has it) is logged and skipped: metrics never keep the API down.
pub fn serve(state: &AppState) -> Option<(Server, u16)> {
    let addr = state.settings.metrics_addr.as_deref()?;
    let listener = match std::net::TcpListener::bind(addr) {
        Ok(listener) => listener,
        Err(err) => {
            tracing::warn!(%addr, error = %err, "cannot listen for metrics; this process serves no /metrics");
            return None;
        }
    };
    let port = listener.local_addr().ok()?.port();
    recorder();
    let data = web::Data::new(state.clone());
    let server = HttpServer::new(move || App::new().app_data(data.clone()).route("/metrics", web::get().to(scrape)))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .ok()?
        .run();
    tracing::info!(%addr, "metrics at /metrics");
    Some((server, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_fixed_sets() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "OTHER");
        assert_eq!(OperationType::Unknown.label(), "unknown");
        assert_eq!(LoginOutcome::ALL.map(LoginOutcome::label), ["success", "failure", "rate_limited", "error"]);
    }
}
