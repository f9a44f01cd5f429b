//! HTTP around GraphQL: JSON only, bounded bodies, one operation per
//! request, error codes for bad requests, GraphiQL, the SDL, health checks
//! and security headers.

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{json, Value};

use crate::helpers::*;

fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

#[tokio::test]
async fn a_form_encoded_post_is_unsupported_media_type() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("query=%7B%20me%20%7B%20id%20%7D%20%7D")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
}

#[tokio::test]
async fn a_multipart_post_is_unsupported_media_type() {
    let app = spawn_app().await;
    let boundary = "XyZbOuNdArY";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n\
         {{\"query\":\"{{ me {{ id }} }}\"}}\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"map\"\r\n\r\n{{}}\r\n--{boundary}--\r\n"
    );
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
}

#[tokio::test]
async fn a_post_without_a_content_type_is_unsupported_media_type() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
}

#[tokio::test]
async fn json_with_a_charset_parameter_is_accepted() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["__typename"], "Query");
}

#[tokio::test]
async fn a_body_over_64_kib_is_payload_too_large() {
    let app = spawn_app().await;
    let body = json!({ "query": "{ __typename }", "variables": { "pad": "x".repeat(70 * 1024) } });
    let resp = app
        .client
        .post(app.url("/graphql"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn a_body_just_under_the_limit_is_accepted() {
    let app = spawn_app().await;
    let body = json!({ "query": "{ __typename }", "variables": { "pad": "x".repeat(60 * 1024) } });
    let resp = app
        .client
        .post(app.url("/graphql"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// A GraphQL request of exactly `size` bytes.
fn request_of(size: usize) -> String {
    let head = r#"{"query":"{ __typename }","variables":{"pad":""#;
    let tail = r#""}}"#;
    format!("{head}{}{tail}", "x".repeat(size - head.len() - tail.len()))
}

#[tokio::test]
async fn the_body_limit_is_exactly_64_kib() {
    let app = spawn_app().await;
    for (size, status) in [(64 * 1024, 200), (64 * 1024 + 1, 413)] {
        let body = request_of(size);
        assert_eq!(body.len(), size);
        let resp = app
            .client
            .post(app.url("/graphql"))
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "a body of {size} bytes");
    }
}

#[tokio::test]
async fn malformed_json_is_a_bad_request() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"query": "{ __typename }""#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("the error is JSON");
    assert_eq!(code(&body), Some("BAD_REQUEST"), "{body:#}");
}

#[tokio::test]
async fn json_that_is_not_a_graphql_request_is_a_bad_request() {
    let app = spawn_app().await;
    for raw in ["", "null", r#""{ __typename }""#, "42"] {
        let resp = app
            .client
            .post(app.url("/graphql"))
            .header(CONTENT_TYPE, "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "body {raw:?}");
        let body: Value = resp.json().await.expect("the error is JSON");
        assert_eq!(code(&body), Some("BAD_REQUEST"), "body {raw:?}: {body:#}");
    }
}

#[tokio::test]
async fn a_json_object_without_a_query_is_a_bad_request() {
    // GraphQL over HTTP: `query` is required; a body without it is not a
    // GraphQL request at all, so it is refused before any GraphQL runs.
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "foo": 1 }))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.expect("the error is JSON");
    assert_eq!(status, 400, "{body:#}");
    assert_eq!(code(&body), Some("BAD_REQUEST"), "{body:#}");
}

#[tokio::test]
async fn null_variables_and_operation_name_are_accepted() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .json(
            &json!({ "query": "query Q { __typename }", "variables": null, "operationName": null }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["__typename"], "Query", "{body:#}");
}

#[tokio::test]
async fn a_batch_is_not_supported() {
    let app = spawn_app().await;
    let batch = json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]);
    let resp = app
        .client
        .post(app.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("the error is JSON");
    assert_eq!(code(&body), Some("BATCH_NOT_SUPPORTED"), "{body:#}");
}

#[tokio::test]
async fn a_syntax_error_is_graphql_parse_failed() {
    let app = spawn_app().await;
    let body = app.graphql("{ me { id }", json!({}), None).await;
    assert_eq!(code(&body), Some("GRAPHQL_PARSE_FAILED"), "{body:#}");
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn an_unknown_field_is_graphql_validation_failed() {
    let app = spawn_app().await;
    let body = app.graphql("{ me { id nickname } }", json!({}), None).await;
    assert_eq!(code(&body), Some("GRAPHQL_VALIDATION_FAILED"), "{body:#}");
    assert!(body["data"].is_null());
    let body = app.graphql("{ whoever { id } }", json!({}), None).await;
    assert_eq!(code(&body), Some("GRAPHQL_VALIDATION_FAILED"), "{body:#}");
}

#[tokio::test]
async fn a_missing_required_argument_is_graphql_validation_failed() {
    let app = spawn_app().await;
    let body = app
        .graphql(
            "mutation { tokenAuth(username: \"alice\") { token } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(code(&body), Some("GRAPHQL_VALIDATION_FAILED"), "{body:#}");
}

#[tokio::test]
async fn get_graphql_serves_graphiql() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let ct = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/html"), "content type {ct}");
    let html = resp.text().await.unwrap();
    assert!(html.to_lowercase().contains("<html"), "an HTML page");
    assert!(
        html.contains("graphiql") || html.contains("GraphiQL"),
        "the GraphiQL page"
    );
}

#[tokio::test]
async fn get_schema_graphql_serves_the_committed_schema_exactly() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/schema.graphql"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let served = resp.text().await.unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        served == committed,
        "GET /schema.graphql differs from schema.graphql"
    );
}

#[tokio::test]
async fn health_and_readiness_checks_answer_200() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn graphql_responses_are_not_cached_and_not_sniffed() {
    let app = spawn_app().await;
    let resp = app.post_graphql("{ __typename }", json!({}), None).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get(CACHE_CONTROL)
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    assert_eq!(
        resp.headers()
            .get("x-content-type-options")
            .map(|v| v.to_str().unwrap()),
        Some("nosniff")
    );
    // Error responses too, from GraphQL and from the transport.
    let resp = app.post_graphql("{ me { id } }", json!({}), None).await;
    assert_eq!(
        resp.headers()
            .get(CACHE_CONTROL)
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()
            .get(CACHE_CONTROL)
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    assert_eq!(
        resp.headers()
            .get("x-content-type-options")
            .map(|v| v.to_str().unwrap()),
        Some("nosniff")
    );
}

#[tokio::test]
async fn every_route_says_nosniff() {
    let app = spawn_app().await;
    for path in ["/graphql", "/schema.graphql", "/healthz", "/readyz"] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            resp.headers()
                .get("x-content-type-options")
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_declared_body_over_the_limit_gets_413_before_100_continue() {
    let app = spawn_app().await;
    for (path, content_type) in [
        ("/graphql", "application/json"),
        ("/api/token", "application/x-www-form-urlencoded"),
        ("/api/users", "application/json"),
    ] {
        // The head only: a client that asks for 100 Continue waits for it
        // before sending its body.
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n\
             Content-Length: 10000000\r\nExpect: 100-continue\r\n\r\n"
        );
        let response = crate::raw::exchange(
            &app.address,
            head.into_bytes(),
            std::time::Duration::from_secs(3),
        )
        .await;
        assert!(
            response.starts_with("HTTP/1.1 413"),
            "{path}: expected a 413 first, got {response:?}"
        );
        assert!(!response.contains("100 Continue"), "{path}: {response:?}");
        let body = &response[response.find("\r\n\r\n").map_or(0, |i| i + 4)..];
        assert!(
            body.contains("PAYLOAD_TOO_LARGE") || body.contains("invalid_request"),
            "{path}: {body}"
        );
    }
    // Within the limit, the client is told to go on.
    let head = "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                Content-Length: 26\r\nExpect: 100-continue\r\n\r\n";
    let response = crate::raw::exchange(
        &app.address,
        head.as_bytes().to_vec(),
        std::time::Duration::from_secs(1),
    )
    .await;
    assert!(
        response.starts_with("HTTP/1.1 100 Continue"),
        "{response:?}"
    );
}
