//! Ending sessions: `revokeAllTokens` (log out everywhere) and
//! `changePassword` (every other session ends, this one goes on).

use serde_json::{json, Value};

use crate::helpers::*;

const NEW_PASSWORD: &str = "a brand new passphrase";

const CHANGE_PASSWORD: &str = "mutation ($old: String!, $new: String!) {
  changePassword(oldPassword: $old, newPassword: $new) {
    user { id username } token refreshToken payload refreshExpiresIn
  }
}";

async fn change_password(app: &TestApp, token: &str, old: &str, new: &str) -> Value {
    app.graphql_as(token, CHANGE_PASSWORD, json!({ "old": old, "new": new }))
        .await
}

#[tokio::test]
async fn revoke_all_tokens_ends_the_token_used_and_every_session_of_the_user() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    app.sign_up_default("bob").await;
    let (token_a, refresh_a, _) = app.login("alice", PASSWORD).await;
    let (token_b, refresh_b, _) = app.login("alice", PASSWORD).await;
    let (token_bob, refresh_bob, _) = app.login("bob", PASSWORD).await;

    let before = now();
    let body = app
        .graphql(REVOKE_ALL, json!({}), Some(&jwt(&token_a)))
        .await;
    assert_no_errors(&body);
    let revoked = body["data"]["revokeAllTokens"]["revoked"]
        .as_i64()
        .expect("an integer");
    assert!((before..=now()).contains(&revoked));

    // The token used for the call, and the other login's token.
    assert_error(
        &app.me(Some(&bearer(&token_a))).await,
        "me",
        "TOKEN_INVALID",
    );
    assert_error(
        &app.me(Some(&bearer(&token_b))).await,
        "me",
        "TOKEN_INVALID",
    );
    assert_error(
        &app.verify_token(&token_a).await,
        "verifyToken",
        "TOKEN_INVALID",
    );
    assert_error(
        &app.keep_alive(&token_b).await,
        "refreshToken",
        "TOKEN_INVALID",
    );
    // Every refresh token of the user.
    assert_error(
        &app.rotate(&refresh_a).await,
        "refreshToken",
        "TOKEN_INVALID",
    );
    assert_error(
        &app.rotate(&refresh_b).await,
        "refreshToken",
        "TOKEN_INVALID",
    );
    // Another user is untouched.
    assert_no_errors(&app.me(Some(&bearer(&token_bob))).await);
    assert_no_errors(&app.rotate(&refresh_bob).await);
    // Logging in again works.
    let (fresh, _, _) = app.login("alice", PASSWORD).await;
    assert_no_errors(&app.me(Some(&bearer(&fresh))).await);
}

#[tokio::test]
async fn revoke_all_tokens_needs_a_token() {
    let app = spawn_app().await;
    let body = app.graphql(REVOKE_ALL, json!({}), None).await;
    assert_error(&body, "revokeAllTokens", "UNAUTHENTICATED");
    let body = app
        .graphql(REVOKE_ALL, json!({}), Some("Bearer garbage"))
        .await;
    assert_error(&body, "revokeAllTokens", "TOKEN_INVALID");
}

#[tokio::test]
async fn change_password_returns_working_tokens_and_ends_every_older_one() {
    let app = spawn_app().await;
    let alice = app.sign_up_default("alice").await;
    let (token_a, refresh_a, _) = app.login("alice", PASSWORD).await;
    let (token_b, refresh_b, _) = app.login("alice", PASSWORD).await;

    let before = now();
    let body = change_password(&app, &token_a, PASSWORD, NEW_PASSWORD).await;
    assert_no_errors(&body);
    let c = &body["data"]["changePassword"];
    assert_eq!(c["user"]["id"], alice.user["id"]);
    assert_eq!(c["payload"]["username"], "alice");
    let expires = c["refreshExpiresIn"].as_i64().expect("an integer");
    assert!((before + REFRESH_TTL..=now() + REFRESH_TTL).contains(&expires));
    let new_token = c["token"].as_str().expect("a new token").to_owned();
    let new_refresh = c["refreshToken"]
        .as_str()
        .expect("a new refresh token")
        .to_owned();

    // The new pair works.
    let me = app.me(Some(&bearer(&new_token))).await;
    assert_no_errors(&me);
    assert_eq!(me["data"]["me"]["username"], "alice");
    assert_no_errors(&app.rotate(&new_refresh).await);

    // Every older token, this session's and the other one's, is over.
    for old in [&token_a, &token_b] {
        assert_error(&app.me(Some(&bearer(old))).await, "me", "TOKEN_INVALID");
    }
    for old in [&refresh_a, &refresh_b] {
        assert_error(&app.rotate(old).await, "refreshToken", "TOKEN_INVALID");
    }

    // The old password no longer logs in; the new one does.
    assert_error(
        &app.token_auth("alice", PASSWORD, None).await,
        "tokenAuth",
        "INVALID_CREDENTIALS",
    );
    app.login("alice", NEW_PASSWORD).await;
}

#[tokio::test]
async fn a_wrong_old_password_is_bad_user_input_on_old_password() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let body = change_password(&app, &token, "not my password", NEW_PASSWORD).await;
    assert_field_error(&body, "changePassword", "BAD_USER_INPUT", "oldPassword");
    // Nothing changed: the token still works.
    assert_no_errors(&app.me(Some(&bearer(&token))).await);
}

#[tokio::test]
async fn a_new_password_breaking_the_rules_is_bad_user_input_on_new_password() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let body = change_password(&app, &token, PASSWORD, "short").await;
    assert_field_error(&body, "changePassword", "BAD_USER_INPUT", "newPassword");
    let body = change_password(&app, &token, PASSWORD, "ALICE@example.com").await;
    assert_field_error(&body, "changePassword", "BAD_USER_INPUT", "newPassword");
    assert_no_errors(&app.me(Some(&bearer(&token))).await);
}

#[tokio::test]
async fn change_password_needs_a_token() {
    let app = spawn_app().await;
    let body = app
        .graphql(
            CHANGE_PASSWORD,
            json!({ "old": PASSWORD, "new": NEW_PASSWORD }),
            None,
        )
        .await;
    assert_error(&body, "changePassword", "UNAUTHENTICATED");
}
