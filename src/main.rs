//! `trastienda`: the command line. A thin shell over the `api` crate.

use std::process::ExitCode;

use api::config::Settings;
use api::startup::ServeOptions;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "trastienda",
    version,
    about = "The back room of the shop: a GraphQL back office for finance, HR and IT",
    long_about = "Trastienda serves one GraphQL API over finance, human resources and IT, with \
                  department-scoped roles and a hash-chained audit log.\n\n\
                  Configuration comes from the environment and an optional .env file \
                  (see .env.example); command-line flags override it."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, then serve the API (GraphiQL at /graphiql).
    Serve {
        /// Seed a demo company (once), print its sign-ins, and allow a throw-away JWT_SECRET.
        #[arg(long)]
        demo: bool,
        /// Address to listen on [env: BIND_ADDR] [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        /// sqlite://FILE?mode=rwc or postgres://USER@HOST/DB [env: DATABASE_URL]
        /// [default: sqlite://trastienda.db?mode=rwc].
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Bring the database schema up to date and exit.
    Migrate {
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Print the GraphQL schema (SDL); schema.graphql holds its output.
    Schema,
    /// Check or export the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain. Exit 0 when it holds; exit 1 printing `first broken seq: N`.
    /// With --checkpoint and --key, also check a signed checkpoint kept outside: exit 1 printing
    /// `checkpoint mismatch at tree size N` if the log no longer extends it.
    Verify {
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// A signed checkpoint (c2sp.org/tlog-checkpoint note), as saved from the API.
        #[arg(long, value_name = "FILE", requires = "key")]
        checkpoint: Option<std::path::PathBuf>,
        /// The verifier key it must be signed by: <name>+<hex8 id>+<base64>.
        #[arg(long, value_name = "VERIFIER_KEY", requires = "checkpoint")]
        key: Option<String>,
    },
    /// Generate a checkpoint signing key: prints the signer key (for AUDIT_SIGNING_KEY; keep it
    /// secret) on the first line and its verifier key (for auditors) on the second.
    Keygen {
        /// The key's name, shown in every signature line.
        #[arg(long, default_value = api::config::DEFAULT_AUDIT_ORIGIN)]
        name: String,
    },
    /// Write events as JSON lines (one per line, with prevHash and hash) to standard output.
    Export {
        /// Only events that occurred at or after this RFC 3339 instant.
        #[arg(long)]
        from: Option<chrono::DateTime<chrono::Utc>>,
        /// Only events that occurred at or before this RFC 3339 instant.
        #[arg(long)]
        to: Option<chrono::DateTime<chrono::Utc>>,
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
}

fn settings(database_url: Option<String>, bind: Option<String>) -> anyhow::Result<Settings> {
    let mut settings = Settings::from_env()?;
    if let Some(url) = database_url {
        settings.database_url = url;
    }
    if let Some(bind) = bind {
        settings.bind_addr = bind;
    }
    Ok(settings)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { demo, bind, database_url } => {
            let settings = settings(database_url, bind)?;
            api::telemetry::init(settings.log_format);
            api::commands::serve(settings, ServeOptions { demo }).await?;
        }
        Command::Migrate { database_url } => api::commands::migrate(&settings(database_url, None)?).await?,
        Command::Schema => print!("{}", api::commands::schema()),
        Command::Audit { command: AuditCommand::Verify { database_url, checkpoint, key } } => {
            let settings = settings(database_url, None)?;
            let valid = match (checkpoint, key) {
                (Some(file), Some(key)) => {
                    let note = std::fs::read_to_string(&file)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
                    api::commands::audit_verify_checkpoint(&settings, &note, &key).await?
                }
                _ => api::commands::audit_verify(&settings).await?,
            };
            return Ok(if valid { ExitCode::SUCCESS } else { ExitCode::from(1) });
        }
        Command::Audit { command: AuditCommand::Keygen { name } } => {
            api::commands::audit_keygen(&name, &mut std::io::stdout().lock())?;
            eprintln!("line 1: the signer key (secret: AUDIT_SIGNING_KEY); line 2: its verifier key (public)");
        }
        Command::Audit { command: AuditCommand::Export { from, to, database_url } } => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written = api::commands::audit_export(&settings(database_url, None)?, from, to, &mut out).await?;
            eprintln!("{written} events exported");
        }
    }
    Ok(ExitCode::SUCCESS)
}
