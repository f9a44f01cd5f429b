//! Every setting, declared once: its variable, its default, how it is read
//! and checked (which fixes its type and range), and one line of doc. The
//! environment and TOML reading, `config check` and the README's settings
//! table are derived from [`SETTINGS`].

use super::checks;
use super::parse::{self, field, Choice, Count, FileOf, Input, Kind, List, Millis, Optional};
use super::parse::{Parsed, Secret, SecretOrFile, Secs, Source, Text};
use super::{Config, ConfigError};

/// One setting.
pub struct Setting {
    /// The environment variable (the TOML key is derived: [`Setting::file_key`]).
    pub name: &'static str,
    /// What holds when the variable is unset.
    pub unset: Unset,
    /// How the value is read into [`Config`] and shown.
    pub kind: &'static dyn Kind,
    /// One line for the README.
    pub doc: &'static str,
}

/// What a setting is when its variable is unset.
pub enum Unset {
    /// This value, read as if the variable held it.
    Value(&'static str),
    /// A value worked out at start by `text`; `doc` says how (for the README).
    Computed {
        doc: &'static str,
        text: fn() -> String,
    },
    /// No value; the text says what that means ("" when it needs no saying).
    Nothing(&'static str),
}

use Unset::{Computed, Nothing, Value};

impl Setting {
    /// The key in a TOML file: the variable without `GATEHOUSE_`, lower case.
    pub fn file_key(&self) -> String {
        super::file_key(self.name)
    }

    /// Whether `config check` hides the value.
    pub fn is_secret(&self) -> bool {
        self.kind.is_secret()
    }

    pub(super) fn read(&self, source: &Source, config: &mut Config) -> Result<(), ConfigError> {
        let text = source.get(self.name).or_else(|| match self.unset {
            Value(v) => Some(v.to_owned()),
            Computed { text, .. } => Some(text()),
            Nothing(_) => None,
        });
        let input = Input {
            name: self.name,
            text,
            source,
        };
        self.kind.read(input, config)
    }

    /// The effective value as `config check` shows it, if listed there.
    pub(super) fn show(&self, config: &Config) -> Option<String> {
        let unset = match self.unset {
            Nothing("") => "(none)".to_owned(),
            Nothing(what) => format!("(none: {what})"),
            _ => String::new(),
        };
        self.kind.show(config, &unset)
    }

    /// The default as the README shows it.
    fn default_doc(&self) -> String {
        match self.unset {
            Value(v) => format!("`{v}`"),
            Computed { doc, .. } => doc.to_owned(),
            Nothing("") => "none".to_owned(),
            Nothing(what) => format!("none: {what}"),
        }
    }
}

/// Rules that span settings, checked once all are read.
pub(super) fn check(c: &Config) -> Result<(), ConfigError> {
    if u64::from(c.argon2.memory_kib) < 8 * u64::from(c.argon2.parallelism) {
        return Err(ConfigError {
            name: "GATEHOUSE_ARGON2_MEMORY_KIB",
            reason: "must be at least 8 KiB per lane of parallelism".into(),
        });
    }
    checks::path_prefix(&c.django_rest_prefix).map_err(|reason| ConfigError {
        name: "GATEHOUSE_DJANGO_REST_PREFIX",
        reason,
    })?;
    Ok(())
}

fn cores() -> String {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .to_string()
}

/// The README's settings table (between its `settings` markers).
pub fn readme_table() -> String {
    let mut table = String::from("| variable | default | allowed | meaning |\n|---|---|---|---|\n");
    for s in SETTINGS {
        let allowed = s.kind.allowed();
        let (name, default, doc) = (s.name, s.default_doc(), s.doc);
        table += &format!("| `{name}` | {default} | {allowed} | {doc} |\n");
    }
    table
}

const MILLION: u64 = 1_000_000;

/// Every setting, in the order `config check` and the README list them.
#[rustfmt::skip]
pub static SETTINGS: &[Setting] = &[
    Setting {
        name: "DATABASE_URL",
        unset: Value("sqlite://gatehouse.db"),
        kind: &Text { field: field!(database_url), show: checks::redact_url },
        doc: "`sqlite://PATH` or `postgres://USER:PASS@HOST/DB` (`config check` hides the password)",
    },
    Setting {
        name: "GATEHOUSE_ADDR",
        unset: Value("127.0.0.1:8000"),
        kind: &Parsed(field!(addr)),
        doc: "address and port to listen on",
    },
    Setting {
        name: "GATEHOUSE_ACCESS_TOKEN_TTL",
        unset: Value("300"),
        kind: &Secs(field!(access_token_ttl)),
        doc: "access-token lifetime, seconds",
    },
    Setting {
        name: "GATEHOUSE_REFRESH_TOKEN_TTL",
        unset: Value("604800"),
        kind: &Secs(field!(refresh_token_ttl)),
        doc: "refresh-token lifetime and keep-alive window after a password login, seconds",
    },
    Setting {
        name: "GATEHOUSE_ARGON2_MEMORY_KIB",
        unset: Value("19456"),
        kind: &Count::new(field!(argon2.memory_kib), 8, 4 * 1024 * 1024),
        doc: "argon2id memory cost, KiB (at least 8 per lane of parallelism)",
    },
    Setting {
        name: "GATEHOUSE_ARGON2_ITERATIONS",
        unset: Value("2"),
        kind: &Count::new(field!(argon2.iterations), 1, 100),
        doc: "argon2id time cost",
    },
    Setting {
        name: "GATEHOUSE_ARGON2_PARALLELISM",
        unset: Value("1"),
        kind: &Count::new(field!(argon2.parallelism), 1, 64),
        doc: "argon2id lanes",
    },
    Setting {
        name: "GATEHOUSE_HASH_CONCURRENCY",
        unset: Computed { doc: "number of cores", text: cores },
        kind: &Count::new(field!(hash_concurrency), 1, 1024),
        doc: "password hashes (argon2id and imported Django PBKDF2 alike) run at once; never more than the number of cores",
    },
    Setting {
        name: "GATEHOUSE_PASSWORD_MIN_SCORE",
        unset: Value("3"),
        kind: &Count::new(field!(password_min_score), 0, 4),
        doc: "minimum [zxcvbn](https://github.com/dropbox/zxcvbn) strength of a new password, estimated with the username, email and names as context; `0` keeps only the length rules",
    },
    Setting {
        name: "GATEHOUSE_GRAPHQL_MAX_DEPTH",
        unset: Value("12"),
        kind: &Count::new(field!(graphql_limits.max_depth), 1, 1000),
        doc: "deepest field nesting in one GraphQL operation (introspection exempt)",
    },
    Setting {
        name: "GATEHOUSE_GRAPHQL_MAX_FIELDS",
        unset: Value("200"),
        kind: &Count::new(field!(graphql_limits.max_fields), 1, 100_000),
        doc: "most fields one GraphQL operation may select (fragments counted each time they are spread; introspection counted apart)",
    },
    Setting {
        name: "GATEHOUSE_GRAPHQL_MAX_ALIASES",
        unset: Value("30"),
        kind: &Count::new(field!(graphql_limits.max_aliases), 0, 10_000),
        doc: "most aliases in one GraphQL operation (introspection counted apart)",
    },
    Setting {
        name: "GATEHOUSE_GRAPHQL_MAX_PASSWORD_CHECKS",
        unset: Value("1"),
        kind: &Count::new(field!(graphql_limits.max_password_checks), 1, 100),
        doc: "most of `tokenAuth`, `createUser`, `userCreate`, `changePassword` in one request (each hashes a password)",
    },
    Setting {
        name: "GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_FIELDS",
        unset: Value("500"),
        kind: &Count::new(field!(graphql_limits.max_introspection_fields), 1, 100_000),
        doc: "most introspection fields (`__schema`, `__type` and everything below them) one GraphQL operation may select, fragments counted each time they are spread; GraphiQL's full introspection query selects about 240",
    },
    Setting {
        name: "GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_ALIASES",
        unset: Value("30"),
        kind: &Count::new(field!(graphql_limits.max_introspection_aliases), 0, 10_000),
        doc: "most aliases inside introspection in one GraphQL operation (each aliased `__schema` answers the whole schema again)",
    },
    Setting {
        name: "GATEHOUSE_MAX_BODY_BYTES",
        unset: Value("65536"),
        kind: &Count::new(field!(max_body_bytes), 1024, 16 * 1024 * 1024),
        doc: "largest request body",
    },
    Setting {
        name: "GATEHOUSE_DB_MAX_CONNECTIONS",
        unset: Value("8"),
        kind: &Count::new(field!(db_max_connections), 1, 1000),
        doc: "database read-pool size",
    },
    Setting {
        name: "GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS",
        unset: Value("3000"),
        kind: &Millis { field: field!(db_acquire_timeout), min: 10, max: 600_000 },
        doc: "how long a request waits for a database connection, milliseconds",
    },
    Setting {
        name: "GATEHOUSE_SQLITE_SYNCHRONOUS",
        unset: Value("normal"),
        kind: &Choice { field: field!(sqlite_synchronous_full), no: "normal", yes: "full" },
        doc: "`normal`: every acknowledged write survives a crash of the process (WAL); `full`: also survives power loss, at the cost of an fsync per write",
    },
    Setting {
        name: "GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT",
        unset: Value("10"),
        kind: &Count::new(field!(throttle.login_failures_per_account), 1, MILLION),
        doc: "failed logins per account per login window (see [Security](#security))",
    },
    Setting {
        name: "GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS",
        unset: Value("100"),
        kind: &Count::new(field!(throttle.login_failures_per_address), 1, MILLION),
        doc: "failed logins per client address per login window",
    },
    Setting {
        name: "GATEHOUSE_LOGIN_WINDOW_SECS",
        unset: Value("900"),
        kind: &Secs(field!(throttle.login_window)),
        doc: "length of a login-throttling window, seconds",
    },
    Setting {
        name: "GATEHOUSE_SIGNUP_MAX_PER_ADDRESS",
        unset: Value("20"),
        kind: &Count::new(field!(throttle.sign_ups_per_address), 1, MILLION),
        doc: "sign-up attempts per client address per sign-up window",
    },
    Setting {
        name: "GATEHOUSE_SIGNUP_WINDOW_SECS",
        unset: Value("3600"),
        kind: &Secs(field!(throttle.sign_up_window)),
        doc: "length of a sign-up-throttling window, seconds",
    },
    Setting {
        name: "GATEHOUSE_TRUSTED_PROXIES",
        unset: Nothing("use the socket peer"),
        kind: &List { field: field!(trusted_proxies), item: parse::parse },
        doc: "comma-separated addresses of reverse proxies whose `X-Forwarded-For` is believed (see [Security](#security))",
    },
    Setting {
        name: "GATEHOUSE_CORS_ORIGINS",
        unset: Nothing("CORS off"),
        kind: &List { field: field!(cors_origins), item: checks::cors_origin },
        doc: "comma-separated origins (e.g. `https://app.example.com`) allowed to call from a browser; a wildcard is refused",
    },
    Setting {
        name: "GATEHOUSE_LOG_FORMAT",
        unset: Value("text"),
        kind: &Choice { field: field!(log_json), no: "text", yes: "json" },
        doc: "`text` for people, `json` for log collectors (one object per line)",
    },
    Setting {
        name: "GATEHOUSE_DJANGO_REST",
        unset: Value("on"),
        kind: &Choice { field: field!(django_rest), no: "off", yes: "on" },
        doc: "the Django REST compatibility face: the REST tutorials' `login/`, `token/refresh/`, `token/verify/`, `token/blacklist/`, `user/create/`, `user/obtain_token/` and `user/update/` (README, \"Moving a Django REST frontend over\")",
    },
    Setting {
        name: "GATEHOUSE_DJANGO_REST_PREFIX",
        unset: Value("/"),
        kind: &Text { field: field!(django_rest_prefix), show: str::to_owned },
        doc: "where the Django REST face's paths start: `/`, or segments of letters, digits and `- . _ ~` between slashes (`/api/v1/`)",
    },
    Setting {
        name: "GATEHOUSE_METRICS_ADDR",
        unset: Nothing("/metrics on GATEHOUSE_ADDR"),
        kind: &Optional(field!(metrics_addr)),
        doc: "a second listener, e.g. `127.0.0.1:9100`, that serves only `GET /metrics`; when set, the main listener does not serve it (see [Logs and metrics](#logs-and-metrics))",
    },
    Setting {
        name: "GATEHOUSE_METRICS_TOKEN",
        unset: Nothing("/metrics needs no token"),
        kind: &Secret { field: field!(metrics_token), check: checks::metrics_token },
        doc: "when set, `GET /metrics` (wherever it is served) answers only `Authorization: Bearer <this token>` (at least 16 printable characters, e.g. `openssl rand -hex 32`), others get 401",
    },
    Setting {
        name: "GATEHOUSE_MAX_CONNECTIONS",
        unset: Value("1024"),
        kind: &Count::new(field!(http.max_connections), 1, MILLION),
        doc: "connections open at once; more wait in the kernel's backlog (keep it below the process's file limit, `ulimit -n`)",
    },
    Setting {
        name: "GATEHOUSE_HEADER_READ_TIMEOUT_SECS",
        unset: Value("10"),
        kind: &Secs(field!(http.header_read_timeout)),
        doc: "a request's head (request line and headers) must arrive whole within this many seconds of its first byte",
    },
    Setting {
        name: "GATEHOUSE_BODY_READ_TIMEOUT_SECS",
        unset: Value("30"),
        kind: &Secs(field!(http.body_read_timeout)),
        doc: "a request's body must arrive whole within this many seconds of being read",
    },
    Setting {
        name: "GATEHOUSE_IDLE_TIMEOUT_SECS",
        unset: Value("60"),
        kind: &Secs(field!(http.idle_timeout)),
        doc: "a connection with no request in flight (new, or kept alive after a response) is closed after this many seconds",
    },
    Setting {
        name: "GATEHOUSE_SHUTDOWN_GRACE_SECS",
        unset: Value("10"),
        kind: &Secs(field!(http.shutdown_grace)),
        doc: "on SIGTERM or Ctrl-C: stop accepting, let requests in flight finish for up to this many seconds, then exit",
    },
    Setting {
        name: "GATEHOUSE_SIGNING_KEY",
        unset: Nothing("keys in the database"),
        kind: &SecretOrFile { field: field!(signing_key), file: "GATEHOUSE_SIGNING_KEY_FILE", check: checks::signing_key },
        doc: "a signing key (PASERK `k4.secret.…`, from `gatehouse keys generate`) supplied by the deployment; it alone signs, and is never stored",
    },
    Setting {
        name: "GATEHOUSE_SIGNING_KEY_FILE",
        unset: Nothing(""),
        kind: &FileOf("GATEHOUSE_SIGNING_KEY"),
        doc: "a file holding that key instead (keep it mode 0600: start-up warns otherwise)",
    },
    Setting {
        name: "GATEHOUSE_KEY_ENCRYPTION_KEY",
        unset: Nothing("private keys in the database are stored in the clear"),
        kind: &SecretOrFile { field: field!(key_encryption_key), file: "GATEHOUSE_KEY_ENCRYPTION_KEY_FILE", check: checks::encryption_key },
        doc: "32 random bytes in unpadded base64url (43 characters; `gatehouse keys generate-encryption-key`) that seal the private keys stored in the database",
    },
    Setting {
        name: "GATEHOUSE_KEY_ENCRYPTION_KEY_FILE",
        unset: Nothing(""),
        kind: &FileOf("GATEHOUSE_KEY_ENCRYPTION_KEY"),
        doc: "a file holding that key instead",
    },
    Setting {
        name: "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD",
        unset: Nothing(""),
        kind: &SecretOrFile { field: field!(key_encryption_key_old), file: "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD_FILE", check: checks::encryption_key },
        doc: "the previous encryption key while changing it: it still opens keys sealed under it until `gatehouse keys reseal` has moved them",
    },
    Setting {
        name: "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD_FILE",
        unset: Nothing(""),
        kind: &FileOf("GATEHOUSE_KEY_ENCRYPTION_KEY_OLD"),
        doc: "a file holding the previous key instead",
    },
    Setting {
        name: "GATEHOUSE_KEY_RELOAD_SECS",
        unset: Value("30"),
        kind: &Secs(field!(key_reload_interval)),
        doc: "how often, in seconds, the signing keys are re-read, so a key rotated by another process starts signing here",
    },
];
