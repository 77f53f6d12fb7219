//! Prometheus metrics (CONTRACT.md §12): `/metrics` on its own listener, never on the API's,
//! the families of the contract, and labels that no client can multiply.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{PASSWORD, spawn_app_with};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// One sample: its name and labels, as written.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a value");
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').expect("key=value");
                    (key.to_string(), value.trim_matches('"').to_string())
                })
                .collect();
            Sample { name: name.to_string(), labels, value: value.parse().expect("a number") }
        })
        .collect()
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(v)))
        .map(|s| s.value)
        .sum()
}

#[tokio::test]
async fn metrics_serve_the_contract_families_with_bounded_labels_on_their_own_listener() {
    let app = spawn_app_with(&[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let metrics_url = app.metrics_address.clone().expect("a metrics listener");
    assert_eq!(app.client.get(app.url("/metrics")).send().await.unwrap().status(), 404, "never on BIND_ADDR");

    let admin = app.admin_token().await;
    app.login_payload("nobody@example.com", "wrong password").await.expect_code("UNAUTHENTICATED");
    app.create_department(&admin, "FIN", "FINANCE").await;
    let (_, clerk) = app.user_with_role(&admin, "clerk@metrics.test", "FINANCE_CLERK", "FIN").await;
    app.login("clerk@metrics.test", PASSWORD).await;
    // A refused mutation (DENIED event) and a successful one.
    app.gql(
        Some(&clerk),
        "mutation { createDepartment(input: {code: \"X\", name: \"X\", kind: IT}) { id } }",
        json!({}),
    )
    .await
    .expect_code("FORBIDDEN");
    app.create_department(&admin, "OPS", "IT").await;
    // What an attacker would use to multiply series: random paths and operation names.
    let mut chosen = Vec::new();
    for _ in 0..20 {
        let word = format!("z{}", uuid::Uuid::new_v4().simple());
        app.client.get(app.url(&format!("/{word}/{word}"))).send().await.unwrap();
        let query = format!("query {word} {{ me {{ id }} }}");
        app.gql(Some(&admin), &query, json!({})).await.ok();
        chosen.push(word);
    }
    app.client.request(reqwest::Method::from_bytes(b"BREW").unwrap(), app.url("/graphql")).send().await.unwrap();

    let response = app.client.get(&metrics_url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    for word in &chosen {
        assert!(!text.contains(word.as_str()), "a client-chosen string became a label: {word}");
    }
    for (family, kind) in [
        ("http_requests_total", "counter"),
        ("http_request_duration_seconds", "histogram"),
        ("graphql_operations_total", "counter"),
        ("graphql_operation_duration_seconds", "histogram"),
        ("db_pool_connections", "gauge"),
        ("audit_chain_head_seq", "gauge"),
        ("audit_events_total", "counter"),
        ("login_attempts_total", "counter"),
        ("subscriptions_active", "gauge"),
    ] {
        assert!(text.contains(&format!("# TYPE {family} {kind}")), "{family} ({kind}) is missing:\n{text}");
    }

    let samples = parse(&text);
    let routes: BTreeSet<&str> =
        samples.iter().filter(|s| s.name == "http_requests_total").map(|s| s.labels["route"].as_str()).collect();
    assert!(routes.contains("/graphql") && routes.contains("unmatched"), "{routes:?}");
    assert!(routes.iter().all(|r| *r == "unmatched" || r.starts_with('/') && !r.contains('z')), "{routes:?}");
    let methods: BTreeSet<&str> = samples.iter().filter_map(|s| s.labels.get("method").map(String::as_str)).collect();
    assert!(methods.is_subset(&BTreeSet::from(["GET", "POST", "OTHER", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"])));
    assert!(methods.contains("OTHER"), "{methods:?}");
    let unmatched_series =
        samples.iter().filter(|s| s.name == "http_requests_total" && s.labels["route"] == "unmatched").count();
    assert!(unmatched_series <= 3, "20 random paths made {unmatched_series} series");
    assert!(value(&samples, "http_requests_total", &[("route", "unmatched"), ("status", "404")]) >= 20.0);
    assert!(value(&samples, "http_request_duration_seconds_count", &[("route", "/graphql")]) >= 20.0);

    let query_ok = value(&samples, "graphql_operations_total", &[("type", "query"), ("outcome", "ok")]);
    assert!(query_ok >= 20.0, "{query_ok}");
    assert!(value(&samples, "graphql_operations_total", &[("type", "mutation"), ("outcome", "ok")]) >= 1.0);
    assert!(value(&samples, "graphql_operations_total", &[("type", "mutation"), ("outcome", "error")]) >= 2.0);
    assert!(value(&samples, "graphql_operation_duration_seconds_count", &[("type", "query")]) >= 20.0);
    assert!(value(&samples, "login_attempts_total", &[("outcome", "success")]) >= 2.0);
    assert!(value(&samples, "login_attempts_total", &[("outcome", "failure")]) >= 1.0);
    assert!(value(&samples, "audit_events_total", &[("outcome", "success")]) >= 3.0);
    assert!(value(&samples, "audit_events_total", &[("outcome", "denied")]) >= 2.0);
    assert_eq!(value(&samples, "db_pool_connections", &[("state", "max")]), 5.0);
    assert!(value(&samples, "db_pool_connections", &[("state", "idle")]) >= 0.0);
    let head = app.audit_head(&admin).await as f64;
    let scraped_head = value(&samples, "audit_chain_head_seq", &[]);
    assert!(scraped_head > 0.0 && scraped_head <= head, "scraped {scraped_head}, head now {head}");
}

#[tokio::test]
async fn a_metrics_address_already_taken_never_keeps_the_api_down() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let app = spawn_app_with(&[("METRICS_ADDR", &addr)]).await;
    assert!(app.metrics_address.is_none());
    assert_eq!(app.client.get(app.url("/health")).send().await.unwrap().status(), 200);
}

async fn scrape(app: &common::TestApp) -> Vec<Sample> {
    let url = app.metrics_address.as_ref().expect("a metrics listener");
    parse(&app.client.get(url).send().await.unwrap().text().await.unwrap())
}

/// `subscriptions_active` counts the subscriptions open on the process (none of the other tests
/// of this binary opens one), and subscriptions are operations of their own type.
#[tokio::test]
async fn open_subscriptions_are_counted_until_they_close() {
    let app = spawn_app_with(&[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let admin = app.admin_token().await;
    let active = |samples: &[Sample]| value(samples, "subscriptions_active", &[]);
    assert_eq!(active(&scrape(&app).await), 0.0);

    let mut request = format!("{}/graphql", app.address.replacen("http", "ws", 1)).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.expect("upgrade");
    let send = |message: Value| Message::text(message.to_string());
    ws.send(send(json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {admin}")}})))
        .await
        .unwrap();
    let query = "subscription { auditEvents(afterSeq: 0) { seq } }";
    ws.send(send(json!({"id": "a", "type": "subscribe", "payload": {"query": query}}))).await.unwrap();
    ws.send(send(json!({"id": "b", "type": "subscribe", "payload": {"query": "subscription { changes { seq } }"}})))
        .await
        .unwrap();
    // The acknowledgement, then the first replayed event of "a".
    let mut kinds = Vec::new();
    while !kinds.iter().any(|k| k == "next") {
        let message =
            tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
        let message: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
        kinds.push(message["type"].as_str().unwrap().to_string());
    }
    let samples = scrape(&app).await;
    assert_eq!(active(&samples), 2.0, "{kinds:?}");
    assert!(value(&samples, "graphql_operations_total", &[("type", "subscription"), ("outcome", "ok")]) >= 1.0);

    ws.close(None).await.ok();
    drop(ws);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while active(&scrape(&app).await) > 0.0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(active(&scrape(&app).await), 0.0, "closed subscriptions are no longer counted");
}
