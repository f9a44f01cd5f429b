//! `/api/events` (staff) and `/api/users/me/events`: auth events, newest
//! first, a page at a time; each operation one call into `service::events`.

use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};
use time::OffsetDateTime;

use super::auth::BearerAuth;
use super::error::{OwnEventErrors, Problem, StaffErrors};
use super::user_types::at;
use super::ApiTags;
use crate::service::events::{self, EventQuery};
use crate::service::State;

/// The events operations.
pub struct EventsApi;

/// Something that happened to an account, who did it and from where. Never
/// holds a password, token, code or key.
#[derive(Object)]
#[oai(example)]
pub struct AuthEvent {
    /// The event's id (ids grow with time).
    pub id: String,
    /// What happened: `sign_up`, `login_succeeded`, `login_failed`,
    /// `session_revoked`, … (the README lists every type; new ones may be
    /// added).
    #[oai(rename = "type")]
    pub kind: String,
    /// Whom it is about; null for a failed login for no account or a key event.
    #[oai(nullable)]
    pub user_id: Option<String>,
    /// Who did it, when not the user themselves (staff acting on them).
    #[oai(nullable)]
    pub actor_id: Option<String>,
    /// The session it happened in or to.
    #[oai(nullable)]
    pub session_id: Option<String>,
    /// The client's address; null when unknown (the command line).
    #[oai(nullable)]
    pub ip_address: Option<String>,
    /// The client's `User-Agent` (at most 256 characters).
    #[oai(nullable)]
    pub user_agent: Option<String>,
    /// The id of the request that did it (its `X-Request-Id`).
    #[oai(nullable)]
    pub request_id: Option<String>,
    /// When it happened (RFC 3339, UTC).
    pub created_at: OffsetDateTime,
    /// More about it, as a JSON object (e.g. `{"reason": "wrong_password"}`).
    pub details: serde_json::Value,
}

impl From<events::AuthEvent> for AuthEvent {
    fn from(e: events::AuthEvent) -> Self {
        Self {
            id: e.id.to_string(),
            kind: e.kind,
            user_id: e.user_id.map(|u| u.to_string()),
            actor_id: e.actor_id.map(|u| u.to_string()),
            session_id: e.session_id,
            ip_address: e.ip_address,
            user_agent: e.user_agent,
            request_id: e.request_id,
            created_at: at(e.created_at),
            details: e.details,
        }
    }
}

impl Example for AuthEvent {
    fn example() -> Self {
        Self {
            id: "1042".into(),
            kind: "login_failed".into(),
            user_id: Some("7".into()),
            actor_id: None,
            session_id: None,
            ip_address: Some("203.0.113.9".into()),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0".into()),
            request_id: Some("01JDX4K3ZQ".into()),
            created_at: at(1_764_000_000),
            details: serde_json::json!({ "reason": "wrong_password" }),
        }
    }
}

/// A page of events, newest first.
#[derive(Object)]
#[oai(example)]
pub struct EventPage {
    /// The events, newest first.
    pub items: Vec<AuthEvent>,
    /// Whether more events follow this page.
    pub has_next_page: bool,
    /// Pass as `after` for the next page; null for an empty page.
    #[oai(nullable)]
    pub end_cursor: Option<String>,
}

impl Example for EventPage {
    fn example() -> Self {
        Self {
            items: vec![AuthEvent::example()],
            has_next_page: true,
            end_cursor: Some(events::cursor(1042)),
        }
    }
}

impl From<events::EventPage> for EventPage {
    fn from(p: events::EventPage) -> Self {
        Self {
            items: p.nodes.into_iter().map(AuthEvent::from).collect(),
            has_next_page: p.has_next_page,
            end_cursor: p.end_cursor,
        }
    }
}

#[derive(ApiResponse)]
pub enum Listed {
    /// One page of events, newest first.
    #[oai(status = 200)]
    Ok(Json<EventPage>),
}

#[OpenApi(tag = "ApiTags::Users")]
impl EventsApi {
    /// List auth events (staff only)
    ///
    /// Sign-ups, logins and failed logins, sessions ended, password,
    /// address, second-factor and staff changes, key rotations: newest
    /// first, one page at a time. Callers who are not staff get 403.
    #[oai(path = "/events", method = "get", operation_id = "listAuthEvents")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        /// Only events about this user (an id no user has matches none).
        user_id: Query<Option<String>>,
        /// Only events of these types, comma-separated (`login_failed,sign_up`);
        /// an unknown type is 422.
        types: Query<Option<String>>,
        /// Only events at or after this time (RFC 3339).
        since: Query<Option<OffsetDateTime>>,
        /// Only events before this time (RFC 3339).
        until: Query<Option<OffsetDateTime>>,
        /// How many events at most (default 100, 1 to 1000).
        first: Query<Option<i64>>,
        /// The `end_cursor` of the page before.
        after: Query<Option<String>>,
    ) -> Result<Listed, Problem<StaffErrors>> {
        let me = auth.caller().require(gh).await?;
        let types: Vec<String> = types
            .0
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        let q = EventQuery {
            user_id: user_id.0.as_deref(),
            types: &types,
            since: since.0.map(OffsetDateTime::unix_timestamp),
            until: until.0.map(OffsetDateTime::unix_timestamp),
            first: first.0,
            after: after.0.as_deref(),
        };
        let page = gh.auth_events(me, &q).await?;
        Ok(Listed::Ok(Json(page.into())))
    }

    /// List my security events
    ///
    /// The caller's own logins, failed logins, sessions ended, password,
    /// address and second-factor changes: newest first, one page at a time.
    #[oai(
        path = "/users/me/events",
        method = "get",
        operation_id = "listMySecurityEvents"
    )]
    async fn mine(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        /// How many events at most (default 100, 1 to 100).
        first: Query<Option<i64>>,
        /// The `end_cursor` of the page before.
        after: Query<Option<String>>,
    ) -> Result<Listed, Problem<OwnEventErrors>> {
        let me = auth.caller().require(gh).await?;
        let page = gh
            .my_security_events(me, first.0, after.0.as_deref())
            .await?;
        Ok(Listed::Ok(Json(page.into())))
    }
}
