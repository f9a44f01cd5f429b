//! The table of every setting ([`SETTINGS`]); what a setting is, and what
//! is derived from the table, is in `settings.rs`.

use super::checks;
use super::parse::{self, field, Choice, Count, FileOf, List, Millis, Optional};
use super::parse::{Parsed, Secret, SecretOrFile, Secs, Text};
use super::settings::Setting;
use super::settings::Unset::{Computed, Nothing, Value};

fn cores() -> String {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .to_string()
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
        name: "GATEHOUSE_REFRESH_REUSE_INTERVAL_SECS",
        unset: Value("10"),
        kind: &Count::new(field!(refresh_reuse_interval_secs), 0, 300),
        doc: "seconds after its first use during which a refresh token rotates again in the same session (two tabs refreshing at once) instead of counting as stolen; 0: never",
    },
    Setting {
        name: "GATEHOUSE_REAUTH_MAX_AGE_SECS",
        unset: Value("300"),
        kind: &Count::new(field!(reauth_max_age_secs), 10, 86400),
        doc: "how recent (seconds) the caller's login or `reauthenticate` must be, with the second factor when it is on, for a password or email change, turning the second factor off, new recovery codes, or deleting the account (else `REAUTHENTICATION_REQUIRED`)",
    },
    Setting {
        name: "GATEHOUSE_MFA_ISSUER",
        unset: Value("Gatehouse"),
        kind: &Text { field: field!(mfa_issuer), show: str::to_owned },
        doc: "the service's name in authenticator apps (the `issuer` of the `otpauth://` URI); at most 64 characters, no `:`",
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
        doc: "most of `tokenAuth`, `createUser`, `userCreate`, `changePassword`, `passwordReset`, `requestEmailChange`, `deleteMe` in one request (each hashes or checks a password)",
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
        name: "GATEHOUSE_PROFILE_MAX_CHANGES_PER_HOUR",
        unset: Value("60"),
        kind: &Count::new(field!(throttle.profile_changes_per_hour), 1, MILLION),
        doc: "changes of one account's names or address (`updateMe`, `PATCH /api/users/me`, the Django REST face's `user/update/`) per hour; more get `RATE_LIMITED` (each is an event, and may be a webhook)",
    },
    Setting {
        name: "GATEHOUSE_TRUSTED_PROXIES",
        unset: Nothing("use the socket peer"),
        kind: &List { field: field!(trusted_proxies), item: parse::parse, show: ToString::to_string },
        doc: "comma-separated addresses of reverse proxies whose `X-Forwarded-For` is believed (see [Security](#security))",
    },
    Setting {
        name: "GATEHOUSE_CORS_ORIGINS",
        unset: Nothing("CORS off"),
        kind: &List { field: field!(cors_origins), item: checks::cors_origin, show: ToString::to_string },
        doc: "comma-separated origins (e.g. `https://app.example.com`) allowed to call from a browser (with cookies only on browser mode's `/api/session/*`); a wildcard is refused",
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
        name: "GATEHOUSE_REQUIRE_VERIFIED_EMAIL",
        unset: Value("false"),
        kind: &Choice { field: field!(mail.require_verified_email), no: "false", yes: "true" },
        doc: "`true`: logging in with an address not yet confirmed by its link fails with `EMAIL_NOT_VERIFIED` (users imported from Django, and those from before verification existed, count as confirmed)",
    },
    Setting {
        name: "GATEHOUSE_SMTP_URL",
        unset: Nothing("mail is written to the log, whole"),
        kind: &Optional(field!(mail.smtp_url)),
        doc: "where mail goes: `smtps://USER:PASS@HOST:465` (implicit TLS), `smtp://USER:PASS@HOST:587?tls=required` (STARTTLS) or `smtp://HOST:PORT` (unencrypted, for a local relay); `config check` hides the password (see [Mail](#mail))",
    },
    Setting {
        name: "GATEHOUSE_MAIL_FROM",
        unset: Value("Gatehouse <noreply@localhost>"),
        kind: &Text { field: field!(mail.from), show: str::to_owned },
        doc: "the sender of every mail: `name <address>` or an address",
    },
    Setting {
        name: "GATEHOUSE_MAIL_TEMPLATES",
        unset: Nothing("the built-in templates"),
        kind: &Optional(field!(mail.templates)),
        doc: "a directory whose files replace the built-in mail templates of the same name (see [Mail](#mail)); checked at start and by `config check`",
    },
    Setting {
        name: "GATEHOUSE_VERIFY_EMAIL_URL",
        unset: Value("http://localhost:3000/verify-email?token={token}"),
        kind: &Parsed(field!(mail.verify_url)),
        doc: "the frontend page a verification mail links to, `{token}` where the token goes",
    },
    Setting {
        name: "GATEHOUSE_RESET_PASSWORD_URL",
        unset: Value("http://localhost:3000/reset-password?token={token}"),
        kind: &Parsed(field!(mail.reset_url)),
        doc: "the frontend page a password-reset mail links to, `{token}` where the token goes",
    },
    Setting {
        name: "GATEHOUSE_CONFIRM_EMAIL_URL",
        unset: Value("http://localhost:3000/confirm-email?token={token}"),
        kind: &Parsed(field!(mail.confirm_email_url)),
        doc: "the frontend page an email-change confirmation links to, `{token}` where the token goes",
    },
    Setting {
        name: "GATEHOUSE_VERIFY_EMAIL_TOKEN_TTL_SECS",
        unset: Value("86400"),
        kind: &Secs(field!(mail.verify_ttl)),
        doc: "how long a verification link works, seconds",
    },
    Setting {
        name: "GATEHOUSE_RESET_PASSWORD_TOKEN_TTL_SECS",
        unset: Value("1800"),
        kind: &Secs(field!(mail.reset_ttl)),
        doc: "how long a password-reset link works, seconds",
    },
    Setting {
        name: "GATEHOUSE_EMAIL_CHANGE_TOKEN_TTL_SECS",
        unset: Value("3600"),
        kind: &Secs(field!(mail.email_change_ttl)),
        doc: "how long an email-change confirmation link works, seconds",
    },
    Setting {
        name: "GATEHOUSE_MAIL_MIN_INTERVAL_SECS",
        unset: Value("60"),
        kind: &Secs(field!(mail.min_interval)),
        doc: "at most one mail of a kind (verification, reset, email change) per recipient in this many seconds; more asks get `RATE_LIMITED`",
    },
    Setting {
        name: "GATEHOUSE_MAIL_MAX_PER_ADDRESS",
        unset: Value("20"),
        kind: &Count::new(field!(mail.per_address), 1, MILLION),
        doc: "mail asked for (resends, resets, email changes) per client address per mail window",
    },
    Setting {
        name: "GATEHOUSE_MAIL_WINDOW_SECS",
        unset: Value("3600"),
        kind: &Secs(field!(mail.window)),
        doc: "length of that window, seconds",
    },
    Setting {
        name: "GATEHOUSE_MAIL_MAX_ATTEMPTS",
        unset: Value("10"),
        kind: &Count::new(field!(mail.max_attempts), 1, 1000),
        doc: "tries at sending one mail (30 s apart, doubling, at most an hour) before it is marked failed",
    },
    Setting {
        name: "GATEHOUSE_EVENTS_RETENTION_DAYS",
        unset: Value("90"),
        kind: &Count::new(field!(events_retention_days), 1, 36500),
        doc: "auth events older than this many days are deleted (in batches, hourly)",
    },
    Setting {
        name: "GATEHOUSE_WEBHOOK_URL",
        unset: Nothing("no webhooks"),
        kind: &List { field: field!(webhooks.urls), item: checks::webhook_url, show: checks::redact_webhook_url },
        doc: "comma-separated `https://` (or `http://`) URLs that every selected auth event is POSTed to, signed the Standard Webhooks way (see [Auth events and webhooks](#auth-events-and-webhooks)); redirects are not followed",
    },
    Setting {
        name: "GATEHOUSE_WEBHOOK_SECRET",
        unset: Nothing("needed when GATEHOUSE_WEBHOOK_URL is set"),
        kind: &Secret { field: field!(webhooks.secret), check: checks::webhook_secret },
        doc: "the signing secret receivers verify with: `whsec_` and 24 to 64 random bytes in base64 (`whsec_$(openssl rand -base64 32)`)",
    },
    Setting {
        name: "GATEHOUSE_WEBHOOK_EVENTS",
        unset: Nothing("every type"),
        kind: &List { field: field!(webhooks.events), item: checks::event_kind, show: ToString::to_string },
        doc: "comma-separated event types to send (e.g. `sign_up,login_failed`); an unknown type is an error",
    },
    Setting {
        name: "GATEHOUSE_WEBHOOK_MAX_ATTEMPTS",
        unset: Value("12"),
        kind: &Count::new(field!(webhooks.max_attempts), 1, 1000),
        doc: "tries at delivering one event to one URL (about 30 s apart, doubling with jitter, at most an hour) before it is marked failed",
    },
    Setting {
        name: "GATEHOUSE_WEBHOOK_TIMEOUT_SECS",
        unset: Value("10"),
        kind: &Secs(field!(webhooks.timeout)),
        doc: "how long one delivery may take (connecting, sending, the receiver's answer), seconds",
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
