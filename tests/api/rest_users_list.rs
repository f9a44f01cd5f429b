//! `GET /api/users`: staff only, oldest first, paged with offset and limit.

use serde_json::Value;

use crate::helpers::*;

fn usernames(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page of users: {page:#}"))
        .iter()
        .map(|u| u["username"].as_str().expect("a username"))
        .collect()
}

#[tokio::test]
async fn staff_page_through_every_user_oldest_first() {
    let app = spawn_app().await;
    app.create_staff("boss", PASSWORD).await;
    for name in ["carol", "alice", "bob"] {
        app.rest_sign_up_default(name).await;
    }
    let auth = bearer(&app.rest_login("boss", PASSWORD).await.access);
    let all = app.rest_get("/api/users", Some(&auth)).await;
    let page = all.expect(200);
    assert_eq!(usernames(page), ["boss", "carol", "alice", "bob"]);
    assert_eq!(page["offset"], 0);
    assert_eq!(page["limit"], 100, "the default page size");
    assert!(page["items"][0].get("password").is_none());
    let page = app
        .rest_get("/api/users?offset=1&limit=2", Some(&auth))
        .await;
    let page = page.expect(200);
    assert_eq!(usernames(page), ["carol", "alice"]);
    assert_eq!(
        (page["offset"].as_i64(), page["limit"].as_i64()),
        (Some(1), Some(2))
    );
    let page = app.rest_get("/api/users?offset=10", Some(&auth)).await;
    assert!(usernames(page.expect(200)).is_empty());
}

#[tokio::test]
async fn a_caller_who_is_not_staff_gets_403() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let t = app.rest_login("alice", PASSWORD).await.access;
    app.rest_get("/api/users", Some(&jwt(&t)))
        .await
        .expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn page_bounds_are_422_and_non_numbers_400() {
    let app = spawn_app().await;
    app.create_staff("boss", PASSWORD).await;
    let auth = bearer(&app.rest_login("boss", PASSWORD).await.access);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("offset=-1", "offset"),
    ] {
        let reply = app
            .rest_get(&format!("/api/users?{query}"), Some(&auth))
            .await;
        let body = reply.expect_error(422, "BAD_USER_INPUT");
        assert!(body["fields"][field].is_string(), "{query}: {body:#}");
    }
    for query in ["limit=ten", "offset=1.5", "limit=99999999999999999999"] {
        let reply = app
            .rest_get(&format!("/api/users?{query}"), Some(&auth))
            .await;
        reply.expect_error(400, "BAD_REQUEST");
    }
}
