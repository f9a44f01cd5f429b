//! The caller's access token in `Authorization` (`me`, `currentUser`): both
//! schemes in any case, and every way a token can be refused.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn me_returns_the_caller_with_a_bearer_or_jwt_token_in_any_case() {
    let app = spawn_app().await;
    let alice = app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    for scheme in ["Bearer", "bearer", "BEARER", "JWT", "jwt", "Jwt"] {
        let body = app.me(Some(&format!("{scheme} {token}"))).await;
        assert_no_errors(&body);
        let me = &body["data"]["me"];
        assert_eq!(me["id"], alice.user["id"], "with `{scheme}`");
        assert_eq!(me["username"], "alice");
        assert_eq!(me["email"], "alice@example.com");
        assert_eq!(me["isActive"], true);
    }
}

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
async fn me_without_a_token_is_unauthenticated() {
    let app = spawn_app().await;
    let body = app.me(None).await;
    assert_error(&body, "me", "UNAUTHENTICATED");
}

#[tokio::test]
async fn me_with_a_garbage_token_is_token_invalid() {
    let app = spawn_app().await;
    for auth in [
        "Bearer garbage",
        "JWT garbage",
        "Bearer v4.public.AAAA",
        "Bearer v2.local.abc.def",
    ] {
        let body = app.me(Some(auth)).await;
        assert_error(&body, "me", "TOKEN_INVALID");
    }
}

#[tokio::test]
async fn me_with_another_scheme_or_no_token_after_the_scheme_is_token_invalid() {
    let app = spawn_app().await;
    for auth in ["Basic xyz", "Token abc", "Bearer", "Bearer ", "justatoken"] {
        let body = app.me(Some(auth)).await;
        assert_error(&body, "me", "TOKEN_INVALID");
    }
}

#[tokio::test]
async fn me_with_a_token_whose_signature_was_changed_is_token_invalid() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let forged = forge_signature(&token);
    assert_ne!(forged, token);
    let body = app.me(Some(&bearer(&forged))).await;
    assert_error(&body, "me", "TOKEN_INVALID");
    let body = app.me(Some(&jwt(&forged))).await;
    assert_error(&body, "me", "TOKEN_INVALID");
    // The genuine token still works.
    assert_no_errors(&app.me(Some(&bearer(&token))).await);
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
async fn me_with_an_expired_token_is_token_expired() {
    let app = spawn_app_with(|c| c.access_token_ttl = Duration::from_secs(1)).await;
    app.sign_up_default("alice").await;
    let (token, _, payload) = app.login("alice", PASSWORD).await;
    assert_eq!(
        payload["exp"].as_i64().unwrap(),
        payload["origIat"].as_i64().unwrap() + 1
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let body = app.me(Some(&bearer(&token))).await;
    assert_error(&body, "me", "TOKEN_EXPIRED");
    let body = app
        .graphql(CURRENT_USER, json!({}), Some(&jwt(&token)))
        .await;
    assert_error(&body, "currentUser", "TOKEN_EXPIRED");
}

#[tokio::test]
async fn a_refresh_token_is_not_an_access_token() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, refresh, _) = app.login("alice", PASSWORD).await;
    let body = app.me(Some(&bearer(&refresh))).await;
    assert_error(&body, "me", "TOKEN_INVALID");
    let body = app.me(Some(&jwt(&refresh))).await;
    assert_error(&body, "me", "TOKEN_INVALID");
}

#[tokio::test]
async fn a_deactivated_users_token_is_refused() {
    let app = spawn_app().await;
    let alice = app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    assert_no_errors(&app.me(Some(&bearer(&token))).await);
    app.deactivate(&alice.id).await;
    let body = app.me(Some(&bearer(&token))).await;
    assert_error(&body, "me", "TOKEN_INVALID");
    let body = app.verify_token(&token).await;
    assert_error(&body, "verifyToken", "TOKEN_INVALID");
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
