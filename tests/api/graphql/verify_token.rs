//! `verifyToken(token:)`: the claims of a good access token, the reason for a bad one.

use std::time::Duration;

use serde_json::json;

use super::client::*;
use crate::helpers::*;

#[tokio::test]
async fn verify_token_returns_the_same_payload_as_token_auth() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, payload) = app.login("alice", PASSWORD).await;
    let body = app.verify_token(&token).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["verifyToken"]["payload"], payload);
    assert_eq!(payload["username"], "alice");
    assert!(
        payload["exp"].is_i64() && payload["origIat"].is_i64(),
        "{payload}"
    );
}

#[tokio::test]
async fn verify_token_needs_no_authorization_header_and_ignores_a_bad_one() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, payload) = app.login("alice", PASSWORD).await;
    let body = app
        .graphql(VERIFY_TOKEN, json!({ "token": token }), Some("Basic xyz"))
        .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["verifyToken"]["payload"], payload);
}

#[tokio::test]
async fn verify_token_refuses_garbage_and_forged_tokens() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    for bad in ["garbage".to_owned(), String::new(), forge_signature(&token)] {
        let body = app.verify_token(&bad).await;
        assert_error(&body, "verifyToken", "TOKEN_INVALID");
    }
}

#[tokio::test]
async fn verify_token_refuses_a_refresh_token() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, refresh, _) = app.login("alice", PASSWORD).await;
    let body = app.verify_token(&refresh).await;
    assert_error(&body, "verifyToken", "TOKEN_INVALID");
}

#[tokio::test]
async fn verify_token_reports_an_expired_token_as_token_expired() {
    let app = spawn_app_with(|c| c.access_token_ttl = Duration::from_secs(1)).await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    app.state.clock().advance(3);
    let body = app.verify_token(&token).await;
    assert_error(&body, "verifyToken", "TOKEN_EXPIRED");
}

#[tokio::test]
async fn verify_token_without_a_token_is_an_error() {
    let app = spawn_app().await;
    let body = app
        .graphql(VERIFY_TOKEN, json!({ "token": null }), None)
        .await;
    assert!(
        error_code(&body).is_some(),
        "an error with a code: {body:#}"
    );
    assert!(body["data"]["verifyToken"].is_null(), "{body:#}");
}

/// What `me` refuses, `verifyToken` refuses too: a deactivated user's
/// token, and one whose session `revokeAllTokens` ended.
#[tokio::test]
async fn verify_token_refuses_the_tokens_of_ended_sessions() {
    let app = spawn_app().await;
    let alice = app.sign_up_default("alice").await;
    app.sign_up_default("bob").await;
    let (alice_token, _, _) = app.login("alice", PASSWORD).await;
    let (bob_token, _, _) = app.login("bob", PASSWORD).await;
    app.deactivate(&alice.id).await;
    let body = app.verify_token(&alice_token).await;
    assert_error(&body, "verifyToken", "TOKEN_INVALID");
    assert_no_errors(&app.graphql_as(&bob_token, REVOKE_ALL, json!({})).await);
    let body = app.verify_token(&bob_token).await;
    assert_error(&body, "verifyToken", "TOKEN_INVALID");
}

#[tokio::test]
async fn verify_token_reads_a_token_issued_over_rest() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let tokens = app.rest_login("alice", PASSWORD).await;
    let verified = app.verify_token(&tokens.access).await;
    assert_no_errors(&verified);
    assert_eq!(
        verified["data"]["verifyToken"]["payload"]["username"],
        "alice"
    );
}
