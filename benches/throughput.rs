//! Throughput of the real server over HTTP, on a fresh SQLite file (or the PostgreSQL of
//! `TEST_DATABASE_URL`): `cargo bench --bench throughput`.
//!
//! It measures what a deployment feels — reads with nested relations (DataLoader batching),
//! audited writes (the chain append included), chain verification — and prints the machine it
//! ran on, since figures mean nothing without it. It asserts nothing about timing.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

fn report(what: &str, count: usize, elapsed: Duration) {
    let per_second = count as f64 / elapsed.as_secs_f64();
    println!("{what:<58} {count:>6} in {:>8.2?}  = {per_second:>9.1}/s  ({:.2} ms each)", elapsed, 1000.0 / per_second);
}

#[tokio::main]
async fn main() {
    let engine = if postgres_server_url().is_some() { "PostgreSQL" } else { "SQLite" };
    println!("Trastienda throughput — {engine}, {}", machine());
    let app = spawn_app_with(&[("DATABASE_MAX_CONNECTIONS", "10")]).await;
    let admin = app.admin_token().await;
    app.create_department(&admin, "fin", "FINANCE").await;
    let (_, clerk) = app.user_with_role(&admin, "clerk@example.com", "FINANCE_CLERK", "fin").await;

    let create = "mutation { createInvoice(input: {department: \"fin\", kind: PAYABLE, counterparty: \"Acme\", currency: \"EUR\", issueDate: \"2026-01-05\", dueDate: \"2026-02-05\", lines: [{description: \"a\", quantity: \"2\", unitPrice: \"10.5\", taxRate: \"0.21\"}, {description: \"b\", quantity: \"1\", unitPrice: \"99\", taxRate: \"0.1\"}]}) { id } }";
    let n = 300;
    let started = Instant::now();
    for _ in 0..n {
        app.gql(Some(&clerk), create, json!({})).await.ok();
    }
    report("createInvoice, sequential (audited write)", n, started.elapsed());

    let started = Instant::now();
    let batches = 8;
    let per_batch = 40;
    for _ in 0..batches {
        let writes = (0..per_batch).map(|_| app.gql(Some(&clerk), create, json!({})));
        for res in futures::future::join_all(writes).await {
            res.ok();
        }
    }
    report("createInvoice, 40 concurrent at a time", batches * per_batch, started.elapsed());

    let read = "{ invoices(first: 50) { totalCount nodes { number total status lines { netAmount taxAmount } createdBy { email } department { code } } } }";
    let reads = 200;
    let started = Instant::now();
    for _ in 0..reads {
        app.gql(Some(&clerk), read, json!({})).await.ok();
    }
    report("invoices(first: 50) with lines, creator, department", reads, started.elapsed());

    let verify = 20;
    let events = app.audit_head(&admin).await as usize;
    let started = Instant::now();
    for _ in 0..verify {
        app.gql(Some(&admin), "{ verifyAuditChain { valid } }", json!({})).await.ok();
    }
    report(&format!("verifyAuditChain over {events} events (events checked)"), verify * events, started.elapsed());
}
