//! Abuse resistance: login and sign-up throttling, no user enumeration,
//! GraphQL request limits.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

async fn token_auth(app: &TestApp, username: &str, password: &str) -> serde_json::Value {
    app.graphql(
        TOKEN_AUTH,
        json!({ "username": username, "password": password }),
        None,
    )
    .await
}

#[tokio::test]
async fn an_account_is_throttled_after_too_many_failures_and_its_owner_gets_in_after_the_window() {
    let app = spawn_app_with(|c| {
        c.throttle.login_failures_per_account = 3;
        c.throttle.login_window = 2;
    })
    .await;
    app.sign_up_default("alice").await;
    for _ in 0..3 {
        let body = token_auth(&app, "alice", "wrong password here").await;
        assert_error(&body, "tokenAuth", "INVALID_CREDENTIALS");
    }
    // Over the limit even the right password is refused, with a retry time.
    let body = token_auth(&app, "alice", PASSWORD).await;
    assert_error(&body, "tokenAuth", "RATE_LIMITED");
    let retry = body["errors"][0]["extensions"]["retryAfter"]
        .as_i64()
        .unwrap();
    assert!((1..=2).contains(&retry), "{body:#}");
    // Another spelling of the same account shares the bucket.
    assert_error(
        &token_auth(&app, "ALICE", PASSWORD).await,
        "tokenAuth",
        "RATE_LIMITED",
    );

    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_no_errors(&token_auth(&app, "alice", PASSWORD).await);
}

#[tokio::test]
async fn unknown_accounts_are_throttled_exactly_like_known_ones() {
    let app = spawn_app_with(|c| c.throttle.login_failures_per_account = 2).await;
    for _ in 0..2 {
        assert_error(
            &token_auth(&app, "ghost", "whatever pass").await,
            "tokenAuth",
            "INVALID_CREDENTIALS",
        );
    }
    assert_error(
        &token_auth(&app, "ghost", "whatever pass").await,
        "tokenAuth",
        "RATE_LIMITED",
    );
}

#[tokio::test]
async fn a_successful_login_forgets_the_accounts_failures() {
    let app = spawn_app_with(|c| c.throttle.login_failures_per_account = 3).await;
    app.sign_up_default("bob").await;
    for _ in 0..2 {
        token_auth(&app, "bob", "wrong password here").await;
    }
    assert_no_errors(&token_auth(&app, "bob", PASSWORD).await);
    for _ in 0..2 {
        let body = token_auth(&app, "bob", "wrong password here").await;
        assert_error(&body, "tokenAuth", "INVALID_CREDENTIALS");
    }
}

#[tokio::test]
async fn an_address_is_throttled_across_accounts_and_a_forged_forwarded_header_does_not_help() {
    let app = spawn_app_with(|c| {
        c.throttle.login_failures_per_address = 3;
        c.throttle.login_failures_per_account = 100;
    })
    .await;
    for (i, fake) in ["1.1.1.1", "2.2.2.2", "3.3.3.3"].iter().enumerate() {
        let resp = app
            .client
            .post(app.url("/graphql"))
            .header("x-forwarded-for", *fake)
            .json(&json!({ "query": TOKEN_AUTH, "variables": { "username": format!("user{i}"), "password": "nope nope nope" } }))
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_error(&body, "tokenAuth", "INVALID_CREDENTIALS");
    }
    // No proxy is trusted, so every attempt counted against 127.0.0.1.
    assert_error(
        &token_auth(&app, "someone-else", "nope nope nope").await,
        "tokenAuth",
        "RATE_LIMITED",
    );
}

#[tokio::test]
async fn a_trusted_proxys_forwarded_address_is_the_one_throttled() {
    let app = spawn_app_with(|c| {
        c.throttle.login_failures_per_address = 2;
        c.throttle.login_failures_per_account = 100;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let attempt = |ip: &'static str, user: &'static str| {
        let req = app
            .client
            .post(app.url("/graphql"))
            .header("x-forwarded-for", ip)
            .json(&json!({ "query": TOKEN_AUTH, "variables": { "username": user, "password": "nope nope nope" } }));
        async move {
            req.send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    attempt("1.1.1.1", "a").await;
    attempt("1.1.1.1", "b").await;
    assert_error(&attempt("1.1.1.1", "c").await, "tokenAuth", "RATE_LIMITED");
    // Another client behind the same proxy is not affected.
    assert_error(
        &attempt("2.2.2.2", "d").await,
        "tokenAuth",
        "INVALID_CREDENTIALS",
    );
}

#[tokio::test]
async fn sign_ups_are_throttled_per_address() {
    let app = spawn_app_with(|c| c.throttle.sign_ups_per_address = 2).await;
    app.sign_up_default("one").await;
    app.sign_up_default("two").await;
    let body = app
        .create_user("three", "three@example.com", PASSWORD, None)
        .await;
    assert_error(&body, "createUser", "RATE_LIMITED");
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_look_and_time_the_same() {
    let app = spawn_app_with(|c| {
        c.throttle.login_failures_per_account = 10_000;
        c.throttle.login_failures_per_address = 10_000;
    })
    .await;
    app.sign_up_default("carol").await;
    let wrong = token_auth(&app, "carol", "not her password").await;
    let unknown = token_auth(&app, "nobody-at-all", "not her password").await;
    assert_eq!(
        wrong["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
    assert_eq!(
        wrong["errors"][0]["extensions"],
        unknown["errors"][0]["extensions"]
    );
    assert_eq!(wrong["data"], unknown["data"]);

    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    // Interleaved pairs, so machine noise (other tests run in parallel)
    // hits both alike; the medians of the two series are compared.
    for i in 0..41 {
        let mut pair = [Duration::ZERO; 2];
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let user = if which == 0 { "carol" } else { "nobody-at-all" };
            let t = Instant::now();
            token_auth(&app, user, "not her password").await;
            pair[which] = t.elapsed();
        }
        known_times.push(pair[0]);
        unknown_times.push(pair[1]);
    }
    let (k, u) = (
        median(known_times).as_secs_f64(),
        median(unknown_times).as_secs_f64(),
    );
    let ratio = k.max(u) / k.min(u);
    assert!(
        ratio <= 1.2,
        "median wrong-password {k:.4}s vs unknown-user {u:.4}s"
    );
}

#[tokio::test]
async fn fifty_aliased_logins_in_one_request_do_no_password_check() {
    let app = spawn_app().await;
    app.sign_up_default("dave").await;
    let fields: String = (0..50)
        .map(|i| {
            format!("a{i}: tokenAuth(username: \"dave\", password: \"guess{i}\") {{ token }} ")
        })
        .collect();
    let body = app
        .graphql(&format!("mutation {{ {fields} }}"), json!({}), None)
        .await;
    assert_eq!(
        error_code(&body),
        Some("TOO_MANY_PASSWORD_CHECKS"),
        "{body:#}"
    );
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn deep_wide_and_alias_heavy_queries_are_refused_with_their_own_codes() {
    let app = spawn_app().await;
    let deep = format!("{{ {}__typename{} }}", "me { ".repeat(13), " }".repeat(13));
    assert_eq!(
        error_code(&app.graphql(&deep, json!({}), None).await),
        Some("QUERY_TOO_DEEP")
    );
    let wide = format!("{{ me {{ {} }} }}", "id ".repeat(201));
    assert_eq!(
        error_code(&app.graphql(&wide, json!({}), None).await),
        Some("QUERY_TOO_COMPLEX")
    );
    let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    let body = app
        .graphql(&format!("{{ {aliases} }}"), json!({}), None)
        .await;
    assert_eq!(error_code(&body), Some("TOO_MANY_ALIASES"));
}

#[tokio::test]
async fn the_full_introspection_query_still_works_under_the_limits() {
    let app = spawn_app().await;
    let q = "query IntrospectionQuery { __schema { queryType { name } mutationType { name } \
             types { ...FullType } directives { name locations args { ...InputValue } } } } \
             fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description \
             args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue } \
             interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name isDeprecated deprecationReason } \
             possibleTypes { ...TypeRef } } \
             fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue } \
             fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name \
             ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";
    let body = app.graphql(q, json!({}), None).await;
    assert_no_errors(&body);
    assert!(body["data"]["__schema"]["types"].as_array().unwrap().len() > 10);
}
