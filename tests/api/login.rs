//! Password login (`tokenAuth`): the shape django-graphql-jwt clients expect,
//! and failures that all look the same.

use crate::helpers::*;

#[tokio::test]
async fn token_auth_returns_a_token_payload_refresh_expiry_and_refresh_token() {
    let app = spawn_app().await;
    let alice = app.sign_up_default("alice").await;
    let before = now();
    let body = app.token_auth("alice", PASSWORD, None).await;
    let after = now();
    assert_no_errors(&body);
    let t = &body["data"]["tokenAuth"];
    assert!(
        t["token"].as_str().is_some_and(|s| !s.is_empty()),
        "{body:#}"
    );
    assert!(
        t["refreshToken"].as_str().is_some_and(|s| !s.is_empty()),
        "{body:#}"
    );
    assert_ne!(t["token"], t["refreshToken"]);

    let p = &t["payload"];
    assert_eq!(p["username"], "alice");
    let exp = p["exp"]
        .as_i64()
        .unwrap_or_else(|| panic!("exp is an integer: {p}"));
    let orig_iat = p["origIat"]
        .as_i64()
        .unwrap_or_else(|| panic!("origIat is an integer: {p}"));
    assert!(
        (before..=after).contains(&orig_iat),
        "origIat {orig_iat} is the login time"
    );
    assert_eq!(
        exp,
        orig_iat + ACCESS_TTL,
        "the access token lives 5 minutes by default"
    );
    assert_eq!(
        p["iat"].as_i64(),
        Some(orig_iat),
        "a password login starts the chain: {p}"
    );
    assert_eq!(
        p["sub"].as_str(),
        Some(alice.id.as_str()),
        "sub is the user's id: {p}"
    );

    let refresh_expires = t["refreshExpiresIn"]
        .as_i64()
        .expect("refreshExpiresIn is an integer");
    assert!(
        (before + REFRESH_TTL..=after + REFRESH_TTL).contains(&refresh_expires),
        "refreshExpiresIn {refresh_expires} is an absolute time 7 days from now"
    );
}

#[tokio::test]
async fn seed_000s_login_query_without_the_refresh_token_works() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let body = app
        .graphql(
            "mutation { tokenAuth(username: \"alice\", password: \"correct horse battery staple\") { token payload refreshExpiresIn } }",
            serde_json::json!({}),
            None,
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["tokenAuth"]["payload"]["username"], "alice");
}

#[tokio::test]
async fn token_auth_accepts_the_email_in_any_case_instead_of_the_username() {
    let app = spawn_app().await;
    app.sign_up("alice", "alice@example.com", PASSWORD).await;
    let (token, _, payload) = app.login("ALICE@Example.com", PASSWORD).await;
    assert_eq!(payload["username"], "alice");
    let me = app.me(Some(&bearer(&token))).await;
    assert_no_errors(&me);
    assert_eq!(me["data"]["me"]["username"], "alice");
}

#[tokio::test]
async fn token_auth_accepts_the_username_in_any_case() {
    let app = spawn_app().await;
    app.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let (_, _, payload) = app.login("aLICE", PASSWORD).await;
    assert_eq!(payload["username"], "Alice", "the username as signed up");
}

#[tokio::test]
async fn last_login_is_set_by_a_login() {
    let app = spawn_app().await;
    let created = app.sign_up_default("alice").await;
    assert!(created.user["lastLogin"].is_null());
    let before = now();
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let me = app.me(Some(&jwt(&token))).await;
    assert_no_errors(&me);
    let last = rfc3339(&me["data"]["me"]["lastLogin"]);
    assert!(
        (before - 1..=now() + 1).contains(&last),
        "lastLogin {last} is the login time"
    );
    let joined = rfc3339(&me["data"]["me"]["dateJoined"]);
    assert!(joined <= last);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_fail_alike() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let wrong = app.token_auth("alice", "not the password", None).await;
    assert_error(&wrong, "tokenAuth", "INVALID_CREDENTIALS");
    let unknown = app.token_auth("nobody", PASSWORD, None).await;
    assert_error(&unknown, "tokenAuth", "INVALID_CREDENTIALS");
    assert_eq!(
        wrong["errors"][0]["message"], unknown["errors"][0]["message"],
        "the message must not tell which usernames exist"
    );
    assert_eq!(
        wrong["errors"][0]["extensions"],
        unknown["errors"][0]["extensions"]
    );
}

#[tokio::test]
async fn an_overlong_password_or_login_is_invalid_credentials() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let body = app.token_auth("alice", &"x".repeat(1025), None).await;
    assert_error(&body, "tokenAuth", "INVALID_CREDENTIALS");
    let body = app.token_auth(&"a".repeat(2000), PASSWORD, None).await;
    assert_error(&body, "tokenAuth", "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn an_inactive_user_cannot_log_in() {
    let app = spawn_app().await;
    let alice = app.sign_up_default("alice").await;
    app.deactivate(&alice.id).await;
    let body = app.token_auth("alice", PASSWORD, None).await;
    assert_error(&body, "tokenAuth", "INVALID_CREDENTIALS");
    let unknown = app.token_auth("nobody", PASSWORD, None).await;
    assert_eq!(
        body["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
}

#[tokio::test]
async fn a_bad_authorization_header_does_not_block_login() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    for header in ["Bearer garbage", "JWT v4.public.garbage", "Basic xyz"] {
        let body = app.token_auth("alice", PASSWORD, Some(header)).await;
        assert_no_errors(&body);
        assert_eq!(
            body["data"]["tokenAuth"]["payload"]["username"], "alice",
            "with `{header}`"
        );
    }
}
