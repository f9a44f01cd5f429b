//! The `sessions` table: one row per login (a refresh-token family; the
//! family id is the session's id), with where and when it was used, and
//! whether it has ended. Ending a session revokes its refresh tokens in the
//! same transaction, and the per-request check (`users::by_id_with_key`)
//! refuses access tokens whose session has ended.
//!
//! Locking (PostgreSQL): a rotation locks the user's row FOR SHARE and the
//! session's FOR UPDATE (`refresh_tokens::rotate`); ending one session
//! updates its row first, ending all of a user's updates the user's row
//! first (`users::end_sessions`). So an end waits for a rotation in
//! progress and then revokes its successor too, or the rotation waits for
//! the end and then finds the session ended.

use crate::db::events::NewEvent;
use crate::db::Db;
use crate::error::Result;
use crate::with_pool;

/// Ends every live session of user `$1` at `$2`, except session `$3` (NULL:
/// none kept). Run inside the transactions that end a user's sessions.
pub(crate) const END_ALL: &str = "UPDATE sessions SET ended_at = $2 \
     WHERE user_id = $1 AND ended_at IS NULL AND ($3 IS NULL OR id <> $3)";

/// Revokes user `$1`'s refresh tokens at `$2`, except those of session
/// `$3` (NULL: none kept).
pub(crate) const REVOKE_ALL: &str = "UPDATE refresh_tokens SET revoked_at = $2 \
     WHERE user_id = $1 AND revoked_at IS NULL AND ($3 IS NULL OR family_id <> $3)";

/// Ends every live session of `$user_id` at `$now` but `$keep_session`, and
/// revokes their refresh tokens (those of `$keep_tokens` excepted: a session
/// resumed with a new token keeps none of its old ones), inside the
/// transaction `$tx`; evaluates to how many sessions ended. The sessions'
/// rows are updated first, so a rotation in progress in one of them
/// finishes before its tokens are revoked (see the module's locking). A
/// macro: the body is compiled once per database.
#[macro_export]
macro_rules! end_sessions_in {
    ($tx:ident, $user_id:expr, $now:expr, $keep_session:expr, $keep_tokens:expr) => {{
        let ended = sqlx::query($crate::db::sessions::END_ALL)
            .bind($user_id)
            .bind($now)
            .bind($keep_session)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        sqlx::query($crate::db::sessions::REVOKE_ALL)
            .bind($user_id)
            .bind($now)
            .bind($keep_tokens)
            .execute(&mut *$tx)
            .await?;
        ended
    }};
}

/// A session as read.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: i64,
    pub created_at: i64,
    pub last_used_at: i64,
    pub user_agent: String,
    pub ip_address: String,
}

/// A login to record: the session and its first refresh token.
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: i64,
    pub now: i64,
    pub expires_at: i64,
    pub user_agent: &'a str,
    pub ip_address: &'a str,
    pub token_hash: &'a [u8],
    /// How the login was authenticated (`pwd`, `pwd otp`, `pwd recovery`).
    pub amr: &'a str,
    /// The user's token version when the login was decided: nothing is
    /// stored if the user's sessions were ended since (see
    /// `refresh_tokens::insert`).
    pub token_version: i64,
    /// Written with it (`login_succeeded`).
    pub events: &'a [NewEvent],
}

/// The user `$1` if their token version is still `$2`; on PostgreSQL the
/// row is locked FOR SHARE, so a concurrent `users::end_sessions` waits
/// for this transaction or is waited for.
fn owner_at_version(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "SELECT id FROM users WHERE id = $1 AND token_version = $2",
        Db::Postgres(_) => "SELECT id FROM users WHERE id = $1 AND token_version = $2 FOR SHARE",
    }
}

/// Records a new session and its first refresh token, unless the user's
/// sessions were ended since `token_version` was read (`false`).
///
/// A session authenticated by the password alone (`amr` `pwd`) is not
/// started once the user has a second factor: a login that checked the
/// password just before the factor was turned on loses (the row is read
/// under the same lock as `mfa::confirm` writes it).
pub async fn start(db: &Db, s: &NewSession<'_>) -> Result<bool> {
    let owner = match db {
        Db::Sqlite(_) => {
            "SELECT id FROM users WHERE id = $1 AND token_version = $2 \
             AND (mfa_enabled = FALSE OR $3 <> 'pwd')"
        }
        Db::Postgres(_) => {
            "SELECT id FROM users WHERE id = $1 AND token_version = $2 \
             AND (mfa_enabled = FALSE OR $3 <> 'pwd') FOR SHARE"
        }
    };
    let stored = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let found: Option<i64> = sqlx::query_scalar(owner)
            .bind(s.user_id)
            .bind(s.token_version)
            .bind(s.amr)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Ok::<_, sqlx::Error>(false);
        }
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, \
               user_agent, ip_address, auth_time, amr) VALUES ($1, $2, $3, $3, $4, $5, $6, $3, $7)",
        )
        .bind(s.id)
        .bind(s.user_id)
        .bind(s.now)
        .bind(s.expires_at)
        .bind(s.user_agent)
        .bind(s.ip_address)
        .bind(s.amr)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(s.token_hash)
        .bind(s.id)
        .bind(s.user_id)
        .bind(s.now)
        .bind(s.expires_at)
        .execute(&mut *tx)
        .await?;
        crate::insert_events!(tx, s.events, Some(s.user_id), s.now)?;
        tx.commit().await?;
        Ok(true)
    }
    .await)?;
    Ok(stored)
}

/// Gives live session `id` of `user_id` a new refresh token (a password
/// change keeps the caller's session and ends the others), unless the
/// session has ended or the user's token version is no longer
/// `token_version` (`false`).
pub async fn resume(
    db: &Db,
    id: &str,
    user_id: i64,
    token_version: i64,
    token_hash: &[u8],
    now: i64,
    expires_at: i64,
) -> Result<bool> {
    let owner = owner_at_version(db);
    let stored = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let found: Option<i64> = sqlx::query_scalar(owner)
            .bind(user_id)
            .bind(token_version)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Ok::<_, sqlx::Error>(false);
        }
        let live: Option<i64> = sqlx::query_scalar(
            "UPDATE sessions SET last_used_at = $3, expires_at = $4 \
             WHERE id = $1 AND user_id = $2 AND ended_at IS NULL RETURNING user_id",
        )
        .bind(id)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .fetch_optional(&mut *tx)
        .await?;
        if live.is_none() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(id)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
    .await)?;
    Ok(stored)
}

/// Ends session `id` (only if it is `user_id`'s, when given) and revokes
/// its refresh tokens. Returns whether a live session was ended. The tokens
/// are revoked even when the session had ended already (or has no row: a
/// family from before sessions were recorded). `events` (about the
/// session's owner unless they name a user) are written if it ended.
pub async fn end(
    db: &Db,
    id: &str,
    user_id: Option<i64>,
    now: i64,
    events: &[NewEvent],
) -> Result<bool> {
    let ended = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let ended: Option<i64> = sqlx::query_scalar(
            "UPDATE sessions SET ended_at = $2 \
             WHERE id = $1 AND ended_at IS NULL AND ($3 IS NULL OR user_id = $3) \
             RETURNING user_id",
        )
        .bind(id)
        .bind(now)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        if ended.is_some() || user_id.is_none() {
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = $2 \
                 WHERE family_id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if ended.is_some() {
            crate::insert_events!(tx, events, ended, now)?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(ended.is_some())
    }
    .await)?;
    Ok(ended)
}

/// Ends every live session of `user_id` but `keep`, and revokes their
/// refresh tokens, in one transaction, with `events` if any ended; how
/// many sessions ended.
pub async fn end_others(
    db: &Db,
    user_id: i64,
    keep: &str,
    now: i64,
    events: &[NewEvent],
) -> Result<u64> {
    let ended = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let ended = crate::end_sessions_in!(tx, user_id, now, keep, keep);
        if ended > 0 {
            crate::insert_events!(tx, events, Some(user_id), now)?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(ended)
    }
    .await)?;
    Ok(ended)
}

/// Records a keep-alive refresh in session `id`: whether it is live.
pub async fn touch(db: &Db, id: &str, now: i64) -> Result<bool> {
    let touched: Option<i64> = with_pool!(db, write, |p| {
        sqlx::query_scalar(
        "UPDATE sessions SET last_used_at = $2 WHERE id = $1 AND ended_at IS NULL RETURNING user_id"
    )
    .bind(id)
    .bind(now)
    .fetch_optional(p)
    .await
    })?;
    Ok(touched.is_some())
}

/// Records a re-authentication in live session `id` of `user_id` (its
/// tokens from now on carry `now` as `authTime` and these methods): whether
/// it is live.
pub async fn reauthenticated(db: &Db, id: &str, user_id: i64, now: i64, amr: &str) -> Result<bool> {
    let touched: Option<i64> = with_pool!(db, write, |p| {
        sqlx::query_scalar(
            "UPDATE sessions SET auth_time = $3, amr = $4, last_used_at = $3 \
             WHERE id = $1 AND user_id = $2 AND ended_at IS NULL RETURNING user_id",
        )
        .bind(id)
        .bind(user_id)
        .bind(now)
        .bind(amr)
        .fetch_optional(p)
        .await
    })?;
    Ok(touched.is_some())
}

/// Whether session `id` is live (not ended) and `user_id`'s.
pub async fn is_live(db: &Db, id: &str, user_id: i64) -> Result<bool> {
    let live: bool = with_pool!(db, read, |p| {
        sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1 AND user_id = $2 AND ended_at IS NULL)"
    )
    .bind(id)
    .bind(user_id)
    .fetch_one(p)
    .await
    })?;
    Ok(live)
}

/// The most sessions a listing returns (the most recently used first).
pub const LIST_LIMIT: i64 = 200;

/// `user_id`'s live sessions (not ended, not expired at `now`), the most
/// recently used first, at most [`LIST_LIMIT`].
pub async fn list(db: &Db, user_id: i64, now: i64) -> Result<Vec<SessionRow>> {
    Ok(with_pool!(db, read, |p| sqlx::query_as::<_, SessionRow>(
        "SELECT id, user_id, created_at, last_used_at, user_agent, ip_address FROM sessions \
         WHERE user_id = $1 AND ended_at IS NULL AND expires_at > $2 \
         ORDER BY last_used_at DESC, created_at DESC, id LIMIT $3"
    )
    .bind(user_id)
    .bind(now)
    .bind(LIST_LIMIT)
    .fetch_all(p)
    .await)?)
}

/// Live session `id` of `user_id`, if it is one.
pub async fn by_id(db: &Db, id: &str, user_id: i64) -> Result<Option<SessionRow>> {
    Ok(with_pool!(db, read, |p| sqlx::query_as::<_, SessionRow>(
        "SELECT id, user_id, created_at, last_used_at, user_agent, ip_address FROM sessions \
         WHERE id = $1 AND user_id = $2 AND ended_at IS NULL"
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(p)
    .await)?)
}

/// Deletes sessions that expired or ended before `before`.
pub async fn purge(db: &Db, before: i64, batch: i64) -> Result<u64> {
    crate::db::purge_batch(
        db,
        "sessions",
        "expires_at < $1 OR ended_at < $1",
        before,
        batch,
    )
    .await
}

#[cfg(test)]
mod tests;
