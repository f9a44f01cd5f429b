//! What only REST's `POST /api/token` does: the password and refresh-token
//! grants in RFC 6749's shapes, form-encoded and JSON, and its parameter
//! rules. (What logins and refreshes mean, on both faces: `both/`.)

use reqwest::Method;
use serde_json::json;

use super::client::*;
use crate::helpers::*;

#[tokio::test]
async fn the_password_grant_returns_an_rfc_6749_token_response() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let reply = app.password_grant("alice", PASSWORD).await;
    let body = reply.expect(200);
    assert_eq!(body["token_type"], "Bearer");
    let expires_in = body["expires_in"]
        .as_i64()
        .expect("expires_in is an integer");
    assert!(
        (ACCESS_TTL - 5..=ACCESS_TTL).contains(&expires_in),
        "{expires_in}"
    );
    let refresh_in = body["refresh_expires_in"].as_i64().expect("an integer");
    assert!(
        (REFRESH_TTL - 5..=REFRESH_TTL).contains(&refresh_in),
        "relative: {refresh_in}"
    );
    assert!(body["access_token"]
        .as_str()
        .is_some_and(|t| t.starts_with("v4.public.")));
    assert!(body["refresh_token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("pragma"), Some("no-cache"));
    let tokens = Tokens::from_body(body);
    app.rest_me(&tokens.access).await.expect(200);
}

#[tokio::test]
async fn the_password_grant_takes_an_email_address_and_a_json_body() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let body =
        json!({ "grant_type": "password", "username": "ALICE@example.com", "password": PASSWORD });
    let reply = app.rest_json(Method::POST, "/api/token", body, None).await;
    let tokens = Tokens::from_body(reply.expect(200));
    let me = app.rest_me(&tokens.access).await;
    assert_eq!(me.expect(200)["username"], "alice");
}

#[tokio::test]
async fn missing_parameters_are_invalid_requests() {
    let app = spawn_app().await;
    let cases: &[&[(&str, &str)]] = &[
        &[("username", "alice"), ("password", PASSWORD)],
        &[("grant_type", "password"), ("password", PASSWORD)],
        &[("grant_type", "password"), ("username", "alice")],
        // RFC 6749 section 3.1: a parameter without a value counts as omitted.
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", ""),
        ],
        &[("grant_type", "refresh_token")],
        &[("grant_type", "")],
    ];
    for form in cases {
        let reply = app.rest_form("/api/token", form).await;
        assert_eq!(reply.status, 400, "{form:?}: {:#}", reply.body);
        assert_eq!(
            reply.body["error"], "invalid_request",
            "{form:?}: {:#}",
            reply.body
        );
    }
}

#[tokio::test]
async fn a_repeated_parameter_is_an_invalid_request() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    for repeated in [
        [
            ("grant_type", "password"),
            ("username", "alice"),
            ("username", "bob"),
            ("password", PASSWORD),
        ],
        [
            ("grant_type", "password"),
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
        ],
    ] {
        app.rest_form("/api/token", &repeated)
            .await
            .expect_oauth(400, "invalid_request");
    }
}

#[tokio::test]
async fn unrecognised_parameters_and_those_of_the_other_grant_are_ignored() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
        ("scope", "read"),
        ("client_id", "web"),
    ];
    let first = Tokens::from_body(app.rest_form("/api/token", &form).await.expect(200));
    // What Swagger UI's form sends: every field, filled or not.
    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
        ("refresh_token", "string"),
    ];
    app.rest_form("/api/token", &form).await.expect(200);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", &first.refresh),
        ("username", "string"),
        ("password", "string"),
    ];
    app.rest_form("/api/token", &form).await.expect(200);
}

#[tokio::test]
async fn an_unknown_grant_type_is_unsupported() {
    let app = spawn_app().await;
    for grant in ["client_credentials", "authorization_code", "PASSWORD"] {
        let reply = app.rest_form("/api/token", &[("grant_type", grant)]).await;
        reply.expect_oauth(400, "unsupported_grant_type");
    }
}

#[tokio::test]
async fn wrong_types_and_content_types_are_refused_in_the_oauth_shape() {
    let app = spawn_app().await;
    let body = json!({ "grant_type": "password", "username": 5, "password": true });
    let reply = app.rest_json(Method::POST, "/api/token", body, None).await;
    reply.expect_oauth(400, "invalid_request");
    let big = format!("grant_type=password&username={}", "a".repeat(70 * 1024));
    let form = "application/x-www-form-urlencoded";
    for (body, content_type, status) in [
        ("{not json".to_owned(), Some("application/json"), 400),
        ("grant_type=password".to_owned(), Some("text/plain"), 415),
        ("grant_type=password".to_owned(), None, 415),
        (big, Some(form), 413),
    ] {
        let mut req = app.rest(Method::POST, "/api/token", None).body(body);
        if let Some(content_type) = content_type {
            req = req.header("content-type", content_type);
        }
        let reply = app.send(req).await;
        reply.expect_oauth(status, "invalid_request");
    }
}

#[tokio::test]
async fn the_refresh_grant_is_not_cached_and_takes_a_json_body() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let first = app.rest_login("alice", PASSWORD).await;
    let reply = app.refresh_grant(&first.refresh).await;
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let second = Tokens::from_body(reply.expect(200));
    let json = json!({ "grant_type": "refresh_token", "refresh_token": second.refresh });
    app.rest_json(Method::POST, "/api/token", json, None)
        .await
        .expect(200);
}
