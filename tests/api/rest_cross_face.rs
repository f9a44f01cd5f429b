//! One token for both faces (seed 003): what GraphQL issues works on REST,
//! and the other way round; rotation and revocation are shared.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_graphql_token_works_on_rest() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let me = app.rest_me(&token).await;
    assert_eq!(me.expect(200)["username"], "alice");
    let me = app.rest_get("/api/users/me", Some(&jwt(&token))).await;
    assert_eq!(me.expect(200)["username"], "alice");
}

#[tokio::test]
async fn a_rest_token_works_on_graphql() {
    let app = spawn_app().await;
    let user = app.rest_sign_up_default("alice").await;
    let tokens = app.rest_login("alice", PASSWORD).await;
    let body = app.me(Some(&bearer(&tokens.access))).await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["me"]["username"], "alice");
    assert_eq!(
        body["data"]["me"]["id"],
        user["id"].to_string(),
        "the same user, ID as a string"
    );
    let verified = app.verify_token(&tokens.access).await;
    assert_no_errors(&verified);
    assert_eq!(
        verified["data"]["verifyToken"]["payload"]["username"],
        "alice"
    );
}

#[tokio::test]
async fn a_refresh_token_rotated_on_rest_is_used_on_graphql() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let tokens = app.rest_login("alice", PASSWORD).await;
    app.refresh_grant(&tokens.refresh).await.expect(200);
    let body = app.rotate(&tokens.refresh).await;
    assert_error(&body, "refreshToken", "TOKEN_REUSED");
}

#[tokio::test]
async fn a_refresh_token_rotated_on_graphql_is_used_on_rest() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, refresh, _) = app.login("alice", PASSWORD).await;
    let body = app.rotate(&refresh).await;
    assert_no_errors(&body);
    let successor = body["data"]["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = app.refresh_grant(&refresh).await;
    let err = reply.expect_oauth(400, "invalid_grant");
    assert!(
        err["error_description"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{err:#}"
    );
    // Reuse ended the family on both faces.
    assert_error(
        &app.rotate(&successor).await,
        "refreshToken",
        "TOKEN_INVALID",
    );
}

#[tokio::test]
async fn logout_all_on_rest_ends_graphql_sessions() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (gql_token, gql_refresh, _) = app.login("alice", PASSWORD).await;
    let rest = app.rest_login("alice", PASSWORD).await;
    let req = app.rest(
        Method::POST,
        "/api/users/me/logout-all",
        Some(&bearer(&rest.access)),
    );
    app.send(req).await.expect(204);
    assert_error(
        &app.me(Some(&bearer(&gql_token))).await,
        "me",
        "TOKEN_INVALID",
    );
    assert_error(
        &app.rotate(&gql_refresh).await,
        "refreshToken",
        "TOKEN_INVALID",
    );
}

#[tokio::test]
async fn revoke_all_on_graphql_ends_rest_sessions() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let rest = app.rest_login("alice", PASSWORD).await;
    let (gql_token, _, _) = app.login("alice", PASSWORD).await;
    let body = app.graphql_as(&gql_token, REVOKE_ALL, json!({})).await;
    assert_no_errors(&body);
    app.rest_me(&rest.access)
        .await
        .expect_error(401, "TOKEN_INVALID");
    app.refresh_grant(&rest.refresh)
        .await
        .expect_oauth(400, "invalid_grant");
}

#[tokio::test]
async fn a_user_signed_up_on_one_face_logs_in_on_the_other() {
    let app = spawn_app().await;
    app.sign_up_default("gql").await;
    app.rest_sign_up_default("rest").await;
    app.rest_login("gql", PASSWORD).await;
    app.login("rest", PASSWORD).await;
}
