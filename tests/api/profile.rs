//! `updateMe`: partial changes to the caller's email and names.

use serde_json::{json, Value};

use crate::helpers::*;

const UPDATE_ME: &str = "mutation ($email: String, $firstName: String, $lastName: String) {
  updateMe(email: $email, firstName: $firstName, lastName: $lastName) {
    user { id username email firstName lastName }
  }
}";

async fn update_me(app: &TestApp, token: &str, vars: Value) -> Value {
    app.graphql_as(token, UPDATE_ME, vars).await
}

#[tokio::test]
async fn update_me_changes_only_the_fields_given() {
    let app = spawn_app().await;
    let alice = app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;

    let body = update_me(&app, &token, json!({ "firstName": "Ada" })).await;
    assert_no_errors(&body);
    let u = &body["data"]["updateMe"]["user"];
    assert_eq!(u["id"], alice.user["id"]);
    assert_eq!(u["firstName"], "Ada");
    assert_eq!(u["lastName"], "");
    assert_eq!(u["email"], "alice@example.com");

    let body = update_me(&app, &token, json!({ "lastName": "Lovelace" })).await;
    assert_no_errors(&body);
    let u = &body["data"]["updateMe"]["user"];
    assert_eq!(u["firstName"], "Ada", "a field left out is unchanged");
    assert_eq!(u["lastName"], "Lovelace");

    let body = update_me(&app, &token, json!({ "email": "ada@example.org" })).await;
    assert_no_errors(&body);
    let u = &body["data"]["updateMe"]["user"];
    assert_eq!(u["email"], "ada@example.org");
    assert_eq!(u["firstName"], "Ada");
    assert_eq!(u["lastName"], "Lovelace");

    let me = app.me(Some(&bearer(&token))).await;
    assert_no_errors(&me);
    assert_eq!(me["data"]["me"]["email"], "ada@example.org");
    assert_eq!(me["data"]["me"]["firstName"], "Ada");
    assert_eq!(me["data"]["me"]["lastName"], "Lovelace");
}

#[tokio::test]
async fn a_changed_email_is_the_new_login_and_frees_the_old_one() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    assert_no_errors(&update_me(&app, &token, json!({ "email": "ada@example.org" })).await);
    let (_, _, payload) = app.login("ADA@example.org", PASSWORD).await;
    assert_eq!(payload["username"], "alice");
    assert_error(
        &app.token_auth("alice@example.com", PASSWORD, None).await,
        "tokenAuth",
        "INVALID_CREDENTIALS",
    );
    // The old address can be taken by someone else.
    app.sign_up("bob", "alice@example.com", PASSWORD).await;
}

#[tokio::test]
async fn an_email_taken_by_another_user_is_a_conflict() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    app.sign_up_default("bob").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    for taken in ["bob@example.com", "BOB@Example.com"] {
        let body = update_me(&app, &token, json!({ "email": taken })).await;
        assert_field_error(&body, "updateMe", "CONFLICT", "email");
    }
    let me = app.me(Some(&bearer(&token))).await;
    assert_eq!(
        me["data"]["me"]["email"], "alice@example.com",
        "nothing changed"
    );
}

#[tokio::test]
async fn keeping_ones_own_email_in_another_case_is_not_a_conflict() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let body = update_me(&app, &token, json!({ "email": "Alice@Example.com" })).await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["updateMe"]["user"]["email"],
        "Alice@Example.com"
    );
}

#[tokio::test]
async fn an_invalid_email_or_overlong_name_is_bad_user_input() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let body = update_me(&app, &token, json!({ "email": "not-an-email" })).await;
    assert_field_error(&body, "updateMe", "BAD_USER_INPUT", "email");
    let body = update_me(&app, &token, json!({ "firstName": "a".repeat(151) })).await;
    assert_field_error(&body, "updateMe", "BAD_USER_INPUT", "firstName");
    let body = update_me(&app, &token, json!({ "lastName": "a".repeat(151) })).await;
    assert_field_error(&body, "updateMe", "BAD_USER_INPUT", "lastName");
}

#[tokio::test]
async fn update_me_needs_a_token() {
    let app = spawn_app().await;
    let body = app
        .graphql(UPDATE_ME, json!({ "firstName": "Ada" }), None)
        .await;
    assert_error(&body, "updateMe", "UNAUTHENTICATED");
}
