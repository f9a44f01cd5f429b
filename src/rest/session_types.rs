//! What browser mode (`/api/session/*`) sends and reads besides its JSON:
//! the refresh cookie, the CSRF rules, and its error answers (which may
//! clear the cookie).

use std::marker::PhantomData;

use poem::http::{header, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaHeader, MetaResponses, Registry};
use poem_openapi::types::{Example, Type as _};
use poem_openapi::{ApiResponse, Object};

use super::error::{self, ErrorBody, Problem, Statuses};
use super::text::Text;
use crate::error::{Error, Result};
use crate::service::Issued;

/// The refresh cookie's name. Always `__Secure-`-prefixed: a browser keeps
/// it only when it came over HTTPS (or from `http://localhost` /
/// `http://127.0.0.1`, which Chromium and Firefox count as secure), so the
/// name is the same in every deployment and no page on a plain-HTTP origin
/// can set or overwrite it. Not `__Host-`: that prefix demands `Path=/`,
/// and the cookie is scoped to `/api/session` so that no other request
/// carries the refresh token.
pub const REFRESH_COOKIE: &str = "__Secure-gatehouse_refresh";

/// The path the cookie is scoped to.
pub const COOKIE_PATH: &str = "/api/session";

/// The header a browser's cross-site form cannot send (any value).
pub const CSRF_HEADER: &str = "x-requested-with";

/// The `Set-Cookie` value that stores `token` for `max_age` seconds.
pub fn set_cookie(token: &str, max_age: i64) -> String {
    format!(
        "{REFRESH_COOKIE}={token}; Path={COOKIE_PATH}; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
        max_age.max(0)
    )
}

/// The `Set-Cookie` value that removes the cookie (a `__Secure-` cookie is
/// only replaced by one that is `Secure` too).
pub fn clear_cookie() -> String {
    format!("{REFRESH_COOKIE}=; Path={COOKIE_PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

/// What the request's `Cookie` headers hold under [`REFRESH_COOKIE`]: one
/// pass over the headers. Two values (a cookie tossed in from a sibling
/// domain beside ours) are never guessed between: a refresh refuses them,
/// a logout revokes them all.
pub enum Presented {
    None,
    One(String),
    /// Two or more values, every one (as many as fit in the request's
    /// head, which the listener bounds).
    Several(Vec<String>),
}

pub fn presented(req: &poem::Request) -> Presented {
    let mut found = Presented::None;
    for line in req.headers().get_all(header::COOKIE) {
        for pair in line.as_bytes().split(|b| *b == b';') {
            let pair = pair.trim_ascii();
            let Some(value) = pair
                .strip_prefix(REFRESH_COOKIE.as_bytes())
                .and_then(|rest| rest.strip_prefix(b"="))
            else {
                continue;
            };
            let value = String::from_utf8_lossy(value.trim_ascii()).into_owned();
            found = match found {
                Presented::None => Presented::One(value),
                Presented::One(first) => Presented::Several(vec![first, value]),
                Presented::Several(mut all) => {
                    all.push(value);
                    Presented::Several(all)
                }
            };
        }
    }
    found
}

/// The CSRF rules of browser mode: an `X-Requested-With` header (which no
/// cross-site form can send, and which a cross-origin `fetch` sends only
/// after a CORS preflight), and an `Origin`, when there is one, that is one
/// of `GATEHOUSE_CORS_ORIGINS` (`trusted`). The server's own origin is
/// accepted too: the `cross_site_forms` middleware has already removed an
/// `Origin` that names this server (its `Host`).
pub fn check_csrf(req: &poem::Request, trusted: &[String]) -> std::result::Result<(), Refused> {
    if !req.headers().contains_key(CSRF_HEADER) {
        return Err(Refused(
            "Browser-mode requests need an `X-Requested-With` header (any value).",
        ));
    }
    check_origin(req, trusted)
}

/// The `Origin` rule alone: none, or exactly one that is listed in
/// `trusted`. The middleware applies it before CORS (which would answer an
/// unlisted origin in its own plain-text shape), the handlers again.
pub fn check_origin(req: &poem::Request, trusted: &[String]) -> std::result::Result<(), Refused> {
    let mut origins = req.headers().get_all(header::ORIGIN).iter();
    let Some(origin) = origins.next() else {
        return Ok(());
    };
    let listed = origins.next().is_none()
        && origin.to_str().is_ok_and(|o| {
            let o = o.trim();
            o != "null" && trusted.iter().any(|t| t.eq_ignore_ascii_case(o))
        });
    if listed {
        Ok(())
    } else {
        Err(Refused(
            "This origin may not use browser mode: list it in GATEHOUSE_CORS_ORIGINS.",
        ))
    }
}

/// A request the CSRF check refused, with the reason.
#[derive(Debug)]
pub struct Refused(pub &'static str);

impl IntoResponse for Refused {
    /// 403 FORBIDDEN in the API's error shape.
    fn into_response(self) -> Response {
        tracing::info!("browser-mode request refused by the CSRF check");
        let body = ErrorBody {
            code: "FORBIDDEN".into(),
            message: self.0.to_owned(),
            fields: None,
            challenge: None,
        };
        error::response(StatusCode::FORBIDDEN, body, Vec::new())
    }
}

/// `POST /api/session/login`'s body: the same credentials as
/// `POST /api/token`'s `grant_type=password`.
#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct SessionLoginRequest {
    /// The username or the email address.
    pub username: Text,
    /// The password.
    pub password: Text,
}

impl Example for SessionLoginRequest {
    fn example() -> Self {
        Self {
            username: "alice".into(),
            password: "correct horse battery staple".into(),
        }
    }
}

/// An access token for the page; the refresh token is in the cookie only.
#[derive(Object)]
#[oai(example)]
pub struct SessionTokens {
    /// The access token. Send it as `Authorization: Bearer <token>`; GraphQL accepts it too.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Seconds until the refresh cookie (the login) expires unless refreshed.
    pub refresh_expires_in: i64,
}

impl SessionTokens {
    /// The body and the refresh token (for the cookie) of tokens issued at `now`.
    pub fn new(issued: Issued, now: i64) -> Result<(Self, String)> {
        let refresh_token = issued
            .refresh_token
            .ok_or_else(|| Error::internal(anyhow::anyhow!("no refresh token was issued")))?;
        let body = Self {
            access_token: issued.token,
            token_type: "Bearer".into(),
            expires_in: (issued.claims.expires_at - now).max(0),
            refresh_expires_in: (issued.refresh_expires_at - now).max(0),
        };
        Ok((body, refresh_token))
    }
}

impl Example for SessionTokens {
    fn example() -> Self {
        Self {
            access_token: "v4.public.eyJzdWIiOiI0MiJ9...".into(),
            token_type: "Bearer".into(),
            expires_in: 300,
            refresh_expires_in: 604_800,
        }
    }
}

/// A failed browser-mode request: the usual error body (the same codes as
/// everywhere), a 403 from the CSRF check, and on a failed refresh a
/// `Set-Cookie` that clears the cookie.
pub struct SessionProblem<S> {
    response: Box<Response>,
    _declared: PhantomData<fn() -> S>,
}

impl<S> SessionProblem<S> {
    pub fn refused(response: Response) -> Self {
        Self {
            response: Box::new(response),
            _declared: PhantomData,
        }
    }

    /// `e`, and, when it is a 401 (the cookie is missing, unknown, used,
    /// revoked or expired), the cookie cleared: the page is logged out.
    pub fn clearing(e: Error) -> Self {
        let mut problem = Self::from(e);
        if problem.response.status() == StatusCode::UNAUTHORIZED {
            problem.clear();
        }
        problem
    }

    /// 401 UNAUTHENTICATED for a request without a (single) cookie.
    /// Two or more values of the cookie at a refresh: 401, and the cookie
    /// is left alone. Clearing it would take out the browser's own value
    /// and leave a value tossed in at a narrower path in its place.
    pub fn several_cookies() -> Self {
        let body = ErrorBody {
            code: "UNAUTHENTICATED".into(),
            message: "More than one session cookie was sent: log out \
                      (`POST /api/session/logout` ends them all) and log in again."
                .into(),
            fields: None,
            challenge: None,
        };
        let challenge = r#"Bearer realm="gatehouse""#.to_owned();
        Self::refused(error::response(
            StatusCode::UNAUTHORIZED,
            body,
            vec![(header::WWW_AUTHENTICATE, challenge)],
        ))
    }

    pub fn no_cookie() -> Self {
        let body = ErrorBody {
            code: "UNAUTHENTICATED".into(),
            message: "No session cookie: log in with `POST /api/session/login`.".into(),
            fields: None,
            challenge: None,
        };
        let challenge = r#"Bearer realm="gatehouse""#.to_owned();
        let mut problem = Self::refused(error::response(
            StatusCode::UNAUTHORIZED,
            body,
            vec![(header::WWW_AUTHENTICATE, challenge)],
        ));
        problem.clear();
        problem
    }

    fn clear(&mut self) {
        if let Ok(v) = clear_cookie().parse() {
            self.response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

impl<S> From<Error> for SessionProblem<S> {
    fn from(e: Error) -> Self {
        Self::refused(Problem::<S>::from(e).into_response())
    }
}

impl<S> IntoResponse for SessionProblem<S> {
    fn into_response(self) -> Response {
        *self.response
    }
}

impl<S> From<SessionProblem<S>> for poem::Error {
    fn from(p: SessionProblem<S>) -> Self {
        poem::Error::from_response(p.into_response())
    }
}

impl<S: Statuses> ApiResponse for SessionProblem<S> {
    fn meta() -> MetaResponses {
        let mut meta = Problem::<S>::meta();
        for r in &mut meta.responses {
            match r.status {
                Some(401) => {
                    r.description = "UNAUTHENTICATED (no session cookie), INVALID_CREDENTIALS \
                        (login), or TOKEN_INVALID / TOKEN_REUSED / TOKEN_EXPIRED (the cookie's \
                        refresh token is unknown, revoked, already used, or expired). A failed \
                        refresh clears the cookie (`Set-Cookie` with `Max-Age=0`).";
                    r.headers.push(MetaHeader {
                        name: "SET-COOKIE".into(),
                        description: Some("On a failed refresh: the cookie, cleared.".into()),
                        required: false,
                        deprecated: false,
                        schema: String::schema_ref(),
                    });
                }
                Some(403) => {
                    r.description = "FORBIDDEN: the CSRF check failed (no `X-Requested-With` \
                        header, or an `Origin` that is neither this server's nor one of \
                        `GATEHOUSE_CORS_ORIGINS`), or, at login, EMAIL_NOT_VERIFIED.";
                }
                _ => {}
            }
        }
        meta
    }

    fn register(registry: &mut Registry) {
        Problem::<S>::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookies(lines: &[&str]) -> poem::Request {
        let mut req = poem::Request::builder();
        for l in lines {
            req = req.header(header::COOKIE, *l);
        }
        req.finish()
    }

    #[test]
    fn the_cookie_is_found_among_others_once() {
        let req = with_cookies(&["a=1; __Secure-gatehouse_refresh=ghr_x; b=2"]);
        assert!(matches!(presented(&req), Presented::One(v) if v == "ghr_x"));
        let req = with_cookies(&["a=1", "__Secure-gatehouse_refreshX=ghr_x"]);
        assert!(matches!(presented(&req), Presented::None));
        let req = with_cookies(&[
            "__Secure-gatehouse_refresh=ghr_a",
            "__Secure-gatehouse_refresh=ghr_b",
        ]);
        assert!(matches!(presented(&req), Presented::Several(v) if v.len() == 2));
    }

    #[test]
    fn the_csrf_rules() {
        let trusted = ["https://app.example".to_owned()];
        let req = |headers: &[(&str, &[u8])]| {
            let mut b = poem::Request::builder();
            for (name, value) in headers {
                b = b.header(*name, poem::http::HeaderValue::from_bytes(value).unwrap());
            }
            b.finish()
        };
        let xrw: (&str, &[u8]) = ("x-requested-with", b"");
        assert!(check_csrf(&req(&[xrw]), &trusted).is_ok());
        assert!(check_csrf(&req(&[]), &trusted).is_err());
        assert!(check_csrf(&req(&[("origin", b"https://app.example")]), &trusted).is_err());
        for ok in [
            &b"https://app.example"[..],
            b"HTTPS://APP.EXAMPLE",
            b" https://app.example ",
        ] {
            assert!(check_csrf(&req(&[xrw, ("origin", ok)]), &trusted).is_ok());
        }
        for bad in [
            &b"null"[..],
            b"https://evil.example",
            b"https://app.example.evil",
            b"\xff",
        ] {
            assert!(check_csrf(&req(&[xrw, ("origin", bad)]), &trusted).is_err());
        }
        let two = req(&[
            xrw,
            ("origin", b"https://app.example"),
            ("origin", b"https://app.example"),
        ]);
        assert!(check_origin(&two, &trusted).is_err());
        assert!(check_origin(&req(&[("origin", b"null")]), &["null".to_owned()]).is_err());
    }

    #[test]
    fn the_cookie_has_every_attribute() {
        let c = set_cookie("ghr_x", 60);
        for part in [
            "__Secure-gatehouse_refresh=ghr_x",
            "Path=/api/session",
            "Max-Age=60",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
        ] {
            assert!(c.split("; ").any(|p| p == part), "{part} in {c}");
        }
        assert!(clear_cookie().contains("Max-Age=0"));
    }
}
