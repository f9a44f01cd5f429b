//! CORS: only for the configured origins, for every method the faces
//! answer, and never in the way of the server's own pages.

use reqwest::Method;
use serde_json::json;

use crate::csrf::{APP, EVIL};
use crate::helpers::*;

async fn preflight(app: &TestApp, path: &str, origin: &str, method: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

async fn post_from(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .post(app.url("/graphql"))
        .header("origin", origin)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_is_off_unless_origins_are_configured() {
    let app = spawn_app().await;
    let resp = post_from(&app, EVIL).await;
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    let pre = preflight(&app, "/graphql", EVIL, "POST").await;
    assert!(pre.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cors_allows_exactly_the_configured_origins() {
    let app = spawn_app_with(|c| c.cors_origins = vec![APP.into()]).await;
    let ok = preflight(&app, "/graphql", APP, "POST").await;
    assert_eq!(
        ok.headers().get("access-control-allow-origin").unwrap(),
        APP
    );
    assert!(ok
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let evil = preflight(&app, "/graphql", EVIL, "POST").await;
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    let post = post_from(&app, APP).await;
    assert_eq!(
        post.headers().get("access-control-allow-origin").unwrap(),
        APP
    );
    // The answer depends on the Origin: caches are told so.
    assert_eq!(post.headers().get("vary").unwrap(), "Origin");
}

/// Every method a face answers with a body passes the preflight: `PUT` is
/// the Django REST face's `user/update/`.
#[tokio::test]
async fn cors_preflights_pass_for_every_method_the_faces_answer() {
    let app = spawn_app_with(|c| c.cors_origins = vec![APP.into()]).await;
    for (path, method) in [
        ("/user/update/", "PUT"),
        ("/user/update/", "PATCH"),
        ("/api/users/me", "PATCH"),
        ("/login/", "POST"),
    ] {
        let pre = preflight(&app, path, APP, method).await;
        assert_eq!(pre.status(), 200, "{method} {path}");
        assert_eq!(
            pre.headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap()),
            Some(APP),
            "{method} {path}"
        );
        let allowed = pre.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(allowed.contains(method), "{method} {path}: {allowed}");
    }
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

/// The security tester's requests: a hostile page's form creating an
/// account or trying a login. Each is refused in its path's shape, and
/// nothing was done (the same account can be created afterwards).
/// The server's own pages (GraphiQL, Swagger UI) post with their own
/// `Origin`: with CORS on for other origins, they are not refused.
#[tokio::test]
async fn with_cors_on_the_servers_own_pages_still_post() {
    let app = spawn_app_with(|c| c.cors_origins = vec![APP.into()]).await;
    let own = app.address.clone();
    let reply = app
        .client
        .post(app.url("/graphql"))
        .header("origin", &own)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let reply = app
        .client
        .post(app.url("/api/users"))
        .header("origin", &own)
        .json(&json!({ "username": "own", "email": "own@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 201);
    // Another origin is still refused by CORS.
    let reply = app
        .client
        .post(app.url("/graphql"))
        .header("origin", "https://evil.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 403);
}
