//! The second factor and fresh authentication on the Django REST face:
//! each view answers in its own error shape.

use reqwest::Method;
use serde_json::json;

use crate::both::mfa_face::{base32_decode, code_now, mid_step};
use crate::helpers::*;

/// Signs `alice@example.com` up through seed 004 and turns TOTP on
/// through the REST API.
async fn enrolled(app: &TestApp) {
    app.drf_create("alice@example.com", "Alice", "Liddell")
        .await
        .expect(201);
    let tokens = app.password_grant("alice@example.com", PASSWORD).await;
    let auth = bearer(tokens.expect(200)["access_token"].as_str().unwrap());
    mid_step(app);
    let begun = app
        .send(app.rest(Method::POST, "/api/users/me/mfa/totp", Some(&auth)))
        .await;
    let secret = base32_decode(begun.expect(200)["secret"].as_str().unwrap());
    let code = code_now(app, &secret, 0);
    app.rest_json(
        Method::POST,
        "/api/users/me/mfa/totp/confirm",
        json!({ "code": code }),
        Some(&auth),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn the_logins_answer_mfa_required_in_their_own_shape_with_a_challenge() {
    let app = spawn_app().await;
    enrolled(&app).await;
    let pair = app
        .drf_post(
            "/login/",
            json!({ "username": "alice@example.com", "password": PASSWORD }),
        )
        .await;
    let body = pair.expect(403);
    assert_eq!(body["code"], "mfa_required", "{body:#}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("second factor")),
        "{body:#}"
    );
    assert!(
        body["challenge"]
            .as_str()
            .is_some_and(|c| c.starts_with("ghm_")),
        "{body:#}"
    );
    assert!(body.get("access").is_none());
    let seed = app
        .drf_post(
            "/user/obtain_token/",
            json!({ "email": "alice@example.com", "password": PASSWORD }),
        )
        .await;
    let body = seed.expect(403);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("second factor")),
        "{body:#}"
    );
    assert!(
        body["challenge"]
            .as_str()
            .is_some_and(|c| c.starts_with("ghm_")),
        "{body:#}"
    );
    assert!(body.get("token").is_none());
}

#[tokio::test]
async fn a_password_change_through_user_update_needs_a_fresh_login() {
    let app = spawn_app().await;
    app.drf_create("bob@example.com", "Bob", "B")
        .await
        .expect(201);
    let (_, refresh) = app.drf_pair("bob@example.com", PASSWORD).await;
    app.state.clock().advance(301);
    // A refresh keeps the login's time.
    let refreshed = app
        .drf_post("/token/refresh/", json!({ "refresh": refresh }))
        .await;
    let access = refreshed.expect(200)["access"].as_str().unwrap().to_owned();
    let body = json!({ "user": { "password": "a brand new passphrase" } });
    let stale = app
        .rest_json(
            Method::PUT,
            "/user/update/",
            body.clone(),
            Some(&bearer(&access)),
        )
        .await;
    let refused = stale.expect(403);
    assert_eq!(refused["code"], "reauthentication_required", "{refused:#}");
    let (fresh, _) = app.drf_pair("bob@example.com", PASSWORD).await;
    app.rest_json(Method::PUT, "/user/update/", body, Some(&bearer(&fresh)))
        .await
        .expect(200);
}
