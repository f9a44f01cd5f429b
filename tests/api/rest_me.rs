//! `/api/users/me`: read and change the caller's account, change the
//! password, log out everywhere.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;
use crate::rest_helpers::*;

async fn patch_me(app: &TestApp, token: &str, body: serde_json::Value) -> Reply {
    app.rest_json(Method::PATCH, "/api/users/me", body, Some(&bearer(token)))
        .await
}

async fn change_password(app: &TestApp, token: &str, old: &str, new: &str) -> Reply {
    let body = json!({ "old_password": old, "new_password": new });
    app.rest_json(
        Method::POST,
        "/api/users/me/password",
        body,
        Some(&bearer(token)),
    )
    .await
}

#[tokio::test]
async fn me_returns_the_caller_with_bearer_or_jwt() {
    let app = spawn_app().await;
    let alice = app.rest_sign_up_default("alice").await;
    let tokens = app.rest_login("alice", PASSWORD).await;
    let me = app.rest_me(&tokens.access).await;
    let body = me.expect(200);
    assert_eq!(body["id"], alice["id"]);
    assert_eq!(body["username"], "alice");
    assert!(
        (rfc3339(&body["last_login"]) - now()).abs() <= 5,
        "the login is recorded: {body:#}"
    );
    let jwt_me = app
        .rest_get("/api/users/me", Some(&jwt(&tokens.access)))
        .await;
    assert_eq!(jwt_me.expect(200)["username"], "alice");
}

#[tokio::test]
async fn patching_me_changes_only_the_fields_given() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let t = app.rest_login("alice", PASSWORD).await.access;
    let body = patch_me(&app, &t, json!({ "first_name": "Alice" })).await;
    assert_eq!(body.expect(200)["first_name"], "Alice");
    let body = patch_me(
        &app,
        &t,
        json!({ "last_name": "Liddell", "email": "al@example.org" }),
    )
    .await;
    let user = body.expect(200);
    assert_eq!(user["first_name"], "Alice", "unchanged: {user:#}");
    assert_eq!(user["last_name"], "Liddell");
    assert_eq!(user["email"], "al@example.org");
    let user = patch_me(&app, &t, json!({ "first_name": null })).await;
    assert_eq!(
        user.expect(200)["first_name"],
        "Alice",
        "null leaves it unchanged"
    );
    let user = patch_me(&app, &t, json!({})).await;
    assert_eq!(user.expect(200)["email"], "al@example.org");
    assert_eq!(app.rest_me(&t).await.expect(200)["last_name"], "Liddell");
}

#[tokio::test]
async fn patching_me_validates_like_graphql_does() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    app.rest_sign_up_default("bob").await;
    let t = app.rest_login("alice", PASSWORD).await.access;
    let r = patch_me(&app, &t, json!({ "email": "nope" })).await;
    assert!(r.expect_error(422, "BAD_USER_INPUT")["fields"]["email"].is_string());
    let r = patch_me(&app, &t, json!({ "first_name": "x".repeat(151) })).await;
    assert!(r.expect_error(422, "BAD_USER_INPUT")["fields"]["first_name"].is_string());
    let r = patch_me(&app, &t, json!({ "email": "BOB@example.com" })).await;
    assert!(r.expect_error(409, "CONFLICT")["fields"]["email"].is_string());
    patch_me(&app, &t, json!({ "first_name": 5 }))
        .await
        .expect_error(400, "BAD_REQUEST");
    patch_me(&app, &t, json!({ "is_staff": true }))
        .await
        .expect_error(400, "BAD_REQUEST");
    patch_me(&app, &t, json!("Alice"))
        .await
        .expect_error(400, "BAD_REQUEST");
    let me = app.rest_me(&t).await;
    assert_eq!(me.expect(200)["is_staff"], false);
    assert_eq!(me.body["email"], "alice@example.com");
}

#[tokio::test]
async fn changing_the_password_returns_tokens_and_ends_other_sessions() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let this = app.rest_login("alice", PASSWORD).await;
    let other = app.rest_login("alice", PASSWORD).await;
    let new = "an entirely new passphrase";
    let reply = change_password(&app, &this.access, PASSWORD, new).await;
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let fresh = Tokens::from_body(reply.expect(200));
    assert_eq!(fresh.body["token_type"], "Bearer");
    app.rest_me(&fresh.access).await.expect(200);
    app.rest_me(&this.access)
        .await
        .expect_error(401, "TOKEN_INVALID");
    app.rest_me(&other.access)
        .await
        .expect_error(401, "TOKEN_INVALID");
    app.refresh_grant(&other.refresh)
        .await
        .expect_oauth(400, "invalid_grant");
    app.refresh_grant(&fresh.refresh).await.expect(200);
    app.password_grant("alice", PASSWORD)
        .await
        .expect_oauth(400, "invalid_grant");
    app.password_grant("alice", new).await.expect(200);
}

#[tokio::test]
async fn a_wrong_old_password_or_a_weak_new_one_is_a_422() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let t = app.rest_login("alice", PASSWORD).await.access;
    let r = change_password(&app, &t, "not it at all", "a new passphrase").await;
    assert!(
        r.expect_error(422, "BAD_USER_INPUT")["fields"]["old_password"].is_string(),
        "{:#}",
        r.body
    );
    let r = change_password(&app, &t, PASSWORD, "short").await;
    assert!(
        r.expect_error(422, "BAD_USER_INPUT")["fields"]["new_password"].is_string(),
        "{:#}",
        r.body
    );
    let body = json!({ "old_password": PASSWORD });
    let r = app
        .rest_json(
            Method::POST,
            "/api/users/me/password",
            body,
            Some(&bearer(&t)),
        )
        .await;
    r.expect_error(400, "BAD_REQUEST");
    // Nothing changed.
    app.rest_me(&t).await.expect(200);
}

#[tokio::test]
async fn logout_all_ends_every_access_and_refresh_token() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let a = app.rest_login("alice", PASSWORD).await;
    let b = app.rest_login("alice", PASSWORD).await;
    let reply = app
        .send(app.rest(
            Method::POST,
            "/api/users/me/logout-all",
            Some(&bearer(&a.access)),
        ))
        .await;
    assert_eq!(reply.expect(204), &serde_json::Value::Null);
    for t in [&a, &b] {
        app.rest_me(&t.access)
            .await
            .expect_error(401, "TOKEN_INVALID");
        app.refresh_grant(&t.refresh)
            .await
            .expect_oauth(400, "invalid_grant");
    }
    let again = app.rest_login("alice", PASSWORD).await;
    app.rest_me(&again.access).await.expect(200);
}
