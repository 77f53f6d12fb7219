//! Subscriptions (CONTRACT.md §12), black-box: a real graphql-transport-ws client over a real
//! server, on SQLite or PostgreSQL.

mod common;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};

type Stream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws client: messages kept per subscription id as they arrive.
struct Client {
    ws: Stream,
    inbox: HashMap<String, VecDeque<Value>>,
}

/// The WebSocket upgrade of `/graphql` at `base` (`http://…`), as a browser of `origin` (or a
/// non-browser) asks it.
async fn upgrade(base: &str, origin: Option<&str>) -> Result<Stream, tungstenite::Error> {
    let mut request = format!("{}/graphql", base.replacen("http", "ws", 1)).into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("sec-websocket-protocol", HeaderValue::from_static("graphql-transport-ws"));
    if let Some(origin) = origin {
        headers.insert("origin", HeaderValue::from_str(origin).unwrap());
    }
    tokio_tungstenite::connect_async(request).await.map(|(ws, response)| {
        let protocol = response.headers().get("sec-websocket-protocol");
        assert_eq!(protocol.map(|v| v.to_str().unwrap()), Some("graphql-transport-ws"));
        ws
    })
}

impl Client {
    /// Connects and sends `connection_init` with `payload`, without waiting for the answer.
    async fn start(base: &str, payload: Value) -> Client {
        let mut ws = upgrade(base, None).await.expect("upgrade");
        let init = json!({"type": "connection_init", "payload": payload});
        ws.send(Message::text(init.to_string())).await.unwrap();
        Client { ws, inbox: HashMap::new() }
    }

    /// A connection acknowledged for `token`.
    async fn connect(base: &str, token: &str) -> Client {
        let mut client = Client::start(base, json!({"authorization": format!("Bearer {token}")})).await;
        let ack = client.message(Duration::from_secs(5)).await.expect("an answer to connection_init");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let message = json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}});
        self.ws.send(Message::text(message.to_string())).await.unwrap();
    }

    /// The next protocol message, or `Err(close code)` once the server closed.
    async fn message(&mut self, within: Duration) -> Result<Value, Option<u16>> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let frame = tokio::time::timeout(left, self.ws.next()).await.map_err(|_| None)?;
            match frame {
                Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text).unwrap()),
                Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(None),
            }
        }
    }

    /// The next `next` or `error` payload of subscription `id`.
    async fn next(&mut self, id: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            if let Some(payload) = self.inbox.get_mut(id).and_then(VecDeque::pop_front) {
                return payload;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let message =
                self.message(left).await.unwrap_or_else(|code| panic!("no message for {id}: closed {code:?}"));
            match message["type"].as_str() {
                Some("next") => self
                    .inbox
                    .entry(message["id"].as_str().unwrap().into())
                    .or_default()
                    .push_back(message["payload"].clone()),
                Some("error") => self
                    .inbox
                    .entry(message["id"].as_str().unwrap().into())
                    .or_default()
                    .push_back(json!({"errors": message["payload"]})),
                _ => {}
            }
        }
    }

    /// Nothing for `id` arrives within `within`.
    async fn quiet(&mut self, id: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(payload) = self.inbox.get(id).and_then(|q| q.front()) {
                panic!("unexpected message for {id}: {payload}");
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.message(left).await {
                Ok(message) if message["type"] == "next" || message["type"] == "error" => {
                    self.inbox
                        .entry(message["id"].as_str().unwrap().into())
                        .or_default()
                        .push_back(message["payload"].clone());
                }
                Ok(_) => {}
                Err(None) => {}
                Err(code) => panic!("closed {code:?}"),
            }
        }
        assert!(self.inbox.get(id).is_none_or(VecDeque::is_empty), "unexpected message for {id}: {:?}", self.inbox[id]);
    }

    /// The close code the server ends the connection with, within `within`.
    async fn closed(&mut self, within: Duration) -> Option<u16> {
        let deadline = Instant::now() + within;
        loop {
            match self.message(deadline.saturating_duration_since(Instant::now())).await {
                Ok(_) => continue,
                Err(code) => return code,
            }
        }
    }
}

fn code_of(payload: &Value) -> &str {
    payload["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}

const SECOND: Duration = Duration::from_secs(1);
const AUDIT_SEQS: &str = "subscription($a: Int) { auditEvents(afterSeq: $a) { seq action } }";
const CHANGES: &str = "subscription($t: [String!], $d: String) { changes(entityTypes: $t, department: $d) { seq action entityType entityId department occurredAt } }";

async fn create_department(app: &TestApp, admin: &str, code: &str) {
    app.create_department(admin, code, "OTHER").await;
}

async fn register_asset(app: &TestApp, admin: &str, department: &str, tag: &str) -> String {
    let res = app
        .gql(
            Some(admin),
            "mutation($d: String!, $t: String!) { registerAsset(input: {department: $d, tag: $t, kind: LAPTOP, model: \"M\", serialNumber: $t}) { id } }",
            json!({"d": department, "t": tag}),
        )
        .await;
    res.ok()["registerAsset"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_missing_or_invalid_token_closes_the_socket_with_4403() {
    let app = spawn_app().await;
    let mut client = Client::start(&app.address, json!({})).await;
    assert_eq!(client.closed(5 * SECOND).await, Some(4403), "no token");
    let mut client = Client::start(&app.address, json!({"authorization": "Bearer not-a-token"})).await;
    assert_eq!(client.closed(5 * SECOND).await, Some(4403), "a forged token");
    let mut client = Client::start(&app.address, json!({"authorization": app.admin_token().await})).await;
    assert_eq!(client.closed(5 * SECOND).await, Some(4403), "no Bearer scheme");
}

#[tokio::test]
async fn a_browser_origin_not_allowed_is_refused_at_the_upgrade() {
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://app.example")]).await;
    match upgrade(&app.address, Some("https://evil.example")).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected a 403 at the upgrade, got {:?}", other.map(|_| "a socket")),
    }
    assert!(upgrade(&app.address, Some("https://app.example")).await.is_ok(), "an allowed origin");
    assert!(upgrade(&app.address, None).await.is_ok(), "not a browser");
}

#[tokio::test]
async fn audit_events_replay_after_seq_then_go_live_without_gap_or_duplicate() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let start = app.audit_head(&admin).await;
    for code in ["r1", "r2", "r3"] {
        create_department(&app, &admin, code).await;
    }
    let mut client = Client::connect(&app.address, &admin).await;
    client.subscribe("a", AUDIT_SEQS, json!({"a": start})).await;
    // Writers running while the replay is read and the feed goes live.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (app, admin) = (app.clone_handle(), admin.clone());
            tokio::spawn(async move {
                for i in 0..5 {
                    create_department(&app, &admin, &format!("w{w}x{i}")).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let end = app.audit_head(&admin).await;
    assert!(end >= start + 23, "3 + 20 departments at least: {start}..{end}");
    let mut seqs = Vec::new();
    while seqs.last().is_none_or(|&last| last < end) {
        let payload = client.next("a", 5 * SECOND).await;
        seqs.push(payload["data"]["auditEvents"]["seq"].as_i64().unwrap_or_else(|| panic!("{payload}")));
    }
    assert_eq!(seqs, ((start + 1)..=end).collect::<Vec<_>>(), "every seq once, in order");

    // And live: the next event, alone.
    create_department(&app, &admin, "late").await;
    let payload = client.next("a", 2 * SECOND).await;
    assert_eq!(payload["data"]["auditEvents"]["seq"], end + 1);
    assert_eq!(payload["data"]["auditEvents"]["action"], "createDepartment");
}

#[tokio::test]
async fn only_auditors_and_admins_subscribe_to_audit_events_and_filters_apply() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    create_department(&app, &admin, "ops").await;
    let (_, clerk) = app.user_with_role(&admin, "clerk@example.com", "FINANCE_CLERK", "ops").await;
    let (_, auditor) = app.user_with_role(&admin, "auditor@example.com", "AUDITOR", "*").await;

    let mut client = Client::connect(&app.address, &clerk).await;
    client.subscribe("a", AUDIT_SEQS, json!({})).await;
    assert_eq!(code_of(&client.next("a", 5 * SECOND).await), "FORBIDDEN");

    let mut client = Client::connect(&app.address, &auditor).await;
    client.subscribe("future", AUDIT_SEQS, json!({"a": 1_000_000})).await;
    assert_eq!(code_of(&client.next("future", 5 * SECOND).await), "BAD_USER_INPUT", "a seq the log has not reached");
    let filtered =
        "subscription { auditEvents(filter: {action: \"createDepartment\"}) { seq action department before } }";
    client.subscribe("f", filtered, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.user_with_role(&admin, "other@example.com", "FINANCE_CLERK", "ops").await; // not a createDepartment
    create_department(&app, &admin, "fin").await;
    let event = client.next("f", 3 * SECOND).await;
    assert_eq!(event["data"]["auditEvents"]["action"], "createDepartment", "{event}");
    assert_eq!(event["data"]["auditEvents"]["department"], "fin");
}

#[tokio::test]
async fn changes_are_scoped_like_the_lists() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for code in ["a", "b"] {
        create_department(&app, &admin, code).await;
    }
    let (_, tech) = app.user_with_role(&admin, "tech@example.com", "IT_TECHNICIAN", "a").await;
    let mut client = Client::connect(&app.address, &tech).await;
    client.subscribe("c", CHANGES, json!({"t": ["Asset"]})).await;
    client.subscribe("outside", CHANGES, json!({"d": "b"})).await;
    assert_eq!(code_of(&client.next("outside", 5 * SECOND).await), "FORBIDDEN", "department b is not the technician's");
    tokio::time::sleep(Duration::from_millis(300)).await;

    register_asset(&app, &admin, "b", "B-1").await;
    let mine = register_asset(&app, &admin, "a", "A-1").await;
    let change = client.next("c", 3 * SECOND).await;
    let change = &change["data"]["changes"];
    assert_eq!(change["entityId"], mine.as_str(), "only department a's asset: {change}");
    assert_eq!((change["entityType"].as_str(), change["department"].as_str()), (Some("Asset"), Some("a")));
    assert_eq!(change["action"], "registerAsset");
    assert!(change["seq"].as_i64().is_some() && change["occurredAt"].is_string());
    client.quiet("c", SECOND).await;
}

#[tokio::test]
async fn limits_refuse_subscriptions_with_too_many_requests_and_keep_the_connection() {
    let app = spawn_app_with(&[("WS_MAX_SUBSCRIPTIONS", "2"), ("WS_MAX_CONNECTIONS_PER_USER", "1")]).await;
    let admin = app.admin_token().await;
    let mut client = Client::connect(&app.address, &admin).await;
    for id in ["1", "2", "3"] {
        client.subscribe(id, AUDIT_SEQS, json!({})).await;
        // One at a time: a slot is taken when the subscription starts running.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(code_of(&client.next("3", 5 * SECOND).await), "TOO_MANY_REQUESTS");
    let mut second = Client::connect(&app.address, &admin).await;
    second.subscribe("x", AUDIT_SEQS, json!({})).await;
    assert_eq!(code_of(&second.next("x", 5 * SECOND).await), "TOO_MANY_REQUESTS", "a second connection of the user");

    // The first connection still serves its two subscriptions.
    create_department(&app, &admin, "ops").await;
    for id in ["1", "2"] {
        let event = client.next(id, 3 * SECOND).await;
        assert_eq!(event["data"]["auditEvents"]["action"], "createDepartment", "{event}");
    }
    // Closing one frees its slot.
    client.ws.send(Message::text(json!({"id": "1", "type": "complete"}).to_string())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    client.subscribe("4", AUDIT_SEQS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    create_department(&app, &admin, "fin").await;
    let event = client.next("4", 3 * SECOND).await;
    assert_eq!(event["data"]["auditEvents"]["action"], "createDepartment", "{event}");
}

#[tokio::test]
async fn a_revoked_token_closes_the_socket_with_4401_within_5_s() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    create_department(&app, &admin, "ops").await;
    let (victim, victim_token) = app.user_with_role(&admin, "victim@example.com", "IT_TECHNICIAN", "ops").await;
    let (_, own_token) = app.user_with_role(&admin, "mover@example.com", "IT_TECHNICIAN", "ops").await;
    let mut deactivated = Client::connect(&app.address, &victim_token).await;
    deactivated.subscribe("c", CHANGES, json!({})).await;
    let mut changed = Client::connect(&app.address, &own_token).await;
    changed.subscribe("c", CHANGES, json!({})).await;

    let started = Instant::now();
    app.gql(Some(&admin), "mutation($id: ID!) { deactivateUser(id: $id) { id } }", json!({"id": victim})).await.ok();
    let new_password = "mutation { changePassword(currentPassword: \"correct horse battery staple\", newPassword: \"another long password\") }";
    app.gql(Some(&own_token), new_password, json!({})).await.ok();
    assert_eq!(deactivated.closed(6 * SECOND).await, Some(4401), "deactivated");
    assert_eq!(changed.closed(6 * SECOND).await, Some(4401), "password changed");
    assert!(started.elapsed() < Duration::from_secs(5), "closed after {:?}", started.elapsed());
}

#[tokio::test]
async fn an_expiring_token_closes_the_socket_with_4401() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // The admin's own token, re-signed to expire in two seconds.
    use base64::Engine;
    let payload = admin.split('.').nth(1).unwrap();
    let mut claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["exp"] = json!(chrono::Utc::now().timestamp() + 2);
    let short =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(JWT_SECRET.as_bytes()))
            .unwrap();
    let mut client = Client::connect(&app.address, &short).await;
    client.subscribe("a", AUDIT_SEQS, json!({})).await;
    assert_eq!(client.closed(5 * SECOND).await, Some(4401));
}

#[tokio::test]
async fn connection_init_must_come_first() {
    let app = spawn_app().await;
    let mut ws = upgrade(&app.address, None).await.unwrap();
    let early = json!({"id": "1", "type": "subscribe", "payload": {"query": AUDIT_SEQS}});
    ws.send(Message::text(early.to_string())).await.unwrap();
    let mut client = Client { ws, inbox: HashMap::new() };
    assert_eq!(client.closed(5 * SECOND).await, Some(4401), "graphql-ws: subscribe before init is unauthorised");
}

#[tokio::test]
async fn an_event_committed_through_one_process_reaches_a_subscriber_of_another_within_1_s() {
    if postgres_server_url().is_none() {
        eprintln!("skipped: two processes share a database on PostgreSQL only (set TEST_DATABASE_URL)");
        return;
    }
    let first = spawn_app().await;
    let second = spawn_on(&first.database_url, None, &[]).await;
    let admin = first.admin_token().await;
    let mut client = Client::connect(&second.address, &admin).await;
    client.subscribe("c", CHANGES, json!({"t": ["Department"]})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for code in ["n1", "n2", "n3"] {
        create_department(&first, &admin, code).await;
        let written = Instant::now();
        let change = client.next("c", 2 * SECOND).await;
        assert_eq!(change["data"]["changes"]["department"], code, "{change}");
        assert!(written.elapsed() < SECOND, "arrived after {:?}", written.elapsed());
    }
}

#[tokio::test]
async fn a_stopping_server_closes_its_sockets_at_once_and_exits() {
    use std::process::{Command, Stdio};
    let (database_url, file) = fresh_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_trastienda"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--database-url", &database_url])
        .env("JWT_SECRET", JWT_SECRET)
        .env("BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SHUTDOWN_TIMEOUT_SECS", "30")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http.get(format!("{base}/ready")).send().await.map(|r| r.status() != 200).unwrap_or(true) {
        assert!(child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(90), "no server");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let login = json!({"query": LOGIN_DOCUMENT, "variables": {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD}});
    let res: Value = http.post(format!("{base}/graphql")).json(&login).send().await.unwrap().json().await.unwrap();
    let admin = res["data"]["login"]["accessToken"].as_str().unwrap().to_string();
    let mut client = Client::connect(&base, &admin).await;
    client.subscribe("a", AUDIT_SEQS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let stopping = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert_eq!(client.closed(5 * SECOND).await, Some(1001), "going away");
    while child.try_wait().unwrap().is_none() {
        assert!(stopping.elapsed() < Duration::from_secs(10), "an open subscription held the shutdown");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if let Some(file) = file {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
}
