//! Abuse resistance across accounts: throttling by client address (and
//! which address that is behind a proxy), and failed logins that take the
//! same time whether or not the user exists. (Per-account and sign-up
//! throttling, on both faces: `both/`; GraphQL's request limits:
//! `graphql/limits.rs`.)

use std::time::{Duration, Instant};

use serde_json::json;

use crate::graphql::client::*;
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

    // Pairs measured back to back, in alternating order, so machine noise
    // (other tests run in parallel, some of them heavy) hits both sides of
    // a pair alike; the median of the pairs' ratios is compared, which one
    // burst of load on one side of a few pairs does not move.
    let mut ratios = Vec::new();
    for i in 0..41 {
        let mut pair = [Duration::ZERO; 2];
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let user = if which == 0 { "carol" } else { "nobody-at-all" };
            let t = Instant::now();
            token_auth(&app, user, "not her password").await;
            pair[which] = t.elapsed();
        }
        ratios.push(pair[0].as_secs_f64() / pair[1].as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    assert!(
        (1.0 / 1.2..=1.2).contains(&ratio),
        "median of wrong-password / unknown-user times: {ratio:.3} (pairs: {ratios:.3?})"
    );
}

/// A password reset asked for an account's address and for an unknown one:
/// the same status, body and headers. (Their time is the same by
/// construction: the lookup and the mail happen after the answer, and the
/// work before it is the same two throttle counts; the attack review
/// measured 0.1 ms between medians over 300 samples. A timed test cannot
/// tell a millisecond of inline work from this machine's noise.)
#[tokio::test]
async fn a_reset_for_an_account_and_for_an_unknown_address_look_the_same() {
    use reqwest::Method;
    let app = spawn_app().await;
    app.sign_up_default("carol").await;
    let ask = |email: &'static str| {
        app.rest_json(
            Method::POST,
            "/api/account/password-reset",
            json!({ "email": email }),
            None,
        )
    };
    let known = ask("carol@example.com").await;
    let unknown = ask("nobody@example.com").await;
    assert_eq!(known.status, 202);
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    let names = |r: &crate::rest::client::Reply| {
        let mut h: Vec<String> = r
            .headers
            .iter()
            .filter(|(k, _)| *k != "date" && *k != "x-request-id")
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("?")))
            .collect();
        h.sort();
        h
    };
    assert_eq!(names(&known), names(&unknown));
}
