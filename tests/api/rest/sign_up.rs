//! What only REST's sign-up (`POST /api/users`) does: a 201 with exactly
//! the user's fields, and the error bodies of a JSON endpoint for bodies it
//! cannot read. (The rules of sign-up, on both faces: `both/sign_up.rs`.)

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn signing_up_answers_201_with_exactly_the_users_fields_and_its_location() {
    let app = spawn_app().await;
    let reply = app
        .rest_sign_up("alice", "alice@example.com", PASSWORD)
        .await;
    let user = reply.expect(201);
    let id = user["id"].as_i64().expect("the id is an integer");
    // `Location` names the new user's URL, which shows that user to them.
    let location = format!("/api/users/{id}");
    assert_eq!(reply.header("location"), Some(location.as_str()));
    let named = app.rest_get(&location, None).await;
    named.expect_error(401, "UNAUTHENTICATED");
    let session = app.rest_login("alice", PASSWORD).await;
    let shown = app
        .rest_get(&location, Some(&bearer(&session.access)))
        .await;
    let shown = shown.expect(200);
    assert_eq!(
        (&shown["id"], &shown["username"]),
        (&user["id"], &user["username"])
    );
    let mut keys: Vec<&str> = user
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "date_joined",
            "email",
            "email_verified",
            "first_name",
            "id",
            "is_active",
            "is_staff",
            "is_superuser",
            "last_login",
            "last_name",
            "mfa_enabled",
            "username"
        ],
        "exactly these fields, never a password"
    );
}

#[tokio::test]
async fn malformed_bodies_are_400_in_the_error_shape() {
    let app = spawn_app().await;
    let bodies = [
        json!({ "username": "alice", "email": "alice@example.com", "password": PASSWORD, "is_staff": true }),
        json!({ "username": "alice", "email": "alice@example.com", "password": 12345678 }),
        json!({ "username": "alice", "email": "alice@example.com" }),
        json!(["alice"]),
        json!(null),
    ];
    for body in bodies {
        let reply = app
            .rest_json(Method::POST, "/api/users", body.clone(), None)
            .await;
        let err = reply.expect_error(400, "BAD_REQUEST");
        assert!(err.get("fields").is_none(), "{err:#}");
    }
    let reply = app
        .send(
            app.rest(Method::POST, "/api/users", None)
                .header("content-type", "application/json")
                .body("{\"username\":"),
        )
        .await;
    reply.expect_error(400, "BAD_REQUEST");
    // Nobody was created by any of them.
    app.rest_sign_up_default("alice").await;
}

#[tokio::test]
async fn wrong_content_types_are_415() {
    let app = spawn_app().await;
    let form = [
        ("username", "alice"),
        ("email", "alice@example.com"),
        ("password", PASSWORD),
    ];
    let reply = app
        .send(app.rest(Method::POST, "/api/users", None).form(&form))
        .await;
    reply.expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
    let reply = app
        .send(app.rest(Method::POST, "/api/users", None).body("{}"))
        .await;
    reply.expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_even_when_chunked() {
    let app = spawn_app().await;
    let big = json!({ "username": "alice", "email": "alice@example.com", "password": "x".repeat(70 * 1024) });
    let reply = app
        .rest_json(Method::POST, "/api/users", big.clone(), None)
        .await;
    reply.expect_error(413, "PAYLOAD_TOO_LARGE");
    // No Content-Length: the limit applies while reading.
    let body = serde_json::to_vec(&big).unwrap();
    let (status, text) = app
        .post_chunked("/api/users", "application/json", body)
        .await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("PAYLOAD_TOO_LARGE"), "{text}");
    // A small chunked body is fine.
    let small = serde_json::to_vec(
        &json!({ "username": "alice", "email": "alice@example.com", "password": PASSWORD }),
    )
    .unwrap();
    let (status, text) = app
        .post_chunked("/api/users", "application/json", small)
        .await;
    assert_eq!(status, 201, "{text}");
}
