//! Typed settings, read from `GATEHOUSE_*` environment variables,
//! `DATABASE_URL` and an optional TOML file.
//!
//! Each setting is declared once, in [`SETTINGS`] (`settings.rs`): its
//! variable, default, range and doc. Reading ([`Config::from_lookup`],
//! [`Config::load`]), `config check` ([`Config::describe`]) and the README's
//! settings table are derived from it; `parse.rs` holds the shapes of
//! setting (numbers, durations, lists, secrets) and their checks.

mod checks;
mod mail;
mod parse;
mod settings;
mod table;
#[cfg(test)]
mod tests;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use secrecy::SecretString;

pub use mail::{LinkTemplate, MailSettings, SmtpUrl};
pub use settings::{readme_table, Setting, Unset, SETTINGS};

/// Everything the service can be configured with. Each field is filled by
/// the setting its doc names; what that setting means, its default and its
/// range are declared in [`SETTINGS`]. The defaults ([`Config::default`])
/// suit a local, zero-setup run on an embedded SQLite file. `Debug` prints
/// what `config check` prints: every secret redacted, the database URL's
/// password too.
#[derive(Clone)]
pub struct Config {
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `GATEHOUSE_ADDR`.
    pub addr: SocketAddr,
    /// `GATEHOUSE_ACCESS_TOKEN_TTL`.
    pub access_token_ttl: Duration,
    /// `GATEHOUSE_REFRESH_TOKEN_TTL`.
    pub refresh_token_ttl: Duration,
    /// `GATEHOUSE_REFRESH_REUSE_INTERVAL_SECS`.
    pub refresh_reuse_interval_secs: u64,
    /// `GATEHOUSE_REAUTH_MAX_AGE_SECS`: how recent a login must be for a
    /// sensitive change (password, email, second factor, deletion).
    pub reauth_max_age_secs: u64,
    /// `GATEHOUSE_MFA_ISSUER`: the name authenticator apps show.
    pub mfa_issuer: String,
    /// `GATEHOUSE_ARGON2_*`.
    pub argon2: Argon2Config,
    /// `GATEHOUSE_HASH_CONCURRENCY`.
    pub hash_concurrency: usize,
    /// `GATEHOUSE_MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// `GATEHOUSE_DB_MAX_CONNECTIONS`.
    pub db_max_connections: u32,
    /// `GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS`.
    pub db_acquire_timeout: Duration,
    /// `GATEHOUSE_SQLITE_SYNCHRONOUS` is `full`.
    pub sqlite_synchronous_full: bool,
    /// `GATEHOUSE_GRAPHQL_*`.
    pub graphql_limits: GraphqlLimits,
    /// `GATEHOUSE_PASSWORD_MIN_SCORE`.
    pub password_min_score: u8,
    /// `GATEHOUSE_SIGNING_KEY` or `_FILE`. Redacted in `Debug`.
    pub signing_key: Option<SecretString>,
    /// `GATEHOUSE_KEY_ENCRYPTION_KEY` or `_FILE`. Redacted in `Debug`.
    pub key_encryption_key: Option<SecretString>,
    /// `GATEHOUSE_KEY_ENCRYPTION_KEY_OLD` or `_OLD_FILE`. Redacted in `Debug`.
    pub key_encryption_key_old: Option<SecretString>,
    /// The files secrets were read from (`GATEHOUSE_*_FILE`), by setting:
    /// `config check` and start-up warn when others may read them.
    pub secret_files: Vec<(&'static str, std::path::PathBuf)>,
    /// `GATEHOUSE_KEY_RELOAD_SECS`.
    pub key_reload_interval: Duration,
    /// `GATEHOUSE_LOGIN_*`, `GATEHOUSE_SIGNUP_*`.
    pub throttle: ThrottleLimits,
    /// `GATEHOUSE_TRUSTED_PROXIES`.
    pub trusted_proxies: Vec<IpAddr>,
    /// `GATEHOUSE_CORS_ORIGINS`.
    pub cors_origins: Vec<String>,
    /// `GATEHOUSE_METRICS_ADDR`.
    pub metrics_addr: Option<SocketAddr>,
    /// `GATEHOUSE_METRICS_TOKEN`. Redacted in `Debug`.
    pub metrics_token: Option<SecretString>,
    /// `GATEHOUSE_LOG_FORMAT` is `json`.
    pub log_json: bool,
    /// `GATEHOUSE_DJANGO_REST` is `on`: the Django REST compatibility face.
    pub django_rest: bool,
    /// `GATEHOUSE_DJANGO_REST_PREFIX`: where that face's paths start
    /// (`/`, or `/a/b/`).
    pub django_rest_prefix: String,
    /// `GATEHOUSE_MAX_CONNECTIONS`, `GATEHOUSE_*_TIMEOUT_SECS`,
    /// `GATEHOUSE_SHUTDOWN_GRACE_SECS`.
    pub http: HttpLimits,
    /// The mail settings (`GATEHOUSE_SMTP_URL`, `GATEHOUSE_MAIL_*`, …).
    pub mail: MailSettings,
    /// `GATEHOUSE_EVENTS_RETENTION_DAYS`.
    pub events_retention_days: u64,
    /// The webhook settings (`GATEHOUSE_WEBHOOK_*`).
    pub webhooks: WebhookSettings,
}

/// Where auth events are sent, and how.
#[derive(Clone)]
pub struct WebhookSettings {
    /// `GATEHOUSE_WEBHOOK_URL`: every URL gets every selected event.
    pub urls: Vec<String>,
    /// `GATEHOUSE_WEBHOOK_SECRET` (`whsec_…`).
    pub secret: Option<SecretString>,
    /// `GATEHOUSE_WEBHOOK_EVENTS`: the types sent (empty: all).
    pub events: Vec<crate::event_kind::EventKind>,
    /// `GATEHOUSE_WEBHOOK_MAX_ATTEMPTS`.
    pub max_attempts: i64,
    /// `GATEHOUSE_WEBHOOK_TIMEOUT_SECS`.
    pub timeout: Duration,
}

/// Defences against slow and greedy clients (see `listener`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// `GATEHOUSE_MAX_CONNECTIONS`.
    pub max_connections: usize,
    /// `GATEHOUSE_HEADER_READ_TIMEOUT_SECS`.
    pub header_read_timeout: Duration,
    /// `GATEHOUSE_BODY_READ_TIMEOUT_SECS`.
    pub body_read_timeout: Duration,
    /// `GATEHOUSE_IDLE_TIMEOUT_SECS`.
    pub idle_timeout: Duration,
    /// `GATEHOUSE_SHUTDOWN_GRACE_SECS`.
    pub shutdown_grace: Duration,
}

/// Throttling limits; windows in seconds (the database compares them with
/// Unix times).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleLimits {
    /// `GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT`.
    pub login_failures_per_account: i64,
    /// `GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS`.
    pub login_failures_per_address: i64,
    /// `GATEHOUSE_LOGIN_WINDOW_SECS`.
    pub login_window: i64,
    /// `GATEHOUSE_SIGNUP_MAX_PER_ADDRESS`.
    pub sign_ups_per_address: i64,
    /// `GATEHOUSE_PROFILE_MAX_CHANGES_PER_HOUR`.
    pub profile_changes_per_hour: i64,
    /// `GATEHOUSE_SIGNUP_WINDOW_SECS`.
    pub sign_up_window: i64,
}

/// Limits on one GraphQL operation. Introspection (`__schema`, `__type` and
/// everything below them) has its own, larger caps instead of the depth,
/// field and alias limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphqlLimits {
    /// `GATEHOUSE_GRAPHQL_MAX_DEPTH`.
    pub max_depth: usize,
    /// `GATEHOUSE_GRAPHQL_MAX_FIELDS`.
    pub max_fields: usize,
    /// `GATEHOUSE_GRAPHQL_MAX_ALIASES`.
    pub max_aliases: usize,
    /// `GATEHOUSE_GRAPHQL_MAX_PASSWORD_CHECKS`.
    pub max_password_checks: usize,
    /// `GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_FIELDS`.
    pub max_introspection_fields: usize,
    /// `GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_ALIASES`.
    pub max_introspection_aliases: usize,
}

/// Cost parameters of argon2id password hashing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Config {
    /// `GATEHOUSE_ARGON2_MEMORY_KIB`.
    pub memory_kib: u32,
    /// `GATEHOUSE_ARGON2_ITERATIONS`.
    pub iterations: u32,
    /// `GATEHOUSE_ARGON2_PARALLELISM`.
    pub parallelism: u32,
}

impl Default for Config {
    /// Every setting at its declared default.
    fn default() -> Self {
        Self::from_lookup(|_| None).expect("the declared defaults are valid")
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        Config::default().http
    }
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Config::default().throttle
    }
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        Config::default().graphql_limits
    }
}

impl Default for Argon2Config {
    fn default() -> Self {
        Config::default().argon2
    }
}

/// A setting that could not be used, with the variable's name.
#[derive(Debug, thiserror::Error)]
#[error("invalid value for {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

/// The TOML key of a setting: its variable without `GATEHOUSE_`, lower case.
pub fn file_key(setting: &str) -> String {
    setting
        .strip_prefix("GATEHOUSE_")
        .unwrap_or(setting)
        .to_ascii_lowercase()
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
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

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read_onto(Self::unfilled(0), &lookup)
    }

    fn read_onto(
        mut config: Self,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let source = parse::Source(lookup);
        for setting in SETTINGS {
            setting.read(&source, &mut config)?;
        }
        settings::check(&config)?;
        Ok(config)
    }

    /// The effective settings, one `NAME = value` per line, secrets redacted.
    pub fn describe(&self) -> String {
        SETTINGS
            .iter()
            .filter_map(|s| Some(format!("{} = {}\n", s.name, s.show(self)?)))
            .collect()
    }

    /// Placeholders that [`SETTINGS`] all overwrite (the test
    /// `every_field_is_filled_by_a_setting` reads onto two different `seed`s
    /// and compares); never seen outside [`Config::from_lookup`].
    fn unfilled(seed: u8) -> Self {
        let n = u64::from(seed);
        let secs = Duration::from_secs(n);
        let secret = (seed != 0).then(|| SecretString::from("placeholder"));
        Self {
            database_url: n.to_string(),
            addr: SocketAddr::from(([0, 0, 0, 0], n as u16)),
            access_token_ttl: secs,
            refresh_token_ttl: secs,
            refresh_reuse_interval_secs: n,
            reauth_max_age_secs: n,
            mfa_issuer: n.to_string(),
            argon2: Argon2Config {
                memory_kib: n as u32,
                iterations: n as u32,
                parallelism: n as u32,
            },
            hash_concurrency: n as usize,
            max_body_bytes: n as usize,
            db_max_connections: n as u32,
            db_acquire_timeout: secs,
            sqlite_synchronous_full: seed != 0,
            graphql_limits: GraphqlLimits {
                max_depth: n as usize,
                max_fields: n as usize,
                max_aliases: n as usize,
                max_password_checks: n as usize,
                max_introspection_fields: n as usize,
                max_introspection_aliases: n as usize,
            },
            password_min_score: seed,
            signing_key: secret.clone(),
            key_encryption_key: secret.clone(),
            key_encryption_key_old: secret.clone(),
            secret_files: Vec::new(),
            key_reload_interval: secs,
            throttle: ThrottleLimits {
                login_failures_per_account: n as i64,
                login_failures_per_address: n as i64,
                login_window: n as i64,
                sign_ups_per_address: n as i64,
                profile_changes_per_hour: n as i64,
                sign_up_window: n as i64,
            },
            trusted_proxies: vec![IpAddr::from([0, 0, 0, 0]); usize::from(seed)],
            cors_origins: vec![n.to_string(); usize::from(seed)],
            metrics_addr: (seed != 0).then(|| SocketAddr::from(([0, 0, 0, 0], 0))),
            metrics_token: secret,
            log_json: seed != 0,
            django_rest: seed != 0,
            django_rest_prefix: n.to_string(),
            http: HttpLimits {
                max_connections: n as usize,
                header_read_timeout: secs,
                body_read_timeout: secs,
                idle_timeout: secs,
                shutdown_grace: secs,
            },
            mail: MailSettings {
                require_verified_email: seed != 0,
                smtp_url: (seed != 0).then(|| "smtp://placeholder".parse().expect("a URL")),
                from: n.to_string(),
                templates: (seed != 0).then(|| n.to_string()),
                verify_url: format!("http://{n}/{{token}}").parse().expect("a link"),
                reset_url: format!("http://{n}/{{token}}").parse().expect("a link"),
                confirm_email_url: format!("http://{n}/{{token}}").parse().expect("a link"),
                verify_ttl: n as i64,
                reset_ttl: n as i64,
                email_change_ttl: n as i64,
                min_interval: n as i64,
                per_address: n as i64,
                window: n as i64,
                max_attempts: n as i64,
            },
            events_retention_days: n,
            webhooks: WebhookSettings {
                urls: vec![n.to_string(); usize::from(seed)],
                secret: (seed != 0).then(|| SecretString::from("placeholder")),
                events: vec![crate::event_kind::EventKind::SignUp; usize::from(seed)],
                max_attempts: n as i64,
                timeout: secs,
            },
        }
    }
}

/// The `GATEHOUSE_*` names among `names` that are no setting (a typo such as
/// `GATEHOUSE_REQUIRE_VERIFIED_EMIALS` would otherwise leave its setting at
/// its default unsaid). `GATEHOUSE_TEST_*` belongs to the test suite.
pub fn unknown_variables(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut unknown: Vec<String> = names
        .filter(|n| n.starts_with("GATEHOUSE_") && !n.starts_with("GATEHOUSE_TEST_"))
        .filter(|n| !SETTINGS.iter().any(|s| s.name == n.as_str()))
        .collect();
    unknown.sort();
    unknown
}

/// The settings in a TOML file, refusing keys that name no setting.
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
        if !SETTINGS.iter().any(|s| s.file_key() == *key) {
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
        // A table is never a setting; empty, it reads as unset.
        toml::Value::Table(_) => String::new(),
    }
}
