//! Staff administration: finding and showing users, (de)activating them,
//! making them staff, ending their sessions, deleting them; and the
//! account's own deletion and export. Both faces and the CLI (as the
//! operator) call these.
//!
//! The rules, once:
//! - listing, searching and showing another user need staff; anyone may
//!   be shown themselves;
//! - (de)activating and ending sessions need staff, and, when the user
//!   acted on is staff or a superuser, a superuser;
//! - making or unmaking staff and deleting need a superuser (an active
//!   staff superuser: an imported `is_superuser` without `is_staff` has no
//!   powers);
//! - nobody deactivates, demotes or deletes themselves through these (the
//!   account's own deletion, `delete_me`, asks for the password);
//! - the last active superuser is never deactivated, demoted or deleted,
//!   by anyone, the operator included (CONFLICT);
//! - an unknown id is NOT_FOUND, told only to callers who may act at all
//!   (others get FORBIDDEN first, and learn nothing about ids).

use secrecy::SecretString;

use crate::db::email_tokens::Effects;
use crate::db::events::NewEvent;
use crate::db::users::{self, admin};
use crate::error::{Error, Field, Result};
use crate::service::events::EventKind;
use crate::service::{AuthUser, Gatehouse, User};

pub use admin::Change;

/// Who acts: a signed-in user (the faces), or the operator at the
/// command line (no token; every right but the last-superuser rule).
#[derive(Clone, Copy, Debug)]
pub enum Actor<'a> {
    User(&'a AuthUser),
    Operator,
}

/// The longest search prefix, in characters (an email's longest is 254).
pub const MAX_SEARCH: usize = 254;

/// A search for users: filters and a page.
#[derive(Default, Debug)]
pub struct UserQuery<'a> {
    /// A username or email prefix, case-insensitive.
    pub search: Option<&'a str>,
    pub active: Option<bool>,
    pub staff: Option<bool>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// An id as a face received it (GraphQL `ID`, a REST path segment, a CLI
/// argument): one that cannot be a user's names no user (NOT_FOUND).
pub fn parse_user_id(id: &str) -> Result<i64> {
    match id.parse::<i64>() {
        Ok(n) if n > 0 && n.to_string() == id => Ok(n),
        _ => Err(Error::NotFound("user")),
    }
}

const LAST_SUPERUSER: &str =
    "That would leave no active superuser: make another user a superuser first.";
const NOT_YOURSELF: &str = "You cannot deactivate, demote or delete yourself through an admin \
     operation; delete your own account with your password (deleteMe, DELETE /api/users/me).";

fn is_superuser(u: &User) -> bool {
    u.is_staff && u.is_superuser
}

impl std::fmt::Display for Actor<'_> {
    /// Who, for the log: a user id, or the operator.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::User(me) => write!(f, "user {}", me.user.id),
            Actor::Operator => f.write_str("operator"),
        }
    }
}

/// The event `change` to `seen` records, if it changes anything.
fn change_event(seen: &User, change: Change) -> Option<(EventKind, serde_json::Value)> {
    let none = serde_json::json!({});
    match change {
        Change::Active(a) if a == seen.is_active => None,
        Change::Active(true) => Some((EventKind::UserActivated, none)),
        Change::Active(false) => Some((EventKind::UserDeactivated, none)),
        Change::Staff {
            staff: true,
            superuser,
        } => {
            let superuser = superuser || seen.is_superuser;
            (!seen.is_staff || superuser != seen.is_superuser).then(|| {
                (
                    EventKind::StaffGranted,
                    serde_json::json!({ "superuser": superuser }),
                )
            })
        }
        Change::Staff { staff: false, .. } => {
            (seen.is_staff || seen.is_superuser).then_some((EventKind::StaffRevoked, none))
        }
        Change::Delete => Some((
            EventKind::UserDeleted,
            serde_json::json!({ "username": seen.username }),
        )),
    }
}

impl Actor<'_> {
    /// Marks `event` as done by this actor: a user's id, or the operator.
    fn stamp(&self, event: NewEvent) -> NewEvent {
        match self {
            Actor::User(me) => event.by(me.user.id),
            Actor::Operator => event.with_operator(),
        }
    }

    /// Staff (or the operator), and a superuser when `superuser` is asked.
    fn require(&self, superuser: bool) -> Result<()> {
        match self {
            Actor::Operator => Ok(()),
            Actor::User(me) if !me.is_staff() => Err(Error::Forbidden),
            Actor::User(me) if superuser && !is_superuser(&me.user) => Err(Error::Forbidden),
            Actor::User(_) => Ok(()),
        }
    }

    /// May act on `target`: never on themselves when `not_self`, and on
    /// staff or superusers only as a superuser.
    pub(crate) fn may_act_on(&self, target: &User, not_self: bool) -> Result<()> {
        let Actor::User(me) = self else {
            return Ok(());
        };
        if target.id == me.user.id {
            return match not_self {
                true => Err(Error::ForbiddenBecause(NOT_YOURSELF)),
                false => Ok(()),
            };
        }
        if (target.is_staff || target.is_superuser) && !is_superuser(&me.user) {
            return Err(Error::Forbidden);
        }
        Ok(())
    }
}

impl Gatehouse {
    /// Users matching `q`, oldest first, one page. Staff only.
    pub async fn find_users(&self, actor: Actor<'_>, q: &UserQuery<'_>) -> Result<Vec<User>> {
        actor.require(false)?;
        let (offset, limit) = super::accounts::page(q.offset, q.limit)?;
        let prefix = match q.search {
            Some(s) if s.chars().nth(MAX_SEARCH).is_some() => {
                return Err(Error::bad_input(
                    Field::Search,
                    format!("search must be at most {MAX_SEARCH} characters."),
                ))
            }
            // No login holds one, and PostgreSQL cannot compare a NUL.
            Some(s) if s.chars().any(char::is_control) => {
                return Err(Error::bad_input(
                    Field::Search,
                    "search must not contain control characters.",
                ))
            }
            Some(s) => Some(users::key(s)).filter(|k| !k.is_empty()),
            None => None,
        };
        let filter = admin::Filter {
            prefix,
            active: q.active,
            staff: q.staff,
        };
        admin::search(&self.db, &filter, offset, limit).await
    }

    /// One user: oneself, or anyone for staff.
    pub async fn user_by_id(&self, actor: Actor<'_>, id: i64) -> Result<User> {
        if let Actor::User(me) = actor {
            if me.user.id == id {
                return Ok(me.user.clone());
            }
        }
        actor.require(false)?;
        users::by_id(&self.db, id)
            .await?
            .ok_or(Error::NotFound("user"))
    }

    /// One user by username or email (the CLI's way to name one). Staff
    /// only.
    pub async fn user_by_login(&self, actor: Actor<'_>, login: &str) -> Result<User> {
        actor.require(false)?;
        if login.contains('\0') {
            return Err(Error::NotFound("user"));
        }
        Ok(users::by_login(&self.db, login)
            .await?
            .ok_or(Error::NotFound("user"))?
            .user)
    }

    /// Activates or deactivates a user. Deactivation ends every session at
    /// once (its access tokens were refused from then on anyway).
    pub async fn set_user_active(&self, actor: Actor<'_>, id: i64, active: bool) -> Result<User> {
        actor.require(false)?;
        let user = self
            .guarded(actor, id, Change::Active(active), |t| {
                actor.may_act_on(t, true)
            })
            .await?;
        if active {
            return Ok(user);
        }
        users::end_sessions(&self.db, id, self.now(), None, None, &Effects::default()).await
    }

    /// Makes a user staff or not (unmaking staff unmakes superuser);
    /// `superuser` (the operator's) makes the new staff user a superuser too.
    pub async fn set_user_staff(
        &self,
        actor: Actor<'_>,
        id: i64,
        staff: bool,
        superuser: bool,
    ) -> Result<User> {
        actor.require(true)?;
        let superuser = superuser && matches!(actor, Actor::Operator);
        let change = Change::Staff { staff, superuser };
        self.guarded(actor, id, change, |t| actor.may_act_on(t, true))
            .await
    }

    /// Ends every session of a user: access and refresh tokens stop working.
    pub async fn revoke_user_sessions(&self, actor: Actor<'_>, id: i64) -> Result<User> {
        actor.require(false)?;
        let target = users::by_id(&self.db, id)
            .await?
            .ok_or(Error::NotFound("user"))?;
        actor.may_act_on(&target, false)?;
        let events = [actor.stamp(self.event(EventKind::LogoutAll, Some(id)))];
        let effects = Effects {
            events: &events,
            ..Default::default()
        };
        let user = users::end_sessions(&self.db, id, self.now(), None, None, &effects)
            .await
            .map_err(|e| match e {
                Error::TokenInvalid(_) => Error::NotFound("user"),
                e => e,
            })?;
        self.webhooks_queued();
        Ok(user)
    }

    /// Deletes a user, with their tokens, links and counters. Returns the
    /// user as they were.
    pub async fn delete_user(&self, actor: Actor<'_>, id: i64) -> Result<User> {
        actor.require(true)?;
        self.guarded(actor, id, Change::Delete, |t| actor.may_act_on(t, true))
            .await
    }

    /// Deletes the caller's own account, once their password is checked
    /// (counted as change-password counts it). The last active superuser
    /// cannot.
    pub async fn delete_me(&self, me: &AuthUser, password: &SecretString) -> Result<()> {
        self.require_recent_auth(me)?;
        self.recheck_password(me, password, Field::Password).await?;
        // The session asking must still be live after the password check
        // (a revoke or logout-all while it ran wins).
        let session = me.claims.session.as_deref().unwrap_or_default();
        if !crate::db::sessions::is_live(&self.db, session, me.user.id).await? {
            return Err(Error::TokenInvalid("the session has ended"));
        }
        // Only while the account is active: a deactivation that commits
        // while the password is checked wins (the delete is conditional on
        // the flags as read).
        let active = |u: &User| match u.is_active {
            true => Ok(()),
            false => Err(Error::TokenInvalid("the user is inactive")),
        };
        self.guarded(Actor::User(me), me.user.id, Change::Delete, active)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::TokenInvalid("the user no longer exists"),
                e => e,
            })?;
        Ok(())
    }

    /// The caller's account as stored now, with its live sessions, for an
    /// export.
    pub async fn export_me(&self, me: &AuthUser) -> Result<(User, Vec<super::Session>)> {
        let user = users::by_id(&self.db, me.user.id)
            .await?
            .ok_or(Error::TokenInvalid("the user no longer exists"))?;
        Ok((user, self.my_sessions(me).await?))
    }

    /// Applies `change` to user `id` if `allowed` (judged on the user as
    /// read), and only while the user is still as read: a user made staff
    /// or deactivated meanwhile is read and judged again (a few times).
    async fn guarded(
        &self,
        by: Actor<'_>,
        id: i64,
        change: Change,
        allowed: impl Fn(&User) -> Result<()>,
    ) -> Result<User> {
        for _ in 0..3 {
            let seen = users::by_id(&self.db, id)
                .await?
                .ok_or(Error::NotFound("user"))?;
            allowed(&seen)?;
            let events: Vec<_> = change_event(&seen, change)
                .map(|(kind, details)| by.stamp(self.event(kind, Some(id)).with(details)))
                .into_iter()
                .collect();
            if let Some(done) = admin::apply(&self.db, &seen, change, self.now(), &events).await? {
                tracing::info!(user_id = id, by = %by, ?change, "user changed by an admin operation");
                self.webhooks_queued();
                return Ok(done);
            }
            let now = users::by_id(&self.db, id)
                .await?
                .ok_or(Error::NotFound("user"))?;
            let same = (now.is_active, now.is_staff, now.is_superuser)
                == (seen.is_active, seen.is_staff, seen.is_superuser);
            if same && admin::removes_superuser(&seen, change) {
                return Err(Error::StateConflict(LAST_SUPERUSER));
            }
        }
        Err(Error::StateConflict(
            "The user changed while this was being done; try again.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_positive_number_is_an_id() {
        assert_eq!(parse_user_id("42").unwrap(), 42);
        for bad in [
            "",
            "0",
            "-1",
            "+1",
            "042",
            " 1",
            "1e3",
            "abc",
            "99999999999999999999",
        ] {
            assert!(
                matches!(parse_user_id(bad), Err(Error::NotFound(_))),
                "{bad}"
            );
        }
    }
}
