//! What a session records of its device, read back from the REST list: the
//! `User-Agent` (cut, cleaned) and the client's address (IPv6 by /64), the
//! address as the trusted proxy's `X-Forwarded-For` names it.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;
use crate::rest::client::Tokens;

async fn login_from(app: &TestApp, user_agent: &str, forwarded_for: &str) -> Tokens {
    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    let req = app
        .rest(Method::POST, "/api/token", None)
        .header("user-agent", user_agent)
        .header("x-forwarded-for", forwarded_for)
        .form(&form);
    Tokens::from_body(app.send(req).await.expect(200))
}

async fn sessions(app: &TestApp, access: &str) -> Vec<Value> {
    let reply = app
        .rest_get("/api/users/me/sessions", Some(&bearer(access)))
        .await;
    reply.expect(200).as_array().expect("a list").clone()
}

#[tokio::test]
async fn a_session_records_the_user_agent_cut_and_the_address_by_network() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    app.rest_sign_up_default("alice").await;
    let long = format!("Mozilla/5.0 {}", "x".repeat(5_000));
    let v6 = login_from(&app, &long, "2001:db8:1:2:3:4:5:6").await;
    let list = sessions(&app, &v6.access).await;
    assert_eq!(list.len(), 1);
    let ua = list[0]["user_agent"].as_str().expect("a user agent");
    assert_eq!(ua.chars().count(), 256);
    assert!(long.starts_with(ua));
    assert_eq!(list[0]["ip_address"], "2001:db8:1:2::/64");
    assert_eq!(list[0]["current"], true);

    app.state.clock().advance(1);
    let v4 = login_from(&app, "curl/8.5.0", "203.0.113.9").await;
    let list = sessions(&app, &v4.access).await;
    assert_eq!(list[0]["ip_address"], "203.0.113.9");
    assert_eq!(list[0]["user_agent"], "curl/8.5.0");
    assert_eq!(list[1]["ip_address"], "2001:db8:1:2::/64");
}

/// No `User-Agent`: null, not an empty string.
#[tokio::test]
async fn a_session_without_a_user_agent_shows_null() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let tokens = app.rest_login("alice", PASSWORD).await;
    let list = sessions(&app, &tokens.access).await;
    assert_eq!(list[0]["user_agent"], Value::Null, "{list:#?}");
    assert_eq!(list[0]["ip_address"], "127.0.0.1");
}

/// A `User-Agent` with non-ASCII text is kept (the second attack review
/// saw "Mözilla" stored as null).
#[tokio::test]
async fn a_non_ascii_user_agent_is_kept() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    let ua = reqwest::header::HeaderValue::from_bytes("Mözilla/5.0".as_bytes()).unwrap();
    let req = app
        .rest(Method::POST, "/api/token", None)
        .header("user-agent", ua)
        .form(&form);
    let tokens = Tokens::from_body(app.send(req).await.expect(200));
    let list = sessions(&app, &tokens.access).await;
    assert_eq!(list[0]["user_agent"], "Mözilla/5.0");
}

/// Past the listing's limit (200), the caller's own session is still in
/// the list (the first attack review of sessions: it was not).
#[tokio::test]
async fn the_callers_session_is_listed_past_the_limit() {
    let app = spawn_app_with(unthrottled).await;
    app.rest_sign_up_default("alice").await;
    let mine = app.rest_login("alice", PASSWORD).await;
    let mut newest = None;
    for _ in 0..200 {
        app.state.clock().advance(1);
        newest = Some(app.rest_login("alice", PASSWORD).await);
    }
    let list = sessions(&app, &mine.access).await;
    assert_eq!(list.len(), 200);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    assert_eq!(list[199]["current"], true, "last, in place of the oldest");
    // A session already among the 200 is listed once, where it is.
    let list = sessions(&app, &newest.unwrap().access).await;
    let ids: std::collections::HashSet<_> = list.iter().map(|s| s["id"].clone()).collect();
    assert_eq!((list.len(), ids.len()), (200, 200));
    assert_eq!(list[0]["current"], true);
}
