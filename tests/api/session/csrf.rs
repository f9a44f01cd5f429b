//! Browser mode's CSRF rules (an `X-Requested-With` header; an `Origin`, if
//! sent, that is listed or the server's own) and CORS with credentials for
//! the listed origins only, and only for `/api/session/*`.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::csrf::{APP, EVIL};
use crate::helpers::*;

const PATHS: [&str; 3] = [
    "/api/session/login",
    "/api/session/refresh",
    "/api/session/logout",
];

/// A browser-mode POST to `path` with the cookie and the given headers
/// (no `X-Requested-With` unless given), a login body for login.
async fn post(app: &TestApp, path: &str, cookie: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = app
        .client
        .post(app.url(path))
        .header("cookie", format!("{COOKIE}={cookie}"))
        .json(&json!({ "username": "alice", "password": PASSWORD }));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    app.send(req).await
}

/// Each refused request was refused before any work: the cookie still
/// refreshes, no login was made, nothing revoked.
async fn assert_refused_everywhere(app: &TestApp, headers: &[(&str, &str)]) {
    let (_, cookie) = session_logged_in(app, "alice").await;
    for path in PATHS {
        let reply = post(app, path, &cookie, headers).await;
        reply.expect_error(403, "FORBIDDEN");
        assert!(refresh_cookie(&reply).is_none(), "{path}: {reply:?}");
    }
    let still = session_refresh(app, Some(&cookie)).await;
    still.expect(200);
}

#[tokio::test]
async fn without_x_requested_with_every_session_call_is_refused() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    assert_refused_everywhere(&app, &[]).await;
    // Also from a listed origin, and from the server's own.
    let app = spawn_app_with(|c| c.cors_origins = vec![APP.into()]).await;
    app.rest_sign_up_default("alice").await;
    assert_refused_everywhere(&app, &[("origin", APP)]).await;
    let own = app.address.clone();
    assert_refused_everywhere(&app, &[("origin", &own)]).await;
}

#[tokio::test]
async fn an_unlisted_or_null_origin_is_refused() {
    for origins in [vec![], vec![APP.to_owned()]] {
        let app = spawn_app_with(|c| c.cors_origins = origins).await;
        app.rest_sign_up_default("alice").await;
        for origin in [
            EVIL,
            "null",
            "http://127.0.0.1:1",
            &format!("{APP}.evil.example"),
        ] {
            assert_refused_everywhere(&app, &[("x-requested-with", "x"), ("origin", origin)]).await;
        }
        // Two Origin headers, one of them good: refused.
        let (_, cookie) = session_logged_in(&app, "alice").await;
        let two = app
            .send(
                session_request(&app, "/api/session/refresh", Some(&cookie))
                    .header("origin", APP)
                    .header("origin", EVIL),
            )
            .await;
        two.expect_error(403, "FORBIDDEN");
    }
}

#[tokio::test]
async fn a_listed_origin_and_the_servers_own_origin_are_accepted() {
    let app = spawn_app_with(|c| c.cors_origins = vec![APP.into()]).await;
    app.rest_sign_up_default("alice").await;
    let own = app.address.clone();
    for origin in [APP, own.as_str()] {
        let headers = [("x-requested-with", "fetch"), ("origin", origin)];
        let login = post(&app, "/api/session/login", "", &headers).await;
        login.expect(200);
        let cookie = refresh_cookie(&login).unwrap().value;
        let refreshed = post(&app, "/api/session/refresh", &cookie, &headers).await;
        refreshed.expect(200);
        let cookie = refresh_cookie(&refreshed).unwrap().value;
        post(&app, "/api/session/logout", &cookie, &headers)
            .await
            .expect(204);
        session_refresh(&app, Some(&cookie))
            .await
            .expect_error(401, "TOKEN_INVALID");
    }
    // The header's value does not matter, an empty one included.
    session_login(&app, "alice", PASSWORD).await.expect(200);
    let empty = post(&app, "/api/session/login", "", &[("x-requested-with", "")]).await;
    empty.expect(200);
}

/// A hostile page's form cannot log a visitor in (login CSRF): refused as
/// every cross-site form is, and without `X-Requested-With` anyway.
#[tokio::test]
async fn a_cross_site_form_login_is_refused() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let reply = app
        .send(
            app.client
                .post(app.url("/api/session/login"))
                .header("origin", EVIL)
                .form(&[("username", "alice"), ("password", PASSWORD)]),
        )
        .await;
    reply.expect_error(403, "FORBIDDEN");
    assert!(refresh_cookie(&reply).is_none());
}

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, x-requested-with",
        )
        .send()
        .await
        .unwrap()
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn cors_allows_credentials_only_for_listed_origins_and_only_for_browser_mode() {
    let app = spawn_app_with(|c| c.cors_origins = vec![APP.into()]).await;
    app.rest_sign_up_default("alice").await;
    for path in PATHS {
        let ok = preflight(&app, path, APP).await;
        assert_eq!(ok.status(), 200, "{path}");
        assert_eq!(header(&ok, "access-control-allow-origin"), Some(APP));
        assert_eq!(
            header(&ok, "access-control-allow-credentials"),
            Some("true")
        );
        let allowed = header(&ok, "access-control-allow-headers").unwrap_or_default();
        assert!(
            allowed.to_ascii_lowercase().contains("x-requested-with"),
            "{path}: {allowed}"
        );
        let evil = preflight(&app, path, EVIL).await;
        assert!(
            header(&evil, "access-control-allow-origin").is_none(),
            "{path}"
        );
        assert!(header(&evil, "access-control-allow-credentials").is_none());
    }
    let login = app
        .client
        .post(app.url("/api/session/login"))
        .header("origin", APP)
        .header("x-requested-with", "fetch")
        .json(&json!({ "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    assert_eq!(header(&login, "access-control-allow-origin"), Some(APP));
    assert_eq!(
        header(&login, "access-control-allow-credentials"),
        Some("true")
    );
    let evil = app
        .client
        .post(app.url("/api/session/login"))
        .header("origin", EVIL)
        .header("x-requested-with", "fetch")
        .json(&json!({ "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert!(header(&evil, "access-control-allow-origin").is_none());
    assert!(header(&evil, "access-control-allow-credentials").is_none());
    // Elsewhere a listed origin gets CORS without credentials: bearer
    // tokens, never cookies.
    for path in ["/graphql", "/api/token", "/api/users/me"] {
        let pre = preflight(&app, path, APP).await;
        assert_eq!(
            header(&pre, "access-control-allow-origin"),
            Some(APP),
            "{path}"
        );
        assert!(
            header(&pre, "access-control-allow-credentials").is_none(),
            "{path}"
        );
    }
}

#[tokio::test]
async fn with_cors_off_no_origin_gets_credentials() {
    let app = spawn_app().await;
    for origin in [APP, EVIL] {
        let pre = preflight(&app, "/api/session/login", origin).await;
        assert!(header(&pre, "access-control-allow-origin").is_none());
        assert!(header(&pre, "access-control-allow-credentials").is_none());
    }
}
