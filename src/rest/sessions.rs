//! `/api/users/me/sessions…`: the caller's sessions (logins), to list and
//! end; each operation one call into the service layer.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};
use time::OffsetDateTime;

use super::admin::acting;
use super::auth::BearerAuth;
use super::error::{AdminErrors, AuthErrors, Problem, SessionErrors};
use super::user_types::at;
use super::ApiTags;
use crate::service::admin::Actor;
use crate::service::{self, State};

/// The sessions operations.
pub struct SessionsApi;

/// One login: a device that signed in and has not logged out.
#[derive(Object)]
#[oai(example)]
pub struct Session {
    /// The session's id (access tokens carry it).
    pub id: String,
    /// When the login happened (RFC 3339, UTC).
    pub created_at: OffsetDateTime,
    /// The last login or token refresh in this session (requests with an
    /// access token do not count).
    pub last_used_at: OffsetDateTime,
    /// The client's `User-Agent` at login (at most 256 characters); null if
    /// none was sent.
    #[oai(nullable)]
    pub user_agent: Option<String>,
    /// The client's address at login (an IPv6 address by its /64 network,
    /// e.g. `2001:db8:1:2::/64`); null if unknown.
    #[oai(nullable)]
    pub ip_address: Option<String>,
    /// Whether this is the session of the access token asking.
    pub current: bool,
}

impl From<service::Session> for Session {
    fn from(s: service::Session) -> Self {
        Self {
            id: s.id,
            created_at: at(s.created_at),
            last_used_at: at(s.last_used_at),
            user_agent: s.user_agent,
            ip_address: s.ip_address,
            current: s.current,
        }
    }
}

impl Example for Session {
    fn example() -> Self {
        Self {
            id: "q3XJ9vO0s1m2GqQ8cZr4Aw".into(),
            created_at: at(1_764_000_000),
            last_used_at: at(1_764_003_600),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0".into()),
            ip_address: Some("2001:db8:1:2::/64".into()),
            current: true,
        }
    }
}

/// How many sessions ended.
#[derive(Object)]
#[oai(example)]
pub struct Revoked {
    /// How many sessions ended.
    pub revoked_count: u64,
}

impl Example for Revoked {
    fn example() -> Self {
        Self { revoked_count: 2 }
    }
}

#[derive(ApiResponse)]
pub enum Listed {
    /// The caller's sessions, the most recently used first.
    #[oai(status = 200)]
    Ok(Json<Vec<Session>>),
}

#[derive(ApiResponse)]
pub enum Ended {
    /// The session has ended: its refresh token and access tokens stopped
    /// working.
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
pub enum EndedOthers {
    /// Every other session has ended.
    #[oai(status = 200)]
    Ok(Json<Revoked>),
}

#[OpenApi(tag = "ApiTags::Users")]
impl SessionsApi {
    /// List my sessions
    ///
    /// The caller's sessions that have not ended or expired, the most
    /// recently used first (at most 200), the one of the access token asking
    /// marked `current`.
    #[oai(
        path = "/users/me/sessions",
        method = "get",
        operation_id = "listMySessions"
    )]
    async fn list(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
    ) -> Result<Listed, Problem<AuthErrors>> {
        let me = auth.caller().require(gh).await?;
        let sessions = gh.my_sessions(me).await?;
        Ok(Listed::Ok(Json(
            sessions.into_iter().map(Session::from).collect(),
        )))
    }

    /// End one of my sessions
    ///
    /// Ends the session (the current one too: that is a logout); its refresh
    /// token and its access tokens stop working at once. 404 for an id that
    /// is not one of the caller's live sessions.
    #[oai(
        path = "/users/me/sessions/:id",
        method = "delete",
        operation_id = "revokeMySession"
    )]
    async fn revoke(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        /// The session's id, from the list.
        id: Path<String>,
    ) -> Result<Ended, Problem<SessionErrors>> {
        let me = auth.caller().require(gh).await?;
        gh.revoke_session(me, &id.0).await?;
        Ok(Ended::NoContent)
    }

    /// End my other sessions
    ///
    /// Ends every session of the caller's but the current one (the one of
    /// the access token used for this call), with their access and refresh
    /// tokens.
    #[oai(
        path = "/users/me/sessions/revoke-others",
        method = "post",
        operation_id = "revokeMyOtherSessions"
    )]
    async fn revoke_others(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
    ) -> Result<EndedOthers, Problem<AuthErrors>> {
        let me = auth.caller().require(gh).await?;
        let revoked_count = gh.revoke_other_sessions(me).await?;
        Ok(EndedOthers::Ok(Json(Revoked { revoked_count })))
    }

    /// List a user's sessions (staff)
    ///
    /// The user's live sessions, as `GET /api/users/me/sessions` lists the
    /// caller's. A staff or superuser account's need a superuser; 404 when
    /// no user has the id.
    #[oai(
        path = "/users/:id/sessions",
        method = "get",
        operation_id = "listUserSessions"
    )]
    async fn list_users(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        /// The user's id.
        id: Path<String>,
    ) -> Result<Listed, Problem<AdminErrors>> {
        let (me, id) = acting(gh, &auth, &id.0).await?;
        let sessions = gh.user_sessions(Actor::User(me), id).await?;
        Ok(Listed::Ok(Json(
            sessions.into_iter().map(Session::from).collect(),
        )))
    }
}
