//! What only GraphQL does with the caller's token: `currentUser` beside
//! `me`, tokens of another Gatehouse, and a bad token failing only the
//! fields that need a caller.

use std::time::Duration;

use serde_json::json;

use super::client::*;
use crate::helpers::*;

#[tokio::test]
async fn current_user_is_the_same_as_me() {
    let app = spawn_app().await;
    let alice = app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    for auth in [jwt(&token), bearer(&token)] {
        let body = app.graphql(CURRENT_USER, json!({}), Some(&auth)).await;
        assert_no_errors(&body);
        assert_eq!(body["data"]["currentUser"]["id"], alice.user["id"]);
        assert_eq!(body["data"]["currentUser"]["username"], "alice");
    }
    let body = app.graphql(CURRENT_USER, json!({}), None).await;
    assert_error(&body, "currentUser", "UNAUTHENTICATED");
}

#[tokio::test]
async fn current_user_refuses_an_expired_token_as_me_does() {
    let app = spawn_app_with(|c| c.access_token_ttl = Duration::from_secs(1)).await;
    app.sign_up_default("alice").await;
    let (token, _, payload) = app.login("alice", PASSWORD).await;
    assert_eq!(
        payload["exp"].as_i64().unwrap(),
        payload["origIat"].as_i64().unwrap() + 1
    );
    app.state.clock().advance(3);
    let body = app
        .graphql(CURRENT_USER, json!({}), Some(&jwt(&token)))
        .await;
    assert_error(&body, "currentUser", "TOKEN_EXPIRED");
}

#[tokio::test]
async fn a_token_from_another_gatehouse_with_other_keys_is_token_invalid() {
    let ours = spawn_app().await;
    let theirs = spawn_app().await;
    theirs.sign_up_default("alice").await;
    ours.sign_up_default("alice").await;
    let (token, _, _) = theirs.login("alice", PASSWORD).await;
    // Past the key ring's reload throttle, so the unknown key is looked up.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let body = ours.me(Some(&bearer(&token))).await;
    assert_error(&body, "me", "TOKEN_INVALID");
    assert_error(
        &ours.verify_token(&token).await,
        "verifyToken",
        "TOKEN_INVALID",
    );
}

#[tokio::test]
async fn a_bad_token_fails_only_the_fields_that_need_it() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    // A public mutation beside a field that needs the caller: the login
    // succeeds, `me` alone fails.
    let body = app
        .graphql(
            "mutation { tokenAuth(username: \"alice\", password: \"correct horse battery staple\") { token } }",
            json!({}),
            Some("Bearer garbage"),
        )
        .await;
    assert_no_errors(&body);
    let body = app.me(Some("Bearer garbage")).await;
    assert_error(&body, "me", "TOKEN_INVALID");
}
