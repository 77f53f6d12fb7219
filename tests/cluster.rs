//! Several Trastienda processes on one PostgreSQL database, and what a process does when its
//! database goes away or it is told to stop (CONTRACT.md §11).

mod common;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use futures::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The PostgreSQL server of this run; CI's PostgreSQL run must have one.
fn postgres() -> Option<String> {
    let server = postgres_server_url();
    if std::env::var("TRASTIENDA_TEST_ENGINE").as_deref() == Ok("postgres") {
        assert!(server.is_some(), "CI asked for PostgreSQL: TEST_DATABASE_URL must be set");
    }
    server
}

/// One `trastienda serve` process.
struct Node {
    child: Child,
    base: String,
    client: reqwest::Client,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_node(database_url: &str, env: &[(&str, &str)]) -> Node {
    start_node_with(database_url, &[], env)
}

fn start_node_with(database_url: &str, flags: &[&str], env: &[(&str, &str)]) -> Node {
    let port = free_port();
    let dir = std::env::temp_dir().join("trastienda-cluster-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trastienda"));
    cmd.current_dir(dir)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--database-url", database_url])
        .args(flags)
        .env("JWT_SECRET", JWT_SECRET)
        .env("BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("DATABASE_MAX_CONNECTIONS", "4")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Node { child: cmd.spawn().unwrap(), base: format!("http://127.0.0.1:{port}"), client: reqwest::Client::new() }
}

impl Node {
    async fn wait_until_serving(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(res) = self.client.get(format!("{}/ready", self.base)).send().await
                && res.status() == 200
            {
                return;
            }
            assert!(self.child.try_wait().unwrap().is_none(), "a process exited during start-up");
            assert!(started.elapsed() < Duration::from_secs(90), "a process did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A GraphQL call from the client at `from` (the nodes trust 127.0.0.1 as their proxy).
    async fn gql(&self, from: &str, token: Option<&str>, query: &str, variables: Value) -> Gql {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base))
            .header("x-forwarded-for", from)
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        Gql(req.send().await.unwrap().json().await.unwrap())
    }

    async fn login(&self, from: &str, email: &str, password: &str) -> Gql {
        let query = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";
        self.gql(from, None, query, json!({"e": email, "p": password})).await
    }
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row =
        db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_string())).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_started_at_once_share_one_database_and_its_rules() {
    if postgres().is_none() {
        return; // several processes need PostgreSQL: SQLite serves one process (docs/deploy.md)
    }
    let (database_url, _) = fresh_database().await;
    let env = [("TRUSTED_PROXIES", "127.0.0.1/32"), ("LOGIN_MAX_FAILURES", "3"), ("LOGIN_RATE_LIMIT_PER_MINUTE", "5")];
    // The same instant, on an empty database: migrations and the administrator happen once.
    let mut nodes: Vec<Node> = (0..3).map(|_| start_node(&database_url, &env)).collect();
    for node in &mut nodes {
        node.wait_until_serving().await;
    }
    let db = sea_orm::Database::connect(&database_url).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM seaql_migrations").await, migration_count());
    assert_eq!(count(&db, &format!("SELECT COUNT(*) FROM users WHERE email = '{ADMIN_EMAIL}'")).await, 1);

    // Each client gets its own address through the trusted proxy (127.0.0.1).
    let admin = nodes[0].login("10.1.0.1", ADMIN_EMAIL, ADMIN_PASSWORD).await.ok()["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let create_department =
        "mutation($c: String!) { createDepartment(input: {code: $c, name: $c, kind: OTHER}) { id } }";
    nodes[1].gql("10.1.0.1", Some(&admin), create_department, json!({"c": "fin"})).await.ok();
    let user = "mutation($e: String!) { createUser(input: {email: $e, password: \"correct horse battery staple\", displayName: \"U\"}) { id } }";
    let clerk_id =
        nodes[2].gql("10.1.0.1", Some(&admin), user, json!({"e": "clerk@example.com"})).await.ok()["createUser"]["id"]
            .clone();
    let assign =
        "mutation($u: ID!, $r: Role!) { assignRole(input: {userId: $u, role: $r, department: \"fin\"}) { id } }";
    nodes[0].gql("10.1.0.1", Some(&admin), assign, json!({"u": clerk_id, "r": "FINANCE_CLERK"})).await.ok();

    // Concurrent audited writes through every process: one gapless, valid chain.
    let head_before = nodes[0].gql("10.1.0.1", Some(&admin), "{ verifyAuditChain { headSeq } }", json!({})).await.ok()
        ["verifyAuditChain"]["headSeq"]
        .as_i64()
        .unwrap();
    let writes = (0..45).map(|i| {
        let node = &nodes[i % 3];
        let admin = admin.clone();
        async move { node.gql("10.1.0.1", Some(&admin), create_department, json!({"c": format!("d{i}")})).await }
    });
    for res in join_all(writes).await {
        res.ok();
    }
    for node in &nodes {
        let report =
            node.gql("10.1.0.1", Some(&admin), "{ verifyAuditChain { valid headSeq eventsChecked } }", json!({})).await;
        let report = report.ok()["verifyAuditChain"].clone();
        assert_eq!(report["valid"], true);
        assert_eq!(report["headSeq"].as_i64().unwrap(), head_before + 45, "gapless: one event per write");
    }

    // The login rate limit is one bucket per client address for the whole deployment.
    let mut limited = 0;
    for i in 0..9 {
        let res = nodes[i % 3].login("203.0.113.50", "nobody@example.com", "wrong-password-x").await;
        if res.codes() == ["TOO_MANY_REQUESTS"] {
            limited += 1;
        }
    }
    assert_eq!(limited, 4, "5 a minute across three processes, not 15");
    // Another address is not affected.
    nodes[0].login("203.0.113.51", ADMIN_EMAIL, ADMIN_PASSWORD).await.ok();

    // The lockout is shared: three failures spread over three processes lock everywhere.
    let signed_in = nodes[0].login("10.2.0.1", "clerk@example.com", PASSWORD).await;
    let user_token = signed_in.ok()["login"]["accessToken"].as_str().unwrap().to_string();
    for (i, node) in nodes.iter().enumerate() {
        node.login(&format!("10.3.0.{i}"), "clerk@example.com", "not-the-password")
            .await
            .expect_code("UNAUTHENTICATED");
    }
    for (i, node) in nodes.iter().enumerate() {
        node.login(&format!("10.4.0.{i}"), "clerk@example.com", PASSWORD).await.expect_code("UNAUTHENTICATED");
    }

    // A revocation made through one process counts on every process from the next request.
    for node in &nodes {
        node.gql("10.2.0.1", Some(&user_token), "{ me { email } }", json!({})).await.ok();
    }
    let revoke =
        "mutation($u: ID!) { revokeRole(input: {userId: $u, role: FINANCE_CLERK, department: \"fin\"}) { id } }";
    nodes[1].gql("10.1.0.1", Some(&admin), revoke, json!({"u": clerk_id})).await.ok();
    for node in &nodes {
        node.gql("10.2.0.1", Some(&user_token), "{ me { email } }", json!({})).await.expect_code("UNAUTHENTICATED");
    }

    // Afterwards the chain holds, as the command line sees it too.
    let out = Command::new(env!("CARGO_BIN_EXE_trastienda"))
        .args(["audit", "verify", "--database-url", &database_url])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    db.close().await.ok();
}

fn migration_count() -> i64 {
    use migration::MigratorTrait;
    migration::Migrator::migrations().len() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_demo_processes_started_at_once_seed_one_demo_company() {
    if postgres().is_none() {
        return;
    }
    let (database_url, _) = fresh_database().await;
    let mut nodes: Vec<Node> = (0..3).map(|_| start_node_with(&database_url, &["--demo"], &[])).collect();
    for node in &mut nodes {
        node.wait_until_serving().await;
    }
    let db = sea_orm::Database::connect(&database_url).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM departments WHERE code = 'fin'").await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users WHERE email = 'admin@demo.trastienda'").await, 1);
    let employees = count(&db, "SELECT COUNT(*) FROM employees").await;
    assert!(employees > 0 && employees < 20, "one demo company, not three: {employees} employees");
    db.close().await.ok();
}

/// A TCP proxy to PostgreSQL that can go silent: connections stay open, nothing flows.
struct SilentableProxy {
    addr: SocketAddr,
    silent: Arc<AtomicBool>,
}

impl SilentableProxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let silent = Arc::new(AtomicBool::new(false));
        let flag = silent.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = tokio::net::TcpStream::connect(target).await else { continue };
                let (ri, wi) = inbound.into_split();
                let (ro, wo) = outbound.into_split();
                tokio::spawn(pump(ri, wo, flag.clone()));
                tokio::spawn(pump(ro, wi, flag.clone()));
            }
        });
        Self { addr, silent }
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    silent: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while silent.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let Ok(n) = from.read(&mut buf).await else { return };
        if n == 0 {
            return;
        }
        while silent.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_database_is_an_error_within_the_acquire_timeout_and_service_resumes_by_itself() {
    let Some(server) = postgres() else { return };
    let (database_url, _) = fresh_database().await;
    // Reach the same database through the proxy.
    let host_port = server.split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap().to_string();
    let target: SocketAddr = tokio::net::lookup_host(host_port.as_str()).await.unwrap().next().unwrap();
    let proxy = SilentableProxy::start(target).await;
    let proxied = database_url.replacen(&host_port, &proxy.addr.to_string(), 1);
    let app = spawn_on(&proxied, None, &[("DATABASE_ACQUIRE_TIMEOUT_SECS", "2")]).await;
    let admin = app.admin_token().await;
    assert_eq!(app.client.get(app.url("/ready")).send().await.unwrap().status(), 200);

    proxy.silent.store(true, Ordering::Relaxed);
    let limit = Duration::from_secs(2) + Duration::from_millis(1500);
    let hang = Duration::from_secs(15);
    for _ in 0..3 {
        let started = Instant::now();
        let ready = tokio::time::timeout(hang, app.client.get(app.url("/ready")).send()).await.expect("/ready hung");
        assert_eq!(ready.unwrap().status(), 503);
        assert!(started.elapsed() < limit, "/ready took {:?}", started.elapsed());
        let started = Instant::now();
        let res = tokio::time::timeout(hang, app.gql(Some(&admin), "{ me { email } }", json!({}))).await.expect("hung");
        assert_eq!(res.codes(), ["INTERNAL"], "{:#}", res.0);
        assert!(started.elapsed() < limit, "a request took {:?}", started.elapsed());
    }

    proxy.silent.store(false, Ordering::Relaxed);
    let started = Instant::now();
    loop {
        let res = tokio::time::timeout(hang, app.gql(Some(&admin), "{ me { email } }", json!({}))).await.expect("hung");
        if res.errors().is_empty() {
            assert_eq!(res.ok()["me"]["email"], ADMIN_EMAIL);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "did not recover: {:#}", res.0);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.client.get(app.url("/ready")).send().await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_finishes_what_is_in_flight_and_half_writes_nothing() {
    let (database_url, _file) = fresh_database().await;
    let mut node = start_node(&database_url, &[("SHUTDOWN_TIMEOUT_SECS", "20")]);
    node.wait_until_serving().await;
    let admin = node.login("10.1.0.1", ADMIN_EMAIL, ADMIN_PASSWORD).await.ok()["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let create = "mutation($c: String!) { createDepartment(input: {code: $c, name: $c, kind: OTHER}) { code } }";
    let node = Arc::new(node);
    let requests: Vec<_> = (0..60)
        .map(|i| {
            let (node, admin) = (node.clone(), admin.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i * 5)).await;
                let req = node
                    .client
                    .post(format!("{}/graphql", node.base))
                    .bearer_auth(&admin)
                    .json(&json!({"query": create, "variables": {"c": format!("k{i}")}}));
                match req.send().await {
                    Ok(res) => res.json::<Value>().await.ok().map(Gql),
                    Err(_) => None, // refused: the server had stopped accepting
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let pid = node.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let answered: Vec<Gql> = join_all(requests).await.into_iter().filter_map(|r| r.unwrap()).collect();
    let succeeded: Vec<&Gql> = answered.iter().filter(|g| g.errors().is_empty()).collect();
    assert_eq!(succeeded.len(), answered.len(), "an answered request was not cut short");
    assert!(!succeeded.is_empty(), "some requests were in flight");

    // Every answered write is there, with its audit event; nothing else is.
    let db = sea_orm::Database::connect(&database_url).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM departments WHERE code LIKE 'k%'").await, succeeded.len() as i64);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM audit_events WHERE action = 'createDepartment'").await,
        succeeded.len() as i64
    );
    db.close().await.ok();
    let out = Command::new(env!("CARGO_BIN_EXE_trastienda"))
        .args(["audit", "verify", "--database-url", &database_url])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    // Behind a trusted proxy each client has its own bucket; without one, the header is ignored.
    for (trusted, separate_buckets) in [("127.0.0.1/32", true), ("", false)] {
        let app = spawn_app_with(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "2"), ("TRUSTED_PROXIES", trusted)]).await;
        let login = json!({"query": "mutation { login(email: \"x@example.com\", password: \"wrong-password-x\") { accessToken } }"});
        let attempt = |from: &'static str| {
            let req =
                app.client.post(app.url("/graphql")).header("x-forwarded-for", format!("1.2.3.4, {from}")).json(&login);
            async move { Gql(req.send().await.unwrap().json().await.unwrap()).codes() }
        };
        for _ in 0..2 {
            assert_eq!(attempt("198.51.100.1").await, ["UNAUTHENTICATED"]);
        }
        assert_eq!(attempt("198.51.100.1").await, ["TOO_MANY_REQUESTS"]);
        let other = attempt("198.51.100.2").await;
        if separate_buckets {
            assert_eq!(other, ["UNAUTHENTICATED"], "another client behind the proxy has its own bucket");
        } else {
            assert_eq!(other, ["TOO_MANY_REQUESTS"], "an untrusted peer cannot pick its bucket");
        }
    }
}
