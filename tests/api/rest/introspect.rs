//! `POST /api/token/introspect` (RFC 7662) and `POST /api/token/revoke`
//! (RFC 7009). (What revoking a refresh token ends: `both/revoke.rs`.)

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::client::*;
use crate::helpers::*;

async fn introspect(app: &TestApp, token: &str) -> Reply {
    app.rest_form("/api/token/introspect", &[("token", token)])
        .await
}

async fn revoke(app: &TestApp, token: &str) -> Reply {
    app.rest_form(
        "/api/token/revoke",
        &[("token", token), ("token_type_hint", "refresh_token")],
    )
    .await
}

fn inactive(reply: &Reply) {
    assert_eq!(reply.expect(200), &json!({ "active": false }));
}

#[tokio::test]
async fn a_valid_access_token_is_active_with_its_claims() {
    let app = spawn_app().await;
    let alice = app.rest_sign_up_default("alice").await;
    let tokens = app.rest_login("alice", PASSWORD).await;
    let reply = introspect(&app, &tokens.access).await;
    let body = reply.expect(200);
    assert_eq!(body["active"], true);
    assert_eq!(body["sub"], alice["id"].to_string());
    assert_eq!(body["username"], "alice");
    assert_eq!(body["token_type"], "Bearer");
    let exp = body["exp"].as_i64().expect("exp is Unix seconds");
    let iat = body["iat"].as_i64().expect("iat is Unix seconds");
    assert!((exp - iat - ACCESS_TTL).abs() <= 1, "{body:#}");
    assert!((iat - now()).abs() <= 5, "{body:#}");
    // JSON bodies work too.
    let json = json!({ "token": tokens.access });
    let reply = app
        .rest_json(Method::POST, "/api/token/introspect", json, None)
        .await;
    assert_eq!(reply.expect(200)["active"], true);
}

#[tokio::test]
async fn anything_but_a_usable_access_token_is_inactive() {
    let app = spawn_app_with(|c| c.access_token_ttl = Duration::from_secs(1)).await;
    let alice = app.rest_sign_up_default("alice").await;
    let tokens = app.rest_login("alice", PASSWORD).await;
    inactive(&introspect(&app, "garbage").await);
    inactive(&introspect(&app, &forge_signature(&tokens.access)).await);
    // Refresh tokens are opaque: only the token endpoint uses them.
    inactive(&introspect(&app, &tokens.refresh).await);
    app.state.clock().advance(3);
    inactive(&introspect(&app, &tokens.access).await);
    let fresh = app.rest_login("alice", PASSWORD).await;
    app.deactivate(&alice["id"].to_string()).await;
    inactive(&introspect(&app, &fresh.access).await);
}

#[tokio::test]
async fn a_token_ended_by_logout_all_is_inactive() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let tokens = app.rest_login("alice", PASSWORD).await;
    let auth = bearer(&tokens.access);
    app.send(app.rest(Method::POST, "/api/users/me/logout-all", Some(&auth)))
        .await
        .expect(204);
    inactive(&introspect(&app, &tokens.access).await);
}

#[tokio::test]
async fn introspection_and_revocation_need_a_token_parameter() {
    let app = spawn_app().await;
    for path in ["/api/token/introspect", "/api/token/revoke"] {
        app.rest_form(path, &[("token_type_hint", "access_token")])
            .await
            .expect_oauth(400, "invalid_request");
        app.rest_form(path, &[("token", "")])
            .await
            .expect_oauth(400, "invalid_request");
        let reply = app
            .send(
                app.rest(Method::POST, path, None)
                    .body("token=x")
                    .header("content-type", "text/plain"),
            )
            .await;
        reply.expect_oauth(415, "invalid_request");
    }
}

#[tokio::test]
async fn revoking_an_unknown_or_malformed_token_is_still_200() {
    let app = spawn_app().await;
    revoke(&app, UNKNOWN_REFRESH).await.expect(200);
    revoke(&app, "whatever").await.expect(200);
    let json = json!({ "token": "whatever" });
    app.rest_json(Method::POST, "/api/token/revoke", json, None)
        .await
        .expect(200);
}

#[tokio::test]
async fn an_access_token_given_to_revoke_gets_200_and_lives_until_it_expires() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let tokens = app.rest_login("alice", PASSWORD).await;
    let form = [
        ("token", tokens.access.as_str()),
        ("token_type_hint", "access_token"),
    ];
    app.rest_form("/api/token/revoke", &form).await.expect(200);
    app.rest_me(&tokens.access).await.expect(200);
}
