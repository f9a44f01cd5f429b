//! Sessions a person can see and end: the list of their logins (device,
//! address, when), ending one, ending all the others.

use crate::service::events::EventKind;
use std::net::IpAddr;

use crate::db::sessions::{self, SessionRow};
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::service::admin::Actor;
use crate::service::{AuthUser, Gatehouse};

/// One login, as its owner (or staff) sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The session's id (the refresh-token family; access tokens carry it).
    pub id: String,
    pub created_at: i64,
    /// The last login, refresh or keep-alive refresh in it.
    pub last_used_at: i64,
    /// The client's `User-Agent`, truncated to [`MAX_USER_AGENT_CHARS`].
    pub user_agent: Option<String>,
    /// The client's address; IPv6 addresses by their /64 network.
    pub ip_address: Option<String>,
    /// Whether it is the session of the access token asking.
    pub current: bool,
}

/// How much of a `User-Agent` a session keeps.
pub const MAX_USER_AGENT_CHARS: usize = 256;

/// Longer than any session id Gatehouse makes (22 characters): a longer
/// one is refused before any query.
const MAX_SESSION_ID_BYTES: usize = 64;

/// The `User-Agent` as stored: control, format (bidi overrides, which
/// could make one device's name read as another's) and line-separator
/// characters dropped, at most [`MAX_USER_AGENT_CHARS`] characters; '' when there is
/// none.
pub(crate) fn user_agent(ua: Option<&str>) -> String {
    ua.unwrap_or_default()
        .chars()
        .filter(|&c| {
            !c.is_control()
                && !super::validate::is_format(c)
                && !matches!(c, '\u{2028}' | '\u{2029}')
        })
        .take(MAX_USER_AGENT_CHARS)
        .collect()
}

/// The address as stored: IPv4 whole (an IPv4-mapped IPv6 address as
/// IPv4), IPv6 as its /64 network (`2001:db8:1:2::/64`): one device's
/// privacy addresses change within it, and a finer address is more than
/// a session list needs to keep.
pub(crate) fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(bits))
            }
        },
    }
}

fn to_session(row: SessionRow, current: Option<&str>) -> Session {
    Session {
        current: current == Some(row.id.as_str()),
        id: row.id,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        user_agent: (!row.user_agent.is_empty()).then_some(row.user_agent),
        ip_address: (!row.ip_address.is_empty()).then_some(row.ip_address),
    }
}

impl Gatehouse {
    /// The caller's live sessions, the most recently used first (at most
    /// `db::sessions::LIST_LIMIT`), with the caller's own marked current.
    pub async fn my_sessions(&self, me: &AuthUser) -> Result<Vec<Session>> {
        let mut rows = sessions::list(&self.db, me.user.id, self.now()).await?;
        let current = me.claims.session.as_deref();
        // Past the limit, the caller's own session is listed all the same
        // (last, in place of the least recently used): a "where am I
        // logged in" page must show where "here" is.
        if let Some(id) = current {
            if rows.len() as i64 >= sessions::LIST_LIMIT && !rows.iter().any(|r| r.id == id) {
                if let Some(own) = sessions::by_id(&self.db, id, me.user.id).await? {
                    rows.pop();
                    rows.push(own);
                }
            }
        }
        Ok(rows.into_iter().map(|r| to_session(r, current)).collect())
    }

    /// A user's live sessions, for staff (on staff and superusers, for
    /// superusers), as `my_sessions` lists them; the caller's own marked
    /// current.
    pub async fn user_sessions(&self, actor: Actor<'_>, id: i64) -> Result<Vec<Session>> {
        let target = self.user_by_id(actor, id).await?;
        actor.may_act_on(&target, false)?;
        let rows = sessions::list(&self.db, id, self.now()).await?;
        let current = match actor {
            Actor::User(me) => me.claims.session.as_deref(),
            Actor::Operator => None,
        };
        Ok(rows.into_iter().map(|r| to_session(r, current)).collect())
    }

    /// Ends one of the caller's sessions (their own current one too: that is
    /// a logout). Its refresh tokens stop at once, and so do its access
    /// tokens. NOT_FOUND for an id that is not a live session of the
    /// caller's (another user's included: it is not theirs to know of).
    pub async fn revoke_session(&self, me: &AuthUser, id: &str) -> Result<()> {
        // Ids are URL-safe base64: anything else names no session, and is
        // refused before a query (a NUL would fail PostgreSQL's).
        let well_formed = id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if id.is_empty() || id.len() > MAX_SESSION_ID_BYTES || !well_formed {
            return Err(Error::NotFound("session"));
        }
        let revoked = self
            .event(EventKind::SessionRevoked, Some(me.user.id))
            .in_session(Some(id))
            .with(serde_json::json!({ "reason": "revoked" }));
        if !sessions::end(&self.db, id, Some(me.user.id), self.now(), &[revoked]).await? {
            return Err(Error::NotFound("session"));
        }
        self.webhooks_queued();
        Metrics::inc(&self.metrics.tokens_revoked);
        Ok(())
    }

    /// Ends every session of the caller's but the current one; how many.
    pub async fn revoke_other_sessions(&self, me: &AuthUser) -> Result<u64> {
        let current = me
            .claims
            .session
            .as_deref()
            .ok_or(Error::TokenInvalid("the token belongs to no session"))?;
        let others = self
            .event(EventKind::LogoutAll, Some(me.user.id))
            .in_session(Some(current))
            .with(serde_json::json!({ "kept_current": true }));
        let ended =
            sessions::end_others(&self.db, me.user.id, current, self.now(), &[others]).await?;
        self.webhooks_queued();
        Ok(ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_kept_whole_for_ipv4_and_by_network_for_ipv6() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(network(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(network(ip("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(network(ip("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
        assert_eq!(network(ip("::1")), "::/64");
    }

    #[test]
    fn user_agents_are_cut_and_cleaned() {
        assert_eq!(user_agent(None), "");
        assert_eq!(user_agent(Some("curl/8.0\u{7}\n")), "curl/8.0");
        assert_eq!(user_agent(Some("evil\u{202e}lliz\u{2028}oM")), "evilllizoM");
        let long = "é".repeat(1000);
        let kept = user_agent(Some(&long));
        assert_eq!(kept.chars().count(), MAX_USER_AGENT_CHARS);
    }
}
