//! Property tests of request decoding over HTTP: whatever bytes arrive, in
//! whatever content type, at the GraphQL endpoint or the REST operations,
//! the answer is a 4xx (or 2xx) with a JSON body, never a 5xx.

use std::sync::OnceLock;

use gatehouse::app::Application;
use gatehouse::config::Config;
use proptest::prelude::*;

struct Server {
    runtime: tokio::runtime::Runtime,
    base: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            database_url: format!("sqlite://{}/fuzz.db", dir.path().display()),
            addr: "127.0.0.1:0".parse().unwrap(),
            ..Config::default()
        };
        // Cheap hashing and no throttling: this is about decoding.
        config.argon2.memory_kib = 64;
        config.argon2.iterations = 1;
        config.throttle.sign_ups_per_address = i64::MAX;
        config.throttle.login_failures_per_account = i64::MAX;
        config.throttle.login_failures_per_address = i64::MAX;
        let app = runtime.block_on(Application::build(config)).unwrap();
        let base = format!("http://{}", app.addr());
        runtime.spawn(app.run_until(std::future::pending()));
        Server {
            runtime,
            base,
            client: reqwest::Client::new(),
            _dir: dir,
        }
    })
}

const TARGETS: &[(&str, &str)] = &[
    ("POST", "/graphql"),
    ("POST", "/api/token"),
    ("POST", "/api/token/introspect"),
    ("POST", "/api/token/revoke"),
    ("POST", "/api/users"),
    ("PATCH", "/api/users/me"),
    ("POST", "/api/users/me/password"),
    ("GET", "/api/users"),
];

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "text/plain",
    "application/json; charset=utf-8",
    "",
];

/// Bodies that look like what the endpoints expect, with random holes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        "[ -~]{0,300}".prop_map(String::into_bytes),
        (
            "(query|grant_type|username|password|email|token|refresh_token|first_name|old_password)",
            "[ -~]{0,40}",
            any::<bool>()
        )
            .prop_map(|(k, v, json)| if json {
                serde_json::json!({ k: v }).to_string().into_bytes()
            } else {
                format!("{k}={v}&grant_type=password").into_bytes()
            }),
        (any::<i64>(), any::<bool>()).prop_map(|(n, b)| {
            format!(r#"{{"username": {n}, "password": {b}, "email": null, "grant_type": [1]}}"#)
                .into_bytes()
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_request_body_gets_a_json_answer_and_never_a_server_error(
        target in 0..TARGETS.len(),
        content_type in 0..CONTENT_TYPES.len(),
        auth in prop_oneof![Just(None), "[ -~]{0,60}".prop_map(Some)],
        body in body(),
    ) {
        let s = server();
        let (method, path) = TARGETS[target];
        let status_and_body = s.runtime.block_on(async {
            let mut req = s
                .client
                .request(method.parse().unwrap(), format!("{}{path}", s.base))
                .body(body.clone());
            if !CONTENT_TYPES[content_type].is_empty() {
                req = req.header("content-type", CONTENT_TYPES[content_type]);
            }
            if let Some(a) = &auth {
                if let Ok(v) = reqwest::header::HeaderValue::from_str(a) {
                    req = req.header("authorization", v);
                }
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.bytes().await.unwrap())
        });
        let (status, bytes) = status_and_body;
        prop_assert!(status < 500, "{method} {path} -> {status}: {}", String::from_utf8_lossy(&bytes));
        // RFC 7009: revocation answers 200 with an empty body.
        let empty_ok = status == 204 || (path == "/api/token/revoke" && status == 200);
        if !(empty_ok && bytes.is_empty()) {
            prop_assert!(
                serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(),
                "{method} {path} -> {status}, not JSON: {}", String::from_utf8_lossy(&bytes)
            );
        }
    }
}
