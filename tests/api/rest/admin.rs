//! What only REST's administration does: the account export (a file, never
//! cached, with every field and no secret), the bodies of the admin
//! operations, and a DELETE's body read under the limit.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_export_is_an_uncached_attachment_with_every_field_and_no_secret() {
    let app = spawn_app().await;
    let created = app.rest_sign_up_default("alice").await;
    let id = created["id"].as_i64().unwrap();
    let tokens = app.rest_login("alice", PASSWORD).await;
    let reply = app
        .rest_get("/api/users/me/export", Some(&bearer(&tokens.access)))
        .await;
    let body = reply.expect(200).clone();
    assert_eq!(
        reply.header("content-disposition"),
        Some(format!("attachment; filename=\"gatehouse-account-{id}.json\"").as_str())
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let user = &body["user"];
    for field in [
        "id",
        "username",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
        "email_verified",
    ] {
        assert!(user.get(field).is_some(), "{field} missing: {body:#}");
    }
    assert_eq!(user["username"], "alice");
    assert_eq!(user["email_verified"], false);
    assert!(user["last_login"].is_string(), "{body:#}");
    assert!(body["exported_at"].is_string(), "{body:#}");
    let sessions = body["sessions"].as_array().expect("the sessions");
    assert_eq!(sessions.len(), 1, "{body:#}");
    assert_eq!(sessions[0]["current"], true);
    assert_eq!(sessions[0]["ip_address"], "127.0.0.1");
    let text = body.to_string();
    for secret in [
        "argon2",
        "password",
        "token",
        &tokens.access,
        &tokens.refresh,
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    app.rest_get("/api/users/me/export", None)
        .await
        .expect_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn admin_bodies_are_strict_and_a_delete_body_is_read_under_the_limit() {
    let app = spawn_app_with(|c| c.max_body_bytes = 1024).await;
    let boss = app.create_staff("boss", PASSWORD).await;
    let bob = app.rest_sign_up_default("bob").await["id"]
        .as_i64()
        .unwrap();
    let auth = bearer(&app.rest_login("boss", PASSWORD).await.access);
    let path = format!("/api/users/{bob}/active");
    for body in [
        json!({}),
        json!({ "active": "no" }),
        json!({ "active": false, "x": 1 }),
    ] {
        let reply = app.rest_json(Method::PUT, &path, body, Some(&auth)).await;
        reply.expect_error(400, "BAD_REQUEST");
    }
    let reply = app
        .rest_json(Method::PUT, &path, json!({ "active": false }), Some(&auth))
        .await;
    assert_eq!(reply.expect(200)["is_active"], false);
    let huge = json!({ "password": "x".repeat(4096) });
    let reply = app
        .rest_json(Method::DELETE, "/api/users/me", huge, Some(&auth))
        .await;
    assert_eq!(reply.status, 413, "{:#}", reply.body);
    // A chunked body (no declared length) is cut at the limit too.
    let addr = app.address.trim_start_matches("http://").to_owned();
    let head = format!(
        "DELETE /api/users/me HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let response = tokio::task::spawn_blocking(move || {
        use std::io::{Read as _, Write as _};
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        for _ in 0..8 {
            if write!(stream, "200\r\n{}\r\n", " ".repeat(512)).is_err() {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n");
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        String::from_utf8_lossy(&response).into_owned()
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    let me = app
        .rest_get(&format!("/api/users/{boss}"), Some(&auth))
        .await;
    me.expect(200);
}
