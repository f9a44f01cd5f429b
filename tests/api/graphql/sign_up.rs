//! What only GraphQL's sign-up does: the older spelling `userCreate`, a
//! `User` type with no password to select, and an `Authorization` header
//! that a public mutation ignores.

use serde_json::json;

use super::client::*;
use crate::helpers::*;

/// `userCreate` runs the same rules as `createUser`: one conflict and one
/// refused password stand for them.
#[tokio::test]
async fn user_create_is_the_same_as_create_user() {
    let app = spawn_app().await;
    let user_create = |username: &str, email: &str, password: &str| {
        let vars = json!({ "username": username, "email": email, "password": password });
        app.graphql(USER_CREATE, vars, None)
    };
    let body = user_create("bob", "bob@example.com", PASSWORD).await;
    assert_no_errors(&body);
    let user = &body["data"]["userCreate"]["user"];
    assert_eq!(user["username"], "bob");
    assert_eq!(user["email"], "bob@example.com");
    assert_eq!(user["isActive"], true);
    assert_eq!(user["isStaff"], false);
    // The account works: the same login as createUser's.
    let (token, _, _) = app.login("bob", PASSWORD).await;
    let me = app.me(Some(&bearer(&token))).await;
    assert_no_errors(&me);
    assert_eq!(me["data"]["me"]["id"], user["id"]);

    let body = user_create("bob2", "Bob@Example.COM", PASSWORD).await;
    assert_field_error(&body, "userCreate", "CONFLICT", "email");
    let body = user_create("bobbybobby", "b@example.com", "bobbybobby").await;
    assert_field_error(&body, "userCreate", "BAD_USER_INPUT", "password");
}

#[tokio::test]
async fn the_user_type_has_no_password_field() {
    let app = spawn_app().await;
    let body = app
        .graphql(
            "mutation { createUser(username: \"carol\", email: \"carol@example.com\", password: \"correct horse battery staple\") { user { id password } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(
        error_code(&body),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{body:#}"
    );
    assert!(
        body["data"].is_null(),
        "nothing runs when validation fails: {body:#}"
    );
    // And so no user was created: the name is still free.
    app.sign_up("carol", "carol@example.com", PASSWORD).await;
}

#[tokio::test]
async fn a_bad_authorization_header_does_not_block_sign_up() {
    let app = spawn_app().await;
    for (name, header) in [("alice", "Bearer garbage"), ("bob", "Basic xyz")] {
        let email = format!("{name}@example.com");
        let body = app.create_user(name, &email, PASSWORD, Some(header)).await;
        assert_no_errors(&body);
        assert_eq!(body["data"]["createUser"]["user"]["username"], name);
    }
}
