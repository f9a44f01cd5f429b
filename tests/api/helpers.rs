//! Spawning the real application on a fresh SQLite file, and a small GraphQL
//! client over HTTP, shared by every feature module.

use std::sync::OnceLock;
use std::time::Duration;

use gatehouse::app::Application;
use gatehouse::config::Config;
use gatehouse::service::State;
use secrecy::SecretString;
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The password every helper-made user gets (long enough, not the username).
pub const PASSWORD: &str = "correct horse battery staple";

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

/// A user as created: its id (as the API spells it) and the JSON returned.
pub struct Created {
    pub id: String,
    pub user: Value,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Posts one GraphQL request; `auth` is the full `Authorization` value.
    pub async fn post_graphql(
        &self,
        query: &str,
        variables: Value,
        auth: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(a) = auth {
            req = req.header(reqwest::header::AUTHORIZATION, a);
        }
        req.send().await.expect("the request is sent")
    }

    /// Posts one GraphQL request and returns the body; GraphQL-level errors
    /// must still be HTTP 200.
    pub async fn graphql(&self, query: &str, variables: Value, auth: Option<&str>) -> Value {
        let resp = self.post_graphql(query, variables, auth).await;
        let status = resp.status();
        let body: Value = resp.json().await.expect("a JSON body");
        assert_eq!(status, 200, "GraphQL responses are HTTP 200: {body}");
        body
    }

    /// `graphql` with `Authorization: Bearer <token>`.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.graphql(query, variables, Some(&bearer(token))).await
    }

    /// Signs up through `createUser`; panics unless it succeeds.
    pub async fn sign_up(&self, username: &str, email: &str, password: &str) -> Created {
        let body = self.create_user(username, email, password, None).await;
        assert_no_errors(&body);
        let user = body["data"]["createUser"]["user"].clone();
        let id = user["id"].as_str().expect("the user has an id").to_owned();
        Created { id, user }
    }

    /// `createUser` as sent, whatever the outcome.
    pub async fn create_user(
        &self,
        username: &str,
        email: &str,
        password: &str,
        auth: Option<&str>,
    ) -> Value {
        self.graphql(
            CREATE_USER,
            json!({ "username": username, "email": email, "password": password }),
            auth,
        )
        .await
    }

    /// Signs up `username` with `username@example.com` and [`PASSWORD`].
    pub async fn sign_up_default(&self, username: &str) -> Created {
        self.sign_up(username, &format!("{username}@example.com"), PASSWORD)
            .await
    }

    /// `tokenAuth` as sent, whatever the outcome.
    pub async fn token_auth(&self, username: &str, password: &str, auth: Option<&str>) -> Value {
        self.graphql(
            TOKEN_AUTH,
            json!({ "username": username, "password": password }),
            auth,
        )
        .await
    }

    /// Logs in; panics unless it succeeds. Returns (token, refresh token, payload).
    pub async fn login(&self, username: &str, password: &str) -> (String, String, Value) {
        let body = self.token_auth(username, password, None).await;
        assert_no_errors(&body);
        let t = &body["data"]["tokenAuth"];
        (
            t["token"].as_str().expect("a token").to_owned(),
            t["refreshToken"]
                .as_str()
                .expect("a refresh token")
                .to_owned(),
            t["payload"].clone(),
        )
    }

    /// `me { ... }` with the given full `Authorization` value.
    pub async fn me(&self, auth: Option<&str>) -> Value {
        self.graphql(ME, json!({}), auth).await
    }

    /// `verifyToken(token:)`.
    pub async fn verify_token(&self, token: &str) -> Value {
        self.graphql(VERIFY_TOKEN, json!({ "token": token }), None)
            .await
    }

    /// `refreshToken(refreshToken:)` (rotation).
    pub async fn rotate(&self, refresh_token: &str) -> Value {
        self.graphql(
            REFRESH_ROTATE,
            json!({ "refreshToken": refresh_token }),
            None,
        )
        .await
    }

    /// `refreshToken(token:)` (keep-alive).
    pub async fn keep_alive(&self, token: &str) -> Value {
        self.graphql(REFRESH_KEEP_ALIVE, json!({ "token": token }), None)
            .await
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
        gatehouse::db::users::set_active(&self.state.db, id, false)
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

pub const CREATE_USER: &str = "mutation ($username: String!, $email: String!, $password: String!) {
  createUser(username: $username, email: $email, password: $password) {
    user { id username email firstName lastName isActive isStaff isSuperuser dateJoined lastLogin }
  }
}";

pub const USER_CREATE: &str = "mutation ($username: String!, $email: String!, $password: String!) {
  userCreate(username: $username, email: $email, password: $password) {
    user { id username email firstName lastName isActive isStaff isSuperuser dateJoined lastLogin }
  }
}";

pub const TOKEN_AUTH: &str = "mutation ($username: String!, $password: String!) {
  tokenAuth(username: $username, password: $password) { token payload refreshExpiresIn refreshToken }
}";

pub const ME: &str =
    "{ me { id username email firstName lastName isActive isStaff isSuperuser dateJoined lastLogin } }";

pub const CURRENT_USER: &str =
    "{ currentUser { id username email firstName lastName isActive isStaff isSuperuser dateJoined lastLogin } }";

pub const VERIFY_TOKEN: &str =
    "mutation ($token: String) { verifyToken(token: $token) { payload } }";

pub const REFRESH_ROTATE: &str = "mutation ($refreshToken: String) {
  refreshToken(refreshToken: $refreshToken) { token payload refreshExpiresIn refreshToken }
}";

pub const REFRESH_KEEP_ALIVE: &str = "mutation ($token: String) {
  refreshToken(token: $token) { token payload refreshExpiresIn refreshToken }
}";

pub const REVOKE_TOKEN: &str =
    "mutation ($refreshToken: String!) { revokeToken(refreshToken: $refreshToken) { revoked } }";

pub const REVOKE_ALL: &str = "mutation { revokeAllTokens { revoked } }";

pub const USERS: &str =
    "query ($offset: Int, $limit: Int) { users(offset: $offset, limit: $limit) { id username } }";

/// Panics (showing the body) if the response has errors.
pub fn assert_no_errors(body: &Value) {
    assert!(
        body.get("errors")
            .is_none_or(|e| e.is_null() || e.as_array().is_some_and(|a| a.is_empty())),
        "expected no errors, got {body:#}"
    );
}

/// `errors[0].extensions.code`, if any.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// Asserts the response failed with `code` and the top-level `field` is null.
pub fn assert_error(body: &Value, field: &str, code: &str) {
    assert_eq!(
        error_code(body),
        Some(code),
        "expected {code} on `{field}`, got {body:#}"
    );
    assert!(
        body["data"].is_null() || body["data"][field].is_null(),
        "`{field}` should be null when it fails: {body:#}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "the error has a message: {body:#}"
    );
}

/// Asserts a BAD_USER_INPUT (or CONFLICT) naming `input` in `extensions.field`.
pub fn assert_field_error(body: &Value, field: &str, code: &str, input: &str) {
    assert_error(body, field, code);
    assert_eq!(
        body["errors"][0]["extensions"]["field"].as_str(),
        Some(input),
        "expected the error to name `{input}`: {body:#}"
    );
}

/// Parses an RFC 3339 time into Unix seconds, panicking with the value if it is not one.
pub fn rfc3339(v: &Value) -> i64 {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("expected an RFC 3339 string, got {v}"));
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
