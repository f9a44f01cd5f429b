//! Spawning the real application on a fresh database, and what every test
//! needs whichever face it speaks: the password helper-made users get,
//! `Authorization` values, times, a forged token, and the admin actions the
//! API does not offer. Each face's client is in its folder
//! (`graphql/client.rs`, `rest/client.rs`).

use std::sync::OnceLock;
use std::time::Duration;

use gatehouse::app::Application;
use gatehouse::config::Config;
use gatehouse::service::State;
use secrecy::SecretString;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The password every helper-made user gets (long enough, not the username).
pub const PASSWORD: &str = "correct horse battery staple";

/// A well-formed refresh token that was never issued.
pub const UNKNOWN_REFRESH: &str = "ghr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The default lifetimes, as `Config::default()` sets them.
pub const ACCESS_TTL: i64 = 5 * 60;
pub const REFRESH_TTL: i64 = 7 * 24 * 3600;

/// Logs to stderr when `TEST_LOG` is set (zero-to-production's habit).
fn init_tracing() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
                .with_test_writer()
                .try_init();
        }
    });
}

/// A running server on its own database file.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    pub client: reqwest::Client,
    /// The service behind the server, for what the API does not offer
    /// (staff users, deactivation).
    pub state: State,
    /// Holds the database file; dropped (deleted) with the app.
    pub db_dir: TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

/// No throttling worth the name: for tables of refused input, which would
/// otherwise run into the per-address and per-account limits (failed
/// attempts count against them too).
pub fn unthrottled(config: &mut Config) {
    config.throttle.sign_ups_per_address = 1_000_000;
    config.throttle.login_failures_per_account = 1_000_000;
    config.throttle.login_failures_per_address = 1_000_000;
}

/// A server with the default configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A server whose configuration `configure` may change (e.g. short lifetimes).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    spawn_app_in(dir, configure).await
}

/// A server on the database file in `dir` (which may hold one already: the
/// restart test builds a second server on the first one's file).
pub async fn spawn_app_in(dir: TempDir, configure: impl FnOnce(&mut Config)) -> TestApp {
    init_tracing();
    let mut config = Config {
        database_url: database_url_for(&dir).await,
        addr: "127.0.0.1:0".parse().expect("a socket address"),
        ..Config::default()
    };
    configure(&mut config);
    let app = Application::build(config)
        .await
        .expect("the application builds");
    let addr: std::net::SocketAddr = app.addr();
    let state = app.state().clone();
    let (tx, rx) = oneshot::channel::<()>();
    // Shuts down when told, or when the TestApp (and so the sender) is dropped.
    let server = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        // No idle connections: a graceful shutdown never waits on one.
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client");
    TestApp {
        address: format!("http://{addr}"),
        client,
        state,
        db_dir: dir,
        shutdown: Some(tx),
        server: Some(server),
    }
}

/// The database a test app in `dir` uses: a SQLite file in `dir`, or, when
/// `GATEHOUSE_TEST_DATABASE_URL` names a PostgreSQL server, a fresh database
/// there (remembered in `dir`, so a restart finds the same one).
async fn database_url_for(dir: &TempDir) -> String {
    let admin = match std::env::var("GATEHOUSE_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => url,
        _ => {
            note_once(
                "note: the API suite runs on SQLite; its PostgreSQL run was SKIPPED. \
                 To run it: GATEHOUSE_TEST_DATABASE_URL=postgres://USER:PASS@HOST:PORT/postgres \
                 cargo test --test api (the user must be allowed to create databases).",
            );
            return format!("sqlite://{}/test.db", dir.path().display());
        }
    };
    note_once("note: the API suite runs on PostgreSQL (GATEHOUSE_TEST_DATABASE_URL is set).");
    let marker = dir.path().join("postgres-url");
    if let Ok(url) = std::fs::read_to_string(&marker) {
        return url;
    }
    let mut raw = [0u8; 8];
    getrandom::getrandom(&mut raw).expect("random bytes");
    let name: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("gh_test_{name}");
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .expect("connect to GATEHOUSE_TEST_DATABASE_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .expect("create a test database");
    pool.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    let url = format!("{base}/{name}");
    std::fs::write(&marker, &url).expect("remember the test database");
    url
}

/// Says something once per test run, on the real stderr (past the capture).
fn note_once(message: &str) {
    static NOTED: OnceLock<()> = OnceLock::new();
    NOTED.get_or_init(|| {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "{message}");
    });
}

impl TestApp {
    /// Moves the clock past the refresh-token reuse interval (10 s by
    /// default): a used refresh token presented after it is a reuse.
    pub fn past_reuse_interval(&self) {
        let interval = self.state.config().refresh_reuse_interval_secs as i64;
        self.state.clock().advance(interval + 1);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Creates a staff user through the service (the API cannot).
    pub async fn create_staff(&self, username: &str, password: &str) -> String {
        let row = self
            .state
            .sign_up(
                username,
                &format!("{username}@example.com"),
                &SecretString::from(password.to_owned()),
                true,
                None,
            )
            .await
            .expect("the staff user is created");
        row.id.to_string()
    }

    /// Deactivates a user through the database (an admin action).
    pub async fn deactivate(&self, id: &str) {
        let id: i64 = id.parse().expect("a numeric id");
        gatehouse::db::users::set_active(self.state.db(), id, false)
            .await
            .expect("the user is deactivated");
    }

    /// Shuts the server down, waits for it, and hands back the database
    /// folder so another server can be built on it.
    pub async fn stop(mut self) -> TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            tokio::time::timeout(Duration::from_secs(30), server)
                .await
                .expect("the server stops within 30 s")
                .expect("the server task does not panic")
                .expect("the server stops cleanly");
        }
        let TestApp { db_dir, .. } = self;
        db_dir
    }
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub fn jwt(token: &str) -> String {
    format!("JWT {token}")
}

/// The current Unix time in seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64
}

/// `s`, an RFC 3339 time, in Unix seconds; panics if it is not one.
pub fn unix_time(s: &str) -> i64 {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("`{s}` is not RFC 3339: {e}"))
        .unix_timestamp()
}

/// Changes one character of the signature of a PASETO token
/// (`v4.public.<body>.<footer>`: the body ends with the 64-byte signature).
pub fn forge_signature(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    assert!(
        parts.len() >= 3,
        "a PASETO token has at least three parts: {token}"
    );
    let mut body: Vec<u8> = parts[2].bytes().collect();
    // Well inside the signature's last 86 characters, and not the final
    // character (whose low bits may be padding).
    let at = body.len() - 10;
    body[at] = if body[at] == b'A' { b'B' } else { b'A' };
    let mut forged = parts.clone();
    let body = String::from_utf8(body).expect("base64 is ASCII");
    forged[2] = &body;
    forged.join(".")
}
