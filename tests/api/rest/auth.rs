//! Authentication on every protected REST operation: RFC 6750 401s, and
//! the JSON bodies of requests that reach no operation. (Expired tokens and
//! deactivated users, one operation for all: `both/me.rs`.)

use reqwest::Method;

use super::client::*;
use crate::helpers::*;

const PROTECTED: &[(&str, &str)] = &[
    ("GET", "/api/users/me"),
    ("PATCH", "/api/users/me"),
    ("POST", "/api/users/me/password"),
    ("POST", "/api/users/me/logout-all"),
    ("GET", "/api/users"),
];

/// Sends each protected operation a valid body, with `auth`.
async fn call_all(app: &TestApp, auth: Option<&str>) -> Vec<(String, Reply)> {
    let mut replies = Vec::new();
    for (method, path) in PROTECTED {
        let method: Method = method.parse().unwrap();
        let body = match *path {
            "/api/users/me/password" => {
                serde_json::json!({ "old_password": PASSWORD, "new_password": "another passphrase" })
            }
            _ => serde_json::json!({}),
        };
        let mut req = app.rest(method.clone(), path, auth);
        if method != Method::GET {
            req = req.json(&body);
        }
        replies.push((format!("{method} {path}"), app.send(req).await));
    }
    replies
}

#[tokio::test]
async fn without_a_token_every_protected_operation_is_401_with_a_bare_challenge() {
    let app = spawn_app().await;
    for (op, reply) in call_all(&app, None).await {
        assert_eq!(reply.status, 401, "{op}: {:#}", reply.body);
        assert_eq!(reply.body["code"], "UNAUTHENTICATED", "{op}");
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer realm="gatehouse""#),
            "{op}"
        );
    }
}

#[tokio::test]
async fn bad_tokens_are_401_invalid_token() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let tokens = app.rest_login("alice", PASSWORD).await;
    let cases = [
        ("Basic YWxpY2U6cGFzcw==".to_owned(), "TOKEN_INVALID"),
        ("Bearer".to_owned(), "TOKEN_INVALID"),
        ("Bearer not-a-token".to_owned(), "TOKEN_INVALID"),
        (bearer(&forge_signature(&tokens.access)), "TOKEN_INVALID"),
        (bearer(&tokens.refresh), "TOKEN_INVALID"),
    ];
    for (auth, code) in cases {
        for (op, reply) in call_all(&app, Some(&auth)).await {
            assert_eq!(reply.status, 401, "{op} with {auth}: {:#}", reply.body);
            assert_eq!(reply.body["code"], code, "{op} with {auth}");
            let challenge = reply.header("www-authenticate").unwrap_or_default();
            assert!(
                challenge.starts_with(r#"Bearer realm="gatehouse", error="invalid_token""#),
                "{op}: {challenge}"
            );
        }
    }
    // None of them did anything: the real token still works.
    app.rest_me(&tokens.access).await.expect(200);
}

#[tokio::test]
async fn unknown_paths_and_methods_get_json_errors() {
    let app = spawn_app().await;
    app.rest_get("/api/nothing-here", None)
        .await
        .expect_error(404, "NOT_FOUND");
    let reply = app.send(app.rest(Method::PUT, "/api/users/me", None)).await;
    reply.expect_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(
        reply.header("allow"),
        Some("DELETE, GET, PATCH"),
        "RFC 9110 wants the Allow header"
    );
    let reply = app.rest_get("/api/token", None).await;
    reply.expect_oauth(405, "invalid_request");
    assert_eq!(reply.header("allow"), Some("POST"));
}
