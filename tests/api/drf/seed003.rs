//! Seed 003: simplejwt's `TokenObtainPairView` at `login/`, and the refresh,
//! verify and blacklist views beside it. The token it hands out works on
//! GraphQL and on `/api` too (seed 003's point).

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;

use super::client::*;
use crate::graphql::client::*;
use crate::helpers::*;

#[tokio::test]
async fn a_login_pair_works_on_graphql_rest_and_here_with_either_scheme() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (access, refresh) = app.drf_pair("alice", PASSWORD).await;
    assert!(access.starts_with("v4.public."));
    assert!(!refresh.is_empty());
    for auth in [bearer(&access), jwt(&access)] {
        let me = app.me(Some(&auth)).await;
        assert_eq!(me["data"]["me"]["username"], "alice");
        let me = app.rest_get("/api/users/me", Some(&auth)).await;
        assert_eq!(me.expect(200)["username"], "alice");
        let me = app.rest_get("/user/update/", Some(&auth)).await;
        assert_eq!(me.expect(200)["username"], "alice");
    }
    // And a form body, as DRF's parsers take it; the email works as the username.
    let reply = app
        .rest_form(
            "/login/",
            &[("username", "alice@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert!(reply.expect(200)["access"].is_string());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn wrong_unknown_and_inactive_logins_get_the_same_401() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let bob = app.sign_up_default("bob").await;
    app.deactivate(&bob.id).await;
    let mut bodies = Vec::new();
    for (username, password) in [
        ("alice", "not her password"),
        ("nobody", PASSWORD),
        ("bob", PASSWORD),
    ] {
        let reply = app
            .drf_post(
                "/login/",
                json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(
            reply.expect(401),
            &json!({ "detail": NO_ACTIVE_ACCOUNT }),
            "{username}"
        );
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer realm="api""#)
        );
        bodies.push(reply.body);
    }
}

#[tokio::test]
async fn missing_and_blank_fields_are_named_in_drfs_shape() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({ "password": "x" }),
            json!({ "username": [REQUIRED] }),
        ),
        (
            json!({ "username": "alice" }),
            json!({ "password": [REQUIRED] }),
        ),
        (
            json!({}),
            json!({ "username": [REQUIRED], "password": [REQUIRED] }),
        ),
        (
            json!({ "username": "", "password": "x" }),
            json!({ "username": ["This field may not be blank."] }),
        ),
        (
            json!({ "username": null, "password": "x" }),
            json!({ "username": [REQUIRED] }),
        ),
    ];
    for (body, expected) in cases {
        let reply = app.drf_post("/login/", body.clone()).await;
        assert_eq!(reply.expect(400), &expected, "{body}");
    }
    let reply = app.drf_post("/token/refresh/", json!({})).await;
    assert_eq!(reply.expect(400), &json!({ "refresh": [REQUIRED] }));
    let reply = app.drf_post("/token/verify/", json!({})).await;
    assert_eq!(reply.expect(400), &json!({ "token": [REQUIRED] }));
    let reply = app.drf_post("/token/blacklist/", json!({})).await;
    assert_eq!(reply.expect(400), &json!({ "refresh": [REQUIRED] }));
}

#[tokio::test]
async fn refresh_rotates_and_a_used_refresh_token_ends_the_session() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (access, refresh) = app.drf_pair("alice", PASSWORD).await;
    let reply = app
        .drf_post("/token/refresh/", json!({ "refresh": refresh }))
        .await;
    let pair = reply.expect(200).clone();
    let (new_access, new_refresh) = (
        pair["access"].as_str().unwrap().to_owned(),
        pair["refresh"].as_str().unwrap().to_owned(),
    );
    assert_ne!(new_refresh, refresh);
    assert_eq!(
        app.rest_get("/user/update/", Some(&bearer(&new_access)))
            .await
            .status,
        200
    );
    // The used one again: refused, and the new one dies with its session.
    app.past_reuse_interval();
    assert_token_not_valid(
        &app.drf_post("/token/refresh/", json!({ "refresh": refresh }))
            .await,
    );
    assert_token_not_valid(
        &app.drf_post("/token/refresh/", json!({ "refresh": new_refresh }))
            .await,
    );
    // An access token, garbage, or an unknown refresh token.
    for bad in [access.as_str(), "garbage", UNKNOWN_REFRESH] {
        assert_token_not_valid(
            &app.drf_post("/token/refresh/", json!({ "refresh": bad }))
                .await,
        );
    }
}

#[tokio::test]
async fn verify_accepts_working_tokens_only() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (access, refresh) = app.drf_pair("alice", PASSWORD).await;
    for good in [&access, &refresh] {
        let reply = app
            .drf_post("/token/verify/", json!({ "token": good }))
            .await;
        assert_eq!(reply.expect(200), &json!({}));
    }
    for bad in [
        "garbage".to_owned(),
        UNKNOWN_REFRESH.to_owned(),
        forge_signature(&access),
    ] {
        assert_token_not_valid(
            &app.drf_post("/token/verify/", json!({ "token": bad }))
                .await,
        );
    }
    // A used refresh token, and an access token past its lifetime.
    app.drf_post("/token/refresh/", json!({ "refresh": refresh }))
        .await
        .expect(200);
    assert_token_not_valid(
        &app.drf_post("/token/verify/", json!({ "token": refresh }))
            .await,
    );
    app.state.clock().advance(ACCESS_TTL + 120);
    assert_token_not_valid(
        &app.drf_post("/token/verify/", json!({ "token": access }))
            .await,
    );
}

#[tokio::test]
async fn verifying_a_used_refresh_token_is_a_reuse_that_ends_its_session() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, refresh) = app.drf_pair("alice", PASSWORD).await;
    let reply = app
        .drf_post("/token/refresh/", json!({ "refresh": refresh }))
        .await;
    let successor = reply.expect(200)["refresh"].as_str().unwrap().to_owned();
    // A thief checks whether the stolen (used) token still works: it does
    // not, and the check revokes the login, as presenting it to refresh would.
    assert_token_not_valid(
        &app.drf_post("/token/verify/", json!({ "token": refresh }))
            .await,
    );
    assert_token_not_valid(
        &app.drf_post("/token/refresh/", json!({ "refresh": successor }))
            .await,
    );
}

#[tokio::test]
async fn blacklist_ends_the_session_once() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (access, refresh) = app.drf_pair("alice", PASSWORD).await;
    let reply = app
        .drf_post("/token/blacklist/", json!({ "refresh": refresh }))
        .await;
    assert_eq!(reply.expect(200), &json!({}));
    assert_token_not_valid(
        &app.drf_post("/token/refresh/", json!({ "refresh": refresh }))
            .await,
    );
    // Again, an access token, garbage: simplejwt's 401.
    for bad in [refresh.as_str(), access.as_str(), "garbage"] {
        assert_token_not_valid(
            &app.drf_post("/token/blacklist/", json!({ "refresh": bad }))
                .await,
        );
    }
}

#[tokio::test]
async fn a_refresh_token_rotated_here_is_used_up_on_the_other_faces() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, refresh) = app.drf_pair("alice", PASSWORD).await;
    app.drf_post("/token/refresh/", json!({ "refresh": refresh }))
        .await
        .expect(200);
    app.past_reuse_interval();
    let rotated = app.rotate(&refresh).await;
    assert!(error_code(&rotated).is_some(), "{rotated:#}");
    app.refresh_grant(&refresh)
        .await
        .expect_oauth(400, "invalid_grant");
    // And one rotated on GraphQL is used up here.
    let (_, refresh, _) = app.login("alice", PASSWORD).await;
    assert_no_errors(&app.rotate(&refresh).await);
    app.past_reuse_interval();
    assert_token_not_valid(
        &app.drf_post("/token/refresh/", json!({ "refresh": refresh }))
            .await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_parallel_wrong_passwords_here_check_at_most_the_accounts_limit() {
    let app = spawn_app_with(|c| c.throttle.login_failures_per_account = 10).await;
    app.sign_up_default("alice").await;
    let guesses: Vec<String> = (0..40).map(|i| format!("wrong guess {i}")).collect();
    let replies = join_all(
        guesses
            .iter()
            .map(|g| app.drf_post("/login/", json!({ "username": "alice", "password": g }))),
    )
    .await;
    let checked = replies.iter().filter(|r| r.status == 401).count();
    let throttled: Vec<_> = replies.iter().filter(|r| r.status == 429).collect();
    assert!(
        checked <= 10,
        "{checked} passwords checked, the limit is 10"
    );
    assert_eq!(checked + throttled.len(), 40);
    let t = throttled[0];
    assert!(t.body["detail"]
        .as_str()
        .unwrap()
        .starts_with("Request was throttled."));
    assert!(t.header("retry-after").is_some());
    // The same bucket as every face: GraphQL is throttled too.
    assert_eq!(
        error_code(&app.token_auth("alice", PASSWORD, None).await),
        Some("RATE_LIMITED")
    );
}

#[tokio::test]
async fn the_slash_less_spelling_answers_and_other_methods_get_405_with_allow() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let reply = app
        .drf_post(
            "/login",
            json!({ "username": "alice", "password": PASSWORD }),
        )
        .await;
    assert!(reply.expect(200)["access"].is_string());
    for path in ["/login/", "/login", "/token/refresh/"] {
        let reply = app.rest_get(path, None).await;
        assert_eq!(reply.status, 405, "{path}");
        assert_eq!(reply.header("allow"), Some("POST"), "{path}");
        assert!(reply.body["detail"].is_string(), "{:#}", reply.body);
    }
    let reply = app
        .rest_json(Method::DELETE, "/user/update", json!({}), None)
        .await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET, PATCH, PUT"));
}
