//! GraphQL's request limits: no password check for a document of many
//! aliased logins, and depth, width and aliases bounded with their own
//! codes, while the full introspection query still runs.

use serde_json::json;

use super::client::*;
use crate::helpers::*;

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

/// `deleteMe` checks a password too: two in one document are refused
/// before either runs, and the account is still there.
#[tokio::test]
async fn two_aliased_delete_mes_in_one_request_do_no_password_check() {
    let app = spawn_app().await;
    app.sign_up_default("dave").await;
    let (token, _, _) = app.login("dave", PASSWORD).await;
    let fields: String = (0..2)
        .map(|i| format!("a{i}: deleteMe(password: \"guess{i}\") {{ success }} "))
        .collect();
    let body = app
        .graphql_as(&token, &format!("mutation {{ {fields} }}"), json!({}))
        .await;
    assert_eq!(
        error_code(&body),
        Some("TOO_MANY_PASSWORD_CHECKS"),
        "{body:#}"
    );
    let me = app
        .graphql_as(&token, "{ me { username } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["username"], "dave", "{me:#}");
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

/// The limits are the configured ones, not the defaults (mutation testing:
/// the service handing the defaults to the face failed no test).
#[tokio::test]
async fn configured_limits_are_the_ones_applied() {
    let app = spawn_app_with(|c| {
        c.graphql_limits.max_depth = 3;
        c.graphql_limits.max_aliases = 2;
    })
    .await;
    let deep = format!("{{ {}__typename{} }}", "me { ".repeat(4), " }".repeat(4));
    assert_eq!(
        error_code(&app.graphql(&deep, json!({}), None).await),
        Some("QUERY_TOO_DEEP")
    );
    let body = app
        .graphql(
            "{ a: __typename b: __typename c: __typename }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(error_code(&body), Some("TOO_MANY_ALIASES"));
    let body = app
        .graphql("{ a: __typename b: __typename }", json!({}), None)
        .await;
    assert_no_errors(&body);
}

/// An argument that does not coerce to its type is BAD_USER_INPUT, never
/// INTERNAL (a code kept for the server's own faults): a DateTime that is
/// none, an Int out of range.
#[tokio::test]
async fn arguments_that_do_not_coerce_are_bad_user_input() {
    let app = spawn_app().await;
    app.create_staff("auditor", PASSWORD).await;
    let (token, _, _) = app.login("auditor", PASSWORD).await;
    for (query, variables) in [
        (
            r#"{ authEvents(filter: {since: "nope"}) { nodes { id } } }"#,
            json!({}),
        ),
        (
            r#"{ authEvents(filter: {since: "10000-01-01T00:00:00Z"}) { nodes { id } } }"#,
            json!({}),
        ),
        (
            "{ authEvents(first: 99999999999) { nodes { id } } }",
            json!({}),
        ),
        (
            "query ($s: DateTime) { authEvents(filter: {until: $s}) { nodes { id } } }",
            json!({ "s": 17 }),
        ),
        ("{ users(limit: 99999999999) { id } }", json!({})),
    ] {
        let body = app.graphql_as(&token, query, variables).await;
        let code = body["errors"][0]["extensions"]["code"].as_str();
        assert!(
            matches!(code, Some("BAD_USER_INPUT" | "GRAPHQL_VALIDATION_FAILED")),
            "{query}: {body:#}"
        );
    }
}
