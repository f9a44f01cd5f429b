//! GraphQL over HTTP: one operation per request, in JSON only, in a bounded
//! body; what is not such a request is refused with a status (and a code),
//! a document that does not parse or validate is refused before it runs,
//! and no answer is cached or sniffed.

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{json, Value};

use super::client::*;
use crate::helpers::*;

const JSON: &str = "application/json";

/// `POST /graphql` with this content type (if any) and body.
async fn post(app: &TestApp, content_type: Option<&str>, body: String) -> reqwest::Response {
    let mut req = app.client.post(app.url("/graphql")).body(body);
    if let Some(content_type) = content_type {
        req = req.header(CONTENT_TYPE, content_type);
    }
    req.send().await.expect("the request is sent")
}

/// `{ __typename }` with a `pad` variable of `size` bytes.
fn padded(size: usize) -> String {
    json!({ "query": "{ __typename }", "variables": { "pad": "x".repeat(size) } }).to_string()
}

/// A GraphQL request of exactly `size` bytes.
fn request_of(size: usize) -> String {
    let head = r#"{"query":"{ __typename }","variables":{"pad":""#;
    let tail = r#""}}"#;
    format!("{head}{}{tail}", "x".repeat(size - head.len() - tail.len()))
}

/// Every refusal before GraphQL runs: the wrong media type (415), too large
/// a body (413), JSON that is not one GraphQL request (400, with a code).
#[tokio::test]
async fn a_post_that_is_not_one_graphql_request_in_json_is_refused() {
    let app = spawn_app().await;
    let boundary = "XyZbOuNdArY";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n\
         {{\"query\":\"{{ me {{ id }} }}\"}}\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"map\"\r\n\r\n{{}}\r\n--{boundary}--\r\n"
    );
    let multipart_type = format!("multipart/form-data; boundary={boundary}");
    let form = "application/x-www-form-urlencoded";
    let query = r#"{"query":"{ __typename }"}"#;
    for (what, content_type, body, status) in [
        (
            "a form",
            Some(form),
            "query=%7B%20me%20%7B%20id%20%7D%20%7D".to_owned(),
            415,
        ),
        ("multipart", Some(multipart_type.as_str()), multipart, 415),
        ("no content type", None, query.to_owned(), 415),
        ("over 64 KiB", Some(JSON), padded(70 * 1024), 413),
    ] {
        let resp = post(&app, content_type, body).await;
        assert_eq!(resp.status(), status, "{what}");
    }
    for (what, body, code) in [
        (
            "malformed JSON",
            r#"{"query": "{ __typename }""#,
            "BAD_REQUEST",
        ),
        ("nothing", "", "BAD_REQUEST"),
        ("null", "null", "BAD_REQUEST"),
        ("a string", r#""{ __typename }""#, "BAD_REQUEST"),
        ("a number", "42", "BAD_REQUEST"),
        // `query` is required: without it the body is no GraphQL request.
        ("no query", r#"{"foo": 1}"#, "BAD_REQUEST"),
        (
            "a batch",
            r#"[{"query": "{ __typename }"}, {"query": "{ __typename }"}]"#,
            "BATCH_NOT_SUPPORTED",
        ),
    ] {
        let resp = post(&app, Some(JSON), body.to_owned()).await;
        assert_eq!(resp.status(), 400, "{what}");
        let body: Value = resp.json().await.expect("the error is JSON");
        assert_eq!(error_code(&body), Some(code), "{what}: {body:#}");
    }
}

#[tokio::test]
async fn one_graphql_request_in_json_is_accepted_with_a_charset_nulls_and_up_to_the_limit() {
    let app = spawn_app().await;
    let query = r#"{"query":"{ __typename }"}"#;
    let nulls =
        json!({ "query": "query Q { __typename }", "variables": null, "operationName": null });
    for (what, content_type, body) in [
        (
            "a charset parameter",
            "application/json; charset=utf-8",
            query.to_owned(),
        ),
        ("just under the limit", JSON, padded(60 * 1024)),
        ("null variables and operation name", JSON, nulls.to_string()),
    ] {
        let resp = post(&app, Some(content_type), body).await;
        assert_eq!(resp.status(), 200, "{what}");
        let body: Value = resp.json().await.expect("a JSON body");
        assert_eq!(body["data"]["__typename"], "Query", "{what}: {body:#}");
    }
}

#[tokio::test]
async fn the_body_limit_is_exactly_64_kib() {
    let app = spawn_app().await;
    for (size, status) in [(64 * 1024, 200), (64 * 1024 + 1, 413)] {
        let body = request_of(size);
        assert_eq!(body.len(), size);
        let resp = post(&app, Some(JSON), body).await;
        assert_eq!(resp.status(), status, "a body of {size} bytes");
    }
}

#[tokio::test]
async fn a_document_that_does_not_parse_or_validate_runs_nothing() {
    let app = spawn_app().await;
    for (document, code) in [
        ("{ me { id }", "GRAPHQL_PARSE_FAILED"),
        ("{ me { id nickname } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ whoever { id } }", "GRAPHQL_VALIDATION_FAILED"),
        // A required argument left out.
        (
            "mutation { tokenAuth(username: \"alice\") { token } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ] {
        let body = app.graphql(document, json!({}), None).await;
        assert_eq!(error_code(&body), Some(code), "{document}: {body:#}");
        assert!(body["data"].is_null(), "{document}: {body:#}");
    }
}

#[tokio::test]
async fn graphql_responses_are_not_cached_and_not_sniffed() {
    let app = spawn_app().await;
    let header = |resp: &reqwest::Response, name| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().expect("an ASCII header").to_owned())
    };
    let ok = app.post_graphql("{ __typename }", json!({}), None).await;
    assert_eq!(ok.status(), 200);
    // Error responses too, from GraphQL and from the transport.
    let refused = app.post_graphql("{ me { id } }", json!({}), None).await;
    let malformed = post(&app, Some(JSON), "{".into()).await;
    for (what, resp) in [("ok", ok), ("refused", refused), ("malformed", malformed)] {
        assert_eq!(
            header(&resp, CACHE_CONTROL.as_str()).as_deref(),
            Some("no-store"),
            "{what}"
        );
        assert_eq!(
            header(&resp, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{what}"
        );
    }
}
