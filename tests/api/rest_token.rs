//! `POST /api/token`: the password and refresh-token grants, in RFC 6749's
//! shapes, form-encoded and JSON.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;
use crate::rest_helpers::*;

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
async fn a_wrong_password_and_an_unknown_user_fail_alike() {
    let app = spawn_app().await;
    let alice = app.rest_sign_up_default("alice").await;
    let wrong = app.password_grant("alice", "not the password").await;
    let unknown = app.password_grant("nobody", PASSWORD).await;
    wrong.expect_oauth(400, "invalid_grant");
    unknown.expect_oauth(400, "invalid_grant");
    assert_eq!(wrong.body, unknown.body, "nothing tells the two apart");
    app.deactivate(&alice["id"].to_string()).await;
    let inactive = app.password_grant("alice", PASSWORD).await;
    assert_eq!(inactive.body, unknown.body, "nor an inactive account");
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
    let repeated = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("username", "bob"),
        ("password", PASSWORD),
    ];
    app.rest_form("/api/token", &repeated)
        .await
        .expect_oauth(400, "invalid_request");
    let repeated = [
        ("grant_type", "password"),
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    app.rest_form("/api/token", &repeated)
        .await
        .expect_oauth(400, "invalid_request");
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
    let reply = app
        .send(
            app.rest(Method::POST, "/api/token", None)
                .body("{not json")
                .header("content-type", "application/json"),
        )
        .await;
    reply.expect_oauth(400, "invalid_request");
    let reply = app
        .send(
            app.rest(Method::POST, "/api/token", None)
                .body("grant_type=password")
                .header("content-type", "text/plain"),
        )
        .await;
    reply.expect_oauth(415, "invalid_request");
    let reply = app
        .send(
            app.rest(Method::POST, "/api/token", None)
                .body("grant_type=password"),
        )
        .await;
    reply.expect_oauth(415, "invalid_request");
    let big = format!("grant_type=password&username={}", "a".repeat(70 * 1024));
    let reply = app
        .send(
            app.rest(Method::POST, "/api/token", None)
                .body(big)
                .header("content-type", "application/x-www-form-urlencoded"),
        )
        .await;
    reply.expect_oauth(413, "invalid_request");
}

#[tokio::test]
async fn the_refresh_grant_rotates_the_refresh_token() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let first = app.rest_login("alice", PASSWORD).await;
    let reply = app.refresh_grant(&first.refresh).await;
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let second = Tokens::from_body(reply.expect(200));
    assert_ne!(second.refresh, first.refresh);
    assert_ne!(second.access, first.access);
    assert_eq!(
        app.rest_me(&second.access).await.expect(200)["username"],
        "alice"
    );
    let json = json!({ "grant_type": "refresh_token", "refresh_token": second.refresh });
    app.rest_json(Method::POST, "/api/token", json, None)
        .await
        .expect(200);
}

#[tokio::test]
async fn a_reused_refresh_token_is_refused_and_ends_its_family() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let first = app.rest_login("alice", PASSWORD).await;
    let second = Tokens::from_body(app.refresh_grant(&first.refresh).await.expect(200));
    let reuse = app.refresh_grant(&first.refresh).await;
    let body = reuse.expect_oauth(400, "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{body:#}"
    );
    // The thief's (or the victim's) newer token is dead too.
    app.refresh_grant(&second.refresh)
        .await
        .expect_oauth(400, "invalid_grant");
}

#[tokio::test]
async fn unknown_malformed_and_expired_refresh_tokens_are_invalid_grants() {
    let app = spawn_app_with(|c| c.refresh_token_ttl = Duration::from_secs(1)).await;
    app.rest_sign_up_default("alice").await;
    let tokens = app.rest_login("alice", PASSWORD).await;
    app.refresh_grant("ghr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await
        .expect_oauth(400, "invalid_grant");
    app.refresh_grant("not a token")
        .await
        .expect_oauth(400, "invalid_grant");
    // An access token is not a refresh token.
    app.refresh_grant(&tokens.access)
        .await
        .expect_oauth(400, "invalid_grant");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let expired = app.refresh_grant(&tokens.refresh).await;
    let body = expired.expect_oauth(400, "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body:#}"
    );
}

#[tokio::test]
async fn too_many_failed_logins_get_429_with_retry_after() {
    let app = spawn_app_with(|c| c.throttle.login_failures_per_account = 2).await;
    app.rest_sign_up_default("alice").await;
    for _ in 0..2 {
        app.password_grant("alice", "not the password")
            .await
            .expect_oauth(400, "invalid_grant");
    }
    let reply = app.password_grant("alice", PASSWORD).await;
    reply.expect_oauth(429, "temporarily_unavailable");
    let wait: i64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(wait >= 1, "{wait}");
}
