//! The cookie's life: login sets it (and no refresh token in the body),
//! refresh rotates it (the old value is then a reuse), logout revokes and
//! clears it; a failed refresh clears it; only the cookie is read.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::helpers::*;

#[tokio::test]
async fn login_sets_the_refresh_cookie_with_every_attribute_and_no_refresh_token_in_the_body() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let reply = session_login(&app, "alice", PASSWORD).await;
    let body = reply.expect(200);
    let cookie = refresh_cookie(&reply).expect("the refresh cookie");
    assert!(cookie.value.starts_with("ghr_"), "{cookie:?}");
    for a in ["Path=/api/session", "HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(cookie.has(a), "{a} in {cookie:?}");
    }
    // A second may pass between issuing and answering.
    let max_age = cookie
        .attributes
        .iter()
        .find_map(|a| a.strip_prefix("Max-Age="))
        .and_then(|v| v.parse::<i64>().ok());
    assert!(
        max_age.is_some_and(|m| (REFRESH_TTL - 2..=REFRESH_TTL).contains(&m)),
        "{cookie:?}"
    );
    assert!(!cookie.attributes.iter().any(|a| a.starts_with("Domain")));
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "refresh_expires_in",
            "token_type"
        ]
    );
    assert_eq!(body["token_type"], "Bearer");
    let within =
        |v: &serde_json::Value, ttl: i64| v.as_i64().is_some_and(|s| (ttl - 2..=ttl).contains(&s));
    assert!(within(&body["expires_in"], ACCESS_TTL), "{body:#}");
    assert!(within(&body["refresh_expires_in"], REFRESH_TTL), "{body:#}");
    assert_eq!(body["refresh_expires_in"].as_i64(), max_age);
    assert!(!body.to_string().contains(&cookie.value));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let me = app.rest_me(body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.expect(200)["username"], "alice");
    // By email too, as `POST /api/token` takes it.
    session_login(&app, "alice@example.com", PASSWORD)
        .await
        .expect(200);
}

#[tokio::test]
async fn a_failed_login_sets_no_cookie_and_bad_bodies_are_refused() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let wrong = session_login(&app, "alice", "not the password at all").await;
    wrong.expect_error(401, "INVALID_CREDENTIALS");
    assert!(refresh_cookie(&wrong).is_none());
    let missing = app
        .send(
            session_request(&app, "/api/session/login", None).json(&json!({ "username": "alice" })),
        )
        .await;
    missing.expect_error(400, "BAD_REQUEST");
    assert!(refresh_cookie(&missing).is_none());
    let form = app
        .send(
            session_request(&app, "/api/session/login", None)
                .form(&[("username", "alice"), ("password", PASSWORD)]),
        )
        .await;
    form.expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
}

#[tokio::test]
async fn refresh_rotates_the_cookie_and_the_old_value_is_then_a_reuse() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let (_, first) = session_logged_in(&app, "alice").await;
    let reply = session_refresh(&app, Some(&first)).await;
    let body = reply.expect(200).clone();
    assert!(body.get("refresh_token").is_none(), "{body:#}");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let second = refresh_cookie(&reply).expect("the rotated cookie");
    assert_ne!(second.value, first);
    assert!(second.has("HttpOnly") && second.has("Path=/api/session"));
    let me = app.rest_me(body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.expect(200)["username"], "alice");

    // The old cookie again, after the reuse interval: a reuse, which ends
    // the whole login.
    app.past_reuse_interval();
    let reused = session_refresh(&app, Some(&first)).await;
    reused.expect_error(401, "TOKEN_REUSED");
    assert_cleared(&reused);
    let after = session_refresh(&app, Some(&second.value)).await;
    assert_eq!(after.status, 401, "{:#}", after.body);
    assert_cleared(&after);
}

#[tokio::test]
async fn a_missing_malformed_unknown_doubled_or_expired_cookie_is_401_and_cleared() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let none = session_refresh(&app, None).await;
    none.expect_error(401, "UNAUTHENTICATED");
    assert_cleared(&none);
    let garbage = session_refresh(&app, Some("not-a-token")).await;
    garbage.expect_error(401, "TOKEN_INVALID");
    assert_cleared(&garbage);
    let unknown = session_refresh(&app, Some(UNKNOWN_REFRESH)).await;
    unknown.expect_error(401, "TOKEN_INVALID");
    assert_cleared(&unknown);

    // Two values (one tossed in beside ours): neither is guessed at, and
    // the cookie is not cleared (that would leave a tossed-in value at a
    // narrower path in place of ours).
    let (_, cookie) = session_logged_in(&app, "alice").await;
    let two = app
        .send(session_request(&app, "/api/session/refresh", None).header(
            "cookie",
            format!("{COOKIE}={UNKNOWN_REFRESH}; {COOKIE}={cookie}"),
        ))
        .await;
    two.expect_error(401, "UNAUTHENTICATED");
    assert!(two.headers.get("set-cookie").is_none(), "{:?}", two.headers);
    // ... and neither was used.
    session_refresh(&app, Some(&cookie)).await.expect(200);

    let (_, old) = session_logged_in(&app, "alice").await;
    app.state.clock().advance(REFRESH_TTL + 1);
    let expired = session_refresh(&app, Some(&old)).await;
    expired.expect_error(401, "TOKEN_EXPIRED");
    assert_cleared(&expired);
}

/// A logout with two values of the cookie ends the sessions of both (the
/// second attack review of browser mode: it answered 204 and ended none).
#[tokio::test]
async fn logout_with_two_cookie_values_ends_both_sessions() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let (body, first) = session_logged_in(&app, "alice").await;
    let first_access = body["access_token"].as_str().unwrap().to_owned();
    let other = app.rest_login("alice", PASSWORD).await;
    let out = app
        .send(session_request(&app, "/api/session/logout", None).header(
            "cookie",
            format!("{COOKIE}={first}; {COOKIE}={}", other.refresh),
        ))
        .await;
    assert_eq!(out.status, 204);
    assert_cleared(&out);
    assert_eq!(app.rest_me(&first_access).await.status, 401);
    assert_eq!(app.rest_me(&other.access).await.status, 401);
    session_refresh(&app, Some(&first))
        .await
        .expect_error(401, "TOKEN_INVALID");
}

#[tokio::test]
async fn logout_revokes_the_login_and_clears_the_cookie() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let (_, first) = session_logged_in(&app, "alice").await;
    let rotated = session_refresh(&app, Some(&first)).await;
    let cookie = refresh_cookie(&rotated).unwrap().value;
    let out = session_logout(&app, Some(&cookie)).await;
    out.expect(204);
    assert_cleared(&out);
    assert_eq!(out.header("cache-control"), Some("no-store"));
    let again = session_refresh(&app, Some(&cookie)).await;
    assert_eq!(again.status, 401, "{:#}", again.body);
    // Revoked for the token endpoint too: it is one login.
    app.refresh_grant(&cookie)
        .await
        .expect_oauth(400, "invalid_grant");

    // No cookie, or one that means nothing: still 204, still cleared.
    for cookie in [None, Some("garbage"), Some(UNKNOWN_REFRESH)] {
        let out = session_logout(&app, cookie).await;
        out.expect(204);
        assert_cleared(&out);
    }
}

/// Only the cookie is read: a refresh token in the body or the query is
/// ignored (and not used up), on refresh and on logout.
#[tokio::test]
async fn a_refresh_token_in_the_body_or_query_is_not_accepted() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let tokens = app.rest_login("alice", PASSWORD).await;
    let r = tokens.refresh.as_str();
    for path in ["/api/session/refresh", "/api/session/logout"] {
        let json_body = app
            .send(session_request(&app, path, None).json(&json!({ "refresh_token": r })))
            .await;
        let form_body = app
            .send(session_request(&app, path, None).form(&[("refresh_token", r)]))
            .await;
        let query = app
            .send(session_request(
                &app,
                &format!("{path}?refresh_token={r}"),
                None,
            ))
            .await;
        let auth = app
            .send(session_request(&app, path, None).header("authorization", bearer(r)))
            .await;
        for reply in [json_body, form_body, query, auth] {
            if path.ends_with("refresh") {
                reply.expect_error(401, "UNAUTHENTICATED");
            } else {
                reply.expect(204);
            }
            assert!(refresh_cookie(&reply).is_some_and(|c| c.clears()));
        }
    }
    // Neither used nor revoked.
    app.refresh_grant(r).await.expect(200);
}

/// The cookie login is `POST /api/token`'s login: the same throttle, counted
/// together.
#[tokio::test]
async fn throttling_applies_to_the_cookie_login() {
    let app = spawn_app_with(|c| c.throttle.login_failures_per_account = 2).await;
    app.rest_sign_up_default("alice").await;
    app.password_grant("alice", "wrong password here")
        .await
        .expect_oauth(400, "invalid_grant");
    session_login(&app, "alice", "wrong password here")
        .await
        .expect_error(401, "INVALID_CREDENTIALS");
    let refused = session_login(&app, "alice", PASSWORD).await;
    refused.expect_error(429, "RATE_LIMITED");
    assert!(refused.header("retry-after").is_some());
    assert!(refresh_cookie(&refused).is_none());
    app.password_grant("alice", PASSWORD)
        .await
        .expect_oauth(429, "temporarily_unavailable");
}

#[tokio::test]
async fn the_session_endpoints_answer_only_post() {
    let app = spawn_app().await;
    for path in [
        "/api/session/login",
        "/api/session/refresh",
        "/api/session/logout",
    ] {
        let reply = app.send(app.rest(Method::GET, path, None)).await;
        assert_eq!(reply.status, 405, "{path}");
        assert_eq!(reply.header("allow"), Some("POST"), "{path}");
    }
}

/// Logging in again replaces the cookie and ends the login it held (the
/// browser could no longer reach it); a failed login changes nothing.
#[tokio::test]
async fn a_new_login_revokes_the_login_of_the_cookie_it_replaces() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let (_, old) = session_logged_in(&app, "alice").await;
    let login = |password: &'static str, cookie: String| {
        let body = json!({ "username": "alice", "password": password });
        app.send(session_request(&app, "/api/session/login", Some(&cookie)).json(&body))
    };
    login("not the password at all", old.clone())
        .await
        .expect_error(401, "INVALID_CREDENTIALS");
    let still = session_refresh(&app, Some(&old)).await;
    still.expect(200);
    let old = refresh_cookie(&still).unwrap().value;
    let again = login(PASSWORD, old.clone()).await;
    again.expect(200);
    let new = refresh_cookie(&again).unwrap().value;
    assert_ne!(new, old);
    session_refresh(&app, Some(&old))
        .await
        .expect_error(401, "TOKEN_INVALID");
    session_refresh(&app, Some(&new)).await.expect(200);
}

/// Every value of the cookie is ended at a logout, however many (the fourth
/// attack review: values after the eighth were skipped).
#[tokio::test]
async fn logout_ends_every_cookie_value_however_many() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let mut values: Vec<String> = (0..12).map(|_| UNKNOWN_REFRESH.to_owned()).collect();
    let real = app.rest_login("alice", PASSWORD).await;
    values.push(real.refresh.clone());
    let cookie = values
        .iter()
        .map(|v| format!("{COOKIE}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let out = app
        .send(session_request(&app, "/api/session/logout", None).header("cookie", cookie))
        .await;
    assert_eq!(out.status, 204);
    assert_eq!(app.rest_me(&real.access).await.status, 401);
}
