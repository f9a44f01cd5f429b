//! The `refresh_tokens` table: single-use tokens grouped in families.

use crate::db::Db;
use crate::error::Result;
use crate::with_pool;

/// A refresh token, looked up by its hash.
#[derive(Debug, sqlx::FromRow)]
pub struct RefreshRow {
    pub family_id: String,
    pub user_id: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A token to store.
pub struct NewRefresh<'a> {
    pub token_hash: &'a [u8],
    pub family_id: &'a str,
    pub user_id: i64,
    pub issued_at: i64,
    pub expires_at: i64,
}

pub async fn insert(db: &Db, t: &NewRefresh<'_>) -> Result<()> {
    with_pool!(db, write, |p| sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(t.token_hash)
    .bind(t.family_id)
    .bind(t.user_id)
    .bind(t.issued_at)
    .bind(t.expires_at)
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Atomically marks a live token used and stores its successor in the same
/// family. Returns `None` (and stores nothing) when the token is not live:
/// unknown, used, revoked or expired. The single conditional UPDATE is what
/// makes two concurrent presentations yield at most one new token.
pub async fn rotate(
    db: &Db,
    old_hash: &[u8],
    now: i64,
    new_hash: &[u8],
    new_expires_at: i64,
) -> Result<Option<RefreshRow>> {
    with_pool!(db, write, |p| {
        let mut tx = p.begin().await?;
        let claimed = sqlx::query_as::<_, RefreshRow>(
            "UPDATE refresh_tokens SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
             RETURNING family_id, user_id, expires_at, used_at, revoked_at",
        )
        .bind(old_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = &claimed {
            sqlx::query(
                "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(new_hash)
            .bind(&row.family_id)
            .bind(row.user_id)
            .bind(now)
            .bind(new_expires_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(claimed)
    })
}

pub async fn by_hash(db: &Db, hash: &[u8]) -> Result<Option<RefreshRow>> {
    Ok(with_pool!(db, write, |p| sqlx::query_as::<_, RefreshRow>(
        "SELECT family_id, user_id, expires_at, used_at, revoked_at \
         FROM refresh_tokens WHERE token_hash = $1"
    )
    .bind(hash)
    .fetch_optional(p)
    .await)?)
}

/// Revokes every live token of a family. Returns how many were live.
pub async fn revoke_family(db: &Db, family_id: &str, now: i64) -> Result<u64> {
    let r = with_pool!(db, write, |p| sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL"
    )
    .bind(family_id)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(r)
}

/// Revokes every token of a user (log out everywhere).
pub async fn revoke_user(db: &Db, user_id: i64, now: i64) -> Result<()> {
    with_pool!(db, write, |p| sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL"
    )
    .bind(user_id)
    .bind(now)
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Deletes tokens that expired before `before`; reuse of those can no longer
/// be detected, but they are refused as expired or unknown anyway.
pub async fn purge_expired(db: &Db, before: i64) -> Result<u64> {
    Ok(with_pool!(db, write, |p| sqlx::query(
        "DELETE FROM refresh_tokens WHERE expires_at < $1"
    )
    .bind(before)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?)
}
