//! The `mail_outbox` table: mail written in the transaction of the change
//! that causes it, taken by every instance's delivery worker (`mail::worker`).
//!
//! A worker *claims* due mail in one statement that also moves its next
//! attempt past a lease: another worker (another instance, on PostgreSQL
//! with `FOR UPDATE SKIP LOCKED`) skips it while it is being sent, and if
//! the sender dies, the mail is due again once the lease has run out.

use crate::db::Db;
use crate::error::Result;
use crate::with_pool;

/// A mail to queue, rendered.
#[derive(Clone)]
pub struct NewMail {
    /// What it is for (`verify_email`, `password_changed`, …): its metrics label.
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for NewMail {
    // The bodies hold links that are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMail")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A mail a worker has claimed, to send.
#[derive(sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// Tries so far, this one included.
    pub attempts: i64,
}

/// Inserts `mails` on `$conn` (a transaction), all due at `$now`.
#[macro_export]
macro_rules! insert_mails {
    ($conn:expr, $mails:expr, $now:expr) => {{
        let mut result: ::std::result::Result<(), sqlx::Error> = Ok(());
        for m in $mails.iter() {
            if let Err(e) = sqlx::query(
                "INSERT INTO mail_outbox (kind, recipient, subject, body_text, body_html, \
                   next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(m.kind)
            .bind(&m.recipient)
            .bind(&m.subject)
            .bind(&m.text)
            .bind(&m.html)
            .bind($now)
            .execute(&mut *$conn)
            .await
            {
                result = Err(e);
                break;
            }
        }
        result
    }};
}

/// Queues `mails` on their own (a change that wrote nothing else).
pub async fn enqueue(db: &Db, mails: &[NewMail], now: i64) -> Result<()> {
    with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        crate::insert_mails!(tx, mails, now)?;
        tx.commit().await
    }
    .await)?;
    Ok(())
}

/// A queue table with the outbox's columns (`status`, `attempts`,
/// `next_attempt_at`, `created_at`, `sent_at`, `last_error`): mail here,
/// webhook deliveries in `db::events`. Claiming, marking, counting and
/// purging are the same for both.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Queue {
    pub table: &'static str,
    /// Columns cleared once an item is done (sent or given up): bodies
    /// that hold secrets.
    pub clear_when_done: &'static str,
}

/// The mail outbox: its bodies hold links, which are secrets.
const MAIL: Queue = Queue {
    table: "mail_outbox",
    clear_when_done: ", body_text = '', body_html = ''",
};

impl Queue {
    /// Claims up to `limit` items due at `now`, oldest first, in one
    /// statement: each one's attempts go up and it is not due again before
    /// `lease_until` (PostgreSQL skips rows another worker is claiming).
    /// With `only` (a column and a value), only items with that value.
    /// Returns the `returning` columns of each.
    pub(crate) async fn claim<T>(
        self,
        db: &Db,
        returning: &str,
        (now, lease_until, limit): (i64, i64, i64),
        only: Option<(&'static str, &str)>,
    ) -> Result<Vec<T>>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        let lock = match db {
            Db::Sqlite(_) => "",
            Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        };
        let table = self.table;
        let scope = match only {
            Some((column, _)) => format!(" AND {column} = $4"),
            None => String::new(),
        };
        let sql = format!(
            "UPDATE {table} SET attempts = attempts + 1, next_attempt_at = $2 \
             WHERE id IN (SELECT id FROM {table} \
               WHERE status = 'pending' AND next_attempt_at <= $1{scope} \
               ORDER BY next_attempt_at, id LIMIT $3{lock}) \
             RETURNING {returning}"
        );
        Ok(with_pool!(db, write, |p| {
            let mut q = sqlx::query_as(&sql).bind(now).bind(lease_until).bind(limit);
            if let Some((_, value)) = only {
                q = q.bind(value);
            }
            q.fetch_all(p).await
        })?)
    }

    /// The item went out: done, its secrets dropped, its record kept.
    pub(crate) async fn mark_sent(self, db: &Db, id: i64, now: i64) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET status = 'sent', sent_at = $2, last_error = NULL{} WHERE id = $1",
            self.table, self.clear_when_done
        );
        with_pool!(db, write, |p| sqlx::query(&sql)
            .bind(id)
            .bind(now)
            .execute(p)
            .await
            .map(drop))?;
        Ok(())
    }

    /// The attempt failed: due again at `next_attempt_at`.
    pub(crate) async fn mark_retry(
        self,
        db: &Db,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET next_attempt_at = $2, last_error = $3 WHERE id = $1",
            self.table
        );
        with_pool!(db, write, |p| sqlx::query(&sql)
            .bind(id)
            .bind(next_attempt_at)
            .bind(error)
            .execute(p)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Given up: secrets dropped, the error kept.
    pub(crate) async fn mark_failed(self, db: &Db, id: i64, error: &str) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET status = 'failed', last_error = $2{} WHERE id = $1",
            self.table, self.clear_when_done
        );
        with_pool!(db, write, |p| sqlx::query(&sql)
            .bind(id)
            .bind(error)
            .execute(p)
            .await
            .map(drop))?;
        Ok(())
    }

    /// Items waiting (pending, due or not).
    pub(crate) async fn depth(self, db: &Db) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE status = 'pending'",
            self.table
        );
        Ok(with_pool!(db, read, |p| sqlx::query_scalar(&sql)
            .fetch_one(p)
            .await)?)
    }

    /// Deletes the records of items done (sent or given up) that were
    /// created before `before`; how many.
    pub(crate) async fn purge(self, db: &Db, before: i64) -> Result<u64> {
        let sql = format!(
            "DELETE FROM {} WHERE status <> 'pending' AND created_at < $1",
            self.table
        );
        Ok(with_pool!(db, write, |p| sqlx::query(&sql)
            .bind(before)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?)
    }
}

/// Claims up to `limit` mails due at `now`, oldest first: each one's
/// attempts go up and it is not due again before `lease_until`.
pub async fn claim(db: &Db, now: i64, lease_until: i64, limit: i64) -> Result<Vec<Claimed>> {
    let returning = "id, kind, recipient, subject, body_text, body_html, attempts";
    let mut rows: Vec<Claimed> = MAIL
        .claim(db, returning, (now, lease_until, limit), None)
        .await?;
    rows.sort_by_key(|m| m.id);
    Ok(rows)
}

/// The mail went out: its bodies (the links in them are secrets) are
/// dropped, its record kept.
pub async fn mark_sent(db: &Db, id: i64, now: i64) -> Result<()> {
    MAIL.mark_sent(db, id, now).await
}

/// The attempt failed: due again at `next_attempt_at`.
pub async fn mark_retry(db: &Db, id: i64, next_attempt_at: i64, error: &str) -> Result<()> {
    MAIL.mark_retry(db, id, next_attempt_at, error).await
}

/// The last attempt failed: given up, bodies dropped, the error kept.
pub async fn mark_failed(db: &Db, id: i64, error: &str) -> Result<()> {
    MAIL.mark_failed(db, id, error).await
}

/// Mails waiting to go out (pending, whether due yet or not).
pub async fn depth(db: &Db) -> Result<i64> {
    MAIL.depth(db).await
}

/// Deletes the records of mail sent or given up before `before` (created
/// then; their bodies are long gone). Returns how many went.
pub async fn purge(db: &Db, before: i64) -> Result<u64> {
    MAIL.purge(db, before).await
}

/// One outbox row as an operator (or a test) sees it.
#[derive(Debug, sqlx::FromRow)]
pub struct Record {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Every outbox row, oldest first.
pub async fn records(db: &Db) -> Result<Vec<Record>> {
    Ok(with_pool!(db, read, |p| sqlx::query_as(
        "SELECT id, kind, recipient, status, attempts, last_error FROM mail_outbox ORDER BY id"
    )
    .fetch_all(p)
    .await)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: &str) -> NewMail {
        NewMail {
            kind: "password_changed",
            recipient: to.into(),
            subject: "s".into(),
            text: "secret link".into(),
            html: "<p>secret link</p>".into(),
        }
    }

    #[tokio::test]
    async fn a_claimed_mail_is_not_claimed_again_until_its_lease_ends() {
        let (_dir, db) = crate::db::scratch_sqlite().await;
        enqueue(&db, &[mail("a@x.io"), mail("b@x.io")], 100)
            .await
            .unwrap();
        assert!(
            claim(&db, 99, 400, 10).await.unwrap().is_empty(),
            "not due yet"
        );
        let first = claim(&db, 100, 400, 1).await.unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(
            (first[0].recipient.as_str(), first[0].attempts),
            ("a@x.io", 1)
        );
        let second = claim(&db, 100, 400, 10).await.unwrap();
        assert_eq!(second.len(), 1, "the claimed one is skipped");
        assert_eq!(second[0].recipient, "b@x.io");
        assert!(claim(&db, 399, 700, 10).await.unwrap().is_empty());
        // The sender of the first died: once its lease ends it is due again.
        let again = claim(&db, 400, 700, 10).await.unwrap();
        assert_eq!(again.len(), 2);
        assert_eq!(again[0].attempts, 2);
        assert_eq!(depth(&db).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn sent_and_failed_mail_loses_its_bodies_and_leaves_the_queue() {
        let (_dir, db) = crate::db::scratch_sqlite().await;
        enqueue(&db, &[mail("a@x.io"), mail("b@x.io")], 100)
            .await
            .unwrap();
        let claimed = claim(&db, 100, 400, 10).await.unwrap();
        mark_sent(&db, claimed[0].id, 101).await.unwrap();
        mark_retry(&db, claimed[1].id, 130, "connection refused")
            .await
            .unwrap();
        assert!(claim(&db, 129, 500, 10).await.unwrap().is_empty());
        let retried = claim(&db, 130, 500, 10).await.unwrap();
        assert_eq!(retried.len(), 1);
        mark_failed(&db, retried[0].id, "550 no such user")
            .await
            .unwrap();
        assert_eq!(depth(&db).await.unwrap(), 0);
        let records = records(&db).await.unwrap();
        assert_eq!(records[0].status, "sent");
        assert_eq!(records[1].status, "failed");
        assert_eq!(records[1].last_error.as_deref(), Some("550 no such user"));
        let bodies: Vec<(String, String)> = with_pool!(&db, read, |p| sqlx::query_as(
            "SELECT body_text, body_html FROM mail_outbox"
        )
        .fetch_all(p)
        .await)
        .unwrap();
        assert!(bodies.iter().all(|(t, h)| t.is_empty() && h.is_empty()));
        enqueue(&db, &[mail("c@x.io")], 200).await.unwrap();
        assert_eq!(
            purge(&db, 101).await.unwrap(),
            2,
            "sent and failed records go"
        );
        assert_eq!(purge(&db, 1000).await.unwrap(), 0, "pending mail stays");
        assert_eq!(super::records(&db).await.unwrap().len(), 1);
    }
}
