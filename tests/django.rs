//! Moving over from Django: `gatehouse import-django-users` on a dump laid
//! out as `manage.py dumpdata auth.user --indent 2` lays it out, then logins
//! with the Django passwords on the real server, which rehashes them.
//!
//! Runs on SQLite, or on a fresh PostgreSQL database when
//! GATEHOUSE_TEST_DATABASE_URL names a server.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

/// Made by tests/fixtures/make_django_users.py; the plaintexts are below.
const DUMP: &str = "tests/fixtures/django_users.json";
const ALICE_PASSWORD: &str = "alice's old django password";
const BOB_PASSWORD: &str = "bob builds with django";
const CAROL_PASSWORD: &str = "carol was deactivated";
const DAVE_PASSWORD: &str = "dave's passphrase";

/// The settings every run shares: cheap argon2, and the database.
fn command(database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    cmd.env("DATABASE_URL", database_url)
        .env_remove("GATEHOUSE_ADDR")
        .env("GATEHOUSE_ARGON2_MEMORY_KIB", "1024")
        .env("GATEHOUSE_ARGON2_ITERATIONS", "1")
        .env("RUST_LOG", "warn");
    cmd
}

fn import(database_url: &str, file: &str) -> Output {
    command(database_url)
        .args(["import-django-users", file])
        .stdin(Stdio::null())
        .output()
        .expect("run gatehouse")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A database for one test: a SQLite file in `dir`, or a fresh PostgreSQL
/// database when GATEHOUSE_TEST_DATABASE_URL is set.
async fn database(dir: &tempfile::TempDir) -> String {
    let admin = match std::env::var("GATEHOUSE_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => url,
        _ => return format!("sqlite://{}/g.db", dir.path().display()),
    };
    let mut raw = [0u8; 6];
    getrandom::getrandom(&mut raw).unwrap();
    let name: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("gh_test_{name}");
    let pool = sqlx::PgPool::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// The stored password hash of `username`, read straight from the database.
async fn stored_hash(database_url: &str, username: &str) -> String {
    let sql = "SELECT password_hash FROM users WHERE username = $1";
    if database_url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(database_url).await.unwrap();
        let hash = sqlx::query_scalar(sql)
            .bind(username)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        hash
    } else {
        let pool = sqlx::PgPool::connect(database_url).await.unwrap();
        let hash = sqlx::query_scalar(sql)
            .bind(username)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        hash
    }
}

#[tokio::test]
async fn a_dump_is_imported_once_with_bad_rows_reported_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(&dir).await;

    let first = import(&url, DUMP);
    let (out, err) = (text(&first.stdout), text(&first.stderr));
    assert!(first.status.success(), "{out}\n{err}");
    assert_eq!(
        out.trim(),
        "imported 4, skipped 2 existing, rejected 4",
        "{err}"
    );
    // Each bad row by the line its object starts on in the fixture.
    for expected in [
        "line 74: skipped: user \"Alice\": the username exists already as \"alice\"",
        "line 92: rejected: user \"bad user\" (pk 6): The username may contain only",
        "line 110: rejected: user \"erin\" (pk 7): email \"not-an-email\": Enter a valid email",
        "line 128: rejected: user \"frank\" (pk 8): the account has an unusable password",
        "line 146: rejected: user \"grace\" (pk 9): the password uses Django's `bcrypt_sha256` hasher",
        "line 164: skipped: user \"heidi\": the email \"ALICE@example.com\" belongs to user \"alice\" already",
    ] {
        assert!(err.contains(expected), "{expected:?} missing from:\n{err}");
    }
    // Never a password hash in what it prints.
    assert!(!err.contains("pbkdf2_sha256$") && !out.contains("pbkdf2_sha256$"));

    // Again: nothing new, everything counted as existing; only the rows
    // that are not simply the same username again are explained.
    let again = import(&url, DUMP);
    let (out, err) = (text(&again.stdout), text(&again.stderr));
    assert!(again.status.success(), "{out}\n{err}");
    assert_eq!(
        out.trim(),
        "imported 0, skipped 6 existing, rejected 4",
        "{err}"
    );
    assert!(!err.contains("\"bob\""), "{err}");
    assert_eq!(err.matches("skipped:").count(), 2, "{err}");
}

#[tokio::test]
async fn a_file_that_is_not_a_django_dump_is_refused_before_the_database_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/g.db", dir.path().display());
    for (content, expected) in [
        ("{\"users\": []}", "not a Django dump"),
        ("username,email\nalice,a@example.com\n", "not a Django dump"),
        (
            "[{\"model\": \"auth.group\", \"pk\": 1, \"fields\": {\"name\": \"staff\"}}]",
            "dumpdata auth.user",
        ),
    ] {
        let file = dir.path().join("dump.json");
        std::fs::write(&file, content).unwrap();
        let out = import(&url, file.to_str().unwrap());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{content}: {err}");
        assert!(err.contains(expected), "{content}: {err}");
    }
    let missing = import(&url, "/no/such/dump.json");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("cannot read the Django dump /no/such/dump.json"),
        "{}",
        text(&missing.stderr)
    );
    assert!(!dir.path().join("g.db").exists());
}

/// `gatehouse serve` on a database, killed on drop.
struct Server {
    child: Child,
    base: String,
    client: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(database_url: &str) -> Server {
        let mut child = command(database_url)
            .arg("serve")
            .env("GATEHOUSE_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start gatehouse serve");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        // Finds the listening line, then keeps draining the pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line
                    .split("http://")
                    .nth(1)
                    .and_then(|rest| rest.split("/graphql").next())
                {
                    let _ = tx.send(addr.to_owned());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server says where it listens");
        Server {
            child,
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
        }
    }

    async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.header("authorization", format!("JWT {t}"));
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    /// `tokenAuth`: the access token, or the error code.
    async fn login(&self, username: &str, password: &str) -> Result<String, String> {
        let v = self
            .graphql(
                "mutation($u: String!, $p: String!) { tokenAuth(username: $u, password: $p) { token } }",
                json!({ "u": username, "p": password }),
                None,
            )
            .await;
        match v["data"]["tokenAuth"]["token"].as_str() {
            Some(t) => Ok(t.to_owned()),
            None => Err(v["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("no code")
                .to_owned()),
        }
    }

    async fn me(&self, token: &str) -> Value {
        let v = self
            .graphql(
                "{ me { username email firstName lastName isActive isStaff isSuperuser dateJoined lastLogin } }",
                json!({}),
                Some(token),
            )
            .await;
        v["data"]["me"].clone()
    }
}

#[tokio::test]
async fn imported_users_log_in_with_their_django_passwords_which_become_argon2id() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(&dir).await;
    let imported = import(&url, DUMP);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let server = Server::start(&url);

    // Flags, names and the join date (to the second) came over.
    let token = server.login("alice", ALICE_PASSWORD).await.unwrap();
    let me = server.me(&token).await;
    assert_eq!(me["username"], "alice");
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(
        (&me["firstName"], &me["lastName"]),
        (&json!("Alice"), &json!("Liddell"))
    );
    assert_eq!(
        (&me["isActive"], &me["isStaff"], &me["isSuperuser"]),
        (&json!(true), &json!(true), &json!(true))
    );
    assert_eq!(me["dateJoined"], "2019-03-04T05:06:07Z");
    assert_ne!(
        me["lastLogin"], "2024-01-02T03:04:05Z",
        "the login was recorded"
    );

    // The Django hash was replaced by argon2id, and the password still works.
    let hash = stored_hash(&url, "alice").await;
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let token = server.login("alice", ALICE_PASSWORD).await.unwrap();
    assert_eq!(server.me(&token).await["username"], "alice");
    assert_eq!(stored_hash(&url, "alice").await, hash, "rehashed once only");

    // A wrong password against a Django hash is a plain failure, and
    // leaves the hash as it was.
    assert_eq!(
        server.login("bob", "not bob's password").await,
        Err("INVALID_CREDENTIALS".into())
    );
    assert!(stored_hash(&url, "bob")
        .await
        .starts_with("pbkdf2_sha256$36000$"));
    let token = server.login("bob", BOB_PASSWORD).await.unwrap();
    let me = server.me(&token).await;
    assert_eq!((&me["email"], &me["isStaff"]), (&json!(""), &json!(false)));
    assert_eq!(
        me["dateJoined"], "2020-06-07T08:11:12Z",
        "+02:00 moved to UTC"
    );
    assert!(stored_hash(&url, "bob").await.starts_with("$argon2id$"));

    // By email too (case-insensitive); a naive join date is UTC.
    let token = server
        .login("dave@example.org", DAVE_PASSWORD)
        .await
        .unwrap();
    let me = server.me(&token).await;
    assert_eq!(
        (&me["username"], &me["email"]),
        (&json!("dave.w+test"), &json!("Dave@Example.org"))
    );
    assert_eq!(me["dateJoined"], "2022-02-03T04:05:06Z");

    // An inactive Django user cannot log in, even with the right password,
    // and keeps the Django hash.
    assert_eq!(
        server.login("carol", CAROL_PASSWORD).await,
        Err("INVALID_CREDENTIALS".into())
    );
    assert!(stored_hash(&url, "carol")
        .await
        .starts_with("pbkdf2_sha256$"));
}

/// Django's admin and DRF's `IsAdminUser` need `is_staff`; a superuser flag
/// alone grants no staff powers here either (issue 19, item 8).
#[tokio::test]
async fn an_imported_superuser_without_is_staff_has_no_staff_powers() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(&dir).await;
    let dump = dir.path().join("super.json");
    std::fs::write(
        &dump,
        serde_json::to_string(&json!([{
            "model": "auth.user",
            "pk": 7,
            "fields": {
                "password": "pbkdf2_sha256$36000$Hq3Lw8Zt1Ny6Rb4Xk9Ms2p$fkY3v753p5QoO0J/UhAaEhi7YLFCYIh75PB8agFWRAs=",
                "last_login": null,
                "is_superuser": true,
                "username": "root",
                "first_name": "",
                "last_name": "",
                "email": "root@example.com",
                "is_staff": false,
                "is_active": true,
                "date_joined": "2020-06-07T10:11:12Z",
            }
        }]))
        .unwrap(),
    )
    .unwrap();
    let imported = import(&url, dump.to_str().unwrap());
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let server = Server::start(&url);
    let token = server.login("root", BOB_PASSWORD).await.unwrap();
    let me = server.me(&token).await;
    assert_eq!(
        (&me["isStaff"], &me["isSuperuser"]),
        (&json!(false), &json!(true)),
        "the flags are kept as they were"
    );
    let users = server
        .graphql("{ users { username } }", json!({}), Some(&token))
        .await;
    assert_eq!(
        users["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{users}"
    );
}

/// `import-django-users /dev/stdin` with stdin, stdout and stderr piped and
/// its temporary copy made in `tmp`.
fn import_from_pipe(database_url: &str, tmp: &std::path::Path) -> Child {
    command(database_url)
        .args(["import-django-users", "/dev/stdin"])
        .env("TMPDIR", tmp)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gatehouse")
}

/// The import's temporary copies in `tmp`.
fn copies(tmp: &std::path::Path) -> usize {
    std::fs::read_dir(tmp)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("gatehouse-import-")
        })
        .count()
}

/// A dump on a pipe (`cat users.json | gatehouse import-django-users
/// /dev/stdin`, `<(zcat …)`, a FIFO) is read once, into a private temporary
/// copy, and imported as a file is; the copy is gone afterwards.
#[tokio::test]
async fn a_dump_on_a_pipe_is_imported_as_a_file_is() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(&dir).await;
    let mut child = import_from_pipe(&url, dir.path());
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&std::fs::read(DUMP).unwrap()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        stdout.trim(),
        "imported 4, skipped 2 existing, rejected 4",
        "{stderr}"
    );
    assert!(stderr.contains("line 92: rejected"), "{stderr}");
    assert_eq!(copies(dir.path()), 0, "the temporary copy was left behind");
}

/// SIGTERM while a pipe's dump is being copied: the import ends saying it
/// was interrupted, and the temporary copy (password hashes) is deleted.
#[tokio::test]
async fn an_interrupted_import_from_a_pipe_leaves_no_copy() {
    let dir = tempfile::tempdir().unwrap();
    let url = database(&dir).await;
    let mut child = import_from_pipe(&url, dir.path());
    let mut stdin = child.stdin.take().unwrap();
    {
        use std::io::Write as _;
        // Half a dump; the pipe stays open, so the copy waits for more.
        let dump = std::fs::read(DUMP).unwrap();
        stdin.write_all(&dump[..dump.len() / 2]).unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while copies(dir.path()) == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(copies(dir.path()), 1, "the copy was never made");
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(copies(dir.path()), 0, "the copy was left behind");
}
