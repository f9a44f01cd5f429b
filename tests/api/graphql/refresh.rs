//! What only GraphQL's `refreshToken` does: the payload and window of a
//! rotation, keep-alive with an access token (a window that does not
//! slide), its two arguments, and `revokeToken` refusing an unknown token.

use std::time::Duration;

use serde_json::{json, Value};

use super::client::*;
use crate::helpers::*;

fn pair(body: &Value) -> (String, String) {
    assert_no_errors(body);
    let r = &body["data"]["refreshToken"];
    (
        r["token"]
            .as_str()
            .unwrap_or_else(|| panic!("a token: {body:#}"))
            .to_owned(),
        r["refreshToken"]
            .as_str()
            .unwrap_or_else(|| panic!("a refresh token: {body:#}"))
            .to_owned(),
    )
}

#[tokio::test]
async fn rotation_answers_a_payload_and_a_new_seven_day_window() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, refresh, _) = app.login("alice", PASSWORD).await;
    let before = now();
    let body = app.rotate(&refresh).await;
    pair(&body);
    let r = &body["data"]["refreshToken"];
    assert_eq!(r["payload"]["username"], "alice");
    assert!(
        r["payload"]["exp"].is_i64() && r["payload"]["origIat"].is_i64(),
        "{body:#}"
    );
    let expires = r["refreshExpiresIn"].as_i64().expect("an integer");
    assert!(
        (before + REFRESH_TTL..=now() + REFRESH_TTL).contains(&expires),
        "the new refresh token lives 7 days: {expires}"
    );
}

#[tokio::test]
async fn keep_alive_returns_a_new_token_within_the_original_login_window() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let login = app.token_auth("alice", PASSWORD, None).await;
    assert_no_errors(&login);
    let login = &login["data"]["tokenAuth"];
    let token = login["token"].as_str().unwrap();
    // Let a second pass so a new token differs from the old in its times.
    app.state.clock().advance(1);
    let body = app.keep_alive(token).await;
    assert_no_errors(&body);
    let r = &body["data"]["refreshToken"];
    let new_token = r["token"].as_str().expect("a new token");
    assert_ne!(new_token, token);
    assert!(
        r["refreshToken"].is_null(),
        "keep-alive issues no refresh token: {body:#}"
    );
    assert_eq!(r["payload"]["username"], "alice");
    assert_eq!(
        r["payload"]["origIat"], login["payload"]["origIat"],
        "origIat is kept"
    );
    assert_eq!(
        r["refreshExpiresIn"], login["refreshExpiresIn"],
        "the window does not slide"
    );
    assert!(r["payload"]["exp"].as_i64().unwrap() > login["payload"]["exp"].as_i64().unwrap());

    let me = app.me(Some(&jwt(new_token))).await;
    assert_no_errors(&me);
    // A keep-alive of the keep-alive token keeps the same window still.
    let again = app.keep_alive(new_token).await;
    assert_no_errors(&again);
    assert_eq!(
        again["data"]["refreshToken"]["payload"]["origIat"],
        login["payload"]["origIat"]
    );
    assert_eq!(
        again["data"]["refreshToken"]["refreshExpiresIn"],
        login["refreshExpiresIn"]
    );
}

#[tokio::test]
async fn keep_alive_fails_once_the_login_window_has_passed() {
    let app = spawn_app_with(|c| {
        c.access_token_ttl = Duration::from_secs(60);
        c.refresh_token_ttl = Duration::from_secs(2);
    })
    .await;
    app.sign_up_default("alice").await;
    let (token, _, payload) = app.login("alice", PASSWORD).await;
    // Inside the window: works, but the new token never outlives the window.
    let body = app.keep_alive(&token).await;
    assert_no_errors(&body);
    let r = &body["data"]["refreshToken"];
    let window_end = payload["origIat"].as_i64().unwrap() + 2;
    assert_eq!(r["refreshExpiresIn"].as_i64(), Some(window_end));
    assert!(
        r["payload"]["exp"].as_i64().unwrap() <= window_end,
        "a keep-alive token never lives past origIat + the refresh lifetime: {body:#}"
    );

    app.state.clock().advance(3);
    // The access token itself is still good for a minute...
    assert_no_errors(&app.me(Some(&bearer(&token))).await);
    // ...but the login window is over.
    let body = app.keep_alive(&token).await;
    assert_error(&body, "refreshToken", "TOKEN_EXPIRED");
}

#[tokio::test]
async fn keep_alive_with_an_expired_access_token_is_token_expired() {
    let app = spawn_app_with(|c| c.access_token_ttl = Duration::from_secs(1)).await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    app.state.clock().advance(3);
    let body = app.keep_alive(&token).await;
    assert_error(&body, "refreshToken", "TOKEN_EXPIRED");
}

/// A refresh token is not an access token; a deactivated user's token and
/// a token of a session ended by `revokeAllTokens` keep nothing alive.
#[tokio::test]
async fn keep_alive_refuses_a_refresh_token_and_the_tokens_of_ended_sessions() {
    let app = spawn_app().await;
    let alice = app.sign_up_default("alice").await;
    app.sign_up_default("bob").await;
    let (alice_token, alice_refresh, _) = app.login("alice", PASSWORD).await;
    let (bob_token, _, _) = app.login("bob", PASSWORD).await;
    let (other_bob_token, _, _) = app.login("bob", PASSWORD).await;
    assert_error(
        &app.keep_alive(&alice_refresh).await,
        "refreshToken",
        "TOKEN_INVALID",
    );
    app.deactivate(&alice.id).await;
    assert_error(
        &app.keep_alive(&alice_token).await,
        "refreshToken",
        "TOKEN_INVALID",
    );
    let body = app.graphql_as(&bob_token, REVOKE_ALL, json!({})).await;
    assert_no_errors(&body);
    assert_error(
        &app.keep_alive(&other_bob_token).await,
        "refreshToken",
        "TOKEN_INVALID",
    );
}

#[tokio::test]
async fn giving_both_arguments_or_neither_is_bad_user_input() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, refresh, _) = app.login("alice", PASSWORD).await;
    let both = app
        .graphql(
            "mutation ($t: String, $r: String) { refreshToken(token: $t, refreshToken: $r) { token } }",
            json!({ "t": token, "r": refresh }),
            None,
        )
        .await;
    let neither = app
        .graphql("mutation { refreshToken { token } }", json!({}), None)
        .await;
    for body in [both, neither] {
        assert_error(&body, "refreshToken", "BAD_USER_INPUT");
        let field = body["errors"][0]["extensions"]["field"].as_str();
        assert!(
            matches!(field, Some("token" | "refreshToken")),
            "the error names an argument: {body:#}"
        );
    }
    // Neither call used up the refresh token.
    pair(&app.rotate(&refresh).await);
}

/// An empty `refreshToken:` is an argument given (unlike an empty
/// `refresh_token` parameter over REST, which counts as left out).
#[tokio::test]
async fn an_empty_refresh_token_is_token_invalid() {
    let app = spawn_app().await;
    assert_error(&app.rotate("").await, "refreshToken", "TOKEN_INVALID");
}

#[tokio::test]
async fn revoking_an_unknown_refresh_token_is_token_invalid() {
    let app = spawn_app().await;
    for bad in [UNKNOWN_REFRESH, "garbage"] {
        let body = app
            .graphql(REVOKE_TOKEN, json!({ "refreshToken": bad }), None)
            .await;
        assert_error(&body, "revokeToken", "TOKEN_INVALID");
    }
}
