//! `refreshToken`: rotation of single-use refresh tokens with reuse
//! detection, keep-alive with an access token, and `revokeToken`.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::helpers::*;

/// A well-formed refresh token that was never issued.
const UNKNOWN_REFRESH: &str = "ghr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

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
async fn rotation_returns_a_new_access_token_and_a_new_refresh_token() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, refresh, _) = app.login("alice", PASSWORD).await;
    let before = now();
    let body = app.rotate(&refresh).await;
    let (new_token, new_refresh) = pair(&body);
    assert_ne!(new_token, token);
    assert_ne!(new_refresh, refresh);
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
    let me = app.me(Some(&bearer(&new_token))).await;
    assert_no_errors(&me);
    assert_eq!(me["data"]["me"]["username"], "alice");
    // And the new refresh token rotates in turn.
    pair(&app.rotate(&new_refresh).await);
}

#[tokio::test]
async fn presenting_a_used_refresh_token_again_is_token_reused_and_ends_the_family() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, refresh, _) = app.login("alice", PASSWORD).await;
    let (_, second) = pair(&app.rotate(&refresh).await);

    let body = app.rotate(&refresh).await;
    assert_error(&body, "refreshToken", "TOKEN_REUSED");

    // The thief or the user, whoever holds the newer token, is locked out too.
    let body = app.rotate(&second).await;
    assert_error(&body, "refreshToken", "TOKEN_INVALID");
}

#[tokio::test]
async fn reuse_ends_only_that_login_not_other_sessions() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, refresh_a, _) = app.login("alice", PASSWORD).await;
    let (_, refresh_b, _) = app.login("alice", PASSWORD).await;
    pair(&app.rotate(&refresh_a).await);
    assert_error(
        &app.rotate(&refresh_a).await,
        "refreshToken",
        "TOKEN_REUSED",
    );
    pair(&app.rotate(&refresh_b).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_presentations_of_one_refresh_token_give_at_most_one_new_pair() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, refresh, _) = app.login("alice", PASSWORD).await;
    let mut set = JoinSet::new();
    for _ in 0..8 {
        let client = app.client.clone();
        let url = app.url("/graphql");
        let refresh = refresh.clone();
        set.spawn(async move {
            client
                .post(url)
                .json(&json!({ "query": REFRESH_ROTATE, "variables": { "refreshToken": refresh } }))
                .send()
                .await
                .expect("the request is sent")
                .json::<Value>()
                .await
                .expect("a JSON body")
        });
    }
    let mut successes = 0;
    while let Some(body) = set.join_next().await {
        let body = body.expect("the task does not panic");
        if body["data"]["refreshToken"]["token"].is_string() {
            successes += 1;
        } else {
            let code = error_code(&body);
            assert!(
                matches!(code, Some("TOKEN_REUSED" | "TOKEN_INVALID")),
                "a losing presentation is refused as reused or revoked: {body:#}"
            );
        }
    }
    assert!(
        successes <= 1,
        "{successes} presentations of one refresh token succeeded"
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
    tokio::time::sleep(Duration::from_millis(1100)).await;
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

    tokio::time::sleep(Duration::from_millis(3000)).await;
    // The access token itself is still good for a minute...
    assert_no_errors(&app.me(Some(&bearer(&token))).await);
    // ...but the login window is over.
    let body = app.keep_alive(&token).await;
    assert_error(&body, "refreshToken", "TOKEN_EXPIRED");
}

#[tokio::test]
async fn an_expired_refresh_token_cannot_be_rotated() {
    let app = spawn_app_with(|c| c.refresh_token_ttl = Duration::from_secs(1)).await;
    app.sign_up_default("alice").await;
    let (_, refresh, _) = app.login("alice", PASSWORD).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let body = app.rotate(&refresh).await;
    assert_error(&body, "refreshToken", "TOKEN_EXPIRED");
}

#[tokio::test]
async fn keep_alive_with_an_expired_access_token_is_token_expired() {
    let app = spawn_app_with(|c| c.access_token_ttl = Duration::from_secs(1)).await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let body = app.keep_alive(&token).await;
    assert_error(&body, "refreshToken", "TOKEN_EXPIRED");
}

#[tokio::test]
async fn keep_alive_with_a_refresh_token_and_rotation_with_an_access_token_are_refused() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, refresh, _) = app.login("alice", PASSWORD).await;
    assert_error(
        &app.keep_alive(&refresh).await,
        "refreshToken",
        "TOKEN_INVALID",
    );
    assert_error(&app.rotate(&token).await, "refreshToken", "TOKEN_INVALID");
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

#[tokio::test]
async fn an_unknown_or_malformed_refresh_token_is_token_invalid() {
    let app = spawn_app().await;
    for bad in [UNKNOWN_REFRESH, "garbage", ""] {
        assert_error(&app.rotate(bad).await, "refreshToken", "TOKEN_INVALID");
    }
}

#[tokio::test]
async fn a_revoked_refresh_token_no_longer_rotates() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, refresh, _) = app.login("alice", PASSWORD).await;
    let before = now();
    let body = app
        .graphql(REVOKE_TOKEN, json!({ "refreshToken": refresh }), None)
        .await;
    assert_no_errors(&body);
    let revoked = body["data"]["revokeToken"]["revoked"]
        .as_i64()
        .expect("revoked is an integer");
    assert!(
        (before..=now()).contains(&revoked),
        "revoked {revoked} is the time of revocation"
    );
    let body = app.rotate(&refresh).await;
    assert_error(&body, "refreshToken", "TOKEN_INVALID");
}

#[tokio::test]
async fn revoking_a_rotated_refresh_token_revokes_its_successors() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, first, _) = app.login("alice", PASSWORD).await;
    let (_, second) = pair(&app.rotate(&first).await);
    let body = app
        .graphql(REVOKE_TOKEN, json!({ "refreshToken": first }), None)
        .await;
    assert_no_errors(&body);
    assert_error(&app.rotate(&second).await, "refreshToken", "TOKEN_INVALID");
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

#[tokio::test]
async fn a_deactivated_user_cannot_refresh() {
    let app = spawn_app().await;
    let alice = app.sign_up_default("alice").await;
    let (token, refresh, _) = app.login("alice", PASSWORD).await;
    app.deactivate(&alice.id).await;
    assert_error(&app.rotate(&refresh).await, "refreshToken", "TOKEN_INVALID");
    assert_error(
        &app.keep_alive(&token).await,
        "refreshToken",
        "TOKEN_INVALID",
    );
}
