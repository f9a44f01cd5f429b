//! Transport hygiene: CORS only for configured origins, no caching of
//! responses that carry tokens, nosniff everywhere.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url("/graphql"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_is_off_unless_origins_are_configured() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("origin", "https://evil.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    let pre = preflight(&app, "https://evil.example").await;
    assert!(pre.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cors_allows_exactly_the_configured_origins() {
    let app = spawn_app_with(|c| c.cors_origins = vec!["https://app.example".into()]).await;
    let ok = preflight(&app, "https://app.example").await;
    assert_eq!(
        ok.headers().get("access-control-allow-origin").unwrap(),
        "https://app.example"
    );
    assert!(ok
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let evil = preflight(&app, "https://evil.example").await;
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    let post = app
        .client
        .post(app.url("/graphql"))
        .header("origin", "https://app.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        post.headers().get("access-control-allow-origin").unwrap(),
        "https://app.example"
    );
}

#[test]
fn a_wildcard_or_malformed_cors_origin_is_a_configuration_error() {
    for bad in ["*", "app.example", "https://app.example/path"] {
        let err = gatehouse::config::Config::from_lookup(|k| {
            (k == "GATEHOUSE_CORS_ORIGINS").then(|| bad.to_owned())
        })
        .unwrap_err();
        assert_eq!(err.name, "GATEHOUSE_CORS_ORIGINS", "{bad}");
    }
}

#[tokio::test]
async fn token_bearing_responses_are_never_cached_and_never_sniffed() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let login = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": TOKEN_AUTH, "variables": { "username": "alice", "password": PASSWORD } }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.headers().get("cache-control").unwrap(), "no-store");
    assert_eq!(
        login.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    let token = app
        .client
        .post(app.url("/api/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    assert_eq!(token.headers().get("cache-control").unwrap(), "no-store");
    assert_eq!(
        token.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    let me = app
        .client
        .get(app.url("/api/users/me"))
        .header("authorization", "Bearer nonsense")
        .send()
        .await
        .unwrap();
    assert_eq!(me.headers().get("cache-control").unwrap(), "no-store");
}
