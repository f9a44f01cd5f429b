//! Secrets never reach the logs: the full flow on both faces, with the
//! real binary logging at the most verbose level, and no password, token,
//! refresh token, mailed link, SMTP password or key in what it printed.
//! (With no SMTP server set, mail is written to the log by design; here one
//! is set, and down, so every mail is tried, fails and is logged as such.)

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

struct Flow {
    base: String,
    client: reqwest::Client,
    secrets: Vec<String>,
}

impl Flow {
    async fn graphql(&mut self, query: &str, vars: Value, token: Option<&str>) -> Value {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": vars }));
        if let Some(t) = token {
            req = req.header("authorization", format!("JWT {t}"));
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        self.collect(&v);
        v
    }

    async fn rest(&mut self, req: reqwest::RequestBuilder) -> Value {
        let v: Value = req
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null);
        self.collect(&v);
        v
    }

    /// Remembers every token-looking string in a response.
    fn collect(&mut self, v: &Value) {
        match v {
            Value::String(s) if s.starts_with("v4.public.") || s.starts_with("ghr_") => {
                self.secrets.push(s.clone())
            }
            Value::Object(m) => m.values().for_each(|x| self.collect(x)),
            Value::Array(a) => a.iter().for_each(|x| self.collect(x)),
            _ => {}
        }
    }
}

#[tokio::test]
async fn no_password_token_or_key_appears_in_the_most_verbose_logs() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let signing_key = gatehouse::auth::keys::generate_paserk_secret().unwrap();
    // An SMTP server that is not there: a port bound, then released.
    let smtp_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let smtp_password = "smtp-secret-pw-9f2c";
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/g.db", dir.path().display()),
        )
        .env("GATEHOUSE_ADDR", format!("127.0.0.1:{port}"))
        .env("GATEHOUSE_SIGNING_KEY", &signing_key)
        .env(
            "GATEHOUSE_SMTP_URL",
            format!("smtp://mailer:{smtp_password}@127.0.0.1:{smtp_port}"),
        )
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read as it is written: a trace log outgrows a pipe's buffer, and a
    // server blocked writing its log answers nothing.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (pw1, pw2, pw3) = (
        "first secret passphrase 1",
        "second secret passphrase 2",
        "third secret passphrase 3",
    );
    let mut f = Flow {
        base: base.clone(),
        client: client.clone(),
        secrets: vec![],
    };

    // GraphQL face.
    f.graphql(
        "mutation($p: String!) { createUser(username: \"gq\", email: \"gq@example.com\", password: $p) { user { id } } }",
        json!({ "p": pw1 }),
        None,
    )
    .await;
    f.graphql(
        "mutation { tokenAuth(username: \"gq\", password: \"wrong wrong wrong\") { token } }",
        json!({}),
        None,
    )
    .await;
    let login = f
        .graphql("mutation($p: String!) { tokenAuth(username: \"gq\", password: $p) { token refreshToken } }", json!({ "p": pw1 }), None)
        .await;
    let token = login["data"]["tokenAuth"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh = login["data"]["tokenAuth"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    f.graphql("{ me { id } }", json!({}), Some(&token)).await;
    f.graphql(
        "mutation($t: String) { verifyToken(token: $t) { payload } }",
        json!({ "t": token }),
        None,
    )
    .await;
    f.graphql(
        "mutation($t: String) { refreshToken(token: $t) { token } }",
        json!({ "t": token }),
        None,
    )
    .await;
    let rotated = f
        .graphql(
            "mutation($r: String) { refreshToken(refreshToken: $r) { token refreshToken } }",
            json!({ "r": refresh }),
            None,
        )
        .await;
    // Reuse: logged as a warning, without the token.
    f.graphql(
        "mutation($r: String) { refreshToken(refreshToken: $r) { token } }",
        json!({ "r": refresh }),
        None,
    )
    .await;
    let _ = rotated;
    let login = f
        .graphql(
            "mutation($p: String!) { tokenAuth(username: \"gq\", password: $p) { token } }",
            json!({ "p": pw1 }),
            None,
        )
        .await;
    let token = login["data"]["tokenAuth"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    f.graphql(
        "mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) { token refreshToken } }",
        json!({ "o": pw1, "n": pw2 }),
        Some(&token),
    )
    .await;
    f.graphql("{ me { id } }", json!({}), Some(&token)).await;

    // REST face.
    f.rest(
        client
            .post(format!("{base}/api/users"))
            .json(&json!({ "username": "rs", "email": "rs@example.com", "password": pw3 })),
    )
    .await;
    f.rest(client.post(format!("{base}/api/token")).form(&[
        ("grant_type", "password"),
        ("username", "rs"),
        ("password", "wrong wrong"),
    ]))
    .await;
    let t = f
        .rest(client.post(format!("{base}/api/token")).form(&[
            ("grant_type", "password"),
            ("username", "rs"),
            ("password", pw3),
        ]))
        .await;
    let access = t["access_token"].as_str().unwrap().to_owned();
    let rt = t["refresh_token"].as_str().unwrap().to_owned();
    f.rest(
        client
            .get(format!("{base}/api/users/me"))
            .bearer_auth(&access),
    )
    .await;
    f.rest(
        client
            .post(format!("{base}/api/token/introspect"))
            .form(&[("token", access.as_str())]),
    )
    .await;
    f.rest(client.post(format!("{base}/api/token")).form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ]))
    .await;
    f.rest(client.post(format!("{base}/api/token")).form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ]))
    .await;
    f.rest(
        client
            .post(format!("{base}/api/token/revoke"))
            .form(&[("token", rt.as_str())]),
    )
    .await;
    f.rest(
        client
            .get(format!("{base}/api/users/me"))
            .header("authorization", format!("Bearer {access}x")),
    )
    .await;

    // Browser mode: the refresh token in a cookie, rotated, reused, logged out.
    let session = |path: &str, cookie: Option<&str>| {
        let req = client
            .post(format!("{base}/api/session/{path}"))
            .header("x-requested-with", "fetch");
        match cookie {
            Some(c) => req.header("cookie", format!("__Secure-gatehouse_refresh={c}")),
            None => req,
        }
    };
    let set_cookie = |resp: &reqwest::Response| {
        resp.headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .and_then(|v| v.strip_prefix("__Secure-gatehouse_refresh="))
            .unwrap_or_default()
            .to_owned()
    };
    let login = session("login", None)
        .json(&json!({ "username": "rs", "password": pw3 }))
        .send()
        .await
        .unwrap();
    let first = set_cookie(&login);
    f.collect(&login.json::<Value>().await.unwrap());
    let rotated = session("refresh", Some(&first)).send().await.unwrap();
    let second = set_cookie(&rotated);
    f.collect(&rotated.json::<Value>().await.unwrap());
    f.rest(session("refresh", Some(&first))).await;
    f.rest(session("logout", Some(&second))).await;
    assert!(first.starts_with("ghr_") && second.starts_with("ghr_"));
    f.secrets.push(first);
    f.secrets.push(second);

    // Mail asked for by address, and an email change: links in mail that
    // cannot go out.
    f.graphql(
        "mutation { sendPasswordResetEmail(email: \"gq@example.com\") { success } }",
        json!({}),
        None,
    )
    .await;
    f.rest(
        client
            .post(format!("{base}/api/account/password-reset"))
            .json(&json!({ "email": "rs@example.com" })),
    )
    .await;
    f.rest(
        client
            .post(format!("{base}/api/account/verify/resend"))
            .json(&json!({ "email": "rs@example.com" })),
    )
    .await;
    let t = f
        .rest(client.post(format!("{base}/api/token")).form(&[
            ("grant_type", "password"),
            ("username", "rs"),
            ("password", pw3),
        ]))
        .await;
    let access = t["access_token"].as_str().unwrap().to_owned();
    f.rest(
        client
            .post(format!("{base}/api/users/me/email"))
            .bearer_auth(&access)
            .json(&json!({ "new_email": "rs2@example.com", "password": pw3 })),
    )
    .await;
    // The worker tries each mail at once and fails (nothing listens).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let metrics = loop {
        let text = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let retried: u64 = text
            .lines()
            .filter(|l| l.starts_with("gatehouse_mails_total{") && l.contains("result=\"retry\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum();
        if retried >= 5 || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    // SIGTERM, as an operator stops it: the log lines still queued for the
    // log thread are written out (a SIGKILL would lose them, and a secret
    // in them would go unseen).
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut log = stderr.join().unwrap();
    log.push_str(&stdout.join().unwrap());
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "logging was not verbose:\n{log}"
    );
    // Sign-ups (2), a password change, two resets, a resend, an email
    // change: every mail was tried and failed.
    assert!(
        metrics.contains("kind=\"reset_password\",result=\"retry\"} 2"),
        "{metrics}"
    );
    assert!(log.contains("mail not sent; will retry"), "{log}");
    assert!(
        !log.contains("ghl_"),
        "a mailed link's token appeared in the logs"
    );
    assert!(
        !log.contains(smtp_password),
        "the SMTP password appeared in the logs"
    );
    assert!(
        f.secrets.len() >= 8,
        "the flow collected too few tokens: {}",
        f.secrets.len()
    );

    let mut secrets: Vec<String> = vec![pw1.into(), pw2.into(), pw3.into(), signing_key.clone()];
    // The key's body alone, in case a prefix-less form were printed.
    secrets.push(signing_key.trim_start_matches("k4.secret.").to_owned());
    for s in &f.secrets {
        secrets.push(s.clone());
        // Also the signature part alone, and the body of a refresh token.
        if let Some(sig) = s
            .strip_prefix("v4.public.")
            .and_then(|r| r.split('.').next())
        {
            secrets.push(sig[sig.len().saturating_sub(40)..].to_owned());
        }
        if let Some(body) = s.strip_prefix("ghr_") {
            secrets.push(body.to_owned());
        }
    }
    for s in secrets {
        assert!(
            !log.contains(&s),
            "a secret appeared in the logs: {}…",
            &s[..12.min(s.len())]
        );
    }
}
