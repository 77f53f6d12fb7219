//! Traces over OTLP (CONTRACT.md §12): a real `trastienda serve` exports to a tiny OTLP/HTTP
//! collector started here; the spans continue the caller's `traceparent`, cover the request,
//! parse, validation, execution and every SQL statement, and carry none of the request's secrets.
//!
//! The server is a child process, not `spawn_app`: telemetry is set up by `main` (a process-wide
//! subscriber, the exporter, its flush when SIGTERM stops the server), and only the binary runs
//! that exactly as production does. The collector decodes the protobuf with `opentelemetry-proto`.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use common::*;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use serde_json::{Value, json};

/// Secrets and variable values the requests below carry: none may reach a span.
const EMAIL: &str = "tracer-admin@trastienda.test";
const FIRST_PASSWORD: &str = "First-Canary-Password-4c1e";
const SECOND_PASSWORD: &str = "Second-Canary-Password-7b2d";
const LITERAL_PASSWORD: &str = "Literal-Canary-Password-9e5a";
const DEPARTMENT: &str = "canary-dep-3f8";
const COUNTERPARTY: &str = "Counterparty-Canary-1d6c";

/// One span as the collector received it.
#[derive(Debug, Clone)]
struct Received {
    name: String,
    kind: i32,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    attributes: HashMap<String, String>,
    /// Everything the span holds (name, attributes, events, links, status), for the secret scan.
    text: String,
}

/// The OTLP/HTTP collector: `POST /v1/traces` with an `ExportTraceServiceRequest`.
#[derive(Default)]
struct Collector {
    spans: Mutex<Vec<Received>>,
    services: Mutex<HashSet<String>>,
}

async fn receive(req: HttpRequest, body: web::Bytes, collector: web::Data<Collector>) -> HttpResponse {
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type != "application/x-protobuf" {
        return HttpResponse::UnsupportedMediaType().finish();
    }
    let Ok(export) = ExportTraceServiceRequest::decode(body.as_ref()) else {
        return HttpResponse::BadRequest().finish();
    };
    for resource_spans in export.resource_spans {
        if let Some(resource) = &resource_spans.resource {
            let text = format!("{resource:?}");
            collector.spans.lock().unwrap().push(Received {
                name: "<resource>".into(),
                kind: 0,
                trace_id: String::new(),
                span_id: String::new(),
                parent_span_id: String::new(),
                attributes: HashMap::new(),
                text,
            });
            if let Some(service) = attributes(&resource.attributes).get("service.name") {
                collector.services.lock().unwrap().insert(service.clone());
            }
        }
        for scope in resource_spans.scope_spans {
            for span in scope.spans {
                let received = Received {
                    name: span.name.clone(),
                    kind: span.kind,
                    trace_id: hex::encode(&span.trace_id),
                    span_id: hex::encode(&span.span_id),
                    parent_span_id: hex::encode(&span.parent_span_id),
                    attributes: attributes(&span.attributes),
                    text: format!("{span:?}"),
                };
                collector.spans.lock().unwrap().push(received);
            }
        }
    }
    HttpResponse::Ok()
        .content_type("application/x-protobuf")
        .body(ExportTraceServiceResponse::default().encode_to_vec())
}

fn attributes(kvs: &[KeyValue]) -> HashMap<String, String> {
    kvs.iter().map(|kv| (kv.key.clone(), kv.value.as_ref().map(show).unwrap_or_default())).collect()
}

fn show(value: &AnyValue) -> String {
    match &value.value {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A W3C `traceparent` from a caller: a fresh trace id and the caller's span id.
fn traceparent() -> (String, String, String) {
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let span_id = uuid::Uuid::new_v4().simple().to_string()[..16].to_string();
    (format!("00-{trace_id}-{span_id}-01"), trace_id, span_id)
}

struct Server {
    base: String,
    client: reqwest::Client,
}

impl Server {
    async fn post(&self, traceparent: Option<&str>, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req =
            self.client.post(format!("{}/graphql", self.base)).json(&json!({"query": query, "variables": variables}));
        if let Some(tp) = traceparent {
            req = req.header("traceparent", tp);
        }
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    async fn login(&self, traceparent: Option<&str>, password: &str) -> (String, String) {
        let query =
            "mutation SignIn($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }";
        let res = self.post(traceparent, None, query, json!({"e": EMAIL, "p": password})).await;
        let login = &res["data"]["login"];
        let token = login["accessToken"].as_str().unwrap_or_else(|| panic!("login failed: {res}"));
        (token.to_string(), login["refreshToken"].as_str().unwrap().to_string())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_continue_the_callers_trace_and_carry_no_secret() {
    let collector = web::Data::new(Collector::default());
    let sink = {
        let collector = collector.clone();
        HttpServer::new(move || {
            App::new()
                .app_data(collector.clone())
                .app_data(web::PayloadConfig::new(64 << 20))
                .route("/v1/traces", web::post().to(receive))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .unwrap()
    };
    let sink_port = sink.addrs()[0].port();
    let sink = sink.run();
    let sink_handle = sink.handle();
    tokio::spawn(sink);

    let (database_url, sqlite_file) = fresh_database().await;
    let port = free_port();
    let dir = std::env::temp_dir().join("trastienda-telemetry-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let log_path = dir.join(format!("server-{port}.log"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_trastienda"));
    // From an empty directory (no developer's .env), with no OTEL_* of the caller's.
    command.current_dir(&dir);
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("OTEL_")) {
        command.env_remove(name);
    }
    let mut server = command
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--database-url", &database_url])
        .env("JWT_SECRET", JWT_SECRET)
        .env("BOOTSTRAP_ADMIN_EMAIL", EMAIL)
        .env("BOOTSTRAP_ADMIN_PASSWORD", FIRST_PASSWORD)
        .env("LOGIN_RATE_LIMIT_PER_MINUTE", "0")
        .env("SHUTDOWN_TIMEOUT_SECS", "5")
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "json")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://127.0.0.1:{sink_port}"))
        .env("OTEL_SERVICE_NAME", "trastienda-under-test")
        // Export often, so that the test sees spans arrive while the server runs, not only at
        // the flush when it stops.
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        if let Ok(res) = client.get(format!("{base}/ready")).send().await
            && res.status() == 200
        {
            break;
        }
        if let Some(status) = server.try_wait().unwrap() {
            panic!("the server exited ({status}): {}", std::fs::read_to_string(&log_path).unwrap_or_default());
        }
        assert!(started.elapsed() < Duration::from_secs(90), "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let app = Server { base: base.clone(), client: client.clone() };

    // 1. Sign in (password as a variable), in the caller's trace.
    let (login_tp, login_trace, login_parent) = traceparent();
    let (first_token, first_refresh) = app.login(Some(&login_tp), FIRST_PASSWORD).await;
    // Spans are exported while the server runs, not only when it stops.
    let waited = Instant::now();
    while !collector.spans.lock().unwrap().iter().any(|s| s.trace_id == login_trace) {
        assert!(waited.elapsed() < Duration::from_secs(30), "no span of the login's trace arrived while serving");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 2. Data for a query whose relations are loaded in batches (DataLoader tasks).
    let create_department = "mutation($i: CreateDepartmentInput!) { createDepartment(input: $i) { code } }";
    let res = app
        .post(
            None,
            Some(&first_token),
            create_department,
            json!({"i": {"code": DEPARTMENT, "name": "Traced", "kind": "FINANCE"}}),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let create_invoice = "mutation($i: CreateInvoiceInput!) { createInvoice(input: $i) { id } }";
    let invoice = json!({"i": {"department": DEPARTMENT, "kind": "PAYABLE", "counterparty": COUNTERPARTY,
        "currency": "EUR", "issueDate": "2026-01-05", "dueDate": "2026-02-05",
        "lines": [{"description": "Canary line", "quantity": "3", "unitPrice": "12.34", "taxRate": "0.21"}]}});
    let res = app.post(None, Some(&first_token), create_invoice, invoice).await;
    assert!(res["errors"].is_null(), "{res}");

    // 3. Change the password: both passwords as variables, with a bearer token.
    let (change_tp, change_trace, change_parent) = traceparent();
    let change = "mutation Rotate($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let res = app
        .post(Some(&change_tp), Some(&first_token), change, json!({"c": FIRST_PASSWORD, "n": SECOND_PASSWORD}))
        .await;
    assert_eq!(res["data"]["changePassword"], true, "{res}");
    let (second_token, second_refresh) = app.login(None, SECOND_PASSWORD).await;

    // 4. A query over GET (variables in the query string), with relations from DataLoaders.
    let (get_tp, get_trace, get_parent) = traceparent();
    let query = "query Invoices($d: String) { invoices(filter: {department: $d}) { nodes { counterparty department { code name } createdBy { email } } } }";
    let variables = json!({"d": DEPARTMENT}).to_string();
    let res: Value = client
        .get(format!("{base}/graphql"))
        .query(&[("query", query), ("variables", variables.as_str())])
        .header("traceparent", &get_tp)
        .bearer_auth(&second_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["data"]["invoices"]["nodes"][0]["department"]["code"], DEPARTMENT, "{res}");

    // 5. A password written into the query text itself.
    let (literal_tp, literal_trace, _) = traceparent();
    let inline = format!(r#"mutation {{ login(email: "{EMAIL}", password: "{LITERAL_PASSWORD}") {{ accessToken }} }}"#);
    let res = app.post(Some(&literal_tp), None, &inline, json!({})).await;
    assert_eq!(res["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{res}");

    // Stop the server: what is still buffered is exported before it exits.
    let pid = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let stopping = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(stopping.elapsed() < Duration::from_secs(60), "the server did not stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let logs = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(status.success(), "{status:?}: {logs}");
    sink_handle.stop(true).await;

    let spans = collector.spans.lock().unwrap().clone();
    let services = collector.services.lock().unwrap().clone();
    assert_eq!(services, HashSet::from(["trastienda-under-test".to_string()]), "OTEL_SERVICE_NAME");

    // The caller's traces: continued, complete, and one tree under the caller's span.
    for (trace, parent, method, op_type) in [
        (&login_trace, &login_parent, "POST", "mutation"),
        (&change_trace, &change_parent, "POST", "mutation"),
        (&get_trace, &get_parent, "GET", "query"),
    ] {
        let in_trace: Vec<&Received> = spans.iter().filter(|s| &s.trace_id == trace).collect();
        let names: Vec<&str> = in_trace.iter().map(|s| s.name.as_str()).collect();
        let root = in_trace
            .iter()
            .find(|s| s.kind == SpanKind::Server as i32)
            .unwrap_or_else(|| panic!("no server span in trace {trace}: {names:?}"));
        assert_eq!(root.name, format!("{method} /graphql"));
        assert_eq!(&root.parent_span_id, parent, "the request span continues the caller's span");
        assert_eq!(root.attributes.get("http.response.status_code").map(String::as_str), Some("200"));
        for name in ["graphql.parse", "graphql.validate", "graphql.execute"] {
            assert!(names.contains(&name), "{name} missing from trace {trace}: {names:?}");
        }
        let execute = in_trace.iter().find(|s| s.name == "graphql.execute").unwrap();
        assert_eq!(execute.attributes["graphql.operation.type"], op_type);
        let sql: Vec<&&Received> = in_trace
            .iter()
            .filter(|s| s.kind == SpanKind::Client as i32 && s.attributes.contains_key("db.system"))
            .collect();
        assert!(!sql.is_empty(), "no SQL span in trace {trace}: {names:?}");
        assert!(
            sql.iter().any(|s| s.attributes.get("db.statement").is_some_and(|st| st.contains("SELECT"))),
            "SQL spans name their statement: {sql:?}"
        );
        // Every span hangs from another of the trace, up to the caller's: nothing lost its parent.
        let ids: HashSet<&str> = in_trace.iter().map(|s| s.span_id.as_str()).chain([parent.as_str()]).collect();
        for span in &in_trace {
            assert!(ids.contains(span.parent_span_id.as_str()), "orphan span in trace {trace}: {span:?}");
        }
    }
    // The relations of step 4 are loaded in DataLoader tasks: their SQL is in the request's trace.
    let departments_read = spans.iter().any(|s| {
        s.trace_id == get_trace && s.attributes.get("db.statement").is_some_and(|st| st.contains("\"departments\""))
    });
    assert!(departments_read, "the department loader's SQL is not in the request's trace");
    // Statements outside requests (migrations, the database watchdog) start no trace of their own.
    let sql_roots: Vec<&Received> =
        spans.iter().filter(|s| s.attributes.contains_key("db.system") && s.parent_span_id.is_empty()).collect();
    assert!(sql_roots.is_empty(), "SQL spans without a request: {sql_roots:?}");
    let literal: Vec<&Received> = spans.iter().filter(|s| s.trace_id == literal_trace).collect();
    assert!(literal.iter().any(|s| s.name == "graphql.execute"), "{literal:?}");

    // No secret and no variable value in any span (the startup's included), nor in any log line.
    let tokens = [&first_token, &first_refresh, &second_token, &second_refresh];
    let secrets: Vec<&str> = [FIRST_PASSWORD, SECOND_PASSWORD, LITERAL_PASSWORD, EMAIL, DEPARTMENT, COUNTERPARTY]
        .into_iter()
        .chain(tokens.iter().map(|t| t.as_str()))
        // A token's signature alone is secret too.
        .chain(tokens.iter().filter_map(|t| t.rsplit('.').next()))
        .chain(["Canary line", "12.34"])
        .collect();
    assert!(spans.len() > 20, "{} spans", spans.len());
    for span in &spans {
        for secret in &secrets {
            assert!(!span.text.contains(secret), "{secret:?} reached a span: {}", span.text);
        }
    }
    // The logs name the bootstrap administrator's email at start-up; nothing else of the above.
    for secret in secrets.iter().filter(|s| **s != EMAIL) {
        assert!(!logs.contains(secret), "{secret:?} reached the logs");
    }

    for suffix in ["", "-wal", "-shm"] {
        if let Some(file) = &sqlite_file {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
    let _ = std::fs::remove_file(&log_path);
}
