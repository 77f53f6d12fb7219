//! The black-box harness: a real server on a free port over a fresh database — a new SQLite
//! file, or a new PostgreSQL database when `TEST_DATABASE_URL` points at a server — driven
//! over HTTP with real tokens.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use api::config::Settings;
use api::startup::{Application, ServeOptions};
use api::state::AppState;
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@trastienda.test";
pub const ADMIN_PASSWORD: &str = "admin-password-1234";
/// Every user the helpers create signs in with this.
pub const PASSWORD: &str = "correct horse battery staple";
/// The document [`TestApp::login`] sends (allow-lists must hold it).
pub const LOGIN_DOCUMENT: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken tokenType expiresIn user { id email roles { role department } } } }";
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

pub struct TestApp {
    pub address: String,
    /// `/metrics`, when the test asked for a metrics listener (`METRICS_ADDR`).
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub database_url: String,
    /// The server's own state, for tests that must reach behind the API (e.g. close the pool).
    pub state: AppState,
    sqlite_file: Option<std::path::PathBuf>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(file) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

/// Which engine this run tests: `TEST_DATABASE_URL` (PostgreSQL) or SQLite.
pub fn postgres_server_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.trim().is_empty())
}

/// A fresh, empty database for one test.
pub async fn fresh_database() -> (String, Option<std::path::PathBuf>) {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = format!("trastienda_test_{}_{}", uuid::Uuid::new_v4().simple(), COUNTER.fetch_add(1, Ordering::Relaxed));
    match postgres_server_url() {
        Some(server) => {
            use sea_orm::ConnectionTrait;
            let admin = sea_orm::Database::connect(&server).await.expect("TEST_DATABASE_URL must be reachable");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.close().await.ok();
            let base = server.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(server.clone());
            (format!("{base}/{name}"), None)
        }
        None => {
            let dir = std::env::temp_dir().join("trastienda-tests");
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join(format!("{name}.db"));
            (format!("sqlite://{}?mode=rwc", file.display()), Some(file))
        }
    }
}

pub fn test_settings(database_url: &str, overrides: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database_url.to_string()),
        ("BIND_ADDR".into(), "127.0.0.1:0".into()),
        ("JWT_SECRET".into(), JWT_SECRET.into()),
        ("BOOTSTRAP_ADMIN_EMAIL".into(), ADMIN_EMAIL.into()),
        ("BOOTSTRAP_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ("LOGIN_RATE_LIMIT_PER_MINUTE".into(), "0".into()),
        ("DATABASE_MAX_CONNECTIONS".into(), "5".into()),
        // Many servers run at once: only tests/metrics.rs asks for a metrics listener.
        ("METRICS_ADDR".into(), String::new()),
    ]);
    for (k, v) in overrides {
        vars.insert(k.to_string(), v.to_string());
    }
    Settings::from_lookup(|name| vars.get(name).cloned()).expect("valid test settings")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// A server with some settings overridden (names as in `.env.example`).
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let (database_url, sqlite_file) = fresh_database().await;
    spawn_on(&database_url, sqlite_file, overrides).await
}

/// A server over an existing database (a second process sharing it, say).
pub async fn spawn_on(
    database_url: &str,
    sqlite_file: Option<std::path::PathBuf>,
    overrides: &[(&str, &str)],
) -> TestApp {
    spawn_with_options(database_url, sqlite_file, overrides, ServeOptions::default()).await
}

/// A server started as `serve --demo` would start it, on a fresh database.
pub async fn spawn_demo() -> TestApp {
    let (database_url, sqlite_file) = fresh_database().await;
    spawn_with_options(&database_url, sqlite_file, &[], ServeOptions { demo: true }).await
}

pub async fn spawn_with_options(
    database_url: &str,
    sqlite_file: Option<std::path::PathBuf>,
    overrides: &[(&str, &str)],
    options: ServeOptions,
) -> TestApp {
    let settings = test_settings(database_url, overrides);
    let app = Application::build(settings, options).await.expect("server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_port().map(|port| format!("http://127.0.0.1:{port}/metrics"));
    let state = app.state.clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    TestApp { address, metrics_address, client, database_url: database_url.to_string(), state, sqlite_file }
}

/// A GraphQL response, with helpers to read it.
#[derive(Debug, Clone)]
pub struct Gql(pub Value);

impl Gql {
    pub fn data(&self) -> &Value {
        &self.0["data"]
    }
    pub fn errors(&self) -> Vec<Value> {
        self.0["errors"].as_array().cloned().unwrap_or_default()
    }
    /// The error codes, in order.
    pub fn codes(&self) -> Vec<String> {
        self.errors().iter().map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>").to_string()).collect()
    }
    /// Asserts there is no error and returns `data`.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert!(self.0.get("errors").is_none_or(|e| e.is_null()), "unexpected errors: {:#}", self.0);
        self.data()
    }
    /// Asserts exactly one error with this code and returns it.
    #[track_caller]
    pub fn expect_code(&self, code: &str) -> Value {
        let errors = self.errors();
        assert_eq!(self.codes(), vec![code.to_string()], "response: {:#}", self.0);
        errors[0].clone()
    }
}

impl TestApp {
    /// Runs the `trastienda` command line against this server's database.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_trastienda"))
            .args(args)
            .env("DATABASE_URL", &self.database_url)
            .env("JWT_SECRET", JWT_SECRET)
            .env("RUST_LOG", "warn")
            .env_remove("AUDIT_ORIGIN")
            .output()
            .expect("the trastienda binary runs")
    }

    /// Another handle on the same server, for concurrent clients (it removes no files when dropped).
    pub fn clone_handle(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            metrics_address: self.metrics_address.clone(),
            client: self.client.clone(),
            database_url: self.database_url.clone(),
            state: self.state.clone(),
            sqlite_file: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(&self, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut req = self.client.post(self.url("/graphql")).json(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request sent")
    }

    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Gql {
        let res = self.post_json(token, &json!({"query": query, "variables": variables})).await;
        Gql(res.json().await.expect("a JSON response"))
    }

    /// Signs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self.login_payload(email, password).await;
        res.ok()["login"]["accessToken"].as_str().unwrap().to_string()
    }

    pub async fn login_payload(&self, email: &str, password: &str) -> Gql {
        self.gql(None, LOGIN_DOCUMENT, json!({"e": email, "p": password})).await
    }

    pub async fn admin_token(&self) -> String {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    pub async fn create_department(&self, admin: &str, code: &str, kind: &str) -> Value {
        self.gql(
            Some(admin),
            "mutation($i: CreateDepartmentInput!) { createDepartment(input: $i) { id code name kind } }",
            json!({"i": {"code": code, "name": format!("Department {code}"), "kind": kind}}),
        )
        .await
        .ok()["createDepartment"]
            .clone()
    }

    /// Creates a user (password [`PASSWORD`]) and returns their id.
    pub async fn create_user(&self, admin: &str, email: &str) -> String {
        self.create_user_linked(admin, email, None).await
    }

    pub async fn create_user_linked(&self, admin: &str, email: &str, employee_id: Option<&str>) -> String {
        let res = self
            .gql(
                Some(admin),
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({"i": {"email": email, "password": PASSWORD, "displayName": email, "employeeId": employee_id}}),
            )
            .await;
        res.ok()["createUser"]["id"].as_str().unwrap().to_string()
    }

    pub async fn assign_role(&self, admin: &str, user_id: &str, role: &str, department: &str) {
        self.gql(
            Some(admin),
            "mutation($i: RoleInput!) { assignRole(input: $i) { id } }",
            json!({"i": {"userId": user_id, "role": role, "department": department}}),
        )
        .await
        .ok();
    }

    /// A new user holding `role` in `department`, signed in: (user id, access token).
    pub async fn user_with_role(&self, admin: &str, email: &str, role: &str, department: &str) -> (String, String) {
        let id = self.create_user(admin, email).await;
        self.assign_role(admin, &id, role, department).await;
        (id.clone(), self.login(email, PASSWORD).await)
    }

    /// The audit events, oldest first, as the auditor's API returns them.
    pub async fn audit_events(&self, admin: &str) -> Vec<Value> {
        let mut events = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .gql(
                    Some(admin),
                    "query($a: String) { auditLog(first: 100, after: $a) { pageInfo { hasNextPage endCursor } nodes { seq occurredAt actorId actorEmail action entityType entityId department before after outcome requestId prevHash hash } } }",
                    json!({"a": after}),
                )
                .await;
            let log = page.ok()["auditLog"].clone();
            events.extend(log["nodes"].as_array().unwrap().iter().cloned());
            if !log["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = log["pageInfo"]["endCursor"].as_str().map(str::to_string);
        }
        events.reverse();
        events
    }

    /// The highest seq in the chain (0 when empty).
    pub async fn audit_head(&self, admin: &str) -> i64 {
        let res = self.gql(Some(admin), "{ verifyAuditChain { headSeq valid } }", json!({})).await;
        res.ok()["verifyAuditChain"]["headSeq"].as_i64().unwrap_or(0)
    }
}

/// The machine figures were measured on (benches print it: figures mean nothing without it).
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{cores} cores, {cpu}")
}
