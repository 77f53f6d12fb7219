//! The read path over a seeded company, against its raw-SQL floor, side by side in one run:
//! `cargo bench --bench seeded` (SQLite), or with `TEST_DATABASE_URL` for PostgreSQL.
//! `BENCH_INVOICES` (default 20 000), `BENCH_SECONDS` per measurement (default 5) and
//! `BENCH_CONNECTIONS` (concurrent clients, default 8) size it.
//!
//! Each query runs for the same time with the same number of concurrent clients twice: through
//! Trastienda (HTTP, token, GraphQL, authorization, the page's relations) and as the hand-written
//! SQL a bespoke data layer would send for the same data, decoded, through the same kind of pool.
//! It prints both rates and their ratio, and the machine; it asserts nothing about timing.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use api::kernel::db::{Database, PoolOptions};
use api::seed::{Progress, SeedOptions};
use common::*;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value as SqlValue};
use serde_json::json;

struct Quiet;

impl Progress for Quiet {
    fn start(&self, _total: u64) {}
    fn advance(&self, _done: u64) {}
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Operations per second of `op`, run by `clients` concurrent loops for `seconds`.
async fn rate<F, Fut>(clients: u64, seconds: u64, op: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let loops = (0..clients).map(|_| {
        let (op, done) = (op.clone(), done.clone());
        tokio::spawn(async move {
            while Instant::now() < deadline {
                assert!(op().await, "an operation failed");
                done.fetch_add(1, Ordering::Relaxed);
            }
        })
    });
    for task in futures::future::join_all(loops).await {
        task.expect("a client loop");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// `$1, $2 …` on PostgreSQL, `?` on SQLite.
fn placeholders(backend: DbBackend, from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| if backend == DbBackend::Postgres { format!("${i}") } else { "?".into() })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The page of 50 with lines, department and creator, by hand: one joined statement for the
/// page, one for the lines of its invoices.
async fn raw_page(conn: &DatabaseConnection, department: &str) -> bool {
    let backend = conn.get_database_backend();
    let page = format!(
        "SELECT i.id, i.number, i.total, i.status, d.name, u.email FROM invoices i \
         LEFT JOIN departments d ON d.code = i.department_code LEFT JOIN users u ON u.id = i.created_by \
         WHERE i.department_code = {} ORDER BY i.id DESC LIMIT 50",
        placeholders(backend, 1, 1)
    );
    let Ok(rows) = conn.query_all_raw(Statement::from_sql_and_values(backend, page, [department.into()])).await else {
        return false;
    };
    let mut ids: Vec<SqlValue> = Vec::with_capacity(rows.len());
    for row in &rows {
        let (Ok(id), Ok(_), Ok(_), Ok(_), Ok(_), Ok(_)) = (
            row.try_get::<String>("", "id"),
            row.try_get::<Option<String>>("", "number"),
            row.try_get::<i64>("", "total"),
            row.try_get::<String>("", "status"),
            row.try_get::<Option<String>>("", "name"),
            row.try_get::<Option<String>>("", "email"),
        ) else {
            return false;
        };
        ids.push(id.into());
    }
    let lines = format!(
        "SELECT invoice_id, description, net_amount FROM invoice_lines WHERE invoice_id IN ({}) ORDER BY invoice_id, line_no",
        placeholders(backend, 1, ids.len())
    );
    let Ok(rows) = conn.query_all_raw(Statement::from_sql_and_values(backend, lines, ids)).await else { return false };
    rows.iter()
        .all(|row| row.try_get::<String>("", "description").is_ok() && row.try_get::<i64>("", "net_amount").is_ok())
}

async fn raw_by_id(conn: &DatabaseConnection, id: &str) -> bool {
    let backend = conn.get_database_backend();
    let sql = format!("SELECT number, total, status FROM invoices WHERE id = {}", placeholders(backend, 1, 1));
    match conn.query_one_raw(Statement::from_sql_and_values(backend, sql, [id.into()])).await {
        Ok(Some(row)) => row.try_get::<i64>("", "total").is_ok(),
        _ => false,
    }
}

#[tokio::main]
async fn main() {
    let (invoices, seconds, clients) =
        (env_or("BENCH_INVOICES", 20_000), env_or("BENCH_SECONDS", 5), env_or("BENCH_CONNECTIONS", 8));
    let engine = if postgres_server_url().is_some() { "PostgreSQL" } else { "SQLite" };
    println!("Trastienda over a seeded company — {engine}, {}", machine());

    let (database_url, sqlite_file) = fresh_database().await;
    let settings = test_settings(&database_url, &[]);
    let db = api::startup::connect_and_migrate(&settings).await.expect("a migrated database");
    let options = SeedOptions {
        departments: 20,
        employees: 1_000,
        invoices: invoices as usize,
        year: 2026,
        seed: 1,
        password: "seed-password-1234".into(),
    };
    let started = Instant::now();
    let seeded = api::seed::run(&db, &options, &Quiet).await.expect("seeded");
    println!("seeded {} invoices, {} audit events in {:.1?}", seeded.invoices, seeded.audit_events, started.elapsed());

    let app = spawn_on(&database_url, sqlite_file, &[("DATABASE_MAX_CONNECTIONS", "10")]).await;
    let token = app.login("admin@seed.example", &options.password).await;
    let floor =
        Database::connect(&database_url, PoolOptions { max_connections: 10, acquire_timeout: Duration::from_secs(5) })
            .await
            .expect("a pool for the floor")
            .conn;
    let department = "d07";
    let id = floor
        .query_one_raw(Statement::from_string(
            floor.get_database_backend(),
            format!("SELECT id FROM invoices WHERE department_code = '{department}' ORDER BY id DESC LIMIT 1"),
        ))
        .await
        .unwrap()
        .and_then(|row| row.try_get::<String>("", "id").ok())
        .expect("an invoice of d07");

    let page = format!(
        "{{ invoices(first: 50, filter: {{department: \"{department}\"}}) {{ nodes {{ number total status lines {{ description netAmount }} department {{ name }} createdBy {{ email }} }} }} }}"
    );
    let lookup = format!("{{ invoice(id: \"{id}\") {{ number total status }} }}");
    let app = Arc::new(app);
    let token = Arc::new(token);
    let gql = |query: String| {
        let (app, token) = (app.clone(), token.clone());
        move || {
            let (app, token, query) = (app.clone(), token.clone(), query.clone());
            async move { app.gql(Some(&token), &query, json!({})).await.0["errors"].is_null() }
        }
    };

    println!("{clients} concurrent clients, {seconds} s each; rates in operations per second");
    println!("{:<52} {:>11} {:>11} {:>8}", "", "Trastienda", "raw SQL", "ratio");
    let conn = floor.clone();
    let cases: [(&str, f64, f64); 2] = [
        (
            "page of 50 invoices with lines, department, creator",
            rate(clients, seconds, gql(page)).await,
            rate(clients, seconds, move || {
                let conn = conn.clone();
                async move { raw_page(&conn, department).await }
            })
            .await,
        ),
        ("invoice by id", rate(clients, seconds, gql(lookup)).await, {
            let (conn, id) = (floor.clone(), id.clone());
            rate(clients, seconds, move || {
                let (conn, id) = (conn.clone(), id.clone());
                async move { raw_by_id(&conn, &id).await }
            })
            .await
        }),
    ];
    for (what, ours, raw) in cases {
        println!("{what:<52} {ours:>11.0} {raw:>11.0} {:>7.2}×", ours / raw);
    }
}
