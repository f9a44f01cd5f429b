//! The `email_tokens` table: single-use tokens mailed to an address, stored
//! as SHA-256 hashes, each for one purpose and bound to the address it was
//! sent to. A new token of a purpose supersedes the user's older ones.
//!
//! A token is *used* in the transaction that does what it is for
//! ([`consume`]): one conditional UPDATE marks it, so of N requests racing
//! with one token exactly one goes on, and the change and its notice mail
//! commit with it or not at all.

use super::events::NewEvent;
use super::outbox::NewMail;
use super::users::{key, UserRow, COLUMNS};
use crate::db::{unique_violation, Db};
use crate::error::{Error, Field, Result};
use crate::service::User;
use crate::with_pool;

/// What a token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms the address it was sent to.
    Verify,
    /// Sets a new password.
    Reset,
    /// Makes the address it was sent to the account's email.
    EmailChange,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Reset => "reset",
            Purpose::EmailChange => "email_change",
        }
    }
}

/// A token to store with the change that mails it.
pub struct NewToken<'a> {
    pub hash: &'a [u8],
    pub purpose: Purpose,
    /// The address the mail goes to.
    pub email: &'a str,
    pub expires_at: i64,
}

/// What a change writes besides itself, in its transaction: a token (which
/// supersedes the user's unused ones of its purpose), mail, and the events
/// that record it.
#[derive(Default)]
pub struct Effects<'a> {
    pub token: Option<NewToken<'a>>,
    pub mails: &'a [NewMail],
    pub events: &'a [NewEvent],
}

/// A stored token, looked up by its hash.
#[derive(Debug, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub purpose: String,
    pub user_id: i64,
    pub email: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub superseded_at: Option<i64>,
}

/// Writes `$effects` for user `$user_id` on `$tx` at `$now`.
#[macro_export]
macro_rules! apply_effects {
    ($tx:expr, $user_id:expr, $effects:expr, $now:expr) => {{
        async {
            if let Some(t) = &$effects.token {
                sqlx::query(
                    "UPDATE email_tokens SET superseded_at = $3 WHERE user_id = $1 \
                     AND purpose = $2 AND used_at IS NULL AND superseded_at IS NULL",
                )
                .bind($user_id)
                .bind(t.purpose.as_str())
                .bind($now)
                .execute(&mut *$tx)
                .await?;
                sqlx::query(
                    "INSERT INTO email_tokens (token_hash, purpose, user_id, email, created_at, \
                       expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(t.hash)
                .bind(t.purpose.as_str())
                .bind($user_id)
                .bind(t.email)
                .bind($now)
                .bind(t.expires_at)
                .execute(&mut *$tx)
                .await?;
            }
            $crate::insert_mails!($tx, $effects.mails, $now)?;
            $crate::insert_events!($tx, $effects.events, Some($user_id), $now)
        }
        .await
    }};
}

/// The token whose hash is `hash`, whatever its state.
pub async fn find(db: &Db, hash: &[u8]) -> Result<Option<TokenRow>> {
    Ok(with_pool!(db, read, |p| sqlx::query_as(
        "SELECT id, purpose, user_id, email, expires_at, used_at, superseded_at \
         FROM email_tokens WHERE token_hash = $1"
    )
    .bind(hash)
    .fetch_optional(p)
    .await)?)
}

/// The statement that locks a user's row first in a transaction that
/// writes its links: every such transaction (and `users::end_sessions`,
/// which updates the row first) takes the user's row before its tokens, so
/// two of them never wait on each other in a cycle (PostgreSQL found that
/// deadlock between two links of one account used at once). SQLite has one
/// writer and no row locks.
fn lock_user(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "SELECT token_version FROM users WHERE id = $1",
        Db::Postgres(_) => "SELECT token_version FROM users WHERE id = $1 FOR UPDATE",
    }
}

/// Stores a token and its mail for `user_id` (a resend, a reset asked for,
/// an email change asked for). With `session_version` (a link asked for by
/// a logged-in caller), only while the user's sessions are those of that
/// version: a logout or password change that committed since the caller's
/// token was checked leaves no link behind (TOKEN_INVALID).
pub async fn issue(
    db: &Db,
    user_id: i64,
    session_version: Option<i64>,
    effects: &Effects<'_>,
    now: i64,
) -> Result<()> {
    let lock = lock_user(db);
    let stored: bool = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let version: Option<i64> = sqlx::query_scalar(lock)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        if version.is_none() || (session_version.is_some() && version != session_version) {
            tx.rollback().await?;
            return Ok(false);
        }
        crate::apply_effects!(tx, user_id, effects, now)?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(true)
    }
    .await)?;
    if stored {
        Ok(())
    } else {
        Err(Error::TokenInvalid("the session has ended"))
    }
}

/// What using a token does, besides marking it used.
#[derive(Clone, Copy)]
pub enum Use<'a> {
    /// The address it was sent to is confirmed.
    Verify,
    /// The password becomes `password_hash` and every session ends; the
    /// address is confirmed (the link reached it).
    Reset { password_hash: &'a str },
    /// The address it was sent to becomes the account's email, confirmed.
    EmailChange,
}

/// Why the user's row did not change.
enum Refused {
    Db(sqlx::Error),
    /// The token was used, superseded or expired since it was read.
    Spent,
    /// The account's address is no longer the one the token is bound to.
    Moved,
}

impl From<sqlx::Error> for Refused {
    fn from(e: sqlx::Error) -> Self {
        Refused::Db(e)
    }
}

/// Uses `token` for what `what` says, and writes `effects` (mail, events;
/// no token), in one
/// transaction, provided the token is still unused, not superseded and not
/// expired at `now`, and (except for an email change) the account's email
/// is still the address it was sent to: `bound_email` for an email change
/// is the account's email when the change was asked for. Returns the user
/// as the change left it.
pub async fn consume(
    db: &Db,
    token: &TokenRow,
    what: Use<'_>,
    bound_email: &str,
    effects: &Effects<'_>,
    now: i64,
) -> Result<User> {
    let mark = "UPDATE email_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL \
                AND superseded_at IS NULL AND expires_at > $2 RETURNING id";
    let user_sql = match what {
        Use::Verify => format!(
            "UPDATE users SET email_verified = TRUE \
             WHERE id = $1 AND COALESCE(email_key, '') = $2 RETURNING {COLUMNS}"
        ),
        Use::Reset { .. } => format!(
            "UPDATE users SET email_verified = TRUE, password_hash = $3, \
               token_version = token_version + 1 \
             WHERE id = $1 AND COALESCE(email_key, '') = $2 RETURNING {COLUMNS}"
        ),
        Use::EmailChange => format!(
            "UPDATE users SET email_verified = TRUE, email = $3, email_key = $4 \
             WHERE id = $1 AND COALESCE(email_key, '') = $2 RETURNING {COLUMNS}"
        ),
    };
    let bound_key = key(bound_email);
    let lock = lock_user(db);
    let result: std::result::Result<UserRow, Refused> = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        sqlx::query(lock)
            .bind(token.user_id)
            .execute(&mut *tx)
            .await?;
        let marked: Option<i64> = sqlx::query_scalar(mark)
            .bind(token.id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        if marked.is_none() {
            return Err(Refused::Spent);
        }
        let mut q = sqlx::query_as::<_, UserRow>(&user_sql)
            .bind(token.user_id)
            .bind(&bound_key);
        match what {
            Use::Verify => {}
            Use::Reset { password_hash } => q = q.bind(password_hash),
            Use::EmailChange => q = q.bind(&token.email).bind(key(&token.email)),
        }
        let Some(user) = q.fetch_optional(&mut *tx).await? else {
            return Err(Refused::Moved);
        };
        // Older links of every purpose go with the change: a reset or an
        // email change makes them stale.
        if !matches!(what, Use::Verify) {
            sqlx::query(
                "UPDATE email_tokens SET superseded_at = $2 WHERE user_id = $1 \
                 AND used_at IS NULL AND superseded_at IS NULL",
            )
            .bind(token.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if matches!(what, Use::Reset { .. }) {
            crate::end_sessions_in!(tx, token.user_id, now, None::<&str>, None::<&str>);
        }
        crate::apply_effects!(tx, token.user_id, effects, now)?;
        tx.commit().await?;
        Ok(user)
    }
    .await);
    match result {
        Ok(user) => Ok(user.into()),
        Err(Refused::Spent) => Err(Error::TokenInvalid("the link has already been used")),
        Err(Refused::Moved) => Err(Error::TokenInvalid(
            "the account's email address has changed since the link was sent",
        )),
        Err(Refused::Db(e)) if unique_violation(&e).is_some() => Err(Error::Conflict {
            field: Field::Email,
        }),
        Err(Refused::Db(e)) => Err(e.into()),
    }
}

/// Deletes tokens that expired before `before`.
pub async fn purge(db: &Db, before: i64, batch: i64) -> Result<u64> {
    crate::db::purge_batch(db, "email_tokens", "expires_at < $1", before, batch).await
}

#[cfg(test)]
mod tests;
