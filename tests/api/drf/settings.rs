//! `GATEHOUSE_DJANGO_REST` and `GATEHOUSE_DJANGO_REST_PREFIX`, and the spec.

use serde_json::json;

use super::client::*;
use crate::helpers::*;

#[tokio::test]
async fn off_means_not_served_and_not_documented() {
    let app = spawn_app_with(|c| c.django_rest = false).await;
    app.sign_up_default("alice").await;
    let reply = app
        .client
        .post(app.url("/login/"))
        .json(&json!({ "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
    let spec = app.rest_get("/api/openapi.json", None).await;
    assert!(spec.expect(200)["paths"].get("/login/").is_none());
}

#[tokio::test]
async fn a_prefix_moves_every_path_and_the_spec_says_so() {
    let app = spawn_app_with(|c| c.django_rest_prefix = "/api/v1/".into()).await;
    app.sign_up_default("alice").await;
    let reply = app
        .drf_post(
            "/api/v1/login/",
            json!({ "username": "alice", "password": PASSWORD }),
        )
        .await;
    assert!(reply.expect(200)["access"].is_string());
    let reply = app
        .drf_post("/api/v1/token/verify", json!({ "token": "garbage" }))
        .await;
    assert_token_not_valid(&reply);
    let moved = app
        .client
        .post(app.url("/login/"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 404);
    let spec = app.rest_get("/api/openapi.json", None).await;
    let paths = &spec.expect(200)["paths"];
    assert!(paths.get("/api/v1/login/").is_some(), "{paths:#}");
    assert!(paths.get("/login/").is_none());
}

#[tokio::test]
async fn the_spec_documents_every_path_under_its_tag() {
    let app = spawn_app().await;
    let spec = app.rest_get("/api/openapi.json", None).await;
    let spec = spec.expect(200);
    for (path, method) in [
        ("/login/", "post"),
        ("/token/refresh/", "post"),
        ("/token/verify/", "post"),
        ("/token/blacklist/", "post"),
        ("/user/create/", "post"),
        ("/user/obtain_token/", "post"),
        ("/user/update/", "get"),
        ("/user/update/", "put"),
        ("/user/update/", "patch"),
    ] {
        let op = &spec["paths"][path][method];
        assert_eq!(
            op["tags"],
            json!(["Django REST compatibility"]),
            "{path} {method}"
        );
    }
    let tag = spec["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Django REST compatibility")
        .expect("the tag is described");
    assert!(tag["description"].as_str().unwrap().contains("PASETO"));
}
