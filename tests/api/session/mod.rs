//! Browser mode (`/api/session/*`): the refresh token only in an HttpOnly
//! cookie, the access token in the body; its CSRF rules and CORS with
//! credentials (`csrf.rs`). The client here sends the cookie by hand, as a
//! browser would: reqwest keeps no cookies.

mod cookie;
mod csrf;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::rest::client::Reply;

pub const COOKIE: &str = "__Secure-gatehouse_refresh";

/// The refresh cookie a reply set: its value and its attributes, as
/// written (`Path=/api/session`, `HttpOnly`, ...).
#[derive(Debug)]
pub struct SetCookie {
    pub value: String,
    pub attributes: Vec<String>,
}

impl SetCookie {
    pub fn has(&self, attribute: &str) -> bool {
        self.attributes
            .iter()
            .any(|a| a.eq_ignore_ascii_case(attribute))
    }

    /// Whether this `Set-Cookie` removes the cookie.
    pub fn clears(&self) -> bool {
        self.value.is_empty() && self.has("Max-Age=0")
    }
}

/// The one `Set-Cookie` of the refresh cookie in `reply`, if any.
pub fn refresh_cookie(reply: &Reply) -> Option<SetCookie> {
    let mut found: Vec<SetCookie> = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            let mut parts = v.split(';').map(str::trim);
            let (name, value) = parts.next()?.split_once('=')?;
            (name == COOKIE).then(|| SetCookie {
                value: value.to_owned(),
                attributes: parts.map(str::to_owned).collect(),
            })
        })
        .collect();
    assert!(found.len() <= 1, "one refresh cookie at most: {found:?}");
    found.pop()
}

/// Asserts the reply cleared the refresh cookie.
pub fn assert_cleared(reply: &Reply) {
    let cookie = refresh_cookie(reply).expect("a Set-Cookie clearing the refresh cookie");
    assert!(cookie.clears(), "{cookie:?}");
    for a in ["Path=/api/session", "HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(cookie.has(a), "{a} in {cookie:?}");
    }
}

/// A browser-mode POST: the `X-Requested-With` header, and the cookie
/// when given.
pub fn session_request(app: &TestApp, path: &str, cookie: Option<&str>) -> reqwest::RequestBuilder {
    let req = app
        .client
        .request(Method::POST, app.url(path))
        .header("x-requested-with", "XMLHttpRequest");
    match cookie {
        Some(c) => req.header("cookie", format!("{COOKIE}={c}")),
        None => req,
    }
}

/// `POST /api/session/login` with `username` and `password`.
pub async fn session_login(app: &TestApp, username: &str, password: &str) -> Reply {
    let body = json!({ "username": username, "password": password });
    app.send(session_request(app, "/api/session/login", None).json(&body))
        .await
}

/// Logs in in browser mode; panics unless it succeeds. Returns the body and
/// the cookie's value.
pub async fn session_logged_in(app: &TestApp, username: &str) -> (Value, String) {
    let reply = session_login(app, username, PASSWORD).await;
    let body = reply.expect(200).clone();
    let cookie = refresh_cookie(&reply).expect("the refresh cookie is set");
    (body, cookie.value)
}

/// `POST /api/session/refresh` with the cookie `cookie`.
pub async fn session_refresh(app: &TestApp, cookie: Option<&str>) -> Reply {
    app.send(session_request(app, "/api/session/refresh", cookie))
        .await
}

/// `POST /api/session/logout` with the cookie `cookie`.
pub async fn session_logout(app: &TestApp, cookie: Option<&str>) -> Reply {
    app.send(session_request(app, "/api/session/logout", cookie))
        .await
}
