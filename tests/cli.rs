//! The `trastienda` command line: help, configuration errors, migrate, schema, and a graceful
//! stop on SIGTERM.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn trastienda() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trastienda"));
    // Run from an empty directory so that no developer's .env is picked up.
    let dir = std::env::temp_dir().join("trastienda-cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    cmd.current_dir(dir).env_remove("JWT_SECRET").env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    cmd
}

#[test]
fn help_names_every_command() {
    let out = trastienda().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "migrate", "schema", "audit"] {
        assert!(text.contains(command), "{text}");
    }
    let serve = trastienda().args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&serve.stdout);
    for flag in ["--demo", "--bind", "--database-url"] {
        assert!(text.contains(flag), "{text}");
    }
}

#[test]
fn the_schema_command_prints_schema_graphql() {
    let out = trastienda().arg("schema").output().unwrap();
    assert!(out.status.success());
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), committed);
}

/// The allocator returns freed memory (main.rs): its options are set before mimalloc reads them
/// at load time, so they hold for its first arena too. mimalloc prints them when verbose.
#[test]
fn the_allocator_returns_freed_memory_from_the_first_arena() {
    let out = trastienda().arg("--version").env("MIMALLOC_VERBOSE", "1").output().unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8_lossy(&out.stderr);
    assert!(printed.contains("option 'arena_eager_commit': 0"), "{printed}");
    assert!(printed.contains("option 'purge_delay': 0"), "{printed}");
}

#[tokio::test]
async fn serving_without_a_jwt_secret_stops_with_a_clear_message() {
    let (url, _file) = fresh_database().await;
    let out = trastienda().args(["serve", "--bind", "127.0.0.1:0", "--database-url", &url]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("JWT_SECRET") && err.contains("32"), "{err}");

    let out = trastienda().args(["serve", "--database-url", &url]).env("JWT_SECRET", "short").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 32 bytes"));
}

#[tokio::test]
async fn migrate_brings_a_fresh_database_up_to_date_twice_over() {
    let (url, _file) = fresh_database().await;
    for _ in 0..2 {
        let out = trastienda().args(["migrate", "--database-url", &url]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
    }
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully() {
    let (url, _file) = fresh_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = trastienda()
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--database-url", &url])
        .env("JWT_SECRET", JWT_SECRET)
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{port}/health");
    let started = Instant::now();
    while client.get(&health).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let res = client.get(&health).header("x-request-id", "cli-test-1").send().await.unwrap();
    assert_eq!(res.status(), 200);

    let pid = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "the server did not stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status:?}");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut logs).unwrap();
    // JSON lines, and the request's line carries its id.
    let request_line = logs.lines().find(|l| l.contains("cli-test-1")).unwrap_or_else(|| panic!("{logs}"));
    let parsed: serde_json::Value = serde_json::from_str(request_line).unwrap();
    assert_eq!(parsed["span"]["request_id"], "cli-test-1", "{request_line}");
    assert!(!logs.contains(JWT_SECRET), "no secret in the logs");
}

fn seed(url: &str, invoices: &str) -> std::process::Output {
    trastienda()
        .args(["seed", "--employees", "40", "--invoices", invoices, "--departments", "4", "--year", "2026"])
        .args(["--password", "seeded-password-1", "--database-url", url])
        .output()
        .unwrap()
}

fn head_hash(url: &str) -> String {
    let out = trastienda().args(["audit", "verify", "--database-url", url]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let text = String::from_utf8(out.stdout).unwrap();
    text.split("head hash ").nth(1).unwrap().trim().to_string()
}

#[tokio::test]
async fn seed_writes_the_same_consistent_company_every_time() {
    let (url, _file) = fresh_database().await;
    let out = seed(&url, "400");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("400 invoices"));
    // Deterministic: another database seeded alike has the very same chain.
    let (again, _again_file) = fresh_database().await;
    assert!(seed(&again, "400").status.success());
    assert_eq!(head_hash(&url), head_hash(&again));
    // A second seed into a database that holds data is refused.
    let refused = seed(&url, "10");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("fresh"), "{}", String::from_utf8_lossy(&refused.stderr));

    // The API serves it: the ledger balances and the numbers continue after the seeded ones.
    let app = spawn_on(&url, None, &[]).await;
    let admin = app.login("admin@seed.example", "seeded-password-1").await;
    let tb = app
        .gql(Some(&admin), "{ trialBalance(asOf: \"2026-12-31\") { totalDebit totalCredit } }", serde_json::json!({}))
        .await;
    let tb = tb.ok()["trialBalance"].clone();
    assert_eq!(tb["totalDebit"], tb["totalCredit"]);
    assert_ne!(tb["totalDebit"], "0.00");
    let numbered = "{ invoices(first: 100, filter: {department: \"d01\", kind: PAYABLE}) { totalCount nodes { id number status issueDate } } }";
    let page = app.gql(Some(&admin), numbered, serde_json::json!({})).await;
    let nodes = page.ok()["invoices"]["nodes"].as_array().unwrap().clone();
    let highest = nodes.iter().filter_map(|n| n["number"].as_str()).max().unwrap().to_string();
    let draft = nodes.iter().find(|n| n["status"] == "DRAFT").expect("seeded drafts");
    let approve = "mutation($id: ID!) { approveInvoice(id: $id) { number } }";
    let approved = app.gql(Some(&admin), approve, serde_json::json!({"id": draft["id"]})).await;
    let number = approved.ok()["approveInvoice"]["number"].as_str().unwrap().to_string();
    let next: i64 = highest.rsplit('-').next().unwrap().parse::<i64>().unwrap() + 1;
    assert_eq!(number, format!("D01-P-2026-{next:06}"), "after {highest}");
}
