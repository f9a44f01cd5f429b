//! Browser mode: `POST /api/session/login`, `/refresh` and `/logout`. The
//! same service calls as `POST /api/token` (`login`, `refresh_rotate`) and
//! `/api/token/revoke` (`revoke_refresh`), but the refresh token travels
//! only in an HttpOnly, Secure, SameSite=Strict cookie scoped to
//! `/api/session` (see `session_types`), out of reach of the page's
//! scripts; the access token is in the body. Every call passes the CSRF
//! check first.

use poem::web::Data;
use poem::IntoResponse as _;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use secrecy::SecretString;

use super::error::{statuses, Statuses};
use super::session_types::{
    check_csrf, clear_cookie, presented, set_cookie, Presented, SessionLoginRequest,
    SessionProblem, SessionTokens,
};
use super::ApiTags;
use crate::error::Error;
use crate::request::RequestContext;
use crate::service::State;

/// The browser-mode operations.
pub struct SessionApi;

statuses! {
    /// `POST /api/session/login`.
    SessionLoginErrors: [400, 401, 403, 413, 415, 429, 500, 503];
    /// `POST /api/session/refresh`.
    SessionRefreshErrors: [401, 403, 500, 503];
    /// `POST /api/session/logout`.
    SessionLogoutErrors: [403, 500, 503];
}

/// An access token in the body, the refresh token in the cookie.
#[derive(ApiResponse)]
pub enum SessionStarted {
    /// The access token. The refresh token is set as the
    /// `__Secure-gatehouse_refresh` cookie (`HttpOnly; Secure;
    /// SameSite=Strict; Path=/api/session`), never in the body.
    #[oai(status = 200)]
    Ok(
        Json<SessionTokens>,
        /// The refresh cookie.
        #[oai(header = "Set-Cookie")]
        String,
        /// `no-store`: tokens must not be cached.
        #[oai(header = "Cache-Control")]
        String,
        /// `no-cache`, for HTTP/1.0 caches.
        #[oai(header = "Pragma")]
        String,
    ),
}

impl SessionStarted {
    fn new(gh: &State, issued: crate::service::Issued) -> Result<Self, Error> {
        let (body, refresh) = SessionTokens::new(issued, gh.now())?;
        let cookie = set_cookie(&refresh, body.refresh_expires_in);
        Ok(Self::Ok(
            Json(body),
            cookie,
            "no-store".into(),
            "no-cache".into(),
        ))
    }
}

#[derive(ApiResponse)]
pub enum SessionEnded {
    /// The login is over (or there was none): its refresh token is revoked
    /// and the cookie cleared.
    #[oai(status = 204)]
    NoContent(
        /// The cookie, cleared (`Max-Age=0`).
        #[oai(header = "Set-Cookie")]
        String,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// The CSRF check, as each operation's error.
fn csrf<S>(gh: &State, req: &poem::Request) -> Result<(), SessionProblem<S>> {
    check_csrf(req, &gh.config().cors_origins)
        .map_err(|r| SessionProblem::refused(r.into_response()))
}

#[OpenApi(tag = "ApiTags::Sessions")]
impl SessionApi {
    /// Log in (browser mode)
    ///
    /// The same login as `POST /api/token` with `grant_type=password`
    /// (username or email address, throttled the same way, the same
    /// errors), for a page's scripts: the access token comes in the body,
    /// the refresh token only in the HttpOnly `__Secure-gatehouse_refresh`
    /// cookie. Call with `fetch(…, {credentials: "include"})` and an
    /// `X-Requested-With` header; from another origin, that origin must be
    /// in `GATEHOUSE_CORS_ORIGINS`. A cookie the browser already held is
    /// replaced, and its login revoked.
    #[oai(
        path = "/session/login",
        method = "post",
        operation_id = "sessionLogin"
    )]
    async fn login(
        &self,
        Data(gh): Data<&State>,
        req: &poem::Request,
        body: Json<SessionLoginRequest>,
    ) -> Result<SessionStarted, SessionProblem<SessionLoginErrors>> {
        csrf(gh, req)?;
        let SessionLoginRequest { username, password } = body.0;
        let context = RequestContext::of(req);
        let issued = gh
            .login(&username, &SecretString::from(password.0), context.device())
            .await?;
        started(gh, req, issued).await
    }

    /// Log in with a second factor (browser mode)
    ///
    /// The second step of a browser-mode login on an account with a second
    /// factor: `POST /api/session/login` answered 403 `MFA_REQUIRED` with a
    /// `challenge`; send it with a code from the authenticator app (or a
    /// recovery code). Answers like `POST /api/session/login`, under the
    /// same CSRF rules; the codes are throttled like `POST /api/token`'s
    /// `urn:gatehouse:grant-type:mfa`.
    #[oai(
        path = "/session/login/mfa",
        method = "post",
        operation_id = "sessionLoginMfa"
    )]
    async fn login_mfa(
        &self,
        Data(gh): Data<&State>,
        req: &poem::Request,
        body: Json<super::mfa::ChallengeRequest>,
    ) -> Result<SessionStarted, SessionProblem<SessionLoginErrors>> {
        csrf(gh, req)?;
        let super::mfa::ChallengeRequest { challenge, code } = body.0;
        let context = RequestContext::of(req);
        let issued = gh
            .login_mfa(&challenge.0, &code.0, context.device())
            .await?;
        started(gh, req, issued).await
    }

    /// Refresh (browser mode)
    ///
    /// Rotates the refresh token in the cookie (the same rotation as
    /// `POST /api/token` with `grant_type=refresh_token`) and answers a new
    /// access token, with the rotated cookie. Call it when the page loads
    /// and before the access token expires. A refresh token in the body or
    /// the query is not read. A missing, unknown, used (reuse revokes the
    /// whole login), revoked or expired cookie gets 401 and the cookie is
    /// cleared.
    #[oai(
        path = "/session/refresh",
        method = "post",
        operation_id = "sessionRefresh"
    )]
    async fn refresh(
        &self,
        Data(gh): Data<&State>,
        req: &poem::Request,
    ) -> Result<SessionStarted, SessionProblem<SessionRefreshErrors>> {
        csrf(gh, req)?;
        let token = match presented(req) {
            Presented::One(token) => token,
            Presented::Several(_) => return Err(SessionProblem::several_cookies()),
            Presented::None => return Err(SessionProblem::no_cookie()),
        };
        let issued = gh
            .refresh_rotate(&token)
            .await
            .map_err(SessionProblem::clearing)?;
        SessionStarted::new(gh, issued).map_err(SessionProblem::clearing)
    }

    /// Log out (browser mode)
    ///
    /// Ends the session of the cookie's refresh token (its refresh and
    /// access tokens stop at once; with several values of the cookie, every
    /// one's) and clears the cookie. 204 also without a cookie, or with an unknown
    /// one.
    #[oai(
        path = "/session/logout",
        method = "post",
        operation_id = "sessionLogout"
    )]
    async fn logout(
        &self,
        Data(gh): Data<&State>,
        req: &poem::Request,
    ) -> Result<SessionEnded, SessionProblem<SessionLogoutErrors>> {
        csrf(gh, req)?;
        let tokens = match presented(req) {
            Presented::None => Vec::new(),
            Presented::One(token) => vec![token],
            // Ours among them, or one tossed in: every one is ended.
            Presented::Several(all) => all,
        };
        for token in tokens {
            // Unknown, used or malformed: nothing to revoke. Down: the
            // cookie stays, the login is still live; try again.
            if let Err(e @ (Error::Unavailable | Error::Internal(_))) =
                gh.revoke_refresh(&token).await
            {
                return Err(e.into());
            }
        }
        Ok(SessionEnded::NoContent(clear_cookie(), "no-store".into()))
    }
}

/// A login's answer in browser mode. The new cookie replaces the browser's
/// old one(s): those logins could no longer be reached from here, so they
/// end rather than linger.
async fn started(
    gh: &State,
    req: &poem::Request,
    issued: crate::service::Issued,
) -> Result<SessionStarted, SessionProblem<SessionLoginErrors>> {
    let old = match presented(req) {
        Presented::None => Vec::new(),
        Presented::One(old) => vec![old],
        Presented::Several(all) => all,
    };
    for old in old {
        if let Err(e @ (Error::Unavailable | Error::Internal(_))) = gh.revoke_refresh(&old).await {
            e.log();
        }
    }
    Ok(SessionStarted::new(gh, issued)?)
}
