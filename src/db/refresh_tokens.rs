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
}

/// A token to store.
pub struct NewRefresh<'a> {
    pub token_hash: &'a [u8],
    pub family_id: &'a str,
    pub user_id: i64,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The user's token version when the login was decided (its password
    /// checked): the token is stored only if it is still the version.
    pub token_version: i64,
}

/// Stores a new login's first token, unless the user's sessions were ended
/// (a password change, a revoke-all) since `token_version` was read: then
/// nothing is stored and the answer is `false`. A login that checked the old
/// password while a change committed must not leave a live token behind.
///
/// PostgreSQL: the user's row is locked FOR SHARE first, so this waits for
/// an `users::end_sessions` in progress and then sees its new version, or
/// holds it off until the token is stored, which it then revokes. SQLite has
/// one writer: the statement runs wholly before or after that transaction.
pub async fn insert(db: &Db, t: &NewRefresh<'_>) -> Result<bool> {
    let sql = match db {
        Db::Sqlite(_) => {
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
             SELECT $1, $2, $3, $4, $5 \
             WHERE EXISTS (SELECT 1 FROM users WHERE id = $3 AND token_version = $6)"
        }
        Db::Postgres(_) => {
            "WITH owner AS ( \
               SELECT id FROM users WHERE id = $3 AND token_version = $6 FOR SHARE) \
             INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
             SELECT $1, $2, id, $4, $5 FROM owner"
        }
    };
    let stored = with_pool!(db, write, |p| sqlx::query(sql)
        .bind(t.token_hash)
        .bind(t.family_id)
        .bind(t.user_id)
        .bind(t.issued_at)
        .bind(t.expires_at)
        .bind(t.token_version)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(stored == 1)
}

/// Atomically marks a live token used and stores its successor in the same
/// family. Returns `None` (and stores nothing) when the token is not live:
/// unknown, used, revoked or expired. The single conditional UPDATE is what
/// makes two concurrent presentations yield at most one new token.
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
) -> Result<Option<Rotated>> {
    match db {
        Db::Sqlite(pools) => {
            // Spawned, so that a caller that goes away cannot stop the script
            // between BEGIN and COMMIT (sqlx's worker stops a script whose
            // receiver is gone, which would leave the transaction open).
            let pool = pools.write.clone();
            let (old, new) = (old_hash.to_vec(), new_hash.to_vec());
            tokio::spawn(async move { rotate_sqlite(&pool, &old, now, &new, new_expires_at).await })
                .await
                .map_err(crate::error::Error::internal)?
        }
        // `owner` locks the user's row (FOR SHARE) before the token is
        // claimed: `users::end_sessions` holds it (FOR UPDATE, by its UPDATE)
        // until it has revoked every token, so the two never interleave.
        Db::Postgres(pool) => Ok(sqlx::query_as::<_, Rotated>(
            "WITH owner AS ( \
               SELECT id, token_version FROM users \
               WHERE id = (SELECT user_id FROM refresh_tokens WHERE token_hash = $1) FOR SHARE), \
             claimed AS ( \
               UPDATE refresh_tokens SET used_at = $2 \
               WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
                 AND user_id IN (SELECT id FROM owner) \
               RETURNING family_id, user_id), \
             successor AS ( \
               INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
               SELECT $3, family_id, user_id, $2, $4 FROM claimed) \
             SELECT c.family_id, c.user_id, o.token_version FROM claimed c JOIN owner o ON o.id = c.user_id",
        )
        .bind(old_hash)
        .bind(now)
        .bind(new_hash)
        .bind(new_expires_at)
        .fetch_optional(pool)
        .await?),
    }
}

/// The SQLite rotation: one script, one round trip to the write connection's
/// worker thread (BEGIN, UPDATE and COMMIT sent one by one were four, plus
/// the INSERT). `changes()` is the number of rows the UPDATE claimed, so the
/// successor is stored only when the UPDATE claimed the token.
async fn rotate_sqlite(
    pool: &sqlx::SqlitePool,
    old_hash: &[u8],
    now: i64,
    new_hash: &[u8],
    new_expires_at: i64,
) -> Result<Option<Rotated>> {
    use sqlx::Connection as _;

    const SCRIPT: &str = "BEGIN IMMEDIATE; \
        UPDATE refresh_tokens SET used_at = $2 \
          WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
          RETURNING family_id, user_id, \
            (SELECT token_version FROM users WHERE users.id = refresh_tokens.user_id) AS token_version; \
        INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
          SELECT $3, family_id, user_id, $2, $4 FROM refresh_tokens \
          WHERE token_hash = $1 AND changes() = 1; \
        COMMIT;";
    let mut conn = pool.acquire().await?;
    // `fetch_all`, not `fetch_optional`: the latter stops the script at the
    // first row, before the INSERT and the COMMIT.
    let claimed = sqlx::query_as::<_, Rotated>(SCRIPT)
        .bind(old_hash)
        .bind(now)
        .bind(new_hash)
        .bind(new_expires_at)
        .fetch_all(&mut *conn)
        .await;
    match claimed {
        Ok(rows) => Ok(rows.into_iter().next()),
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

/// Whether a login's session goes on: some token of its family is neither
/// revoked nor expired (reuse detection, a blacklist, a revoke-all and a
/// password change revoke them all).
pub async fn family_is_live(db: &Db, family_id: &str, now: i64) -> Result<bool> {
    let live: bool = with_pool!(db, read, |p| sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM refresh_tokens \
         WHERE family_id = $1 AND revoked_at IS NULL AND expires_at > $2)"
    )
    .bind(family_id)
    .bind(now)
    .fetch_one(p)
    .await)?;
    Ok(live)
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite() -> (tempfile::TempDir, Db, i64) {
        let (dir, db) = crate::db::scratch_sqlite().await;
        let user = crate::db::users::insert(
            &db,
            &crate::db::users::NewUser {
                first_name: "",
                last_name: "",
                username: "alice",
                email: "",
                password_hash: "x",
                is_staff: false,
                is_superuser: false,
                email_verified: false,
                now: 0,
            },
            &Default::default(),
        )
        .await
        .unwrap();
        (dir, db, user.id)
    }

    fn token(user_id: i64, hash: &[u8]) -> NewRefresh<'_> {
        NewRefresh {
            token_hash: hash,
            family_id: "fam",
            user_id,
            issued_at: 100,
            expires_at: 1_000,
            token_version: 0,
        }
    }

    /// A login decided before the user's sessions were ended stores nothing.
    #[tokio::test]
    async fn a_token_for_an_ended_version_is_not_stored() {
        let (_dir, db, user) = sqlite().await;
        crate::db::users::end_sessions(&db, user, 50, None, &[])
            .await
            .unwrap();
        assert!(!insert(&db, &token(user, b"late")).await.unwrap());
        assert!(by_hash(&db, b"late").await.unwrap().is_none());
        let current = NewRefresh {
            token_version: 1,
            ..token(user, b"now")
        };
        assert!(insert(&db, &current).await.unwrap());
    }

    /// The one-script rotation on SQLite: claims a live token once, stores
    /// the successor in its family, stores nothing otherwise, and leaves no
    /// transaction open behind it (later writes still commit).
    #[tokio::test]
    async fn rotation_claims_once_and_stores_the_successor_in_the_family() {
        let (_dir, db, user) = sqlite().await;
        assert!(insert(&db, &token(user, b"old")).await.unwrap());

        let row = rotate(&db, b"old", 200, b"new", 2_000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((row.family_id.as_str(), row.user_id), ("fam", user));
        assert_eq!(row.token_version, 0);
        assert_eq!(
            by_hash(&db, b"old").await.unwrap().unwrap().used_at,
            Some(200)
        );
        let new = by_hash(&db, b"new").await.unwrap().unwrap();
        assert_eq!((new.family_id.as_str(), new.expires_at), ("fam", 2_000));
        assert_eq!(new.used_at, None);

        // Used, unknown, expired, revoked: nothing claimed, nothing stored.
        assert!(rotate(&db, b"old", 201, b"again", 2_000)
            .await
            .unwrap()
            .is_none());
        assert!(rotate(&db, b"nope", 201, b"again", 2_000)
            .await
            .unwrap()
            .is_none());
        assert!(rotate(&db, b"new", 2_000, b"again", 3_000)
            .await
            .unwrap()
            .is_none());
        revoke_family(&db, "fam", 300).await.unwrap();
        assert!(rotate(&db, b"new", 301, b"again", 3_000)
            .await
            .unwrap()
            .is_none());
        assert!(by_hash(&db, b"again").await.unwrap().is_none());

        // A reuse in the same second as the claim is still a reuse.
        insert(&db, &token(user, b"t1")).await.unwrap();
        assert!(rotate(&db, b"t1", 400, b"t2", 2_000)
            .await
            .unwrap()
            .is_some());
        assert!(rotate(&db, b"t1", 400, b"t3", 2_000)
            .await
            .unwrap()
            .is_none());
        assert!(by_hash(&db, b"t3").await.unwrap().is_none());

        // No transaction left open: a write after the rotations is committed
        // and visible to another connection.
        insert(&db, &token(user, b"later")).await.unwrap();
        let Db::Sqlite(pools) = &db else {
            unreachable!()
        };
        let seen: i64 = pools
            .direct
            .run(|c| {
                c.query_row(
                    "SELECT count(*) FROM refresh_tokens WHERE token_hash = x'6c61746572'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap();
        assert_eq!(seen, 1);
    }

    /// A script that fails after its UPDATE (here the successor's hash is
    /// taken, a unique violation) leaves nothing behind: the claim is rolled
    /// back, the token can still be rotated, and later writes commit.
    #[tokio::test]
    async fn a_rotation_that_fails_part_way_changes_nothing() {
        let (_dir, db, user) = sqlite().await;
        assert!(insert(&db, &token(user, b"old")).await.unwrap());
        insert(&db, &token(user, b"taken")).await.unwrap();

        assert!(rotate(&db, b"old", 200, b"taken", 2_000).await.is_err());
        let old = by_hash(&db, b"old").await.unwrap().unwrap();
        assert_eq!(old.used_at, None, "the failed claim must be rolled back");

        assert!(rotate(&db, b"old", 201, b"fresh", 2_000)
            .await
            .unwrap()
            .is_some());
        let old = by_hash(&db, b"old").await.unwrap().unwrap();
        assert_eq!(old.used_at, Some(201));
        let Db::Sqlite(pools) = &db else {
            unreachable!()
        };
        let fresh: i64 = pools
            .direct
            .run(|c| {
                c.query_row(
                    "SELECT count(*) FROM refresh_tokens WHERE token_hash = x'6672657368'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap();
        assert_eq!(fresh, 1, "a rotation after the failure must commit");
    }

    /// Many concurrent rotations of one token: exactly one wins.
    #[tokio::test]
    async fn concurrent_rotations_of_one_token_yield_one_successor() {
        let (_dir, db, user) = sqlite().await;
        assert!(insert(&db, &token(user, b"old")).await.unwrap());
        let tasks: Vec<_> = (0..16u8)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move { rotate(&db, b"old", 200, &[b'n', i], 2_000).await })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            if t.await.unwrap().unwrap().is_some() {
                won += 1;
            }
        }
        assert_eq!(won, 1);
    }
}
