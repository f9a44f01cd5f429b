//! What only REST's `GET /api/users` does: a page that says its offset and
//! limit, and query parameters that must be numbers. (Who may list, in
//! what order, within what bounds, on both faces: `both/users.rs`.)

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
async fn a_page_says_its_offset_and_limit_and_holds_no_password() {
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
}

#[tokio::test]
async fn page_bounds_that_are_not_numbers_are_400() {
    let app = spawn_app().await;
    app.create_staff("boss", PASSWORD).await;
    let auth = bearer(&app.rest_login("boss", PASSWORD).await.access);
    for query in ["limit=ten", "offset=1.5", "limit=99999999999999999999"] {
        let reply = app
            .rest_get(&format!("/api/users?{query}"), Some(&auth))
            .await;
        reply.expect_error(400, "BAD_REQUEST");
    }
}
