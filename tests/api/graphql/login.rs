//! What only GraphQL's `tokenAuth` does: the payload django-graphql-jwt
//! clients expect, the older clients' query, and an `Authorization` header
//! that a public mutation ignores.

use super::client::*;
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
async fn the_payload_names_the_user_as_signed_up_whatever_the_logins_spelling() {
    let app = spawn_app().await;
    app.sign_up("Alice", "alice@example.com", PASSWORD).await;
    for login in ["aLICE", "ALICE@Example.com"] {
        let (_, _, payload) = app.login(login, PASSWORD).await;
        assert_eq!(payload["username"], "Alice", "logged in as {login}");
    }
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
