//! `trastienda`: the command line. A thin shell over the `api` crate.

use std::process::ExitCode;

use api::config::Settings;
use api::seed::{Progress, SeedOptions};
use api::startup::ServeOptions;
use clap::{Parser, Subcommand};

/// A GraphQL response is thousands of small allocations: mimalloc serves them with less time
/// and less fragmentation than the system allocator (measured: see README, "Measure it").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// By default mimalloc commits its arenas eagerly and returns freed memory to the system only
/// after a delay, if ever: a server that hashed one password (19 MiB for argon2id) kept 40 MB
/// it no longer used. Without eager commit and with immediate purging, the resident set is what
/// is in use, at the same throughput (measured with `../shared/bench`: docs/performance.md).
/// The ids are mimalloc 3's (`include/mimalloc.h`), which `libmimalloc-sys` builds by default.
extern "C" fn return_freed_memory() {
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: plain stores into the allocator's option table; they allocate nothing.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

/// mimalloc reads its options and reserves its first arena in a load-time constructor, before
/// `main`: set them from an earlier one (prioritized `.init_array` entries run before the
/// default-priority constructor mimalloc registers), so they hold for that arena too. An
/// option set here overrides its `MIMALLOC_*` environment variable.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array.00101")]
static RETURN_FREED_MEMORY: extern "C" fn() = return_freed_memory;

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
    /// Fill a fresh database with a realistic company of any size, the same for the same options.
    Seed {
        /// Employees to hire.
        #[arg(long, default_value_t = 1_000)]
        employees: usize,
        /// Invoices over the year (drafts, approved, paid, partly paid and void).
        #[arg(long, default_value_t = 10_000)]
        invoices: usize,
        /// Departments, of skewed sizes (codes d01, d02, …).
        #[arg(long, default_value_t = 20)]
        departments: usize,
        /// The year of history.
        #[arg(long, default_value_t = 2026)]
        year: i32,
        /// Seed of the random choices: the same seed, the same company.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Password of every seeded user (admin@seed.example, clerk.d01@seed.example, …).
        #[arg(long, default_value = "seed-password-1234")]
        password: String,
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

/// A progress bar on a terminal; silent otherwise.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new() -> Self {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {pos}/{len} records ({per_sec}, eta {eta})",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        Self(bar)
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&self, done: u64) {
        self.0.inc(done);
        if self.0.position() >= self.0.length().unwrap_or(0) {
            self.0.finish_and_clear();
        }
    }
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

fn main() -> ExitCode {
    #[cfg(not(target_os = "linux"))]
    return_freed_memory();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let cli = Cli::parse();
    match runtime.block_on(run(cli)) {
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
            let telemetry = api::telemetry::init(settings.log_format)?;
            let served = api::commands::serve(settings, ServeOptions { demo }).await;
            // Also after a failed start: its spans are worth having.
            telemetry.shutdown().await;
            served?;
        }
        Command::Migrate { database_url } => api::commands::migrate(&settings(database_url, None)?).await?,
        Command::Seed { employees, invoices, departments, year, seed, password, database_url } => {
            let options = SeedOptions { departments, employees, invoices, year, seed, password };
            let started = std::time::Instant::now();
            let report = api::commands::seed(&settings(database_url, None)?, &options, &Bar::new()).await?;
            eprintln!(
                "seeded {} departments, {} users, {} employees, {} invoices, {} journal entries, {} payments \
                 and {} audit events in {:.1} s (sign in as admin@seed.example)",
                report.departments,
                report.users,
                report.employees,
                report.invoices,
                report.journal_entries,
                report.payments,
                report.audit_events,
                started.elapsed().as_secs_f64()
            );
        }
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
