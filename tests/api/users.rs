//! `users`: the full list, staff only, oldest first, paged.

use serde_json::{json, Value};

use crate::helpers::*;

fn usernames(body: &Value) -> Vec<&str> {
    body["data"]["users"]
        .as_array()
        .unwrap_or_else(|| panic!("a list of users: {body:#}"))
        .iter()
        .map(|u| u["username"].as_str().expect("a username"))
        .collect()
}

#[tokio::test]
async fn staff_see_every_user_in_id_order() {
    let app = spawn_app().await;
    let staff_id = app.create_staff("boss", PASSWORD).await;
    let a = app.sign_up_default("carol").await;
    let b = app.sign_up_default("alice").await;
    let c = app.sign_up_default("bob").await;
    let (token, _, _) = app.login("boss", PASSWORD).await;
    let body = app.graphql_as(&token, USERS, json!({})).await;
    assert_no_errors(&body);
    assert_eq!(
        usernames(&body),
        ["boss", "carol", "alice", "bob"],
        "oldest first, not by name"
    );
    let ids: Vec<i64> = body["data"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascend: {ids:?}");
    assert_eq!(ids[0].to_string(), staff_id);
    assert_eq!(
        [ids[1].to_string(), ids[2].to_string(), ids[3].to_string()],
        [a.id, b.id, c.id]
    );
}

#[tokio::test]
async fn staff_page_through_users_with_offset_and_limit() {
    let app = spawn_app().await;
    app.create_staff("boss", PASSWORD).await;
    for name in ["u1", "u2", "u3", "u4"] {
        app.sign_up_default(name).await;
    }
    let (token, _, _) = app.login("boss", PASSWORD).await;
    let page = |offset: Option<i64>, limit: Option<i64>| {
        let token = token.clone();
        let app = &app;
        async move {
            app.graphql_as(&token, USERS, json!({ "offset": offset, "limit": limit }))
                .await
        }
    };
    let body = page(Some(1), Some(2)).await;
    assert_no_errors(&body);
    assert_eq!(usernames(&body), ["u1", "u2"]);
    let body = page(Some(3), Some(2)).await;
    assert_eq!(usernames(&body), ["u3", "u4"]);
    let body = page(None, Some(1)).await;
    assert_eq!(usernames(&body), ["boss"]);
    let body = page(Some(4), None).await;
    assert_eq!(usernames(&body), ["u4"]);
    let body = page(Some(10), Some(5)).await;
    assert_no_errors(&body);
    assert!(usernames(&body).is_empty());
    let body = page(Some(0), Some(1000)).await;
    assert_eq!(usernames(&body).len(), 5);
}

#[tokio::test]
async fn a_user_who_is_not_staff_may_not_list_users() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let body = app.graphql(USERS, json!({}), Some(&jwt(&token))).await;
    assert_error(&body, "users", "FORBIDDEN");
}

#[tokio::test]
async fn listing_users_without_a_token_is_unauthenticated() {
    let app = spawn_app().await;
    let body = app.graphql(USERS, json!({}), None).await;
    assert_error(&body, "users", "UNAUTHENTICATED");
    let body = app.graphql(USERS, json!({}), Some("Bearer garbage")).await;
    assert_error(&body, "users", "TOKEN_INVALID");
}

#[tokio::test]
async fn a_zero_or_too_large_limit_and_a_negative_offset_are_bad_user_input() {
    let app = spawn_app().await;
    app.create_staff("boss", PASSWORD).await;
    let (token, _, _) = app.login("boss", PASSWORD).await;
    for (vars, field) in [
        (json!({ "limit": 0 }), "limit"),
        (json!({ "limit": -1 }), "limit"),
        (json!({ "limit": 1001 }), "limit"),
        (json!({ "offset": -1 }), "offset"),
        (json!({ "offset": -5, "limit": 10 }), "offset"),
    ] {
        let body = app.graphql_as(&token, USERS, vars).await;
        assert_field_error(&body, "users", "BAD_USER_INPUT", field);
    }
}
