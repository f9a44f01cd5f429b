//! Auth events: what the service records (`db::events`) and how they are
//! read (staff's `authEvents`, a person's own `mySecurityEvents`, the CLI's
//! `events tail`), kept for `GATEHOUSE_EVENTS_RETENTION_DAYS`.
//!
//! A change builds its event with [`Gatehouse::event`] and hands it to the
//! `db` function that writes the change, which writes it in the same
//! transaction. Where a request came from (client address, User-Agent,
//! request id) is the request's [`Origin`], set once by `request::attach`
//! for everything the request runs; the command line has none.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine as _;

use crate::config::WebhookSettings;
use crate::db::events::{self, EventRow, Filter, NewEvent, Order};
use crate::error::{Error, Field, Result};
pub use crate::event_kind::EventKind;
use crate::service::{AuthUser, Gatehouse};

tokio::task_local! {
    static ORIGIN: Origin;
}

/// Where the request being served came from.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl Origin {
    /// Runs `f` with this origin as every event's it records.
    pub async fn scope<F: std::future::Future>(self, f: F) -> F::Output {
        ORIGIN.scope(self, f).await
    }

    /// The origin of the request being served (none outside a request).
    pub fn current() -> Origin {
        ORIGIN.try_with(Clone::clone).unwrap_or_default()
    }
}

/// Builds events: fills in the origin and the webhook URLs that want each
/// type. One per service (and one for the CLI's key commands).
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    urls: Arc<[String]>,
    /// The types webhooks get (empty: all).
    kinds: Vec<EventKind>,
}

impl Recorder {
    pub fn new(hooks: &WebhookSettings) -> Self {
        Self {
            urls: hooks.urls.clone().into(),
            kinds: hooks.events.clone(),
        }
    }

    /// An event of `kind` about `user_id` (`None`: the user the change
    /// writes, or nobody), from the current request.
    pub fn event(&self, kind: EventKind, user_id: Option<i64>) -> NewEvent {
        let origin = Origin::current();
        let wanted = self.kinds.is_empty() || self.kinds.contains(&kind);
        let mut raw = [0u8; 16];
        // A uid is for deduplication, not a secret: a failure of the
        // system's randomness (never seen) leaves the time and a counter.
        if getrandom::getrandom(&mut raw).is_err() {
            static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            raw[..8].copy_from_slice(&crate::now().to_le_bytes());
            raw[8..].copy_from_slice(&n.to_le_bytes());
        }
        NewEvent {
            uid: raw.iter().map(|b| format!("{b:02x}")).collect(),
            kind: kind.name(),
            user_id,
            actor_id: None,
            session_id: None,
            ip_address: origin.ip.map(|ip| ip.to_canonical().to_string()),
            user_agent: origin
                .user_agent
                .as_deref()
                .map(|ua| super::session_list::user_agent(Some(ua))),
            request_id: origin.request_id,
            details: "{}".into(),
            targets: if wanted {
                self.urls.clone()
            } else {
                Arc::from([])
            },
        }
    }
}

impl NewEvent {
    /// Done by `actor` (staff, a superuser) to someone else.
    pub fn by(mut self, actor: i64) -> Self {
        if Some(actor) != self.user_id {
            self.actor_id = Some(actor);
        }
        self
    }

    /// In (or about) session `id`.
    pub fn in_session(mut self, id: Option<&str>) -> Self {
        self.session_id = id.map(str::to_owned);
        self
    }

    /// With `details` (a JSON object of names and values that are no
    /// secret), added to those it has.
    pub fn with(mut self, details: serde_json::Value) -> Self {
        let mut all: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&self.details).unwrap_or_default();
        if let serde_json::Value::Object(more) = details {
            all.extend(more);
        }
        self.details = serde_json::Value::Object(all).to_string();
        self
    }

    /// Done by the operator at the command line (`details.by`).
    pub fn with_operator(self) -> Self {
        self.with(serde_json::json!({ "by": "operator" }))
    }
}

/// The most events one page holds, and the default.
pub const MAX_PAGE: i64 = 1000;
pub const DEFAULT_PAGE: i64 = 100;
/// How many events `mySecurityEvents` reaches back at most.
pub const MAX_OWN: i64 = 100;

/// An event as the faces show it.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthEvent {
    pub id: i64,
    pub kind: String,
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub session_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub details: serde_json::Value,
}

impl From<EventRow> for AuthEvent {
    fn from(r: EventRow) -> Self {
        Self {
            details: serde_json::from_str(&r.details).unwrap_or_default(),
            id: r.id,
            kind: r.kind,
            user_id: r.user_id,
            actor_id: r.actor_id,
            session_id: r.session_id,
            ip_address: r.ip_address,
            user_agent: r.user_agent,
            request_id: r.request_id,
            created_at: r.created_at,
        }
    }
}

impl AuthEvent {
    /// When it happened, as RFC 3339 (UTC).
    pub fn created_at_rfc3339(&self) -> String {
        time::OffsetDateTime::from_unix_timestamp(self.created_at)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default()
    }

    /// The event as JSON, its fields named as GraphQL names them (ids as
    /// strings): what webhooks send as `data` and `events tail` prints.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id.to_string(),
            "type": self.kind,
            "userId": self.user_id.map(|u| u.to_string()),
            "actorId": self.actor_id.map(|u| u.to_string()),
            "sessionId": self.session_id,
            "ipAddress": self.ip_address,
            "userAgent": self.user_agent,
            "requestId": self.request_id,
            "createdAt": self.created_at_rfc3339(),
            "details": self.details,
        })
    }
}

/// One page of events, newest first.
#[derive(Debug)]
pub struct EventPage {
    pub nodes: Vec<AuthEvent>,
    pub has_next_page: bool,
    /// The cursor after the page's last event (to pass as `after`).
    pub end_cursor: Option<String>,
}

/// What a staff caller asks for (as the faces received it).
#[derive(Debug, Default)]
pub struct EventQuery<'a> {
    pub user_id: Option<&'a str>,
    pub types: &'a [String],
    /// Unix seconds.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub first: Option<i64>,
    pub after: Option<&'a str>,
}

/// An event someone else (staff, a superuser) did to the user, as the
/// user sees it: that staff did it, not who, from where or with what.
fn staff_hidden(e: &mut AuthEvent) {
    if e.actor_id.take().is_some() {
        e.ip_address = None;
        e.user_agent = None;
        e.request_id = None;
        if let serde_json::Value::Object(details) = &mut e.details {
            details.insert("by".into(), "staff".into());
        }
    }
}

/// An opaque cursor for the event `id`.
pub fn cursor(id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("event:{id}"))
}

/// The event id in `cursor`; BAD_USER_INPUT for anything else.
fn decode_cursor(cursor: &str) -> Result<i64> {
    let bad = || Error::bad_input(Field::After, "after must be a cursor from endCursor.");
    if cursor.len() > 64 {
        return Err(bad());
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    // Only the form `cursor` writes: `event:` and a positive id in plain
    // digits (no sign, no leading zero).
    std::str::from_utf8(&bytes)
        .ok()
        .and_then(|s| s.strip_prefix("event:"))
        .and_then(|n| {
            n.parse::<i64>()
                .ok()
                .filter(|id| *id > 0 && id.to_string() == n)
        })
        .ok_or_else(bad)
}

/// The page size asked for, checked.
fn page_size(first: Option<i64>, max: i64) -> Result<i64> {
    match first.unwrap_or(DEFAULT_PAGE.min(max)) {
        n if (1..=max).contains(&n) => Ok(n),
        _ => Err(Error::bad_input(
            Field::First,
            format!("first must be between 1 and {max}."),
        )),
    }
}

/// The types asked for, checked (at most every type, each known).
fn types(names: &[String]) -> Result<Vec<String>> {
    if names.len() > EventKind::ALL.len() {
        return Err(Error::bad_input(Field::Types, "too many types."));
    }
    names
        .iter()
        .map(|n| {
            EventKind::from_name(n)
                .map(|k| k.name().to_owned())
                .ok_or_else(|| {
                    Error::bad_input(
                        Field::Types,
                        "types must be event types (see the README's list).",
                    )
                })
        })
        .collect()
}

impl Gatehouse {
    /// An event of `kind` about `user_id`, from the current request.
    pub(crate) fn event(&self, kind: EventKind, user_id: Option<i64>) -> NewEvent {
        self.recorder.event(kind, user_id)
    }

    /// Writes an event that records no change (a failed login). Its
    /// failure is logged, never the caller's: the login was refused either
    /// way.
    pub(crate) async fn record(&self, event: NewEvent) {
        if let Err(e) = events::record(&self.db, &[event], self.now()).await {
            tracing::error!(error = ?e, "could not record an auth event");
        } else {
            self.webhooks_queued();
        }
    }

    /// Events matching `q`, newest first, one page. Staff only.
    pub async fn auth_events(&self, me: &AuthUser, q: &EventQuery<'_>) -> Result<EventPage> {
        if !me.is_staff() {
            return Err(Error::Forbidden);
        }
        let filter = Filter {
            // An id no user can have matches no event.
            user_id: q
                .user_id
                .map(|id| super::admin::parse_user_id(id).unwrap_or(0)),
            types: types(q.types)?,
            since: q.since,
            until: q.until,
        };
        let first = page_size(q.first, MAX_PAGE)?;
        let after = q.after.map(decode_cursor).transpose()?;
        self.event_page(&filter, after, first).await
    }

    /// The caller's own security events (logins, sessions, password,
    /// address and factor changes), newest first, at most [`MAX_OWN`].
    pub async fn my_security_events(
        &self,
        me: &AuthUser,
        first: Option<i64>,
        after: Option<&str>,
    ) -> Result<EventPage> {
        let filter = Filter {
            user_id: Some(me.user.id),
            types: EventKind::ALL
                .iter()
                .filter(|k| k.is_security())
                .map(|k| k.name().to_owned())
                .collect(),
            ..Default::default()
        };
        let first = page_size(first, MAX_OWN)?;
        let after = after.map(decode_cursor).transpose()?;
        let mut page = self.event_page(&filter, after, first).await?;
        for e in &mut page.nodes {
            staff_hidden(e);
        }
        Ok(page)
    }

    async fn event_page(
        &self,
        filter: &Filter,
        after: Option<i64>,
        first: i64,
    ) -> Result<EventPage> {
        let mut rows = events::page(&self.db, filter, after, Order::NewestFirst, first + 1).await?;
        let has_next_page = rows.len() as i64 > first;
        rows.truncate(first as usize);
        Ok(EventPage {
            end_cursor: rows.last().map(|r| cursor(r.id)),
            has_next_page,
            nodes: rows.into_iter().map(AuthEvent::from).collect(),
        })
    }

    /// The latest `limit` events matching `filter`, newest first.
    pub async fn latest_events(&self, filter: &Filter, limit: i64) -> Result<Vec<AuthEvent>> {
        let rows = events::page(&self.db, filter, None, Order::NewestFirst, limit).await?;
        Ok(rows.into_iter().map(AuthEvent::from).collect())
    }

    /// Events after the event `from` (all, when `None`), oldest first, for
    /// the operator's `events tail`.
    pub async fn events_after(
        &self,
        filter: &Filter,
        from: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuthEvent>> {
        let rows = events::page(&self.db, filter, from, Order::OldestFirst, limit).await?;
        Ok(rows.into_iter().map(AuthEvent::from).collect())
    }

    /// Deletes events older than the retention, a batch at a time with a
    /// pause between batches (other writers go first); how many.
    pub async fn purge_events(&self) -> Result<u64> {
        const BATCH: i64 = 500;
        let days = i64::try_from(self.config.events_retention_days).unwrap_or(i64::MAX / 86_400);
        let before = self.now() - days * 86_400;
        let mut total = 0;
        loop {
            let n = events::purge(&self.db, before, BATCH).await?;
            total += n;
            if n < BATCH as u64 {
                return Ok(total);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_nothing_else_does() {
        assert_eq!(decode_cursor(&cursor(42)).unwrap(), 42);
        let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let (plus, zero) = (encode("event:+5"), encode("event:05"));
        for bad in [
            "",
            "42",
            "ZXZlbnQ6MA",
            "ZXZlbnQ6LTE",
            "!!!",
            &"A".repeat(100),
            &plus,
            &zero,
        ] {
            assert!(
                matches!(
                    decode_cursor(bad),
                    Err(Error::BadUserInput {
                        field: Field::After,
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn page_sizes_and_types_are_checked() {
        assert_eq!(page_size(None, MAX_PAGE).unwrap(), DEFAULT_PAGE);
        assert_eq!(page_size(Some(MAX_PAGE), MAX_PAGE).unwrap(), MAX_PAGE);
        assert!(page_size(Some(0), MAX_PAGE).is_err());
        assert!(page_size(Some(MAX_PAGE + 1), MAX_PAGE).is_err());
        assert!(types(&["login_failed".into()]).is_ok());
        assert!(types(&["nope".into()]).is_err());
        let too_many = vec!["sign_up".to_string(); EventKind::ALL.len() + 1];
        assert!(types(&too_many).is_err());
    }

    #[tokio::test]
    async fn events_carry_the_origin_of_their_request() {
        let r = Recorder::default();
        assert_eq!(r.event(EventKind::SignUp, None).ip_address, None);
        let origin = Origin {
            ip: Some("::ffff:192.0.2.7".parse().unwrap()),
            user_agent: Some("agent\nwith a newline".into()),
            request_id: Some("req-1".into()),
        };
        let e = origin
            .scope(async { r.event(EventKind::SignUp, Some(3)) })
            .await;
        assert_eq!(e.ip_address.as_deref(), Some("192.0.2.7"));
        assert_eq!(e.user_agent.as_deref(), Some("agentwith a newline"));
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        assert_eq!(e.clone().by(3).actor_id, None);
        assert_eq!(e.by(4).actor_id, Some(4));
    }
}
