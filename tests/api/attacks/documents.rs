//! GraphQL documents built to cost more than their size.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::graphql::client::*;
use crate::helpers::*;

/// What a request may take on a slow CI machine (the refusals below take
/// well under a millisecond of checking).
const BOUND: Duration = Duration::from_secs(2);

/// The default body limit (`GATEHOUSE_MAX_BODY_BYTES`).
const BODY_LIMIT: usize = 64 * 1024;

/// `fragment Fk on Query { ...F(k-1) ...F(k-1) }` for k up to `levels`,
/// spread once by the operation: 2^levels copies of `leaf` once expanded.
fn bomb(levels: usize, leaf: &str) -> String {
    let mut q = format!("{{ ...F{levels} }} fragment F0 on Query {{ {leaf} }} ");
    for k in 1..=levels {
        q += &format!("fragment F{k} on Query {{ ...F{} ...F{} }} ", k - 1, k - 1);
    }
    q
}

/// The size of the body `TestApp::graphql` sends for `query`.
fn body_len(query: &str) -> usize {
    json!({ "query": query, "variables": {} }).to_string().len()
}

/// The deepest bomb whose request fits in the body limit.
fn largest_bomb(leaf: &str) -> (usize, String) {
    let mut levels = 34;
    while body_len(&bomb(levels + 1, leaf)) <= BODY_LIMIT {
        levels += 1;
    }
    (levels, bomb(levels, leaf))
}

/// Sends `query` and returns the body, failing if it takes longer than `BOUND`.
async fn answered_in_time(app: &TestApp, query: &str) -> Value {
    let started = Instant::now();
    let body = tokio::time::timeout(BOUND, app.graphql(query, json!({}), None))
        .await
        .unwrap_or_else(|_| panic!("no answer within {BOUND:?}"));
    let took = started.elapsed();
    assert!(took < BOUND, "answered after {took:?}");
    body
}

fn assert_refused(body: &Value, code: &str) {
    assert_eq!(error_code(body), Some(code), "{body:#}");
    assert!(body["data"].is_null(), "nothing ran: {body:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_bomb_ending_in_an_unknown_fragment_is_refused_at_once() {
    let app = spawn_app().await;
    let (max, largest) = largest_bomb("...Missing");
    assert!(max > 1000, "{max} levels fit in the body limit");
    for query in [bomb(22, "...Missing"), bomb(34, "...Missing"), largest] {
        let body = answered_in_time(&app, &query).await;
        assert_refused(&body, "UNKNOWN_FRAGMENT");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_bomb_of_introspection_fields_is_refused_at_once() {
    let app = spawn_app().await;
    let leaf = "__schema { queryType { name } }";
    let (max, largest) = largest_bomb(leaf);
    assert!(max > 1000, "{max} levels fit in the body limit");
    for query in [bomb(22, leaf), bomb(34, leaf), largest] {
        let body = answered_in_time(&app, &query).await;
        assert_refused(&body, "INTROSPECTION_TOO_COMPLEX");
    }
    // The same with `__type`, whose leaf async-graphql executed 2^n times.
    let body = answered_in_time(&app, &bomb(22, "__type(name: \"Query\") { name }")).await;
    assert_refused(&body, "INTROSPECTION_TOO_COMPLEX");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_bomb_of_ordinary_fields_is_refused_at_once() {
    let app = spawn_app().await;
    let (_, largest) = largest_bomb("__typename");
    for query in [bomb(22, "__typename"), bomb(34, "__typename"), largest] {
        let body = answered_in_time(&app, &query).await;
        assert_refused(&body, "QUERY_TOO_COMPLEX");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_bomb_in_an_operation_that_does_not_run_is_refused_at_once() {
    let app = spawn_app().await;
    // async-graphql walks every operation, run or not.
    let query = format!(
        "query Run {{ __typename }} query Other {}",
        bomb(34, "__typename")
    );
    let started = Instant::now();
    let resp = tokio::time::timeout(
        BOUND,
        app.client
            .post(app.url("/graphql"))
            .json(&json!({ "query": query, "operationName": "Run" }))
            .send(),
    )
    .await
    .expect("an answer in time")
    .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert!(started.elapsed() < BOUND);
    assert_refused(&body, "QUERY_TOO_COMPLEX");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_that_spreads_itself_twice_is_refused_at_once() {
    let app = spawn_app().await;
    let body = answered_in_time(&app, "{ ...A } fragment A on Query { ...A ...A }").await;
    assert_refused(&body, "FRAGMENT_CYCLE");
}

#[tokio::test]
async fn two_hundred_aliased_schema_queries_are_refused() {
    let app = spawn_app().await;
    let fields: String = (0..200)
        .map(|i| format!("a{i}: __schema {{ types {{ name fields {{ name }} }} }} "))
        .collect();
    let body = app
        .graphql(&format!("{{ {fields} }}"), json!({}), None)
        .await;
    assert_refused(&body, "TOO_MANY_INTROSPECTION_ALIASES");
    // A few are still answered.
    let few: String = (0..3)
        .map(|i| format!("a{i}: __schema {{ types {{ name }} }} "))
        .collect();
    let body = app.graphql(&format!("{{ {few} }}"), json!({}), None).await;
    assert_no_errors(&body);
    assert!(body["data"]["a2"]["types"].as_array().unwrap().len() > 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brackets_nested_thousands_deep_are_refused_and_the_server_stays_up() {
    let app = spawn_app().await;
    // The parser recursed on each level: some 2,000 overflowed a 2 MiB
    // stack and aborted the process (beyond some 6,000 it gave up in time).
    for levels in [1_500, 3_000, 5_000, 20_000] {
        for (open, close) in [("[", "]"), ("{a: ", "}")] {
            let query = format!(
                "{{ users(limit: {}1{}) {{ id }} }}",
                open.repeat(levels),
                close.repeat(levels)
            );
            if body_len(&query) > BODY_LIMIT {
                continue;
            }
            let body = answered_in_time(&app, &query).await;
            assert_refused(&body, "QUERY_TOO_DEEP");
        }
    }
    let body = app.graphql("{ __typename }", json!({}), None).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_operations_spreading_one_fragment_of_undefined_variables_are_refused() {
    let app = spawn_app().await;
    // Every operation spreading the fragment got an error per variable:
    // a 41 KB body was answered with 373 MB of errors.
    let vars: String = (0..4096).map(|i| format!("$v{i} ")).collect();
    let mut query = format!("fragment F on Query {{ users(limit: [{vars}]) {{ id }} }} ");
    for i in 0..680 {
        query += &format!("query Q{i} {{ ...F }} ");
    }
    assert!(body_len(&query) <= BODY_LIMIT);
    let started = Instant::now();
    let resp = tokio::time::timeout(
        BOUND,
        app.client
            .post(app.url("/graphql"))
            .json(&json!({ "query": query, "operationName": "Q0" }))
            .send(),
    )
    .await
    .expect("an answer in time")
    .unwrap();
    let text = resp.text().await.unwrap();
    assert!(started.elapsed() < BOUND);
    assert!(text.len() < 1000, "{} bytes of answer", text.len());
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_refused(&body, "QUERY_TOO_COMPLEX");
}

/// The attack review: a syntax error quoted the source line, password and
/// all (clients that paste strings into queries break on a quote or a
/// backslash in a password).
#[tokio::test]
async fn a_syntax_error_never_quotes_the_query() {
    let app = spawn_app().await;
    for query in [
        r#"mutation{tokenAuth(username:"bob",password:"SeCrEtPw7""#,
        r#"mutation{tokenAuth(username:"bob",password:"SeCrEtPw8\x"){token}}"#,
        "mutation{tokenAuth(username:\"bob\",password:\"SeCrEtPw9",
    ] {
        let body = app.graphql(query, serde_json::json!({}), None).await;
        let text = body.to_string();
        assert!(!text.contains("SeCrEtPw"), "{text}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "GRAPHQL_PARSE_FAILED",
            "{text}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("Syntax error at line 1"),
            "{text}"
        );
    }
}

/// Two `query` members: the JSON parser would keep the last; refused.
#[tokio::test]
async fn a_repeated_query_member_is_refused() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(r#"{"query":"{__typename}","query":"SeCrEtPw18"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("BAD_REQUEST") && !text.contains("SeCrEtPw"),
        "{text}"
    );
}

/// One error per duplicate variable made a 28 KB request a 1.1 MB answer.
#[tokio::test]
async fn errors_are_capped_so_the_answer_stays_small() {
    let app = spawn_app().await;
    let vars: String = (0..4000).map(|_| "$v:Int,").collect();
    let query = format!("query({vars}){{__typename}}");
    let resp = app.post_graphql(&query, serde_json::json!({}), None).await;
    let text = resp.text().await.unwrap();
    assert!(text.len() < 8_000, "{} bytes", text.len());
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 21, "{text}");
    assert_eq!(errors[20]["extensions"]["code"], "TOO_MANY_ERRORS");
}

/// Errors repeat names from the document and the operation name: neither
/// may be more than a name (the review got a 60 KB name back whole, and an
/// operationName with markup and a bidi override).
#[tokio::test]
async fn long_names_and_odd_operation_names_are_refused_not_repeated() {
    let app = spawn_app().await;
    let long = "a".repeat(60_000);
    let body = app.graphql(&format!("{{ {long} }}"), json!({}), None).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NAME_TOO_LONG");
    assert!(body.to_string().len() < 1_000);
    let resp = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({
            "query": "query A { __typename }",
            "operationName": "<script>alert(1)</script> hunter2 \u{202e}",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let text = resp.text().await.unwrap();
    assert!(
        !text.contains("hunter2") && !text.contains("script"),
        "{text}"
    );
}
