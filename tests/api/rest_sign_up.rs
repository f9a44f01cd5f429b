//! `POST /api/users`: sign-up over REST, and the error bodies of a JSON endpoint.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn signing_up_returns_201_and_the_user_without_a_location() {
    let app = spawn_app().await;
    let reply = app
        .rest_sign_up("alice", "alice@example.com", PASSWORD)
        .await;
    let user = reply.expect(201);
    let id = user["id"].as_i64().expect("the id is an integer");
    // There is no `/api/users/{id}` route to point at (yet).
    assert_eq!(reply.header("location"), None);
    let named = app.rest_get(&format!("/api/users/{id}"), None).await;
    assert_eq!(named.status, 404);
    assert_eq!(user["username"], "alice");
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["first_name"], "");
    assert_eq!(user["last_name"], "");
    assert_eq!(user["is_active"], true);
    assert_eq!(user["is_staff"], false);
    assert_eq!(user["is_superuser"], false);
    assert!((rfc3339(&user["date_joined"]) - now()).abs() <= 5);
    assert!(user["last_login"].is_null(), "never logged in: {user:#}");
    let mut keys: Vec<&str> = user
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "date_joined",
            "email",
            "first_name",
            "id",
            "is_active",
            "is_staff",
            "is_superuser",
            "last_login",
            "last_name",
            "username"
        ],
        "exactly these fields, never a password"
    );
}

#[tokio::test]
async fn a_taken_username_or_email_is_a_409_naming_the_field() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let reply = app
        .rest_sign_up("ALICE", "other@example.com", PASSWORD)
        .await;
    let body = reply.expect_error(409, "CONFLICT");
    assert!(body["fields"]["username"].is_string(), "{body:#}");
    let reply = app.rest_sign_up("bob", "Alice@Example.com", PASSWORD).await;
    let body = reply.expect_error(409, "CONFLICT");
    assert!(body["fields"]["email"].is_string(), "{body:#}");
}

#[tokio::test]
async fn invalid_fields_are_422_with_a_message_per_field() {
    let app = spawn_app().await;
    let cases = [
        (
            "alice",
            "not-an-email",
            PASSWORD,
            "email",
            "Enter a valid email address.",
        ),
        (
            "alice",
            "alice@example.com",
            "short",
            "password",
            "at least 8",
        ),
        (
            "a b",
            "alice@example.com",
            PASSWORD,
            "username",
            "only letters",
        ),
        ("", "alice@example.com", PASSWORD, "username", "empty"),
        (
            "alice",
            "alice@example.com",
            "alice@example.com",
            "password",
            "email",
        ),
    ];
    for (username, email, password, field, says) in cases {
        let reply = app.rest_sign_up(username, email, password).await;
        let body = reply.expect_error(422, "BAD_USER_INPUT");
        let message = body["fields"][field]
            .as_str()
            .unwrap_or_else(|| panic!("fields.{field}: {body:#}"));
        assert!(message.contains(says), "{field}: {body:#}");
        assert_eq!(body["fields"].as_object().unwrap().len(), 1, "{body:#}");
    }
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

#[tokio::test]
async fn too_many_sign_ups_from_one_address_get_429_with_retry_after() {
    let app = spawn_app_with(|c| c.throttle.sign_ups_per_address = 1).await;
    app.rest_sign_up_default("alice").await;
    let reply = app.rest_sign_up("bob", "bob@example.com", PASSWORD).await;
    reply.expect_error(429, "RATE_LIMITED");
    assert!(reply
        .header("retry-after")
        .is_some_and(|s| s.parse::<i64>().is_ok_and(|n| n >= 1)));
}
