//! Logs and traces, both through `tracing`; Prometheus metrics in [`metrics`].
//!
//! **Logs**: human-readable by default, JSON with `LOG_FORMAT=json`, filtered by `RUST_LOG`. Every
//! line logged while serving a request carries its `request_id` (the request span).
//!
//! **Traces** (CONTRACT.md §12): when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, spans are exported in batches over OTLP/HTTP
//! (protobuf) to `<endpoint>/v1/traces`, as service `OTEL_SERVICE_NAME` (default `trastienda`).
//! The spans, parent to child:
//! - `request` (kind server, named `POST /graphql` …): `http::with_request_id`, which continues an
//!   incoming W3C `traceparent` ([`continue_trace`]);
//! - `graphql.parse`: the one parse, in `http::graphql_endpoint::check`;
//! - `graphql.validate`, `graphql.execute`: [`graphql::Traced`], an async-graphql extension;
//! - one span per SQL statement (kind client, `sea_orm.query_all`, `sea_orm.execute`,
//!   `sea_orm.begin` …), made by SeaORM's `tracing-spans` feature around the statement itself, so
//!   its duration is the statement's. Its `db.statement` is the SQL with placeholders (`$1`, `?`):
//!   SeaORM binds values separately and never records them, and records no text at all for
//!   unprepared SQL. The values a statement carries as literals (a list's department, status,
//!   page size: `kernel::db::literal`) are masked as `?` before export ([`mask_literals`]). (The alternatives were worse: `set_metric_callback` runs after the statement,
//!   so it cannot open a span around it; sqlx's query log is events, not spans.) DataLoader batches
//!   run in tasks of their own: async-graphql's `tracing` feature makes them enter a span of the
//!   resolver that asked (`load_many`, `start_fetch`, exported too), so their statements stay in the
//!   request's trace. (Only that feature: its `Tracing` extension records the query text with
//!   variables, and is neither registered nor exported.)
//!
//! **Secrets**: only spans are exported, never log events (their text is free-form), and only the
//! spans of this crate, SeaORM (inside a request) and async-graphql's DataLoader at `INFO` or
//! above (`exported`). Their fields are chosen: ids, client address, method, path (never the
//! query string: `GET /graphql` carries variables there), status, operation type and name, SQL
//! with placeholders. No variable value, token, password or
//! query text is ever a field; `tests/telemetry.rs` checks every exported span for them.
//!
//! The exporter speaks HTTP through the workspace's reqwest (rustls on ring, like sqlx): the
//! batch processor exports from a thread of its own, so each export runs as a task on the
//! server's Tokio runtime. [`Telemetry::shutdown`] flushes what is left when the server stops.

pub mod graphql;
pub mod metrics;

use std::time::Duration;

use actix_web::http::header::HeaderMap;
use bytes::Bytes;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use tracing::{Level, Metadata};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::LogFormat;

/// The service name spans carry when `OTEL_SERVICE_NAME` is not set.
pub const DEFAULT_SERVICE_NAME: &str = "trastienda";

/// What `init` set up; `shutdown` flushes the spans not yet exported.
#[must_use = "call shutdown() when the server stops, or the last spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports what is still buffered and stops the exporter. Waits on a blocking thread: the
    /// exports themselves run on the runtime this is called from.
    pub async fn shutdown(self) {
        if let Some(provider) = self.provider {
            let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
            if let Ok(Err(err)) = flushed {
                eprintln!("telemetry: the last spans could not be exported: {err}");
            }
        }
    }
}

/// Installs the global subscriber: logs always, the OTLP exporter when an endpoint is set.
/// Call it from inside the Tokio runtime. A second call (tests) keeps the first subscriber.
pub fn init(format: LogFormat) -> anyhow::Result<Telemetry> {
    // By default, log lines at INFO — but not the spans SeaORM and async-graphql open around
    // every statement and DataLoader call: nobody reads them in a log, and keeping them costs
    // a tenth of a request's CPU (the trace layer below has its own filter for exporting them).
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sea_orm=warn,async_graphql=warn"));
    // Colours only for a person at a terminal; files and log shippers get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(ansi);
    let logs = match format {
        LogFormat::Json => fmt.json().flatten_event(true).with_current_span(true).boxed(),
        LogFormat::Text => fmt.boxed(),
    };

    let provider = if endpoint_configured() { Some(tracer_provider()?) } else { None };
    // Without an exporter, `RUST_LOG` filters globally: spans nobody wants are never created
    // (a per-layer filter would still build and track them, at a tenth of a request's CPU).
    let (global, logs) = match provider {
        Some(_) => (None, logs.with_filter(filter).boxed()),
        None => (Some(filter), logs),
    };
    // The trace layer has a filter of its own: `RUST_LOG` chooses log lines, not spans.
    let traces = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("trastienda"))
            .with_filter(dynamic_filter_fn(|meta, cx| exported(meta, cx.lookup_current().is_some())))
    });
    if tracing_subscriber::registry().with(global).with(logs).with(traces).try_init().is_err() {
        // Already initialised (tests): the exporter made here would never see a span.
        if let Some(provider) = provider {
            let _ = provider.shutdown();
        }
        return Ok(Telemetry { provider: None });
    }
    if provider.is_some() {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    }
    Ok(Telemetry { provider })
}

/// Whether a span is exported: spans only (never events), at `INFO` or above (SeaORM's
/// `#[instrument]` spans, at `TRACE`, print the connection with `Debug`), from
/// - this crate;
/// - async-graphql's DataLoader: its spans have no fields; a batch's task enters them, and without
///   them its statements would have no traced parent on that thread and start traces of their own;
/// - SeaORM, when the statement runs inside one of the above (`inside`): background statements —
///   migrations, the database watchdog's `SELECT 1` every second — would each be a trace of noise.
fn exported(meta: &Metadata<'_>, inside: bool) -> bool {
    let target = meta.target();
    meta.is_span()
        && *meta.level() <= Level::INFO
        && (target.starts_with("api::")
            || target.starts_with("async_graphql::dataloader")
            || (target.starts_with("sea_orm::") && inside))
}

fn endpoint_configured() -> bool {
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()))
}

fn tracer_provider() -> anyhow::Result<SdkTracerProvider> {
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| anyhow::anyhow!("telemetry::init must be called inside the Tokio runtime"))?;
    let timeout = export_timeout();
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot build the OTLP HTTP client: {e}"))?;
    // The endpoint, headers (`OTEL_EXPORTER_OTLP_HEADERS`) and compression come from the
    // standard variables, read by the builder.
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_timeout(timeout)
        .with_http_client(ExportClient { client, runtime })
        .build()
        .map_err(|e| anyhow::anyhow!("OTEL_EXPORTER_OTLP_ENDPOINT: cannot export traces there: {e}"))?;
    let service = std::env::var("OTEL_SERVICE_NAME")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_string());
    let resource = Resource::builder().with_service_name(service).build();
    let exporter = MaskedStatements(exporter);
    Ok(SdkTracerProvider::builder().with_resource(resource).with_batch_exporter(exporter).build())
}

/// An exporter that masks the values written into each span's SQL (`db.statement`) before
/// handing the spans on. A list's statement carries the values that decide its plan as literals
/// (`kernel::db::literal`) — a department from a client's filter among them — and no variable
/// value may reach a span.
#[derive(Debug)]
struct MaskedStatements<E>(E);

impl<E: SpanExporter> SpanExporter for MaskedStatements<E> {
    fn export(&self, mut batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        for span in &mut batch {
            for attribute in span.attributes.iter_mut().filter(|a| a.key.as_str() == "db.statement") {
                if let opentelemetry::Value::String(sql) = &attribute.value {
                    attribute.value = opentelemetry::Value::String(mask_literals(sql.as_str()).into());
                }
            }
        }
        self.0.export(batch)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// `sql` with its string literals (`'…'`, a quote doubled inside; `E'…'` with backslash escapes)
/// and its numbers written `?`. Quoted identifiers (`"…"`), placeholders (`$1`) and digits inside
/// names are kept.
pub fn mask_literals(sql: &str) -> String {
    let mut masked = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                masked.push(c);
                while let Some(c) = chars.next() {
                    masked.push(c);
                    if c == '"' && chars.next_if_eq(&'"').map(|q| masked.push(q)).is_none() {
                        break;
                    }
                }
            }
            '\'' => {
                let escapes = matches!(previous, 'E' | 'e') && masked.pop().is_some();
                while let Some(c) = chars.next() {
                    if escapes && c == '\\' {
                        chars.next();
                    } else if c == '\'' && chars.next_if_eq(&'\'').is_none() {
                        break;
                    }
                }
                masked.push('?');
            }
            '0'..='9' if !(previous.is_alphanumeric() || matches!(previous, '_' | '$' | '.')) => {
                while chars.next_if(|c| c.is_ascii_digit() || *c == '.').is_some() {}
                masked.push('?');
            }
            _ => masked.push(c),
        }
        previous = masked.chars().next_back().unwrap_or(' ');
    }
    masked
}

/// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` or `OTEL_EXPORTER_OTLP_TIMEOUT` in milliseconds; 10 s.
fn export_timeout() -> Duration {
    ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"]
        .iter()
        .find_map(|name| std::env::var(name).ok()?.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(10))
}

/// Gives `span` the caller's trace as its parent when the request carries a valid W3C
/// `traceparent` (and `tracestate`). Without an exporter it does nothing.
pub fn continue_trace(span: &tracing::Span, headers: &HeaderMap) {
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)));
    // An error only means the span is not traced (no exporter): nothing to continue.
    let _ = span.set_parent(parent);
}

/// actix-web's headers as the propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The OTLP exporter's HTTP client. The batch processor calls it from its own thread, outside
/// any runtime, so the request runs as a task on the server's runtime and this waits for it.
#[derive(Debug)]
struct ExportClient {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for ExportClient {
    async fn send_bytes(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, opentelemetry_http::HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let client = self.client.clone();
        let task = self.runtime.spawn(async move {
            let response = client.execute(request).await?;
            let mut builder = http::Response::builder().status(response.status());
            if let Some(headers) = builder.headers_mut() {
                *headers = response.headers().clone();
            }
            let body = response.bytes().await?;
            Ok::<_, opentelemetry_http::HttpError>(builder.body(body)?)
        });
        task.await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_header_is_read_as_the_remote_parent() {
        use opentelemetry::propagation::TextMapPropagator;
        use opentelemetry::trace::TraceContextExt;
        let mut headers = HeaderMap::new();
        headers.insert(
            actix_web::http::header::HeaderName::from_static("traceparent"),
            actix_web::http::header::HeaderValue::from_static(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        );
        let cx = TraceContextPropagator::new().extract(&Headers(&headers));
        let span = cx.span();
        let remote = span.span_context();
        assert!(remote.is_remote() && remote.is_valid());
        assert_eq!(remote.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(remote.span_id().to_string(), "00f067aa0ba902b7");
    }

    #[test]
    fn statements_lose_their_literals_and_keep_their_names() {
        let sql = r#"SELECT "invoices"."id", "a""b1" AS "dep_2", l.line_no::text FROM invoices WHERE "invoices"."department_code" IN ('canary', 'it''s') AND due_date < '2026-03-05' AND x = E'back\'slash' AND id < $12 ORDER BY id DESC LIMIT 51"#;
        assert_eq!(
            mask_literals(sql),
            r#"SELECT "invoices"."id", "a""b1" AS "dep_2", l.line_no::text FROM invoices WHERE "invoices"."department_code" IN (?, ?) AND due_date < ? AND x = ? AND id < $12 ORDER BY id DESC LIMIT ?"#
        );
        assert_eq!(mask_literals("WHERE 1 = 1 AND v = 3.25"), "WHERE ? = ? AND v = ?");
        assert_eq!(mask_literals("'unterminated"), "?");
    }

    #[test]
    fn only_info_spans_of_this_crate_and_sea_orm_are_exported() {
        use tracing::callsite::Identifier;
        use tracing::metadata::Kind;
        struct Site;
        impl tracing::Callsite for Site {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &Metadata<'_> {
                unimplemented!()
            }
        }
        static SITE: Site = Site;
        let meta = |target: &'static str, level: Level, kind: Kind| {
            Metadata::new(
                "x",
                target,
                level,
                None,
                None,
                None,
                tracing::field::FieldSet::new(&[], Identifier(&SITE)),
                kind,
            )
        };
        let sql = meta("sea_orm::database::db_connection", Level::INFO, Kind::SPAN);
        assert!(exported(&meta("api::http", Level::INFO, Kind::SPAN), false));
        assert!(exported(&sql, true));
        assert!(!exported(&sql, false), "a statement outside any request");
        assert!(!exported(&meta("sea_orm::database::db_connection", Level::TRACE, Kind::SPAN), true));
        assert!(!exported(&meta("api::http", Level::INFO, Kind::EVENT), true));
        assert!(exported(&meta("async_graphql::dataloader", Level::INFO, Kind::SPAN), true));
        let graphql = meta("async_graphql::graphql", Level::INFO, Kind::SPAN);
        assert!(!exported(&graphql, true), "its parse span holds the query text with variables");
        assert!(!exported(&meta("actix_web::middleware", Level::INFO, Kind::SPAN), true));
    }
}
