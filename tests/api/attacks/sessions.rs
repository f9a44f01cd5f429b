//! Sessions that must end: logins racing a password change, and keep-alive
//! refreshes of a session that was logged out, reused or revoked (the third
//! attack review found both surviving).

use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::Method;
use serde_json::json;

use crate::graphql::client::*;
use crate::helpers::*;

/// Logins with the old password that race a password change: whichever
/// finished first, no refresh token they got survives the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_login_racing_a_password_change_keeps_a_session() {
    let app = spawn_app_with(unthrottled).await;
    app.sign_up_default("ivan").await;
    let passwords = [PASSWORD, "a much longer passphrase indeed"];
    let mut refresh_tokens = Vec::new();
    for round in 0..4 {
        let (old, new) = (passwords[round % 2], passwords[(round + 1) % 2]);
        let tokens = app.rest_login("ivan", old).await;
        let auth = bearer(&tokens.access);
        let change = app.rest_json(
            Method::POST,
            "/api/users/me/password",
            json!({ "old_password": old, "new_password": new }),
            Some(&auth),
        );
        // Three attackers log in with the old password over and over while
        // the change is in flight (and once after it answered).
        let done = AtomicBool::new(false);
        let change = async {
            let reply = change.await;
            done.store(true, Ordering::SeqCst);
            reply
        };
        let attacker = || async {
            let mut replies = Vec::new();
            loop {
                let finished = done.load(Ordering::SeqCst);
                replies.push(app.password_grant("ivan", old).await);
                if finished {
                    return replies;
                }
            }
        };
        let (changed, a, b, c) = tokio::join!(change, attacker(), attacker(), attacker());
        let changed = changed.expect(200).clone();
        let logins = a.into_iter().chain(b).chain(c);
        for reply in logins {
            match reply.status {
                200 => {
                    refresh_tokens.push(reply.body["refresh_token"].as_str().unwrap().to_owned())
                }
                400 => assert_eq!(reply.body["error"], "invalid_grant", "{:#}", reply.body),
                s => panic!("unexpected {s}: {:#}", reply.body),
            }
        }
        // The pair the change handed out works.
        let live = changed["refresh_token"].as_str().unwrap();
        app.refresh_grant(live).await.expect(200);
    }
    for token in &refresh_tokens {
        let reply = app.refresh_grant(token).await;
        assert_eq!(
            reply.status, 400,
            "a refresh token from a login with an old password survived its change: {:#}",
            reply.body
        );
    }
}

/// A session's access tokens live out their lifetime after the session
/// ends, but a keep-alive refresh must not renew them.
#[tokio::test]
async fn keep_alive_does_not_renew_an_ended_session() {
    let app = spawn_app().await;
    app.sign_up_default("judy").await;
    // Logged out with a revokeToken.
    let (access, refresh, _) = app.login("judy", PASSWORD).await;
    assert_no_errors(&app.keep_alive(&access).await);
    assert_no_errors(
        &app.graphql(REVOKE_TOKEN, json!({ "refreshToken": refresh }), None)
            .await,
    );
    assert_eq!(
        error_code(&app.keep_alive(&access).await),
        Some("TOKEN_INVALID")
    );
    // Revoked for a reuse.
    let (access, refresh, _) = app.login("judy", PASSWORD).await;
    assert_no_errors(&app.rotate(&refresh).await);
    app.past_reuse_interval();
    assert!(error_code(&app.rotate(&refresh).await).is_some());
    assert_eq!(
        error_code(&app.keep_alive(&access).await),
        Some("TOKEN_INVALID")
    );
    // Blacklisted through the Django REST face, renewed through GraphQL.
    let (access, refresh, _) = app.login("judy", PASSWORD).await;
    app.rest_json(
        Method::POST,
        "/token/blacklist/",
        json!({ "refresh": refresh }),
        None,
    )
    .await
    .expect(200);
    assert_eq!(
        error_code(&app.keep_alive(&access).await),
        Some("TOKEN_INVALID")
    );
    // Another session of the same user is not touched.
    let (other, _, _) = app.login("judy", PASSWORD).await;
    let renewed = app.keep_alive(&other).await;
    assert_no_errors(&renewed);
    // And a renewed token still belongs to its session.
    let renewed = renewed["data"]["refreshToken"]["token"].as_str().unwrap();
    assert_no_errors(&app.keep_alive(renewed).await);
}

/// The second review: an access token outliving its ended session changed
/// the password through the Django REST face (which asks for no old
/// password) and so started a new session.
#[tokio::test]
async fn an_ended_sessions_access_token_cannot_change_the_password() {
    let app = spawn_app().await;
    app.sign_up_default("lena").await;
    let reply = app
        .rest_json(
            Method::POST,
            "/login/",
            json!({ "username": "lena", "password": PASSWORD }),
            None,
        )
        .await;
    let pair = reply.expect(200).clone();
    let (access, refresh) = (
        pair["access"].as_str().unwrap(),
        pair["refresh"].as_str().unwrap(),
    );
    app.rest_json(
        Method::POST,
        "/token/blacklist/",
        json!({ "refresh": refresh }),
        None,
    )
    .await
    .expect(200);
    let reply = app
        .rest_json(
            Method::PUT,
            "/user/update/",
            json!({ "user": { "password": "a much longer passphrase indeed" } }),
            Some(&bearer(access)),
        )
        .await;
    assert_eq!(reply.status, 401, "{:#}", reply.body);
    assert_eq!(reply.body["code"], "token_not_valid");
    // Nothing changed: the password is the old one.
    app.rest_login("lena", PASSWORD).await;
}
