//! What only REST's `/api/users/me` does: JSON merge-patch semantics, the
//! 400s of bodies it cannot read, and a password change that answers an
//! RFC 6749 token response. (Reading and changing the account, the
//! password and logging out everywhere, on both faces: `both/`.)

use reqwest::Method;
use serde_json::{json, Value};

use super::client::*;
use crate::helpers::*;

async fn patch_me(app: &TestApp, token: &str, body: Value) -> Reply {
    app.rest_json(Method::PATCH, "/api/users/me", body, Some(&bearer(token)))
        .await
}

async fn change_password(app: &TestApp, token: &str, body: Value) -> Reply {
    let path = "/api/users/me/password";
    app.rest_json(Method::POST, path, body, Some(&bearer(token)))
        .await
}

#[tokio::test]
async fn null_and_absent_fields_leave_the_account_unchanged() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let t = app.rest_login("alice", PASSWORD).await.access;
    let all =
        json!({ "first_name": "Alice", "last_name": "Liddell", "email": "Alice@Example.com" });
    patch_me(&app, &t, all).await.expect(200);
    let user = patch_me(&app, &t, json!({ "first_name": null })).await;
    assert_eq!(
        user.expect(200)["first_name"],
        "Alice",
        "null leaves it unchanged"
    );
    let user = patch_me(&app, &t, json!({})).await;
    assert_eq!(user.expect(200)["email"], "Alice@Example.com");
    assert_eq!(app.rest_me(&t).await.expect(200)["last_name"], "Liddell");
}

#[tokio::test]
async fn malformed_bodies_are_400_and_change_nothing() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let t = app.rest_login("alice", PASSWORD).await.access;
    for body in [
        json!({ "first_name": 5 }),
        json!({ "is_staff": true }),
        json!("Alice"),
    ] {
        patch_me(&app, &t, body)
            .await
            .expect_error(400, "BAD_REQUEST");
    }
    change_password(&app, &t, json!({ "old_password": PASSWORD }))
        .await
        .expect_error(400, "BAD_REQUEST");
    let me = app.rest_me(&t).await;
    assert_eq!(me.expect(200)["is_staff"], false);
    assert_eq!(me.body["email"], "alice@example.com");
}

#[tokio::test]
async fn a_password_change_answers_an_uncached_bearer_token_response() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let t = app.rest_login("alice", PASSWORD).await.access;
    let body = json!({ "old_password": PASSWORD, "new_password": "an entirely new passphrase" });
    let reply = change_password(&app, &t, body).await;
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let fresh = Tokens::from_body(reply.expect(200));
    assert_eq!(fresh.body["token_type"], "Bearer");
}
