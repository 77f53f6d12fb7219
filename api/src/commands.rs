//! What the `trastienda` binary does; `src/main.rs` only parses the command line.

use std::io::Write;

use chrono::{DateTime, Utc};

use crate::audit::service::{export_batch, export_line};
use crate::audit::{chain, checkpoint, merkle, note};
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

/// `trastienda audit keygen`: a new Ed25519 key in Go's note formats. Prints the signer key
/// (secret: for `AUDIT_SIGNING_KEY`) on the first line and its verifier key (public: for
/// auditors and `audit verify --key`) on the second.
pub fn audit_keygen(name: &str, out: &mut impl Write) -> anyhow::Result<()> {
    if !note::is_valid_name(name) {
        anyhow::bail!("a key name must be non-empty, without '+' or spaces (got {name:?})");
    }
    let (signer, verifier) = note::generate_key(name).map_err(|e| anyhow::anyhow!("{e}"))?;
    writeln!(out, "{signer}")?;
    writeln!(out, "{verifier}")?;
    Ok(())
}

/// `trastienda audit verify --checkpoint FILE --key KEY`: exit status 0 when the checkpoint is
/// genuine and the log extends it; 1 otherwise, printing `checkpoint mismatch at tree size N`
/// when the log's first N events no longer have the checkpoint's root (rewritten, truncated or
/// forked), `first broken seq: N` when the chain itself is broken. Nothing stored is trusted:
/// every hash and the root are recomputed from the events.
pub async fn audit_verify_checkpoint(settings: &Settings, checkpoint_note: &str, key: &str) -> anyhow::Result<bool> {
    let verifier = note::Verifier::new(key.trim())
        .map_err(|e| anyhow::anyhow!("--key must be a verifier key, <name>+<hex8 id>+<base64>: {e}"))?;
    let trusted = match checkpoint::open(checkpoint_note, &settings.audit_origin, &verifier) {
        Ok(trusted) => trusted,
        Err(why) => {
            println!("checkpoint refused: {why}");
            return Ok(false);
        }
    };
    let db = connect_and_migrate(settings).await?;
    let check =
        chain::verify_against(&db.conn, trusted.size, trusted.root).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if !check.root_matches {
        println!("checkpoint mismatch at tree size {}", trusted.size);
    }
    if let Some(seq) = check.chain.first_invalid_seq {
        println!("first broken seq: {seq}");
    }
    if check.chain.valid && !check.stored_tree_matches {
        println!("the stored Merkle tree does not match the events: proofs served from it cannot be trusted");
    }
    let ok = check.root_matches && check.chain.valid && check.stored_tree_matches;
    if ok {
        println!(
            "checkpoint verified: the first {} events have root {}, and the log ({} events) extends it",
            trusted.size,
            merkle::encode_hash(&trusted.root),
            check.chain.head_seq.unwrap_or(0)
        );
    }
    Ok(ok)
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
        let batch = export_batch(&db.conn, after, None, (from, to), 1000).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for event in &batch {
            writeln!(out, "{}", export_line(event))?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}
