//! The `throttle` table: fixed-window hit counters keyed by bucket name.

use rusqlite::{named_params, OptionalExtension as _};

use crate::db::{direct, Db};
use crate::error::Result;
use crate::with_pool;

/// Hits in the bucket's current window and when that window started, or
/// `None` when the bucket has no live window. On SQLite it runs on the
/// calling thread (see `db::direct`): every login reads two buckets.
pub async fn current(db: &Db, bucket: &str, window_began_after: i64) -> Result<Option<(i64, i64)>> {
    const SQL: &str =
        "SELECT hits, window_start FROM throttle WHERE bucket = $1 AND window_start > $2";
    let direct = direct(db, |c| {
        c.prepare_cached(SQL)?
            .query_row(
                named_params! { "$1": bucket, "$2": window_began_after },
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
    });
    if let Some(found) = direct {
        return found;
    }
    Ok(with_pool!(db, read, |p| sqlx::query_as::<_, (i64, i64)>(
        SQL
    )
    .bind(bucket)
    .bind(window_began_after)
    .fetch_optional(p)
    .await)?)
}

/// Counts one hit: starts a new window at `now` when the old one ended
/// (began at or before `window_began_after`). Atomic on both databases.
pub async fn hit(db: &Db, bucket: &str, now: i64, window_began_after: i64) -> Result<()> {
    with_pool!(db, write, |p| {
        sqlx::query(
        "INSERT INTO throttle (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket) DO UPDATE SET \
           hits = CASE WHEN throttle.window_start <= $3 THEN 1 ELSE throttle.hits + 1 END, \
           window_start = CASE WHEN throttle.window_start <= $3 THEN $2 ELSE throttle.window_start END"
    )
    .bind(bucket)
    .bind(now)
    .bind(window_began_after)
    .execute(p)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

/// Forgets a bucket (an account's failures after a successful login).
pub async fn clear(db: &Db, bucket: &str) -> Result<()> {
    with_pool!(db, write, |p| sqlx::query(
        "DELETE FROM throttle WHERE bucket = $1"
    )
    .bind(bucket)
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Deletes windows that ended before `before`.
pub async fn purge(db: &Db, before: i64) -> Result<u64> {
    Ok(with_pool!(db, write, |p| sqlx::query(
        "DELETE FROM throttle WHERE window_start < $1"
    )
    .bind(before)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?)
}
