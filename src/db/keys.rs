//! The `signing_keys` table: Ed25519 key pairs for access tokens.

use crate::db::events::NewEvent;
use crate::db::Db;
use crate::error::Result;
use crate::with_pool;

#[derive(sqlx::FromRow)]
pub struct KeyRow {
    pub seq: i64,
    pub kid: String,
    /// The private key: sealed under the key-encryption key, or the raw
    /// 64 bytes when none is configured (see `auth::keys::Sealing`).
    pub secret_key: Vec<u8>,
    pub public_key: Vec<u8>,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for KeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRow")
            .field("seq", &self.seq)
            .field("kid", &self.kid)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// Every key, oldest first.
pub async fn all(db: &Db) -> Result<Vec<KeyRow>> {
    Ok(with_pool!(db, write, |p| {
        sqlx::query_as::<_, KeyRow>(
        "SELECT seq, kid, secret_key, public_key, created_at, retired_at FROM signing_keys ORDER BY seq"
    )
    .fetch_all(p)
    .await
    })?)
}

/// Inserts a key as generation `seq` unless that generation exists already:
/// when several processes start at once exactly one key wins, and the others
/// read it back.
pub async fn insert_generation(
    db: &Db,
    seq: i64,
    kid: &str,
    secret_key: &[u8],
    public_key: &[u8],
    now: i64,
    events: &[NewEvent],
) -> Result<bool> {
    let inserted = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let n = sqlx::query(
            "INSERT INTO signing_keys (seq, kid, secret_key, public_key, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
        )
        .bind(seq)
        .bind(kid)
        .bind(secret_key)
        .bind(public_key)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            crate::insert_events!(tx, events, None, now)?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(n)
    }
    .await)?;
    Ok(inserted == 1)
}

/// Marks a key retired, with `events` if it was active. Returns whether it was.
pub async fn retire(db: &Db, kid: &str, now: i64, events: &[NewEvent]) -> Result<bool> {
    let n = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let n = sqlx::query(
            "UPDATE signing_keys SET retired_at = $2 WHERE kid = $1 AND retired_at IS NULL",
        )
        .bind(kid)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            crate::insert_events!(tx, events, None, now)?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(n)
    }
    .await)?;
    Ok(n == 1)
}

/// Retires every active key, writing `event(kid)` for each. Returns their
/// ids, oldest first.
pub async fn retire_all(
    db: &Db,
    now: i64,
    event: &(dyn Fn(&str) -> NewEvent + Sync),
) -> Result<Vec<String>> {
    let mut kids: Vec<(i64, String)> = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let kids: Vec<(i64, String)> = sqlx::query_as(
            "UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL RETURNING seq, kid",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let events: Vec<NewEvent> = kids.iter().map(|(_, kid)| event(kid)).collect();
        crate::insert_events!(tx, events, None, now)?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(kids)
    }
    .await)?;
    kids.sort();
    Ok(kids.into_iter().map(|(_, kid)| kid).collect())
}

/// Replaces a key's stored private key (re-sealing it) if it is still
/// `old`. Returns whether it was replaced.
pub async fn replace_secret(db: &Db, kid: &str, old: &[u8], new: &[u8]) -> Result<bool> {
    let n = with_pool!(db, write, |p| sqlx::query(
        "UPDATE signing_keys SET secret_key = $3 WHERE kid = $1 AND secret_key = $2"
    )
    .bind(kid)
    .bind(old)
    .bind(new)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
