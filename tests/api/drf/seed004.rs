//! Seed 004: `user/create/`, `user/obtain_token/` (its `authenticate_user`,
//! by email) and `user/update/` (GET, and PUT/PATCH with `{"user": {...}}`).

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use super::client::*;
use crate::helpers::*;
use crate::rest::client::Reply;

const CANNOT: &str =
    "can not authenticate with the given credentials or the account has been deactivated";

impl TestApp {
    async fn seed_login(&self, email: &str, password: &str) -> Reply {
        self.drf_post(
            "/user/obtain_token/",
            json!({ "email": email, "password": password }),
        )
        .await
    }

    async fn seed_token(&self, email: &str) -> String {
        let reply = self.seed_login(email, PASSWORD).await;
        reply.expect(200)["token"].as_str().unwrap().to_owned()
    }

    async fn seed_update(&self, method: Method, token: &str, body: Value) -> Reply {
        self.rest_json(method, "/user/update/", body, Some(&bearer(token)))
            .await
    }
}

#[tokio::test]
async fn the_tutorials_flow_creates_logs_in_by_email_and_reads_the_user() {
    let app = spawn_app().await;
    let reply = app
        .drf_create("alice@example.com", "Alice", "Liddell")
        .await;
    let user = reply.expect(201).clone();
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["username"], "alice@example.com");
    assert_eq!(user["first_name"], "Alice");
    assert_eq!(user["last_name"], "Liddell");
    assert!(user["id"].is_i64());
    assert!(unix_time(user["date_joined"].as_str().unwrap()) > 0);
    let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "date_joined",
            "email",
            "first_name",
            "id",
            "last_name",
            "username"
        ]
    );

    let reply = app.seed_login("alice@example.com", PASSWORD).await;
    let body = reply.expect(200);
    assert_eq!(body["name"], "Alice Liddell");
    let token = body["token"].as_str().unwrap();
    for auth in [bearer(token), jwt(token)] {
        let me = app.rest_get("/user/update/", Some(&auth)).await;
        assert_eq!(me.expect(200)["email"], "alice@example.com");
        assert_eq!(me.body["first_name"], "Alice");
    }
    // The same account on the other faces.
    let me = app.me(Some(&bearer(token))).await;
    assert_eq!(me["data"]["me"]["firstName"], "Alice");
}

#[tokio::test]
async fn sign_up_errors_name_their_fields() {
    let app = spawn_app_with(unthrottled).await;
    let reply = app.drf_post("/user/create/", json!({})).await;
    assert_eq!(
        reply.expect(400),
        &json!({ "email": [REQUIRED], "password": [REQUIRED] })
    );
    app.drf_create("alice@example.com", "", "")
        .await
        .expect(201);
    let cases = [
        // Taken, in another spelling.
        (
            json!({ "email": "ALICE@example.com", "password": PASSWORD }),
            "email",
        ),
        (
            json!({ "email": "not an email", "password": PASSWORD }),
            "email",
        ),
        (
            json!({ "email": "b@example.com", "password": "short" }),
            "password",
        ),
        (
            json!({ "email": "b@example.com", "password": PASSWORD, "first_name": "x".repeat(151) }),
            "first_name",
        ),
        // A username given and taken (by alice's email-as-username).
        (
            json!({ "email": "c@example.com", "username": "alice@example.com", "password": PASSWORD }),
            "username",
        ),
        (
            json!({ "email": "c@example.com", "username": "", "password": PASSWORD }),
            "username",
        ),
    ];
    for (body, field) in cases {
        let reply = app.drf_post("/user/create/", body.clone()).await;
        let errors = reply.expect(400).as_object().unwrap();
        assert_eq!(errors.len(), 1, "{body}: {errors:?}");
        let messages = errors[field]
            .as_array()
            .unwrap_or_else(|| panic!("{body}: {errors:?}"));
        assert!(messages[0].as_str().is_some_and(|m| !m.is_empty()));
        // Nothing of the password is ever echoed.
        assert!(!reply.body.to_string().contains(PASSWORD));
    }
    let taken = app
        .drf_post(
            "/user/create/",
            json!({ "email": "alice@EXAMPLE.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        taken.expect(400),
        &json!({ "email": ["user with this email already exists."] })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_ten_racing_sign_ups_with_one_email_exactly_one_succeeds() {
    let app = spawn_app_with(unthrottled).await;
    let replies = join_all((0..10).map(|i| {
        app.drf_post(
            "/user/create/",
            json!({ "email": if i % 2 == 0 { "race@example.com" } else { "RACE@example.com" },
                    "password": PASSWORD }),
        )
    }))
    .await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1);
    for r in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(r.status, 400, "{:#}", r.body);
        assert!(
            r.body["email"].is_array() || r.body["username"].is_array(),
            "{:#}",
            r.body
        );
    }
}

#[tokio::test]
async fn a_wrong_unknown_or_inactive_login_gets_the_same_403_and_missing_fields_400() {
    let app = spawn_app().await;
    app.drf_create("alice@example.com", "A", "L")
        .await
        .expect(201);
    let bob = app.drf_create("bob@example.com", "B", "M").await;
    let bob_id = bob.expect(201)["id"].to_string();
    app.deactivate(&bob_id).await;
    for (email, password) in [
        ("alice@example.com", "not her password"),
        ("nobody@example.com", PASSWORD),
        ("bob@example.com", PASSWORD),
    ] {
        let reply = app.seed_login(email, password).await;
        assert_eq!(reply.expect(403), &json!({ "error": CANNOT }), "{email}");
    }
    for body in [
        json!({ "email": "alice@example.com" }),
        json!({ "password": PASSWORD }),
        json!({ "email": "", "password": PASSWORD }),
        json!({}),
    ] {
        let reply = app.drf_post("/user/obtain_token/", body).await;
        assert_eq!(
            reply.expect(400),
            &json!({ "error": "please provide a email and a password" })
        );
    }
}

#[tokio::test]
async fn the_update_view_needs_a_working_token() {
    let app = spawn_app().await;
    for method in [Method::GET, Method::PUT, Method::PATCH] {
        let reply = app
            .send(
                app.rest(method.clone(), "/user/update/", None)
                    .json(&json!({})),
            )
            .await;
        assert_eq!(
            reply.expect(401),
            &json!({ "detail": "Authentication credentials were not provided." }),
            "{method}"
        );
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer realm="api""#)
        );
        let reply = app
            .send(
                app.rest(method.clone(), "/user/update/", Some("Bearer garbage"))
                    .json(&json!({})),
            )
            .await;
        assert_eq!(
            reply.expect(401),
            &json!({ "detail": "Given token not valid for any token type", "code": "token_not_valid" }),
            "{method}"
        );
    }
}

#[tokio::test]
async fn put_and_patch_change_only_the_fields_given_nested_or_flat() {
    let app = spawn_app().await;
    app.drf_create("alice@example.com", "Alice", "Liddell")
        .await
        .expect(201);
    let token = app.seed_token("alice@example.com").await;
    let reply = app
        .seed_update(
            Method::PUT,
            &token,
            json!({ "user": { "first_name": "Al" } }),
        )
        .await;
    let user = reply.expect(200);
    assert_eq!(user["first_name"], "Al");
    assert_eq!(user["last_name"], "Liddell");
    assert!(
        user.get("access").is_none(),
        "no tokens without a password change"
    );
    let reply = app
        .seed_update(
            Method::PATCH,
            &token,
            json!({ "last_name": "L.", "email": "al@example.com" }),
        )
        .await;
    assert_eq!(reply.expect(200)["last_name"], "L.");
    assert_eq!(reply.body["email"], "al@example.com");
    assert_eq!(reply.body["first_name"], "Al");
    // Changes both nested and flat are ambiguous: refused, nothing changed.
    let both = json!({ "user": { "first_name": "X" }, "email": "" });
    let reply = app.seed_update(Method::PUT, &token, both).await;
    assert!(reply.expect(400)["detail"].is_string());
    // Read-only fields as the serializer writes them are ignored; a new
    // username is refused.
    let unchanged = json!({ "user": { "id": 999, "date_joined": "2000-01-01T00:00:00Z", "username": "alice@example.com" } });
    app.seed_update(Method::PUT, &token, unchanged)
        .await
        .expect(200);
    let reply = app
        .seed_update(
            Method::PUT,
            &token,
            json!({ "user": { "username": "mallory" } }),
        )
        .await;
    assert!(reply.expect(400)["username"].is_array());
    // One bad field changes nothing, not even the good ones.
    let reply = app
        .seed_update(
            Method::PUT,
            &token,
            json!({ "user": { "first_name": "Changed", "email": "not an email" } }),
        )
        .await;
    assert!(reply.expect(400)["email"].is_array());
    let me = app.rest_get("/user/update/", Some(&bearer(&token))).await;
    assert_eq!(me.expect(200)["first_name"], "Al");
}

#[tokio::test]
async fn a_password_in_an_update_changes_it_and_ends_every_other_session() {
    let app = spawn_app().await;
    app.drf_create("alice@example.com", "Alice", "Liddell")
        .await
        .expect(201);
    let token = app.seed_token("alice@example.com").await;
    let (_, other_refresh) = app.drf_pair("alice@example.com", PASSWORD).await;
    // The policy applies; nothing changes.
    let reply = app
        .seed_update(
            Method::PUT,
            &token,
            json!({ "user": { "password": "short" } }),
        )
        .await;
    assert!(reply.expect(400)["password"].is_array());
    let reply = app
        .seed_update(Method::PUT, &token, json!({ "user": { "password": "" } }))
        .await;
    assert!(reply.expect(400)["password"].is_array());
    app.seed_login("alice@example.com", PASSWORD)
        .await
        .expect(200);

    let new_password = "a much longer passphrase indeed";
    let reply = app
        .seed_update(
            Method::PUT,
            &token,
            json!({ "user": { "password": new_password } }),
        )
        .await;
    let body = reply.expect(200).clone();
    assert!(!body.to_string().contains(new_password));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let (access, refresh) = (
        body["access"].as_str().unwrap(),
        body["refresh"].as_str().unwrap(),
    );
    // This client goes on with the new pair; every older token has ended.
    assert_eq!(
        app.rest_get("/user/update/", Some(&bearer(access)))
            .await
            .status,
        200
    );
    assert_eq!(
        app.rest_get("/user/update/", Some(&bearer(&token)))
            .await
            .status,
        401
    );
    assert_token_not_valid(
        &app.drf_post("/token/refresh/", json!({ "refresh": other_refresh }))
            .await,
    );
    app.drf_post("/token/refresh/", json!({ "refresh": refresh }))
        .await
        .expect(200);
    app.seed_login("alice@example.com", PASSWORD)
        .await
        .expect(403);
    app.seed_login("alice@example.com", new_password)
        .await
        .expect(200);
}

#[tokio::test]
async fn password_changes_here_are_limited_without_locking_the_login() {
    let app = spawn_app_with(|c| c.throttle.login_failures_per_account = 3).await;
    app.drf_create("alice@example.com", "Alice", "Liddell")
        .await
        .expect(201);
    let mut token = app.seed_token("alice@example.com").await;
    // Refused by the rules: not counted (no hash was computed).
    for _ in 0..5 {
        let reply = app
            .seed_update(
                Method::PUT,
                &token,
                json!({ "user": { "password": "short" } }),
            )
            .await;
        assert!(reply.expect(400)["password"].is_array());
    }
    // Accepted ones cost a hash each: three per window, then 429.
    let passwords = [
        "first long enough passphrase",
        "second long enough passphrase",
        "third long enough passphrase",
    ];
    for password in passwords {
        let reply = app
            .seed_update(
                Method::PUT,
                &token,
                json!({ "user": { "password": password } }),
            )
            .await;
        token = reply.expect(200)["access"].as_str().unwrap().to_owned();
    }
    let reply = app
        .seed_update(
            Method::PUT,
            &token,
            json!({ "user": { "password": "fourth long passphrase" } }),
        )
        .await;
    assert_eq!(reply.status, 429, "{:#}", reply.body);
    assert!(reply.header("retry-after").is_some());
    // The login is not locked by any of it.
    app.seed_login("alice@example.com", passwords[2])
        .await
        .expect(200);
}
