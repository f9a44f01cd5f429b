//! The `throttle` table: fixed-window hit counters keyed by bucket name.
//!
//! Every limit counts first and decides after: [`take`] adds the attempt and
//! returns the new count in one statement, so N parallel attempts see N
//! distinct counts and at most the limit of them go on to do the work.

use crate::db::Db;
use crate::error::Result;
use crate::with_pool;

/// One bucket's count after [`take`]: hits in its current window, this one
/// included, and when that window started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taken {
    pub hits: i64,
    pub window_start: i64,
}

/// Counts one hit in each of `buckets` (at most a few, all distinct) and
/// returns their counts in the same order. A bucket whose window began at or
/// before `window_began_after` starts a new window at `now`. One statement:
/// atomic on SQLite and PostgreSQL alike.
pub async fn take(
    db: &Db,
    buckets: &[&str],
    now: i64,
    window_began_after: i64,
) -> Result<Vec<Taken>> {
    if buckets.is_empty() {
        return Ok(Vec::new());
    }
    // Rows are locked in the order of VALUES: always by name, as
    // `settle_success` locks them, so two statements over the same buckets
    // never wait on each other in a cycle (PostgreSQL found that deadlock).
    let mut sorted = buckets.to_vec();
    sorted.sort_unstable();
    let values: Vec<String> = (0..buckets.len())
        .map(|i| format!("(${}, $1, 1)", i + 3))
        .collect();
    let sql = format!(
        "INSERT INTO throttle (bucket, window_start, hits) VALUES {} \
         ON CONFLICT (bucket) DO UPDATE SET \
           hits = CASE WHEN throttle.window_start <= $2 THEN 1 ELSE throttle.hits + 1 END, \
           window_start = CASE WHEN throttle.window_start <= $2 THEN $1 ELSE throttle.window_start END \
         RETURNING bucket, hits, window_start",
        values.join(", ")
    );
    let rows: Vec<(String, i64, i64)> = with_pool!(db, write, |p| {
        let mut q = sqlx::query_as(&sql).bind(now).bind(window_began_after);
        for b in &sorted {
            q = q.bind(*b);
        }
        q.fetch_all(p).await
    })?;
    buckets
        .iter()
        .map(|b| {
            rows.iter()
                .find(|(name, _, _)| name == b)
                .map(|&(_, hits, window_start)| Taken { hits, window_start })
                .ok_or_else(|| {
                    crate::error::Error::internal(anyhow::anyhow!(
                        "the throttle counted no row for a bucket"
                    ))
                })
        })
        .collect()
}

/// After a successful login, in one statement: the account's count goes to
/// zero (its failures are forgotten) and the address gets its one hit back.
///
/// PostgreSQL locks the rows first, by name (as `take` does), so a login
/// settling and another counting never deadlock; SQLite has one writer.
pub async fn settle_success(db: &Db, account: &str, address: Option<&str>) -> Result<()> {
    let sql = match db {
        Db::Sqlite(_) => {
            "UPDATE throttle SET hits = CASE WHEN bucket = $1 THEN 0 ELSE hits - 1 END \
             WHERE (bucket = $1 OR bucket = $2) AND hits > 0"
        }
        Db::Postgres(_) => {
            "UPDATE throttle SET hits = CASE WHEN throttle.bucket = $1 THEN 0 ELSE throttle.hits - 1 END \
             FROM (SELECT bucket FROM throttle WHERE (bucket = $1 OR bucket = $2) AND hits > 0 \
                   ORDER BY bucket FOR UPDATE) AS locked \
             WHERE throttle.bucket = locked.bucket AND throttle.hits > 0"
        }
    };
    with_pool!(db, write, |p| sqlx::query(sql)
        .bind(account)
        .bind(address)
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Gives bucket `bucket` one hit back (a login whose password was right
/// but which still needs a second factor, for its address).
pub async fn give_back(db: &Db, bucket: &str) -> Result<()> {
    with_pool!(db, write, |p| sqlx::query(
        "UPDATE throttle SET hits = hits - 1 WHERE bucket = $1 AND hits > 0"
    )
    .bind(bucket)
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Deletes windows that began before `before` (ended ones, when `before` is
/// now minus the longest window), or for the mail limits (`mail:…`
/// buckets) before `mail_before`, for the profile-change limit
/// (`profile:…`) before `profile_before`. Returns how many went.
pub async fn purge(db: &Db, before: i64, mail_before: i64, profile_before: i64) -> Result<u64> {
    Ok(with_pool!(db, write, |p| sqlx::query(
        "DELETE FROM throttle WHERE CASE WHEN bucket LIKE 'mail:%' THEN window_start < $2 \
           WHEN bucket LIKE 'profile:%' THEN window_start < $3 ELSE window_start < $1 END"
    )
    .bind(before)
    .bind(mail_before)
    .bind(profile_before)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?)
}

/// How many buckets are stored (for tests and metrics).
pub async fn count(db: &Db) -> Result<i64> {
    Ok(with_pool!(db, read, |p| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM throttle"
    )
    .fetch_one(p)
    .await)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_takes_see_distinct_counts() {
        let (_dir, db) = crate::db::scratch_sqlite().await;
        let db = std::sync::Arc::new(db);
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move { take(&db, &["a", "b"], 100, 0).await.unwrap() })
            })
            .collect();
        let mut seen = Vec::new();
        for t in tasks {
            let counts = t.await.unwrap();
            assert_eq!(counts[0].hits, counts[1].hits);
            seen.push(counts[0].hits);
        }
        seen.sort();
        assert_eq!(seen, (1..=40).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn an_ended_window_starts_again_at_one() {
        let (_dir, db) = crate::db::scratch_sqlite().await;
        take(&db, &["a"], 100, 0).await.unwrap();
        take(&db, &["a"], 101, 0).await.unwrap();
        let again = take(&db, &["a"], 200, 150).await.unwrap();
        assert_eq!(
            again,
            vec![Taken {
                hits: 1,
                window_start: 200
            }]
        );
        take(&db, &["acct"], 200, 150).await.unwrap();
        settle_success(&db, "acct", Some("a")).await.unwrap();
        settle_success(&db, "acct", Some("a")).await.unwrap();
        let after = take(&db, &["a"], 201, 150).await.unwrap();
        assert_eq!(after[0].hits, 1, "a give-back never goes below zero");
        let acct = take(&db, &["acct"], 201, 150).await.unwrap();
        assert_eq!(acct[0].hits, 1, "a success forgets the account's count");
        take(&db, &["mail:verify_email:a@x.io"], 201, 150)
            .await
            .unwrap();
        take(&db, &["profile:user:1"], 201, 150).await.unwrap();
        assert_eq!(
            purge(&db, 202, 0, 0).await.unwrap(),
            2,
            "mail and profile windows apart"
        );
        assert_eq!(count(&db).await.unwrap(), 2);
        assert_eq!(purge(&db, 0, 202, 0).await.unwrap(), 1);
        assert_eq!(purge(&db, 0, 0, 202).await.unwrap(), 1);
        assert_eq!(count(&db).await.unwrap(), 0);
    }
}
