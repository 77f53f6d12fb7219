//! Settings from the environment (and an optional `.env`), validated once at start-up.
//!
//! Every variable has a default except `JWT_SECRET`, which `serve --demo` may generate for
//! one run. `.env.example` at the repository root lists them all; keep the two in step.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::kernel::money::Currency;
use crate::kernel::net::Cidr;

/// The default database: an SQLite file beside the working directory, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://trastienda.db?mode=rwc";
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9464";
/// HS256 keys shorter than this are refused (RFC 7518 §3.2 asks for at least 256 bits).
pub const MIN_JWT_SECRET_BYTES: usize = 32;
/// The first line of every audit checkpoint: the log's name (c2sp.org/tlog-checkpoint).
pub const DEFAULT_AUDIT_ORIGIN: &str = "trastienda.example/audit";

/// Who may run introspection queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Introspection {
    On,
    Authenticated,
    Off,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A value that must never be printed: `Debug` shows a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Invoice approval limits per currency (CONTRACT.md §10): `INVOICE_APPROVAL_LIMIT` in
/// `BASE_CURRENCY`, others from `INVOICE_APPROVAL_LIMITS` (`USD:11000.00,JPY:1500000`). A
/// currency without a limit has none a clerk may approve under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalLimits {
    pub base_currency: &'static str,
    limits: Vec<(&'static str, Decimal)>,
}

impl ApprovalLimits {
    pub fn limit_for(&self, currency: &str) -> Option<Decimal> {
        self.limits.iter().find(|(code, _)| *code == currency).map(|(_, limit)| *limit)
    }
}

/// Which persisted operations run (CONTRACT.md §12; `http::persisted`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersistedOperations {
    /// Apollo's automatic persisted queries, besides plain text (the default).
    Apq,
    /// Only the manifest's operations (by SHA-256 hex of the document), by hash or identical text.
    Allowlist(std::collections::HashMap<String, String>),
    /// Plain text only.
    Off,
}

/// Limits applied at the HTTP edge and before a GraphQL document runs (CONTRACT.md §1).
#[derive(Clone, Debug)]
pub struct Limits {
    pub body_bytes: usize,
    pub query_bytes: usize,
    pub nesting: usize,
    pub depth: usize,
    pub aliases: usize,
    pub fields: usize,
    pub complexity: usize,
    pub batch: usize,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub database_max_connections: u32,
    /// How long a request waits for a pooled connection before it fails.
    pub database_acquire_timeout_secs: u64,
    pub bind_addr: String,
    /// Where Prometheus scrapes `/metrics`; `None` (set empty) serves no metrics.
    pub metrics_addr: Option<String>,
    /// `None` until `serve --demo` generates one; `validate_for_serving` insists on it otherwise.
    pub jwt_secret: Option<Secret>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    pub bootstrap_admin_email: Option<String>,
    pub bootstrap_admin_password: Option<Secret>,
    pub login_max_failures: i32,
    pub login_lockout_secs: i64,
    /// 0 disables the limit.
    pub login_rate_limit_per_minute: u32,
    pub approval_limits: ApprovalLimits,
    pub payroll_income_tax_rate: Decimal,
    pub payroll_social_security_rate: Decimal,
    pub vacation_days_per_year: i32,
    pub cors_allowed_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (none by default).
    pub trusted_proxies: Vec<Cidr>,
    pub introspection: Introspection,
    pub persisted_operations: PersistedOperations,
    pub log_format: LogFormat,
    pub shutdown_timeout_secs: u64,
    pub limits: Limits,
    /// The Go `note` signer key that signs audit checkpoints (`PRIVATE+KEY+…`). `None` until
    /// `serve --demo` generates one; without it no checkpoint is made.
    pub audit_signing_key: Option<Secret>,
    /// The origin line of audit checkpoints.
    pub audit_origin: String,
    /// How often a checkpoint is made when the log has grown.
    pub audit_checkpoint_interval_secs: u64,
    /// Subscriptions one WebSocket connection may hold at once (CONTRACT.md §12).
    pub ws_max_subscriptions: usize,
    /// WebSocket connections one user may hold at once on a process.
    pub ws_max_connections_per_user: usize,
}

/// Every problem found in the environment, reported together so an operator fixes them in one go.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigError(pub Vec<String>);

impl Settings {
    /// Reads `.env` (if present) and the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is worth a warning but not a refusal.
        if let Err(err) = dotenvy::dotenv()
            && !err.not_found()
        {
            eprintln!("warning: ignoring .env: {err}");
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds settings from any source of variables; unit tests pass a map.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut r = Reader { get: &get, problems: Vec::new() };
        let settings = Settings {
            database_url: r.string("DATABASE_URL", DEFAULT_DATABASE_URL),
            database_max_connections: r.parse_in("DATABASE_MAX_CONNECTIONS", 10, 1..=1000),
            database_acquire_timeout_secs: r.parse_in("DATABASE_ACQUIRE_TIMEOUT_SECS", 5, 1..=600),
            bind_addr: r.string("BIND_ADDR", DEFAULT_BIND_ADDR),
            metrics_addr: r.metrics_addr(),
            jwt_secret: r.optional("JWT_SECRET").map(Secret),
            jwt_issuer: r.string("JWT_ISSUER", "trastienda"),
            jwt_audience: r.string("JWT_AUDIENCE", "trastienda"),
            access_token_ttl_secs: r.parse_in("ACCESS_TOKEN_TTL_SECS", 900, 30..=86_400),
            refresh_token_ttl_secs: r.parse_in("REFRESH_TOKEN_TTL_SECS", 14 * 86_400, 60..=365 * 86_400),
            bootstrap_admin_email: r.optional("BOOTSTRAP_ADMIN_EMAIL"),
            bootstrap_admin_password: r.optional("BOOTSTRAP_ADMIN_PASSWORD").map(Secret),
            login_max_failures: r.parse_in("LOGIN_MAX_FAILURES", 5, 1..=1000),
            login_lockout_secs: r.parse_in("LOGIN_LOCKOUT_SECS", 900, 0..=30 * 86_400),
            login_rate_limit_per_minute: r.parse_in("LOGIN_RATE_LIMIT_PER_MINUTE", 60, 0..=1_000_000),
            approval_limits: r.approval_limits(),
            payroll_income_tax_rate: r.decimal("PAYROLL_INCOME_TAX_RATE", "0.15", true),
            payroll_social_security_rate: r.decimal("PAYROLL_SOCIAL_SECURITY_RATE", "0.0635", true),
            vacation_days_per_year: r.parse_in("VACATION_DAYS_PER_YEAR", 22, 0..=366),
            cors_allowed_origins: r
                .optional("CORS_ALLOWED_ORIGINS")
                .map(|v| v.split(',').map(str::trim).filter(|o| !o.is_empty()).map(String::from).collect())
                .unwrap_or_default(),
            trusted_proxies: r.cidrs("TRUSTED_PROXIES"),
            persisted_operations: r.persisted_operations(),
            introspection: r.choice(
                "GRAPHQL_INTROSPECTION",
                Introspection::On,
                &[
                    ("on", Introspection::On),
                    ("authenticated", Introspection::Authenticated),
                    ("off", Introspection::Off),
                ],
            ),
            log_format: r.choice(
                "LOG_FORMAT",
                LogFormat::Text,
                &[("text", LogFormat::Text), ("json", LogFormat::Json)],
            ),
            shutdown_timeout_secs: r.parse_in("SHUTDOWN_TIMEOUT_SECS", 30, 1..=3600),
            limits: Limits {
                body_bytes: r.parse_in("HTTP_BODY_LIMIT_BYTES", 1024 * 1024, 1024..=64 * 1024 * 1024),
                query_bytes: r.parse_in("GRAPHQL_MAX_QUERY_BYTES", 16 * 1024, 256..=1024 * 1024),
                nesting: r.parse_in("GRAPHQL_MAX_NESTING", 32, 4..=256),
                depth: r.parse_in("GRAPHQL_MAX_DEPTH", 12, 2..=64),
                aliases: r.parse_in("GRAPHQL_MAX_ALIASES", 30, 0..=1000),
                fields: r.parse_in("GRAPHQL_MAX_FIELDS", 500, 10..=100_000),
                complexity: r.parse_in("GRAPHQL_MAX_COMPLEXITY", 1000, 10..=1_000_000),
                batch: r.parse_in("GRAPHQL_MAX_BATCH", 10, 1..=100),
            },
            audit_signing_key: r.optional("AUDIT_SIGNING_KEY").map(Secret),
            audit_origin: r.string("AUDIT_ORIGIN", DEFAULT_AUDIT_ORIGIN),
            audit_checkpoint_interval_secs: r.parse_in("AUDIT_CHECKPOINT_INTERVAL_SECS", 60, 1..=86_400),
            ws_max_subscriptions: r.parse_in("WS_MAX_SUBSCRIPTIONS", 10, 1..=1000),
            ws_max_connections_per_user: r.parse_in("WS_MAX_CONNECTIONS_PER_USER", 5, 1..=1000),
        };
        if let Some(key) = &settings.audit_signing_key
            && let Err(why) = crate::audit::note::Signer::new(key.expose())
        {
            // Says what is wrong with the key, never the key.
            r.problems.push(format!(
                "AUDIT_SIGNING_KEY must be a note signer key, PRIVATE+KEY+<name>+<hex8 id>+<base64> \
                 (make one with `trastienda audit keygen`): {why}"
            ));
        }
        if crate::audit::note::format_checkpoint(&settings.audit_origin, 0, &[0; 32]).is_err() {
            r.problems.push("AUDIT_ORIGIN must be one line of text without control characters".into());
        }
        if let Some(secret) = &settings.jwt_secret
            && secret.expose().len() < MIN_JWT_SECRET_BYTES
        {
            r.problems.push(format!(
                "JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes (got {})",
                secret.expose().len()
            ));
        }
        if settings.payroll_income_tax_rate + settings.payroll_social_security_rate > Decimal::ONE {
            // Withholding more than the gross would make net pay negative.
            r.problems.push("PAYROLL_INCOME_TAX_RATE + PAYROLL_SOCIAL_SECURITY_RATE must not exceed 1".into());
        }
        if settings.bootstrap_admin_email.is_some() != settings.bootstrap_admin_password.is_some() {
            r.problems.push("BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together".into());
        }
        if r.problems.is_empty() { Ok(settings) } else { Err(ConfigError(r.problems)) }
    }

    /// `serve` without `--demo` needs a real signing key.
    pub fn require_jwt_secret(&self) -> Result<(), ConfigError> {
        match &self.jwt_secret {
            Some(_) => Ok(()),
            None => Err(ConfigError(vec![format!(
                "JWT_SECRET is not set: give it at least {MIN_JWT_SECRET_BYTES} random bytes \
                 (e.g. `openssl rand -base64 48`), or run `serve --demo` for a throw-away key"
            )])),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

struct Reader<'a, F: Fn(&str) -> Option<String>> {
    get: &'a F,
    problems: Vec<String>,
}

impl<F: Fn(&str) -> Option<String>> Reader<'_, F> {
    fn optional(&mut self, name: &str) -> Option<String> {
        (self.get)(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    /// Unset is the default address; set but empty disables metrics.
    fn metrics_addr(&mut self) -> Option<String> {
        let raw = (self.get)("METRICS_ADDR").map(|v| v.trim().to_string());
        let addr = raw.unwrap_or_else(|| DEFAULT_METRICS_ADDR.into());
        if addr.is_empty() {
            return None;
        }
        match addr.parse::<std::net::SocketAddr>() {
            Err(_) => self
                .problems
                .push(format!("METRICS_ADDR must be an address and port such as 127.0.0.1:9464 (got {addr:?})")),
            // Port 0 is any free port: never the API's.
            Ok(parsed) if parsed.port() != 0 && self.string("BIND_ADDR", DEFAULT_BIND_ADDR) == addr => self
                .problems
                .push("METRICS_ADDR must differ from BIND_ADDR: metrics are never served on the API".into()),
            Ok(_) => {}
        }
        Some(addr)
    }

    fn string(&mut self, name: &str, default: &str) -> String {
        self.optional(name).unwrap_or_else(|| default.to_string())
    }

    fn parse_in<T>(&mut self, name: &str, default: T, range: std::ops::RangeInclusive<T>) -> T
    where
        T: FromStr + PartialOrd + fmt::Display + Copy,
    {
        let Some(raw) = self.optional(name) else {
            return default;
        };
        match raw.parse::<T>() {
            Ok(v) if range.contains(&v) => v,
            _ => {
                self.problems.push(format!(
                    "{name} must be a whole number from {} to {} (got {raw:?})",
                    range.start(),
                    range.end()
                ));
                default
            }
        }
    }

    fn decimal(&mut self, name: &str, default: &str, fraction: bool) -> Decimal {
        let default = Decimal::from_str(default).expect("valid default");
        let Some(raw) = self.optional(name) else {
            return default;
        };
        match Decimal::from_str(&raw) {
            Ok(v) if v >= Decimal::ZERO && (!fraction || v <= Decimal::ONE) => v,
            _ => {
                let expected = if fraction { "a decimal from 0 to 1" } else { "a non-negative decimal" };
                self.problems.push(format!("{name} must be {expected} (got {raw:?})"));
                default
            }
        }
    }

    fn persisted_operations(&mut self) -> PersistedOperations {
        let mode = self.string("PERSISTED_OPERATIONS", "apq").to_ascii_lowercase();
        let manifest = self.optional("PERSISTED_OPERATIONS_MANIFEST");
        match (mode.as_str(), manifest) {
            ("apq", _) => PersistedOperations::Apq,
            ("off", _) => PersistedOperations::Off,
            ("allowlist", Some(path)) => match read_manifest(&path) {
                Ok(manifest) => PersistedOperations::Allowlist(manifest),
                Err(why) => {
                    self.problems.push(format!("PERSISTED_OPERATIONS_MANIFEST {path:?}: {why}"));
                    PersistedOperations::Apq
                }
            },
            ("allowlist", None) => {
                self.problems.push("PERSISTED_OPERATIONS=allowlist needs PERSISTED_OPERATIONS_MANIFEST".into());
                PersistedOperations::Apq
            }
            _ => {
                self.problems.push(format!("PERSISTED_OPERATIONS must be one of apq, allowlist, off (got {mode:?})"));
                PersistedOperations::Apq
            }
        }
    }

    fn cidrs(&mut self, name: &str) -> Vec<Cidr> {
        let raw = self.optional(name).unwrap_or_default();
        let mut nets = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match entry.parse() {
                Ok(net) => nets.push(net),
                Err(why) => self.problems.push(format!("{name}: {why}")),
            }
        }
        nets
    }

    fn currency(&mut self, name: &str, default: &'static str) -> &'static str {
        let raw = self.string(name, default);
        match Currency::parse(&raw) {
            Some(currency) => currency.code,
            None => {
                self.problems.push(format!("{name} must be an upper-case ISO 4217 code such as EUR (got {raw:?})"));
                default
            }
        }
    }

    fn approval_limits(&mut self) -> ApprovalLimits {
        let base_currency = self.currency("BASE_CURRENCY", "EUR");
        let mut limits = vec![(base_currency, self.decimal("INVOICE_APPROVAL_LIMIT", "10000.00", false))];
        let others = self.optional("INVOICE_APPROVAL_LIMITS").unwrap_or_default();
        for entry in others.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let parsed = entry.split_once(':').and_then(|(code, limit)| {
                let currency = Currency::parse(code.trim())?;
                let limit = Decimal::from_str(limit.trim()).ok().filter(|l| *l >= Decimal::ZERO)?;
                Some((currency.code, limit))
            });
            match parsed {
                Some((code, _)) if limits.iter().any(|(c, _)| *c == code) => self.problems.push(format!(
                    "INVOICE_APPROVAL_LIMITS names {code} twice, or the base currency \
                     (whose limit is INVOICE_APPROVAL_LIMIT)"
                )),
                Some(limit) => limits.push(limit),
                None => self.problems.push(format!(
                    "INVOICE_APPROVAL_LIMITS must be CODE:AMOUNT pairs such as USD:11000.00,JPY:1500000 (got {entry:?})"
                )),
            }
        }
        ApprovalLimits { base_currency, limits }
    }

    fn choice<T: Copy>(&mut self, name: &str, default: T, options: &[(&str, T)]) -> T {
        let Some(raw) = self.optional(name) else {
            return default;
        };
        match options.iter().find(|(key, _)| key.eq_ignore_ascii_case(&raw)) {
            Some((_, v)) => *v,
            None => {
                let names: Vec<_> = options.iter().map(|(k, _)| *k).collect();
                self.problems.push(format!("{name} must be one of {} (got {raw:?})", names.join(", ")));
                default
            }
        }
    }
}

/// A manifest `{"<sha256 hex>": "<document>"}`, every key the hash of its document's exact text.
fn read_manifest(path: &str) -> Result<std::collections::HashMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let manifest: std::collections::HashMap<String, String> =
        serde_json::from_str(&text).map_err(|e| format!("not a JSON object of strings: {e}"))?;
    let mut checked = std::collections::HashMap::with_capacity(manifest.len());
    for (hash, document) in manifest {
        let actual = crate::http::persisted::sha256_hex(&document);
        if !hash.eq_ignore_ascii_case(&actual) {
            return Err(format!("{hash} is not the SHA-256 of its document (that is {actual})"));
        }
        checked.insert(actual, document);
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_contract() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.bind_addr, "127.0.0.1:8080");
        assert_eq!(s.metrics_addr.as_deref(), Some("127.0.0.1:9464"));
        assert_eq!(s.access_token_ttl_secs, 900);
        assert_eq!(s.refresh_token_ttl_secs, 14 * 86_400);
        assert_eq!(s.login_max_failures, 5);
        assert_eq!(s.login_lockout_secs, 900);
        assert_eq!(s.login_rate_limit_per_minute, 60);
        assert_eq!(s.approval_limits.base_currency, "EUR");
        assert_eq!(s.approval_limits.limit_for("EUR").unwrap().to_string(), "10000.00");
        assert_eq!(s.approval_limits.limit_for("USD"), None, "no limit unless configured");
        assert_eq!(s.payroll_income_tax_rate.to_string(), "0.15");
        assert_eq!(s.payroll_social_security_rate.to_string(), "0.0635");
        assert_eq!(s.vacation_days_per_year, 22);
        assert_eq!(s.introspection, Introspection::On);
        assert_eq!(s.limits.body_bytes, 1024 * 1024);
        assert_eq!(s.limits.query_bytes, 16 * 1024);
        assert_eq!((s.limits.nesting, s.limits.depth, s.limits.aliases, s.limits.batch), (32, 12, 30, 10));
        assert!(s.cors_allowed_origins.is_empty());
        assert_eq!((s.ws_max_subscriptions, s.ws_max_connections_per_user), (10, 5));
    }

    #[test]
    fn websocket_limits_are_validated() {
        let s = settings(&[("WS_MAX_SUBSCRIPTIONS", "3"), ("WS_MAX_CONNECTIONS_PER_USER", "2")]).unwrap();
        assert_eq!((s.ws_max_subscriptions, s.ws_max_connections_per_user), (3, 2));
        let text = settings(&[("WS_MAX_SUBSCRIPTIONS", "0"), ("WS_MAX_CONNECTIONS_PER_USER", "lots")])
            .unwrap_err()
            .to_string();
        assert!(text.contains("WS_MAX_SUBSCRIPTIONS") && text.contains("WS_MAX_CONNECTIONS_PER_USER"), "{text}");
    }

    #[test]
    fn every_bad_variable_is_reported_at_once() {
        let err = settings(&[
            ("JWT_SECRET", "short"),
            ("LOGIN_MAX_FAILURES", "many"),
            ("GRAPHQL_INTROSPECTION", "sometimes"),
            ("PAYROLL_INCOME_TAX_RATE", "1.5"),
        ])
        .unwrap_err();
        let text = err.to_string();
        for name in ["JWT_SECRET", "LOGIN_MAX_FAILURES", "GRAPHQL_INTROSPECTION", "PAYROLL_INCOME_TAX_RATE"] {
            assert!(text.contains(name), "{name} missing from {text}");
        }
        assert!(!text.contains("short"), "the secret itself must not be echoed: {text}");
    }

    #[test]
    fn cors_origins_are_a_comma_separated_list() {
        let s = settings(&[("CORS_ALLOWED_ORIGINS", "https://a.example, https://b.example,")]).unwrap();
        assert_eq!(s.cors_allowed_origins, ["https://a.example", "https://b.example"]);
    }

    #[test]
    fn a_missing_jwt_secret_is_refused_for_serving() {
        let s = settings(&[]).unwrap();
        assert!(s.require_jwt_secret().is_err());
        let s = settings(&[("JWT_SECRET", &"k".repeat(32))]).unwrap();
        assert!(s.require_jwt_secret().is_ok());
        assert!(!format!("{s:?}").contains("kkkk"), "Debug must not print the secret");
    }

    #[test]
    fn approval_limits_are_per_currency() {
        let s = settings(&[
            ("BASE_CURRENCY", "GBP"),
            ("INVOICE_APPROVAL_LIMIT", "8000"),
            ("INVOICE_APPROVAL_LIMITS", "USD:11000.00, JPY:1500000"),
        ])
        .unwrap();
        let limits = &s.approval_limits;
        assert_eq!(limits.limit_for("GBP"), Some(Decimal::from(8000)));
        assert_eq!(limits.limit_for("USD").unwrap().to_string(), "11000.00");
        assert_eq!(limits.limit_for("JPY"), Some(Decimal::from(1_500_000)));
        assert_eq!(limits.limit_for("EUR"), None);
        for bad in ["USD", "usd:10", "USD:-1", "XYZ:10", "GBP:10", "USD:1,USD:2"] {
            assert!(settings(&[("BASE_CURRENCY", "GBP"), ("INVOICE_APPROVAL_LIMITS", bad)]).is_err(), "{bad}");
        }
        assert!(settings(&[("BASE_CURRENCY", "eur")]).is_err());
    }

    #[test]
    fn audit_checkpoint_settings_default_and_validate() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.audit_origin, "trastienda.example/audit");
        assert_eq!(s.audit_checkpoint_interval_secs, 60);
        assert!(s.audit_signing_key.is_none());

        let (skey, _) = crate::audit::note::generate_key("audit.example").unwrap();
        let s = settings(&[("AUDIT_SIGNING_KEY", &skey), ("AUDIT_CHECKPOINT_INTERVAL_SECS", "5")]).unwrap();
        assert_eq!(s.audit_checkpoint_interval_secs, 5);
        assert!(!format!("{s:?}").contains(&skey), "Debug must not print the signing key");

        // A broken key is refused without being echoed.
        let broken = skey.replacen("PRIVATE", "PRIVATF", 1);
        let err = settings(&[("AUDIT_SIGNING_KEY", &broken)]).unwrap_err().to_string();
        assert!(err.contains("AUDIT_SIGNING_KEY") && !err.contains(&broken[20..]), "{err}");
        let err = settings(&[("AUDIT_CHECKPOINT_INTERVAL_SECS", "0")]).unwrap_err().to_string();
        assert!(err.contains("AUDIT_CHECKPOINT_INTERVAL_SECS"), "{err}");
    }

    #[test]
    fn metrics_can_be_moved_or_disabled_but_never_share_the_api_listener() {
        assert_eq!(settings(&[("METRICS_ADDR", "")]).unwrap().metrics_addr, None);
        assert_eq!(
            settings(&[("METRICS_ADDR", "0.0.0.0:9100")]).unwrap().metrics_addr.as_deref(),
            Some("0.0.0.0:9100")
        );
        assert!(settings(&[("METRICS_ADDR", "localhost")]).is_err());
        assert!(settings(&[("METRICS_ADDR", "127.0.0.1:8080")]).is_err(), "the API's own address");
        assert!(settings(&[("METRICS_ADDR", "127.0.0.1:9000"), ("BIND_ADDR", "127.0.0.1:9000")]).is_err());
    }

    #[test]
    fn persisted_operations_default_to_apq_and_an_allow_list_needs_a_valid_manifest() {
        assert_eq!(settings(&[]).unwrap().persisted_operations, PersistedOperations::Apq);
        assert_eq!(
            settings(&[("PERSISTED_OPERATIONS", "off")]).unwrap().persisted_operations,
            PersistedOperations::Off
        );
        assert!(settings(&[("PERSISTED_OPERATIONS", "allowlist")]).is_err(), "no manifest");
        let dir = std::env::temp_dir().join(format!("trastienda-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.json");
        let doc = "{ me { id } }";
        std::fs::write(&good, serde_json::json!({ crate::http::persisted::sha256_hex(doc): doc }).to_string()).unwrap();
        let s = settings(&[
            ("PERSISTED_OPERATIONS", "allowlist"),
            ("PERSISTED_OPERATIONS_MANIFEST", good.to_str().unwrap()),
        ]);
        assert!(matches!(s.unwrap().persisted_operations, PersistedOperations::Allowlist(m) if m.len() == 1));
        let bad = dir.join("bad.json");
        std::fs::write(&bad, serde_json::json!({ "0".repeat(64): doc }).to_string()).unwrap();
        let err = settings(&[
            ("PERSISTED_OPERATIONS", "allowlist"),
            ("PERSISTED_OPERATIONS_MANIFEST", bad.to_str().unwrap()),
        ]);
        assert!(err.unwrap_err().to_string().contains("not the SHA-256"));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn bootstrap_admin_needs_both_variables() {
        assert!(settings(&[("BOOTSTRAP_ADMIN_EMAIL", "a@b.c")]).is_err());
    }
}
