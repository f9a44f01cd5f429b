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

/// A token just rotated, with its user's token version as it was when the
/// rotation committed (read in the same statement, under the same lock as
/// `users::end_sessions` takes): an access token signed with this version
/// dies with a revoke-all that follows the rotation.
#[derive(Debug, sqlx::FromRow)]
pub struct Rotated {
    pub family_id: String,
    pub user_id: i64,
    pub token_version: i64,
    /// When the session's login (or its last re-authentication) was, and
    /// how (`amr`, space-separated): the new access token carries both.
    pub auth_time: i64,
    pub amr: String,
}

/// Atomically marks a live token used and stores its successor in the same
/// family (session), recording the use in the session. Returns `None` (and
/// stores nothing) when the token is not live: unknown, revoked, expired,
/// its session ended, or used before `reuse_after`. A token used at or
/// after `reuse_after` (within the reuse interval: two tabs refreshing with
/// the same token at once) is rotated again, keeping its first use's time.
/// The single conditional UPDATE is what makes two concurrent presentations
/// yield at most one new token outside that interval.
///
/// Every rotation is a write, and SQLite has one writer, so the rotation's
/// round trips to the database bound how many rotations per second there can
/// be (BENCHMARKS.md): each database gets it in one.
pub async fn rotate(
    db: &Db,
    old_hash: &[u8],
    now: i64,
    new_hash: &[u8],
    new_expires_at: i64,
    reuse_after: i64,
) -> Result<Option<Rotated>> {
    match db {
        Db::Sqlite(pools) => {
            pools
                .rotations
                .rotate(Rotation {
                    old_hash: old_hash.to_vec(),
                    now,
                    new_hash: new_hash.to_vec(),
                    new_expires_at,
                    reuse_after,
                })
                .await
        }
        // `owner` locks the user's row (FOR SHARE) and the session's (FOR
        // UPDATE: concurrent rotations in one session take turns) before the
        // token is claimed: `users::end_sessions` holds the user's row and
        // `sessions::end` the session's until every token is revoked, so
        // neither interleaves with a rotation.
        Db::Postgres(pool) => Ok(sqlx::query_as::<_, Rotated>(
            "WITH owner AS ( \
               SELECT u.id, u.token_version, s.id AS session_id, s.auth_time, s.amr FROM users u \
               JOIN sessions s ON s.user_id = u.id \
               WHERE s.id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) \
                 AND s.ended_at IS NULL \
               FOR SHARE OF u FOR UPDATE OF s), \
             claimed AS ( \
               UPDATE refresh_tokens SET used_at = COALESCE(used_at, $2) \
               WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2 \
                 AND (used_at IS NULL OR used_at >= $5) \
                 AND family_id IN (SELECT session_id FROM owner) \
               RETURNING family_id, user_id), \
             successor AS ( \
               INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
               SELECT $3, family_id, user_id, $2, $4 FROM claimed), \
             touched AS ( \
               UPDATE sessions SET last_used_at = $2, expires_at = GREATEST(expires_at, $4) \
               WHERE id IN (SELECT family_id FROM claimed)) \
             SELECT c.family_id, c.user_id, o.token_version, o.auth_time, o.amr \
             FROM claimed c JOIN owner o ON o.id = c.user_id",
        )
        .bind(old_hash)
        .bind(now)
        .bind(new_hash)
        .bind(new_expires_at)
        .bind(reuse_after)
        .fetch_optional(pool)
        .await?),
    }
}

/// One rotation asked of the SQLite rotation queue.
struct Rotation {
    old_hash: Vec<u8>,
    now: i64,
    new_hash: Vec<u8>,
    new_expires_at: i64,
    reuse_after: i64,
}

type Asked = (
    Rotation,
    tokio::sync::oneshot::Sender<Result<Option<Rotated>>>,
);

/// The most rotations one SQLite transaction takes.
const MAX_BATCH: usize = 64;

/// Group commit for SQLite's rotations: one task takes the rotations asked
/// while the previous transaction ran (up to [`MAX_BATCH`]) and makes them
/// in one transaction, one round trip to the write connection's worker
/// thread; each caller gets its answer when that transaction has committed
/// (an acknowledged rotation is as durable as before). Rotations wait for
/// nothing but the transaction in progress: under light load each has a
/// transaction of its own, as before.
///
/// The rotations of a batch run one after the other, in the order asked,
/// each exactly as it ran alone (the same token presented twice in one
/// batch: the second sees the first's use). A caller that goes away leaves
/// its rotation to finish (the task runs the whole script); the task ends
/// when the last handle on the database is dropped.
#[derive(Clone, Debug)]
pub struct RotationQueue {
    asks: tokio::sync::mpsc::UnboundedSender<Asked>,
}

impl RotationQueue {
    /// Starts the task that makes the rotations, on `write` (the pool's one
    /// connection).
    pub fn start(write: sqlx::SqlitePool) -> Self {
        let (asks, mut asked) = tokio::sync::mpsc::unbounded_channel::<Asked>();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while asked.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let (rotations, answers): (Vec<Rotation>, Vec<_>) = batch.drain(..).unzip();
                match rotate_sqlite(&write, &rotations).await {
                    Ok(mut rows) => {
                        for (answer, row) in answers.into_iter().zip(rows.drain(..)) {
                            let _ = answer.send(Ok(row));
                        }
                    }
                    Err(e) => {
                        // Nothing of the batch was stored (one transaction).
                        e.log();
                        for answer in answers {
                            let _ = answer.send(Err(crate::error::Error::Unavailable));
                        }
                    }
                }
            }
        });
        Self { asks }
    }

    async fn rotate(&self, rotation: Rotation) -> Result<Option<Rotated>> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.asks
            .send((rotation, answer))
            .map_err(|_| crate::error::Error::Unavailable)?;
        answered
            .await
            .map_err(|_| crate::error::Error::Unavailable)?
    }
}

/// A rotation's row, with its place in the batch.
#[derive(sqlx::FromRow)]
struct SlotRotated {
    slot: i64,
    #[sqlx(flatten)]
    rotated: Rotated,
}

/// SQLite rotations in one script, one round trip to the write connection's
/// worker thread: BEGIN IMMEDIATE, each rotation's three statements in turn,
/// COMMIT. In each, `changes()` is the number of rows the UPDATE claimed, so
/// the successor is stored only when the UPDATE claimed the token, and the
/// session is touched only when the successor was stored. The answer has
/// each rotation's row (`None`: the token was not live), in order.
async fn rotate_sqlite(
    pool: &sqlx::SqlitePool,
    rotations: &[Rotation],
) -> Result<Vec<Option<Rotated>>> {
    use sqlx::Connection as _;
    use std::fmt::Write as _;

    // Scripts of a few sizes only (powers of two, the rest padded with
    // rotations of a hash no token has, which change nothing): the write
    // connection keeps each script it ran prepared, and one script per
    // batch size up to 64 held some 6,000 prepared statements (60 MiB).
    let slots = rotations.len().next_power_of_two();
    let mut script = String::from("BEGIN IMMEDIATE; ");
    for slot in 0..slots {
        let [old, now, new, expires, reuse] = [1, 2, 3, 4, 5].map(|i| 5 * slot + i);
        let _ = write!(
            script,
            "UPDATE refresh_tokens SET used_at = COALESCE(used_at, ${now}) \
               WHERE token_hash = ${old} AND revoked_at IS NULL AND expires_at > ${now} \
                 AND (used_at IS NULL OR used_at >= ${reuse}) \
                 AND EXISTS (SELECT 1 FROM sessions s \
                   WHERE s.id = refresh_tokens.family_id AND s.ended_at IS NULL) \
               RETURNING {slot} AS slot, family_id, user_id, \
                 (SELECT token_version FROM users WHERE users.id = refresh_tokens.user_id) AS token_version, \
                 (SELECT auth_time FROM sessions s WHERE s.id = refresh_tokens.family_id) AS auth_time, \
                 (SELECT amr FROM sessions s WHERE s.id = refresh_tokens.family_id) AS amr; \
             INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
               SELECT ${new}, family_id, user_id, ${now}, ${expires} FROM refresh_tokens \
               WHERE token_hash = ${old} AND changes() = 1; \
             UPDATE sessions SET last_used_at = ${now}, expires_at = max(expires_at, ${expires}) \
               WHERE id = (SELECT family_id FROM refresh_tokens WHERE token_hash = ${new}); "
        );
    }
    script.push_str("COMMIT;");
    let mut query = sqlx::query_as::<_, SlotRotated>(&script);
    for r in rotations {
        query = query
            .bind(&r.old_hash[..])
            .bind(r.now)
            .bind(&r.new_hash[..])
            .bind(r.new_expires_at)
            .bind(r.reuse_after);
    }
    // Padding: an empty hash (a token's is 32 bytes) claims nothing.
    for _ in rotations.len()..slots {
        query = query
            .bind(&[0u8; 0][..])
            .bind(0_i64)
            .bind(&[0u8; 0][..])
            .bind(0_i64)
            .bind(0_i64);
    }
    let mut conn = pool.acquire().await?;
    // `fetch_all`, not `fetch_optional`: the latter stops the script at the
    // first row, before the rest and the COMMIT.
    match query.fetch_all(&mut *conn).await {
        Ok(rows) => Ok(crate::db::by_slot(
            rotations.len(),
            rows.into_iter().map(|r| (r.slot, r.rotated)),
        )),
        Err(e) => {
            // The script stopped part-way, perhaps inside its transaction:
            // this connection must not be reused. Closing it rolls back.
            let _ = conn.detach().close().await;
            Err(e.into())
        }
    }
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

/// Deletes up to `batch` tokens that expired before `before` (see
/// `db::purge_batch`); reuse of those can no longer be detected, but they
/// are refused as expired or unknown anyway.
pub async fn purge_expired(db: &Db, before: i64, batch: i64) -> Result<u64> {
    crate::db::purge_batch(db, "refresh_tokens", "expires_at < $1", before, batch).await
}

#[cfg(test)]
mod tests;
