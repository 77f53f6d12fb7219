//! Refused requests never grow the server's memory (CONTRACT.md §10). Alone in its own test
//! binary, so that the resident set it samples from /proc belongs to this server only.

mod common;

use common::*;
use serde_json::{Value, json};

/// Resident memory of this process, from /proc/self/status.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS");
    kb * 1024
}

/// A refused request carrying about 100 KB of distinct argument text, of one of four kinds.
async fn refused(app: &TestApp, clerk: &str, front: &str, n: usize) {
    let filler = format!("{n:08}{}", "x".repeat(100_000));
    let (token, query, variables, code) = match n % 4 {
        0 => (
            clerk,
            "query($d: String!) { budgetReport(department: $d, year: 2026) { budget } }",
            json!({"d": filler}),
            "BAD_USER_INPUT",
        ),
        1 => (front, "mutation($id: ID!) { approveInvoice(id: $id) { id } }", json!({"id": filler}), "FORBIDDEN"),
        2 => (clerk, "query($id: ID!) { invoice(id: $id) { id } }", json!({"id": filler}), "NOT_FOUND"),
        _ => (
            clerk,
            "query($d: String) { invoices(filter: {department: $d}) { totalCount } }",
            json!({"d": filler}),
            "BAD_USER_INPUT",
        ),
    };
    let res = app.gql(Some(token), query, variables).await;
    assert_eq!(res.codes(), [code], "{}", res.0["errors"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_refused_requests_of_100_kb_leave_resident_memory_within_32_mb() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_department(&admin, "fin", "FINANCE").await;
    let (_, clerk) = app.user_with_role(&admin, "clerk@example.com", "FINANCE_CLERK", "fin").await;
    let (_, front) = app.user_with_role(&admin, "front@example.com", "FRONT_OFFICE", "fin").await;
    // Warm up: connections, caches and allocator arenas reach their working size first.
    for n in 0..100 {
        refused(&app, &clerk, &front, n).await;
    }
    let before = rss_bytes();
    for n in 100..600 {
        refused(&app, &clerk, &front, n).await;
    }
    let after = rss_bytes();
    let grown = after.saturating_sub(before);
    assert!(
        grown < 32 * 1024 * 1024,
        "resident memory grew by {} MB ({} -> {} MB)",
        grown >> 20,
        before >> 20,
        after >> 20
    );
    // Still serving.
    let ok: Value = app.gql(Some(&clerk), "{ me { email } }", json!({})).await.ok().clone();
    assert_eq!(ok["me"]["email"], "clerk@example.com");
}
