//! Starting server processes on a fresh PostgreSQL database.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

/// The suites stop PostgreSQL or count its keys, so they run one at a time.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The admin URL, or `None` after telling the reader how to run the suite.
pub fn admin_url(suite: &str) -> Option<String> {
    match std::env::var("GATEHOUSE_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => Some(url),
        _ => {
            // Written to the real stderr, past the test harness's capture.
            let _ = writeln!(
                std::io::stderr(),
                "note: PostgreSQL suite `{suite}` SKIPPED: set GATEHOUSE_TEST_DATABASE_URL=postgres://USER:PASS@HOST:PORT/postgres \
                 (a user that may create databases) to run it; .ci/run does."
            );
            None
        }
    }
}

/// Creates an empty database and returns its URL.
pub async fn fresh_database(admin: &str) -> String {
    let mut raw = [0u8; 6];
    getrandom::getrandom(&mut raw).unwrap();
    let name = format!(
        "gh_test_{}",
        raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let pool = sqlx::PgPool::connect(admin)
        .await
        .expect("connect to the admin database");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .expect("create a test database");
    pool.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    format!("{base}/{name}")
}

/// A running `gatehouse serve` process, killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    log: Arc<Mutex<String>>,
    client: reqwest::Client,
}

impl Server {
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        cmd.arg("serve")
            .env("DATABASE_URL", database_url)
            .env("GATEHOUSE_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            // Cheap hashing: these tests count requests, not hashes.
            .env("GATEHOUSE_ARGON2_MEMORY_KIB", "1024")
            .env("GATEHOUSE_ARGON2_ITERATIONS", "1")
            // Every sign-up comes from 127.0.0.1; throttling has its own tests.
            .env("GATEHOUSE_SIGNUP_MAX_PER_ADDRESS", "1000000")
            .env("GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS", "1000000")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start the gatehouse binary");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("http://").nth(1) {
                    if let Some(addr) = rest.split("/graphql").next() {
                        let _ = tx.send(addr.to_owned());
                    }
                }
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("server did not start:\n{}", log.lock().unwrap()));
        Server {
            child,
            base: format!("http://{addr}"),
            log,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        }
    }

    /// Everything the process has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub async fn graphql(&self, query: &str, auth: Option<&str>) -> reqwest::Result<Value> {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query }));
        if let Some(token) = auth {
            req = req.header("Authorization", format!("Bearer {token}"));
        }
        req.send().await?.json().await
    }

    pub async fn status(&self, path: &str) -> reqwest::Result<u16> {
        Ok(self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await?
            .status()
            .as_u16())
    }

    pub async fn sign_up(&self, username: &str) -> Value {
        self.graphql(
            &format!(
                r#"mutation {{ createUser(username: "{username}", email: "{username}@example.com", password: "long enough password") {{ user {{ id }} }} }}"#
            ),
            None,
        )
        .await
        .expect("sign-up request")
    }

    /// Logs in; returns (access token, refresh token).
    pub async fn login(&self, username: &str) -> (String, String) {
        let v = self
            .graphql(
                &format!(
                    r#"mutation {{ tokenAuth(username: "{username}", password: "long enough password") {{ token refreshToken }} }}"#
                ),
                None,
            )
            .await
            .expect("login request");
        let t = &v["data"]["tokenAuth"];
        assert!(t.is_object(), "login failed: {v}");
        (
            t["token"].as_str().unwrap().to_owned(),
            t["refreshToken"].as_str().unwrap().to_owned(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `extensions.code` of the first error, if any.
pub fn code(v: &Value) -> Option<&str> {
    v["errors"][0]["extensions"]["code"].as_str()
}
