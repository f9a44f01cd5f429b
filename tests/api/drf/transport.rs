//! Bodies the face refuses before any operation: each in DRF's `{"detail"}`
//! shape, with the same limits as `/api`, and never repeating a value.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn bad_bodies_are_400s_in_drfs_shape_without_their_values() {
    let app = spawn_app().await;
    let secret = "hunter2-secret";
    let cases: [(&str, String); 5] = [
        (
            "application/json",
            format!(r#"{{"username": "a", "password": "{secret}", "password": "x"}}"#),
        ),
        ("application/json", format!(r#"["{secret}"]"#)),
        (
            "application/json",
            format!(r#"{{"username": "a", "password": "{secret}""#),
        ),
        (
            "application/json",
            format!(r#"{{"username": ["{secret}"], "password": "x"}}"#),
        ),
        (
            "application/x-www-form-urlencoded",
            format!("username=a&password={secret}&password=b"),
        ),
    ];
    for (content_type, body) in cases {
        let reply = app
            .send(
                app.rest(Method::POST, "/login/", None)
                    .header("content-type", content_type)
                    .body(body.clone()),
            )
            .await;
        assert_eq!(reply.status, 400, "{body}: {:#}", reply.body);
        assert!(reply.body["detail"].is_string(), "{body}: {:#}", reply.body);
        assert!(!reply.body.to_string().contains(secret), "{:#}", reply.body);
    }
    let reply = app
        .send(
            app.rest(Method::POST, "/login/", None)
                .header("content-type", "text/plain")
                .body("username=a"),
        )
        .await;
    assert_eq!(reply.status, 415);
    assert!(reply.body["detail"].is_string());
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_whether_declared_or_streamed() {
    let app = spawn_app().await;
    let limit = app.state.config().max_body_bytes;
    let big = json!({ "username": "a".repeat(limit), "password": "x" });
    let reply = app.rest_json(Method::POST, "/login/", big, None).await;
    assert_eq!(reply.status, 413);
    assert!(reply.body["detail"].is_string(), "{:#}", reply.body);
    let (status, body) = app
        .post_chunked("/user/create/", "application/json", vec![b' '; limit + 10])
        .await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("detail"), "{body}");
}
