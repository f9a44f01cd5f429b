//! Typed settings, read from `GATEHOUSE_*` environment variables and `DATABASE_URL`.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;

/// Everything the service can be configured with. Defaults suit a local,
/// zero-setup run on an embedded SQLite file.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://PATH` (default `sqlite://gatehouse.db`).
    pub database_url: String,
    /// `GATEHOUSE_ADDR`: where the HTTP server listens.
    pub addr: SocketAddr,
    /// `GATEHOUSE_ACCESS_TOKEN_TTL` (seconds): lifetime of an access token.
    pub access_token_ttl: Duration,
    /// `GATEHOUSE_REFRESH_TOKEN_TTL` (seconds): lifetime of a refresh token,
    /// and the keep-alive window after a password login.
    pub refresh_token_ttl: Duration,
    /// `GATEHOUSE_ARGON2_MEMORY_KIB`, `_ITERATIONS`, `_PARALLELISM`.
    pub argon2: Argon2Config,
    /// `GATEHOUSE_HASH_CONCURRENCY`: password hashes run at once (default: cores).
    pub hash_concurrency: usize,
    /// `GATEHOUSE_MAX_BODY_BYTES`: largest request body accepted.
    pub max_body_bytes: usize,
    /// `GATEHOUSE_DB_MAX_CONNECTIONS`: size of the database read pool.
    pub db_max_connections: u32,
    /// `GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS`: how long a request waits for a connection.
    pub db_acquire_timeout: Duration,
    /// `GATEHOUSE_SQLITE_SYNCHRONOUS`: `normal` (default; survives a process
    /// crash) or `full` (also survives power loss, slower writes).
    pub sqlite_synchronous_full: bool,
    /// `GATEHOUSE_GRAPHQL_MAX_DEPTH`, `_MAX_FIELDS`, `_MAX_ALIASES`,
    /// `_MAX_PASSWORD_CHECKS`, `_MAX_INTROSPECTION_FIELDS`,
    /// `_MAX_INTROSPECTION_ALIASES`: limits on one GraphQL request.
    pub graphql_limits: GraphqlLimits,
    /// `GATEHOUSE_PASSWORD_MIN_SCORE`: minimum zxcvbn strength (0-4) of a
    /// new password; 0 turns the estimate off (length rules still apply).
    pub password_min_score: u8,
    /// `GATEHOUSE_SIGNING_KEY` (a PASERK `k4.secret.…` string) or
    /// `GATEHOUSE_SIGNING_KEY_FILE` (a file holding one): sign with this key
    /// instead of one stored in the database. Redacted in `Debug`.
    pub signing_key: Option<SecretString>,
    /// `GATEHOUSE_KEY_ENCRYPTION_KEY` (32 random bytes, unpadded base64url)
    /// or `GATEHOUSE_KEY_ENCRYPTION_KEY_FILE` (a file holding one): seals the
    /// private keys stored in the database. None: they are stored in the
    /// clear. Redacted in `Debug`.
    pub key_encryption_key: Option<SecretString>,
    /// `GATEHOUSE_KEY_ENCRYPTION_KEY_OLD` (or `_OLD_FILE`): the previous
    /// encryption key, which still opens keys sealed under it, while
    /// `gatehouse keys reseal` moves them to the new one. Redacted in `Debug`.
    pub key_encryption_key_old: Option<SecretString>,
    /// The files secrets were read from (`GATEHOUSE_*_FILE`), by setting:
    /// `config check` and start-up warn when others may read them.
    pub secret_files: Vec<(&'static str, std::path::PathBuf)>,
    /// `GATEHOUSE_KEY_RELOAD_SECS`: how often the key ring is re-read, so a
    /// key rotated by another process starts signing here.
    pub key_reload_interval: Duration,
    /// Login and sign-up throttling (`GATEHOUSE_LOGIN_*`, `GATEHOUSE_SIGNUP_*`).
    pub throttle: ThrottleLimits,
    /// `GATEHOUSE_TRUSTED_PROXIES`: comma-separated addresses of reverse
    /// proxies whose `X-Forwarded-For` is believed. Empty: use the socket peer.
    pub trusted_proxies: Vec<IpAddr>,
    /// `GATEHOUSE_CORS_ORIGINS`: comma-separated origins (e.g.
    /// `https://app.example.com`) allowed to call from a browser. Empty: CORS off.
    pub cors_origins: Vec<String>,
    /// `GATEHOUSE_METRICS_ADDR`: a second listener (e.g. `127.0.0.1:9100`)
    /// that serves only `GET /metrics`; when set, the main listener does not
    /// serve it. None: `/metrics` is on `GATEHOUSE_ADDR`.
    pub metrics_addr: Option<SocketAddr>,
    /// `GATEHOUSE_METRICS_TOKEN`: when set, `GET /metrics` (wherever it is
    /// served) answers only `Authorization: Bearer <this token>`. Redacted
    /// in `Debug`.
    pub metrics_token: Option<SecretString>,
    /// `GATEHOUSE_LOG_FORMAT`: `text` (default, for people) or `json` (one
    /// object per line, for log collectors).
    pub log_json: bool,
    /// Connection cap, read deadlines and shutdown grace (`GATEHOUSE_MAX_CONNECTIONS`,
    /// `GATEHOUSE_*_TIMEOUT_SECS`, `GATEHOUSE_SHUTDOWN_GRACE_SECS`).
    pub http: HttpLimits,
}

/// Defences against slow and greedy clients (see `listener`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// Connections open at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// A request's head (request line and headers) must arrive whole within
    /// this much of its first byte.
    pub header_read_timeout: Duration,
    /// A request's body must arrive whole within this much of the handler
    /// starting to read it.
    pub body_read_timeout: Duration,
    /// A connection with no request in flight closes after this long.
    pub idle_timeout: Duration,
    /// At shutdown (SIGTERM, Ctrl-C), how long in-flight requests get to finish.
    pub shutdown_grace: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Throttling limits; windows in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleLimits {
    /// Failed logins per account per window.
    pub login_failures_per_account: i64,
    /// Failed logins per client address per window.
    pub login_failures_per_address: i64,
    /// Seconds in a login window.
    pub login_window: i64,
    /// Sign-up attempts per client address per window.
    pub sign_ups_per_address: i64,
    /// Seconds in a sign-up window.
    pub sign_up_window: i64,
}

impl Default for ThrottleLimits {
    /// In the spirit of OWASP ASVS 2.2.1: at most 40 failures an hour per account.
    fn default() -> Self {
        Self {
            login_failures_per_account: 10,
            login_failures_per_address: 100,
            login_window: 15 * 60,
            sign_ups_per_address: 20,
            sign_up_window: 3600,
        }
    }
}

/// Limits on one GraphQL operation. Introspection (`__schema`, `__type` and
/// everything below them) has its own, larger caps instead of the depth,
/// field and alias limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphqlLimits {
    pub max_depth: usize,
    pub max_fields: usize,
    pub max_aliases: usize,
    /// Password-checking fields per request (`tokenAuth`, sign-up,
    /// `changePassword`): each costs an argon2 hash.
    pub max_password_checks: usize,
    /// Introspection fields per operation (GraphiQL's full introspection
    /// query selects about 240 once its fragments are expanded).
    pub max_introspection_fields: usize,
    /// Aliased introspection fields per operation: each alias of `__schema`
    /// answers the schema once more.
    pub max_introspection_aliases: usize,
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_fields: 200,
            max_aliases: 30,
            max_password_checks: 1,
            max_introspection_fields: 500,
            max_introspection_aliases: 30,
        }
    }
}

/// Cost parameters of argon2id password hashing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Config {
    /// OWASP's recommendation for argon2id: m=19456 KiB, t=2, p=1.
    fn default() -> Self {
        Self {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://gatehouse.db".into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            access_token_ttl: Duration::from_secs(5 * 60),
            refresh_token_ttl: Duration::from_secs(7 * 24 * 3600),
            argon2: Argon2Config::default(),
            hash_concurrency: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            max_body_bytes: 64 * 1024,
            db_max_connections: 8,
            db_acquire_timeout: Duration::from_secs(3),
            sqlite_synchronous_full: false,
            graphql_limits: GraphqlLimits::default(),
            password_min_score: 3,
            signing_key: None,
            key_encryption_key: None,
            key_encryption_key_old: None,
            secret_files: Vec::new(),
            key_reload_interval: Duration::from_secs(30),
            throttle: ThrottleLimits::default(),
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            metrics_addr: None,
            metrics_token: None,
            log_json: false,
            http: HttpLimits::default(),
        }
    }
}

/// A setting that could not be used, with the variable's name.
#[derive(Debug, thiserror::Error)]
#[error("invalid value for {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

/// Every setting's environment variable. In a TOML file (`--config`) the
/// same settings are keys without the `GATEHOUSE_` prefix, in lower case
/// (`database_url`, `addr`, `access_token_ttl`, …).
pub const SETTINGS: &[&str] = &[
    "DATABASE_URL",
    "GATEHOUSE_ADDR",
    "GATEHOUSE_ACCESS_TOKEN_TTL",
    "GATEHOUSE_REFRESH_TOKEN_TTL",
    "GATEHOUSE_ARGON2_MEMORY_KIB",
    "GATEHOUSE_ARGON2_ITERATIONS",
    "GATEHOUSE_ARGON2_PARALLELISM",
    "GATEHOUSE_HASH_CONCURRENCY",
    "GATEHOUSE_PASSWORD_MIN_SCORE",
    "GATEHOUSE_MAX_BODY_BYTES",
    "GATEHOUSE_DB_MAX_CONNECTIONS",
    "GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS",
    "GATEHOUSE_SQLITE_SYNCHRONOUS",
    "GATEHOUSE_GRAPHQL_MAX_DEPTH",
    "GATEHOUSE_GRAPHQL_MAX_FIELDS",
    "GATEHOUSE_GRAPHQL_MAX_ALIASES",
    "GATEHOUSE_GRAPHQL_MAX_PASSWORD_CHECKS",
    "GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_FIELDS",
    "GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_ALIASES",
    "GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS",
    "GATEHOUSE_LOGIN_WINDOW_SECS",
    "GATEHOUSE_SIGNUP_MAX_PER_ADDRESS",
    "GATEHOUSE_SIGNUP_WINDOW_SECS",
    "GATEHOUSE_TRUSTED_PROXIES",
    "GATEHOUSE_CORS_ORIGINS",
    "GATEHOUSE_METRICS_ADDR",
    "GATEHOUSE_METRICS_TOKEN",
    "GATEHOUSE_SIGNING_KEY",
    "GATEHOUSE_SIGNING_KEY_FILE",
    "GATEHOUSE_KEY_ENCRYPTION_KEY",
    "GATEHOUSE_KEY_ENCRYPTION_KEY_FILE",
    "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD",
    "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD_FILE",
    "GATEHOUSE_KEY_RELOAD_SECS",
    "GATEHOUSE_LOG_FORMAT",
    "GATEHOUSE_MAX_CONNECTIONS",
    "GATEHOUSE_HEADER_READ_TIMEOUT_SECS",
    "GATEHOUSE_BODY_READ_TIMEOUT_SECS",
    "GATEHOUSE_IDLE_TIMEOUT_SECS",
    "GATEHOUSE_SHUTDOWN_GRACE_SECS",
];

/// The TOML key of a setting: its variable without `GATEHOUSE_`, lower case.
pub fn file_key(setting: &str) -> String {
    setting
        .strip_prefix("GATEHOUSE_")
        .unwrap_or(setting)
        .to_ascii_lowercase()
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration from an optional TOML file and the
    /// environment; the environment wins.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let table = match file {
            None => toml::Table::new(),
            Some(path) => read_file(path)?,
        };
        Self::from_lookup(|name| {
            std::env::var(name)
                .ok()
                .or_else(|| table.get(&file_key(name)).map(toml_to_setting))
        })
    }

    /// The effective settings, one `NAME = value` per line, secrets redacted.
    pub fn describe(&self) -> String {
        let c = self;
        let t = &c.throttle;
        let g = &c.graphql_limits;
        let list = |v: &[String]| v.join(",");
        let rows: Vec<(&str, String)> = vec![
            ("DATABASE_URL", redact_url(&c.database_url)),
            ("GATEHOUSE_ADDR", c.addr.to_string()),
            (
                "GATEHOUSE_ACCESS_TOKEN_TTL",
                c.access_token_ttl.as_secs().to_string(),
            ),
            (
                "GATEHOUSE_REFRESH_TOKEN_TTL",
                c.refresh_token_ttl.as_secs().to_string(),
            ),
            (
                "GATEHOUSE_ARGON2_MEMORY_KIB",
                c.argon2.memory_kib.to_string(),
            ),
            (
                "GATEHOUSE_ARGON2_ITERATIONS",
                c.argon2.iterations.to_string(),
            ),
            (
                "GATEHOUSE_ARGON2_PARALLELISM",
                c.argon2.parallelism.to_string(),
            ),
            ("GATEHOUSE_HASH_CONCURRENCY", c.hash_concurrency.to_string()),
            (
                "GATEHOUSE_PASSWORD_MIN_SCORE",
                c.password_min_score.to_string(),
            ),
            ("GATEHOUSE_MAX_BODY_BYTES", c.max_body_bytes.to_string()),
            (
                "GATEHOUSE_DB_MAX_CONNECTIONS",
                c.db_max_connections.to_string(),
            ),
            (
                "GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS",
                c.db_acquire_timeout.as_millis().to_string(),
            ),
            (
                "GATEHOUSE_SQLITE_SYNCHRONOUS",
                if c.sqlite_synchronous_full {
                    "full"
                } else {
                    "normal"
                }
                .into(),
            ),
            ("GATEHOUSE_GRAPHQL_MAX_DEPTH", g.max_depth.to_string()),
            ("GATEHOUSE_GRAPHQL_MAX_FIELDS", g.max_fields.to_string()),
            ("GATEHOUSE_GRAPHQL_MAX_ALIASES", g.max_aliases.to_string()),
            (
                "GATEHOUSE_GRAPHQL_MAX_PASSWORD_CHECKS",
                g.max_password_checks.to_string(),
            ),
            (
                "GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_FIELDS",
                g.max_introspection_fields.to_string(),
            ),
            (
                "GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_ALIASES",
                g.max_introspection_aliases.to_string(),
            ),
            (
                "GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT",
                t.login_failures_per_account.to_string(),
            ),
            (
                "GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS",
                t.login_failures_per_address.to_string(),
            ),
            ("GATEHOUSE_LOGIN_WINDOW_SECS", t.login_window.to_string()),
            (
                "GATEHOUSE_SIGNUP_MAX_PER_ADDRESS",
                t.sign_ups_per_address.to_string(),
            ),
            ("GATEHOUSE_SIGNUP_WINDOW_SECS", t.sign_up_window.to_string()),
            (
                "GATEHOUSE_TRUSTED_PROXIES",
                c.trusted_proxies
                    .iter()
                    .map(|ip| ip.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("GATEHOUSE_CORS_ORIGINS", list(&c.cors_origins)),
            (
                "GATEHOUSE_METRICS_ADDR",
                match c.metrics_addr {
                    Some(a) => a.to_string(),
                    None => "(none: /metrics on GATEHOUSE_ADDR)".into(),
                },
            ),
            (
                "GATEHOUSE_METRICS_TOKEN",
                if c.metrics_token.is_some() {
                    "<redacted>"
                } else {
                    "(none: /metrics needs no token)"
                }
                .into(),
            ),
            (
                "GATEHOUSE_SIGNING_KEY",
                if c.signing_key.is_some() {
                    "<redacted>"
                } else {
                    "(none: keys in the database)"
                }
                .into(),
            ),
            (
                "GATEHOUSE_KEY_ENCRYPTION_KEY",
                if c.key_encryption_key.is_some() {
                    "<redacted>"
                } else {
                    "(none: private keys in the database are stored in the clear)"
                }
                .into(),
            ),
            (
                "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD",
                if c.key_encryption_key_old.is_some() {
                    "<redacted>"
                } else {
                    "(none)"
                }
                .into(),
            ),
            (
                "GATEHOUSE_KEY_RELOAD_SECS",
                c.key_reload_interval.as_secs().to_string(),
            ),
            (
                "GATEHOUSE_LOG_FORMAT",
                if c.log_json { "json" } else { "text" }.into(),
            ),
            (
                "GATEHOUSE_MAX_CONNECTIONS",
                c.http.max_connections.to_string(),
            ),
            (
                "GATEHOUSE_HEADER_READ_TIMEOUT_SECS",
                c.http.header_read_timeout.as_secs().to_string(),
            ),
            (
                "GATEHOUSE_BODY_READ_TIMEOUT_SECS",
                c.http.body_read_timeout.as_secs().to_string(),
            ),
            (
                "GATEHOUSE_IDLE_TIMEOUT_SECS",
                c.http.idle_timeout.as_secs().to_string(),
            ),
            (
                "GATEHOUSE_SHUTDOWN_GRACE_SECS",
                c.http.shutdown_grace.as_secs().to_string(),
            ),
        ];
        rows.iter().map(|(k, v)| format!("{k} = {v}\n")).collect()
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = Self::default();
        let get = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty());
        let secs = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => match parse::<u64>(name, &v)? {
                    0 => Err(ConfigError {
                        name,
                        reason: "must be at least 1 second".into(),
                    }),
                    n => Ok(Duration::from_secs(n)),
                },
            }
        };
        let num =
            |name: &'static str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
                let n = match get(name) {
                    None => return Ok(default),
                    Some(v) => parse::<u64>(name, &v)?,
                };
                if n < min || n > max {
                    return Err(ConfigError {
                        name,
                        reason: format!("must be between {min} and {max}, got {n}"),
                    });
                }
                Ok(n)
            };
        let argon2 = Argon2Config {
            memory_kib: num(
                "GATEHOUSE_ARGON2_MEMORY_KIB",
                d.argon2.memory_kib.into(),
                8,
                4 * 1024 * 1024,
            )? as u32,
            iterations: num(
                "GATEHOUSE_ARGON2_ITERATIONS",
                d.argon2.iterations.into(),
                1,
                100,
            )? as u32,
            parallelism: num(
                "GATEHOUSE_ARGON2_PARALLELISM",
                d.argon2.parallelism.into(),
                1,
                64,
            )? as u32,
        };
        if u64::from(argon2.memory_kib) < 8 * u64::from(argon2.parallelism) {
            return Err(ConfigError {
                name: "GATEHOUSE_ARGON2_MEMORY_KIB",
                reason: "must be at least 8 KiB per lane of parallelism".into(),
            });
        }
        let sqlite_synchronous_full = match get("GATEHOUSE_SQLITE_SYNCHRONOUS").as_deref() {
            None => d.sqlite_synchronous_full,
            Some(v) if v.eq_ignore_ascii_case("normal") => false,
            Some(v) if v.eq_ignore_ascii_case("full") => true,
            Some(v) => {
                return Err(ConfigError {
                    name: "GATEHOUSE_SQLITE_SYNCHRONOUS",
                    reason: format!("expected `normal` or `full`, got `{v}`"),
                })
            }
        };
        let addr = match get("GATEHOUSE_ADDR") {
            None => d.addr,
            Some(v) => parse::<SocketAddr>("GATEHOUSE_ADDR", &v)?,
        };
        Ok(Self {
            database_url: get("DATABASE_URL").unwrap_or(d.database_url),
            addr,
            access_token_ttl: secs("GATEHOUSE_ACCESS_TOKEN_TTL", d.access_token_ttl)?,
            refresh_token_ttl: secs("GATEHOUSE_REFRESH_TOKEN_TTL", d.refresh_token_ttl)?,
            argon2,
            hash_concurrency: num(
                "GATEHOUSE_HASH_CONCURRENCY",
                d.hash_concurrency as u64,
                1,
                1024,
            )? as usize,
            max_body_bytes: num(
                "GATEHOUSE_MAX_BODY_BYTES",
                d.max_body_bytes as u64,
                1024,
                16 * 1024 * 1024,
            )? as usize,
            db_max_connections: num(
                "GATEHOUSE_DB_MAX_CONNECTIONS",
                d.db_max_connections.into(),
                1,
                1000,
            )? as u32,
            db_acquire_timeout: Duration::from_millis(num(
                "GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS",
                d.db_acquire_timeout.as_millis() as u64,
                10,
                600_000,
            )?),
            sqlite_synchronous_full,
            signing_key: signing_key(
                get("GATEHOUSE_SIGNING_KEY"),
                get("GATEHOUSE_SIGNING_KEY_FILE"),
            )?,
            key_encryption_key: encryption_key(
                "GATEHOUSE_KEY_ENCRYPTION_KEY",
                get("GATEHOUSE_KEY_ENCRYPTION_KEY"),
                "GATEHOUSE_KEY_ENCRYPTION_KEY_FILE",
                get("GATEHOUSE_KEY_ENCRYPTION_KEY_FILE"),
            )?,
            key_encryption_key_old: encryption_key(
                "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD",
                get("GATEHOUSE_KEY_ENCRYPTION_KEY_OLD"),
                "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD_FILE",
                get("GATEHOUSE_KEY_ENCRYPTION_KEY_OLD_FILE"),
            )?,
            secret_files: [
                "GATEHOUSE_SIGNING_KEY_FILE",
                "GATEHOUSE_KEY_ENCRYPTION_KEY_FILE",
                "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD_FILE",
            ]
            .into_iter()
            .filter_map(|name| get(name).map(|p| (name, p.trim().into())))
            .collect(),
            key_reload_interval: secs("GATEHOUSE_KEY_RELOAD_SECS", d.key_reload_interval)?,
            throttle: ThrottleLimits {
                login_failures_per_account: num(
                    "GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT",
                    d.throttle.login_failures_per_account as u64,
                    1,
                    1_000_000,
                )? as i64,
                login_failures_per_address: num(
                    "GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS",
                    d.throttle.login_failures_per_address as u64,
                    1,
                    1_000_000,
                )? as i64,
                login_window: secs(
                    "GATEHOUSE_LOGIN_WINDOW_SECS",
                    Duration::from_secs(d.throttle.login_window as u64),
                )?
                .as_secs() as i64,
                sign_ups_per_address: num(
                    "GATEHOUSE_SIGNUP_MAX_PER_ADDRESS",
                    d.throttle.sign_ups_per_address as u64,
                    1,
                    1_000_000,
                )? as i64,
                sign_up_window: secs(
                    "GATEHOUSE_SIGNUP_WINDOW_SECS",
                    Duration::from_secs(d.throttle.sign_up_window as u64),
                )?
                .as_secs() as i64,
            },
            http: HttpLimits {
                max_connections: num(
                    "GATEHOUSE_MAX_CONNECTIONS",
                    d.http.max_connections as u64,
                    1,
                    1_000_000,
                )? as usize,
                header_read_timeout: secs(
                    "GATEHOUSE_HEADER_READ_TIMEOUT_SECS",
                    d.http.header_read_timeout,
                )?,
                body_read_timeout: secs(
                    "GATEHOUSE_BODY_READ_TIMEOUT_SECS",
                    d.http.body_read_timeout,
                )?,
                idle_timeout: secs("GATEHOUSE_IDLE_TIMEOUT_SECS", d.http.idle_timeout)?,
                shutdown_grace: secs("GATEHOUSE_SHUTDOWN_GRACE_SECS", d.http.shutdown_grace)?,
            },
            log_json: match get("GATEHOUSE_LOG_FORMAT").as_deref() {
                None => d.log_json,
                Some(v) if v.eq_ignore_ascii_case("text") => false,
                Some(v) if v.eq_ignore_ascii_case("json") => true,
                Some(v) => {
                    return Err(ConfigError {
                        name: "GATEHOUSE_LOG_FORMAT",
                        reason: format!("expected `text` or `json`, got `{v}`"),
                    })
                }
            },
            cors_origins: match get("GATEHOUSE_CORS_ORIGINS") {
                None => Vec::new(),
                Some(v) => v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(cors_origin)
                    .collect::<Result<_, _>>()?,
            },
            metrics_addr: match get("GATEHOUSE_METRICS_ADDR") {
                None => None,
                Some(v) => Some(parse::<SocketAddr>("GATEHOUSE_METRICS_ADDR", &v)?),
            },
            metrics_token: get("GATEHOUSE_METRICS_TOKEN")
                .map(metrics_token)
                .transpose()?,
            trusted_proxies: match get("GATEHOUSE_TRUSTED_PROXIES") {
                None => Vec::new(),
                Some(v) => v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| parse::<IpAddr>("GATEHOUSE_TRUSTED_PROXIES", s))
                    .collect::<Result<_, _>>()?,
            },
            password_min_score: num(
                "GATEHOUSE_PASSWORD_MIN_SCORE",
                d.password_min_score.into(),
                0,
                4,
            )? as u8,
            graphql_limits: GraphqlLimits {
                max_depth: num(
                    "GATEHOUSE_GRAPHQL_MAX_DEPTH",
                    d.graphql_limits.max_depth as u64,
                    1,
                    1000,
                )? as usize,
                max_fields: num(
                    "GATEHOUSE_GRAPHQL_MAX_FIELDS",
                    d.graphql_limits.max_fields as u64,
                    1,
                    100_000,
                )? as usize,
                max_aliases: num(
                    "GATEHOUSE_GRAPHQL_MAX_ALIASES",
                    d.graphql_limits.max_aliases as u64,
                    0,
                    10_000,
                )? as usize,
                max_password_checks: num(
                    "GATEHOUSE_GRAPHQL_MAX_PASSWORD_CHECKS",
                    d.graphql_limits.max_password_checks as u64,
                    1,
                    100,
                )? as usize,
                max_introspection_fields: num(
                    "GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_FIELDS",
                    d.graphql_limits.max_introspection_fields as u64,
                    1,
                    100_000,
                )? as usize,
                max_introspection_aliases: num(
                    "GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_ALIASES",
                    d.graphql_limits.max_introspection_aliases as u64,
                    0,
                    10_000,
                )? as usize,
            },
        })
    }
}

fn read_file(path: &std::path::Path) -> Result<toml::Table, ConfigError> {
    let err = |reason: String| ConfigError {
        name: "--config",
        reason: format!("{}: {reason}", path.display()),
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| err(e.message().to_owned()))?;
    for key in table.keys() {
        if !SETTINGS.iter().any(|s| file_key(s) == *key) {
            return Err(err(format!("unknown setting `{key}`")));
        }
    }
    Ok(table)
}

/// A TOML value as the string an environment variable would hold.
fn toml_to_setting(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) => items
            .iter()
            .map(toml_to_setting)
            .collect::<Vec<_>>()
            .join(","),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        // A table is never a setting; an empty value fails its parser.
        toml::Value::Table(_) => String::new(),
    }
}

/// A database URL with its password hidden: everything between the user
/// name and the *last* `@` (a password may hold `@`, `/` or `?`; cutting at
/// the last `@` errs towards hiding more), and any `password=` query
/// parameter.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (credentials, host) = match rest.rsplit_once('@') {
        Some((c, h)) => (Some(c), h),
        None => (None, rest),
    };
    let credentials = credentials.map(|c| match c.split_once(':') {
        Some((user, _)) => format!("{user}:<redacted>@"),
        None => format!("{c}@"),
    });
    let host = match host.split_once('?') {
        Some((h, q)) => {
            let q: Vec<String> = q
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => {
                        format!("{k}=<redacted>")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{h}?{}", q.join("&"))
        }
        None => host.to_owned(),
    };
    format!("{scheme}://{}{host}", credentials.unwrap_or_default())
}

/// An origin as browsers send it: scheme and host (and port), no path, and
/// never the wildcard (an auth service must not be callable from any site).
fn cors_origin(s: &str) -> Result<String, ConfigError> {
    let err = |reason: &str| ConfigError {
        name: "GATEHOUSE_CORS_ORIGINS",
        reason: format!("`{s}`: {reason}"),
    };
    if s == "*" {
        return Err(err("a wildcard is not allowed; list the origins"));
    }
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| err("an origin starts with https:// or http://"))?;
    if rest.is_empty() || rest.contains('/') {
        return Err(err("an origin has no path, e.g. https://app.example.com"));
    }
    Ok(s.to_owned())
}

/// The bearer token `/metrics` asks for: long enough not to be guessed, and
/// sendable in a header as it is. The error never shows the value.
fn metrics_token(value: String) -> Result<SecretString, ConfigError> {
    let token = value.trim();
    let err = |reason: &str| ConfigError {
        name: "GATEHOUSE_METRICS_TOKEN",
        reason: reason.into(),
    };
    if token.len() < 16 {
        return Err(err(
            "use at least 16 characters (e.g. `openssl rand -hex 32`)",
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(err("use printable ASCII characters without spaces"));
    }
    Ok(SecretString::from(token.to_owned()))
}

/// The deployment-supplied signing key, from the variable or the file.
fn signing_key(
    value: Option<String>,
    file: Option<String>,
) -> Result<Option<SecretString>, ConfigError> {
    match (value, file) {
        (Some(_), Some(_)) => Err(ConfigError {
            name: "GATEHOUSE_SIGNING_KEY",
            reason: "set either GATEHOUSE_SIGNING_KEY or GATEHOUSE_SIGNING_KEY_FILE, not both"
                .into(),
        }),
        (Some(v), None) => Ok(Some(SecretString::from(v.trim().to_owned()))),
        (None, Some(path)) => match std::fs::read_to_string(&path) {
            // Only its shape here (never its content in the message): a
            // file that is not a key is a configuration error, exit 2.
            Ok(v) if is_secret_paserk(v.trim()) => Ok(Some(SecretString::from(v.trim().to_owned()))),
            Ok(_) => Err(ConfigError {
                name: "GATEHOUSE_SIGNING_KEY_FILE",
                reason: format!(
                    "{path} does not hold a PASERK k4.secret key (make one with `gatehouse keys generate`)"
                ),
            }),
            Err(e) => Err(ConfigError {
                name: "GATEHOUSE_SIGNING_KEY_FILE",
                reason: format!("cannot read {path}: {e}"),
            }),
        },
        (None, None) => Ok(None),
    }
}

fn is_secret_paserk(s: &str) -> bool {
    use pasetors::keys::AsymmetricSecretKey;
    AsymmetricSecretKey::<pasetors::version4::V4>::try_from(s).is_ok()
}

/// A key-encryption key, from the variable or the file, checked for its
/// format (the error never shows the value).
fn encryption_key(
    name: &'static str,
    value: Option<String>,
    file_name: &'static str,
    file: Option<String>,
) -> Result<Option<SecretString>, ConfigError> {
    let (name, text) = match (value, file) {
        (Some(_), Some(_)) => {
            return Err(ConfigError {
                name,
                reason: format!("set either {name} or {file_name}, not both"),
            })
        }
        (Some(v), None) => (name, v),
        (None, Some(path)) => match std::fs::read_to_string(path.trim()) {
            Ok(v) => (file_name, v),
            Err(e) => {
                return Err(ConfigError {
                    name: file_name,
                    reason: format!("cannot read {}: {e}", path.trim()),
                })
            }
        },
        (None, None) => return Ok(None),
    };
    let text = secrecy::zeroize::Zeroizing::new(text);
    crate::auth::keys::EncryptionKey::parse(&text).map_err(|e| ConfigError {
        name,
        reason: e.into(),
    })?;
    Ok(Some(SecretString::from(text.trim().to_owned())))
}

fn parse<T: FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|e: T::Err| ConfigError {
        name,
        reason: format!("`{value}`: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn an_empty_environment_gives_the_documented_defaults() {
        let c = from(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://gatehouse.db");
        assert_eq!(c.addr.to_string(), "127.0.0.1:8000");
        assert_eq!(c.access_token_ttl, Duration::from_secs(300));
        assert_eq!(c.refresh_token_ttl, Duration::from_secs(604800));
        assert_eq!(
            c.argon2,
            Argon2Config {
                memory_kib: 19456,
                iterations: 2,
                parallelism: 1
            }
        );
    }

    #[test]
    fn a_bad_address_names_the_variable() {
        let e = from(&[("GATEHOUSE_ADDR", "nowhere")]).unwrap_err();
        assert_eq!(e.name, "GATEHOUSE_ADDR");
        assert!(e.to_string().contains("nowhere"));
    }

    #[test]
    fn debug_output_never_shows_the_signing_key() {
        let c = from(&[("GATEHOUSE_SIGNING_KEY", "k4.secret.TOP-SECRET-MATERIAL")]).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("TOP-SECRET"), "{shown}");
        assert!(c.signing_key.is_some());
    }

    #[test]
    fn a_file_supplies_settings_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.toml");
        std::fs::write(
            &path,
            "addr = \"127.0.0.1:9999\"\naccess_token_ttl = 60\ncors_origins = [\"https://a.example\", \"https://b.example\"]\n",
        )
        .unwrap();
        let c = Config::load(Some(&path)).unwrap();
        assert_eq!(c.access_token_ttl, Duration::from_secs(60));
        assert_eq!(c.cors_origins.len(), 2);
        // GATEHOUSE_ADDR is not set in the test environment, so the file's value holds.
        if std::env::var("GATEHOUSE_ADDR").is_err() {
            assert_eq!(c.addr.to_string(), "127.0.0.1:9999");
        }
    }

    #[test]
    fn an_unknown_key_or_bad_toml_in_the_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.toml");
        std::fs::write(&path, "acces_token_ttl = 60\n").unwrap();
        let e = Config::load(Some(&path)).unwrap_err();
        assert!(
            e.to_string().contains("unknown setting `acces_token_ttl`"),
            "{e}"
        );
        std::fs::write(&path, "addr = \n").unwrap();
        assert_eq!(Config::load(Some(&path)).unwrap_err().name, "--config");
        assert!(Config::load(Some(&dir.path().join("missing.toml"))).is_err());
    }

    #[test]
    fn a_signing_key_file_that_holds_no_key_is_refused_without_showing_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "not-a-key SECRET-LOOKING").unwrap();
        let path = path.display().to_string();
        let err = from(&[("GATEHOUSE_SIGNING_KEY_FILE", path.as_str())]).unwrap_err();
        assert_eq!(err.name, "GATEHOUSE_SIGNING_KEY_FILE");
        assert!(err.reason.contains("PASERK"), "{err}");
        assert!(!err.to_string().contains("SECRET-LOOKING"), "{err}");
        let key = crate::auth::keys::generate_paserk_secret().unwrap();
        std::fs::write(dir.path().join("key"), format!("{key}\n")).unwrap();
        assert!(from(&[("GATEHOUSE_SIGNING_KEY_FILE", path.as_str())]).is_ok());
    }

    #[test]
    fn the_description_lists_every_setting_and_redacts_secrets() {
        let c = from(&[
            ("DATABASE_URL", "postgres://gh:hunter2@db/gh"),
            ("GATEHOUSE_SIGNING_KEY", "k4.secret.TOP-SECRET"),
        ])
        .unwrap();
        let d = c.describe();
        for s in SETTINGS.iter().filter(|s| !s.ends_with("_FILE")) {
            assert!(d.contains(&format!("{s} = ")), "{s} missing from\n{d}");
        }
        assert!(!d.contains("hunter2") && !d.contains("TOP-SECRET"), "{d}");
        assert!(d.contains("postgres://gh:<redacted>@db/gh"), "{d}");
        for (url, shown) in [
            ("postgres://gh:p@ss@db/gh", "postgres://gh:<redacted>@db/gh"),
            (
                "postgres://gh:p/a?s@s@db:5/gh",
                "postgres://gh:<redacted>@db:5/gh",
            ),
            (
                "postgres://db/gh?user=gh&password=s3cret&sslmode=require",
                "postgres://db/gh?user=gh&password=<redacted>&sslmode=require",
            ),
            ("sqlite://gatehouse.db", "sqlite://gatehouse.db"),
        ] {
            assert_eq!(redact_url(url), shown);
        }
    }

    #[test]
    fn encryption_keys_are_checked_redacted_and_their_files_remembered() {
        let key = crate::auth::keys::EncryptionKey::generate().unwrap();
        let c = from(&[("GATEHOUSE_KEY_ENCRYPTION_KEY", key.as_str())]).unwrap();
        assert!(c.key_encryption_key.is_some());
        assert!(!format!("{c:?}").contains(&key));
        assert!(!c.describe().contains(&key));
        assert!(from(&[])
            .unwrap()
            .describe()
            .contains("GATEHOUSE_KEY_ENCRYPTION_KEY = (none: private keys in the database are stored in the clear)"));
        // A bad value names the setting and does not repeat the value.
        let e = from(&[("GATEHOUSE_KEY_ENCRYPTION_KEY_OLD", "hunter2-hunter2")]).unwrap_err();
        assert_eq!(e.name, "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD");
        assert!(!e.to_string().contains("hunter2"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        std::fs::write(&path, format!("{key}\n")).unwrap();
        let path = path.display().to_string();
        let c = from(&[("GATEHOUSE_KEY_ENCRYPTION_KEY_FILE", path.as_str())]).unwrap();
        assert!(c.key_encryption_key.is_some());
        assert_eq!(
            c.secret_files,
            vec![("GATEHOUSE_KEY_ENCRYPTION_KEY_FILE", path.clone().into())]
        );
        let e = from(&[
            ("GATEHOUSE_KEY_ENCRYPTION_KEY_FILE", path.as_str()),
            ("GATEHOUSE_KEY_ENCRYPTION_KEY", key.as_str()),
        ])
        .unwrap_err();
        assert_eq!(e.name, "GATEHOUSE_KEY_ENCRYPTION_KEY");
    }

    #[test]
    fn a_zero_lifetime_is_refused() {
        let e = from(&[("GATEHOUSE_ACCESS_TOKEN_TTL", "0")]).unwrap_err();
        assert_eq!(e.name, "GATEHOUSE_ACCESS_TOKEN_TTL");
    }

    #[test]
    fn out_of_range_numbers_are_refused() {
        assert!(from(&[("GATEHOUSE_ARGON2_ITERATIONS", "0")]).is_err());
        assert!(from(&[("GATEHOUSE_MAX_BODY_BYTES", "abc")]).is_err());
        assert!(from(&[("GATEHOUSE_SQLITE_SYNCHRONOUS", "off")]).is_err());
    }

    #[test]
    fn introspection_has_its_own_limits_and_they_can_be_set() {
        let g = from(&[]).unwrap().graphql_limits;
        assert_eq!(
            (g.max_introspection_fields, g.max_introspection_aliases),
            (500, 30)
        );
        let g = from(&[
            ("GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_FIELDS", "5000"),
            ("GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_ALIASES", "0"),
        ])
        .unwrap()
        .graphql_limits;
        assert_eq!(
            (g.max_introspection_fields, g.max_introspection_aliases),
            (5000, 0)
        );
        let e = from(&[("GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_FIELDS", "0")]).unwrap_err();
        assert_eq!(e.name, "GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_FIELDS");
    }
}
