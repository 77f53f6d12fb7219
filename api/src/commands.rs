//! What the `trastienda` binary does; `src/main.rs` only parses the command line.

use std::io::Write;

use chrono::{DateTime, Utc};

use crate::audit::chain;
use crate::audit::service::export_batch;
use crate::config::Settings;
use crate::seed::{Progress, SeedOptions, SeedReport};
use crate::startup::{Application, ServeOptions, connect_and_migrate};

pub async fn serve(settings: Settings, options: ServeOptions) -> anyhow::Result<()> {
    let app = Application::build(settings.clone(), options).await?;
    tracing::info!(
        "Trastienda listening on http://{} (GraphiQL at /graphiql)",
        settings.bind_addr.replace(":0", &format!(":{}", app.port()))
    );
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    connect_and_migrate(settings).await?;
    println!("database is up to date");
    Ok(())
}

/// Generates a company into a fresh database (see `api::seed`), then checks its chain.
pub async fn seed(settings: &Settings, options: &SeedOptions, progress: &dyn Progress) -> anyhow::Result<SeedReport> {
    let db = connect_and_migrate(settings).await?;
    let report = crate::seed::run(&db, options, progress).await?;
    let verified = chain::verify(&db.conn).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(
        verified.valid,
        "the seeded audit chain does not verify (first broken seq {:?})",
        verified.first_invalid_seq
    );
    Ok(report)
}

pub fn schema() -> String {
    crate::graphql::sdl()
}

/// Exit status 0 when the chain holds; 1, with `first broken seq: N`, when it does not.
pub async fn audit_verify(settings: &Settings) -> anyhow::Result<bool> {
    let db = connect_and_migrate(settings).await?;
    let report = chain::verify(&db.conn).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if report.valid {
        println!(
            "audit chain valid: {} events, head seq {}, head hash {}",
            report.events_checked,
            report.head_seq.unwrap_or(0),
            report.head_hash.as_deref().unwrap_or(chain::GENESIS_HASH)
        );
    } else {
        println!("audit chain BROKEN after checking {} events", report.events_checked);
        println!("first broken seq: {}", report.first_invalid_seq.unwrap_or(0));
    }
    Ok(report.valid)
}

/// Writes events occurring in `[from, to]` as JSON lines: the hashed fields plus `prevHash`
/// and `hash`, so an export can be verified without our code (see docs/auditors.md).
pub async fn audit_export(
    settings: &Settings,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    out: &mut impl Write,
) -> anyhow::Result<u64> {
    let db = connect_and_migrate(settings).await?;
    let mut after = 0i64;
    let mut written = 0u64;
    loop {
        let batch = export_batch(&db.conn, after, from, to, 1000).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for event in &batch {
            let mut line = chain::hashed_object(event);
            line["prevHash"] = event.prev_hash.clone().into();
            line["hash"] = event.hash.clone().into();
            line["id"] = event.id.clone().into();
            writeln!(out, "{line}")?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}
