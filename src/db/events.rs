//! The `auth_events` table (append-only: what happened to accounts, and
//! who, from where) and its webhook deliveries (`webhook_outbox`).
//!
//! An event is written by [`insert_events!`](crate::insert_events) inside
//! the transaction of the change it records, so a change that rolls back
//! leaves no event and no change commits without its event; with it, one
//! delivery row per webhook URL that wants its type. A failed login changes
//! nothing and is written on its own ([`record`]).

use std::sync::Arc;

use crate::db::outbox::Queue;
use crate::db::Db;
use crate::error::Result;
use crate::with_pool;

/// An event to write, built by `service::events` (which fills in the
/// request's origin and the webhook URLs that want its type).
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// Random (128 bits, hex): webhooks' message id.
    pub uid: String,
    pub kind: &'static str,
    /// Whom it is about; `None` lets the change fill in the user it wrote
    /// (a sign-up's new id, the owner of a session ended by its token).
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub session_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// A JSON object, serialised; never a secret.
    pub details: String,
    /// The webhook URLs to deliver it to.
    pub targets: Arc<[String]>,
}

/// Writes `$events` on `$tx` at `$now`, each about `$user` unless it names
/// its user, with one webhook delivery per target; evaluates to a
/// `Result<(), sqlx::Error>`. A macro: compiled once per database.
#[macro_export]
macro_rules! insert_events {
    ($tx:expr, $events:expr, $user:expr, $now:expr) => {{
        async {
            for e in $events.iter() {
                let user: Option<i64> = e.user_id.or($user);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO auth_events (type, user_id, actor_id, session_id, ip_address, \
                       user_agent, request_id, created_at, details, uid) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(e.kind)
                .bind(user)
                .bind(e.actor_id)
                .bind(e.session_id.as_deref())
                .bind(e.ip_address.as_deref())
                .bind(e.user_agent.as_deref())
                .bind(e.request_id.as_deref())
                .bind($now)
                .bind(e.details.as_str())
                .bind(e.uid.as_str())
                .fetch_one(&mut *$tx)
                .await?;
                for url in e.targets.iter() {
                    sqlx::query(
                        "INSERT INTO webhook_outbox (event_id, url, next_attempt_at, created_at) \
                         VALUES ($1, $2, $3, $3)",
                    )
                    .bind(id)
                    .bind(url.as_str())
                    .bind($now)
                    .execute(&mut *$tx)
                    .await?;
                }
            }
            Ok::<(), sqlx::Error>(())
        }
        .await
    }};
}

/// Writes events that record no change of their own (a failed login).
pub async fn record(db: &Db, events: &[NewEvent], now: i64) -> Result<()> {
    with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        crate::insert_events!(tx, events, None, now)?;
        tx.commit().await
    }
    .await)?;
    Ok(())
}

/// An event as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub uid: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub session_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub created_at: i64,
    pub details: String,
}

const COLUMNS: &str = "id, uid, type, user_id, actor_id, session_id, ip_address, user_agent, \
     request_id, created_at, details";

/// Which events to read; every part optional.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub user_id: Option<i64>,
    /// Any of these types (empty: all).
    pub types: Vec<String>,
    /// Written at or after this time.
    pub since: Option<i64>,
    /// Written before this time.
    pub until: Option<i64>,
}

/// Which way to read from the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Newest first, ids below the cursor (paging back through the log).
    NewestFirst,
    /// Oldest first, ids above the cursor (following the log).
    OldestFirst,
}

/// Up to `limit` events matching `filter`, from the cursor `from` (an
/// event id, excluded) in `order`. One indexed range scan: the filter's
/// parts are bound, never spliced into the text.
pub async fn page(
    db: &Db,
    filter: &Filter,
    from: Option<i64>,
    order: Order,
    limit: i64,
) -> Result<Vec<EventRow>> {
    let (cmp, dir) = match order {
        Order::NewestFirst => ("<", "DESC"),
        Order::OldestFirst => (">", "ASC"),
    };
    // Only the conditions given, so the planner sees each one (an `x IS
    // NULL OR` form can keep PostgreSQL's generic plan off the indexes).
    let mut conditions = Vec::new();
    let mut n = 1;
    let mut mark = || {
        n += 1;
        format!("${}", n - 1)
    };
    let limit_mark = mark();
    for (given, test) in [
        (filter.user_id.is_some(), "user_id = "),
        (filter.since.is_some(), "created_at >= "),
        (filter.until.is_some(), "created_at < "),
    ] {
        if given {
            conditions.push(format!("{test}{}", mark()));
        }
    }
    if from.is_some() {
        conditions.push(format!("id {cmp} {}", mark()));
    }
    if !filter.types.is_empty() {
        let marks: Vec<String> = filter.types.iter().map(|_| mark()).collect();
        conditions.push(format!("type IN ({})", marks.join(", ")));
    }
    let mut sql = format!("SELECT {COLUMNS} FROM auth_events");
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(&format!(" ORDER BY id {dir} LIMIT {limit_mark}"));
    let rows = with_pool!(db, read, |p| {
        let mut q = sqlx::query_as::<_, EventRow>(&sql).bind(limit);
        for value in [filter.user_id, filter.since, filter.until, from]
            .into_iter()
            .flatten()
        {
            q = q.bind(value);
        }
        for t in &filter.types {
            q = q.bind(t.as_str());
        }
        q.fetch_all(p).await
    })?;
    Ok(rows)
}

/// Deletes up to `batch` events written before `before`, oldest first, and
/// their deliveries; how many events went. Called in a loop with pauses,
/// so a large backlog never holds the writer for long.
pub async fn purge(db: &Db, before: i64, batch: i64) -> Result<u64> {
    Ok(with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM auth_events WHERE created_at < $1 ORDER BY id LIMIT $2",
        )
        .bind(before)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
            return Ok(0);
        };
        sqlx::query(
            "DELETE FROM webhook_outbox WHERE event_id IN (SELECT id FROM auth_events \
             WHERE id >= $1 AND id <= $2 AND created_at < $3)",
        )
        .bind(first)
        .bind(last)
        .bind(before)
        .execute(&mut *tx)
        .await?;
        let n =
            sqlx::query("DELETE FROM auth_events WHERE id >= $1 AND id <= $2 AND created_at < $3")
                .bind(first)
                .bind(last)
                .bind(before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        Ok::<_, sqlx::Error>(n)
    }
    .await)?)
}

/// A delivery a worker has claimed, with its event.
pub struct Delivery {
    pub id: i64,
    pub url: String,
    /// Tries so far, this one included.
    pub attempts: i64,
    pub event: EventRow,
}

/// The webhook deliveries' queue (nothing in a row is secret: the body is
/// built from the event at each try).
const WEBHOOKS: Queue = Queue {
    table: "webhook_outbox",
    clear_when_done: "",
};

/// Claims up to `limit` deliveries due at `now`, oldest first, moving each
/// past `lease_until` (another worker skips it meanwhile; if this one dies
/// it is due again then).
pub async fn claim(
    db: &Db,
    url: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<Delivery>> {
    let claimed: Vec<(i64, i64, String, i64)> = WEBHOOKS
        .claim(
            db,
            "id, event_id, url, attempts",
            (now, lease_until, limit),
            Some(("url", url)),
        )
        .await?;
    let mut out = Vec::with_capacity(claimed.len());
    for (id, event_id, url, attempts) in claimed {
        let sql = format!("SELECT {COLUMNS} FROM auth_events WHERE id = $1");
        let event: Option<EventRow> = with_pool!(db, read, |p| sqlx::query_as(&sql)
            .bind(event_id)
            .fetch_optional(p)
            .await)?;
        match event {
            Some(event) => out.push(Delivery {
                id,
                url,
                attempts,
                event,
            }),
            // Purged meanwhile: nothing left to send.
            None => mark_failed(db, id, "the event was purged").await?,
        }
    }
    out.sort_by_key(|d| d.id);
    Ok(out)
}

/// The receiver answered 2xx.
pub async fn mark_sent(db: &Db, id: i64, now: i64) -> Result<()> {
    WEBHOOKS.mark_sent(db, id, now).await
}

/// The attempt failed: due again at `next_attempt_at`.
pub async fn mark_retry(db: &Db, id: i64, next_attempt_at: i64, error: &str) -> Result<()> {
    WEBHOOKS.mark_retry(db, id, next_attempt_at, error).await
}

/// Given up: the error kept.
pub async fn mark_failed(db: &Db, id: i64, error: &str) -> Result<()> {
    WEBHOOKS.mark_failed(db, id, error).await
}

/// Gives up (`failed`, with `error`) every pending delivery to a URL not
/// in `urls`; how many.
pub async fn give_up_except(db: &Db, urls: &[String], error: &str) -> Result<u64> {
    let marks: Vec<String> = (0..urls.len()).map(|i| format!("${}", i + 2)).collect();
    let keep = match marks.is_empty() {
        true => String::new(),
        false => format!(" AND url NOT IN ({})", marks.join(", ")),
    };
    let sql = format!(
        "UPDATE webhook_outbox SET status = 'failed', last_error = $1 \
         WHERE status = 'pending'{keep}"
    );
    Ok(with_pool!(db, write, |p| {
        let mut q = sqlx::query(&sql).bind(error);
        for url in urls {
            q = q.bind(url.as_str());
        }
        q.execute(p).await.map(|r| r.rows_affected())
    })?)
}

/// Deliveries waiting (pending, due or not).
pub async fn depth(db: &Db) -> Result<i64> {
    WEBHOOKS.depth(db).await
}

/// Deletes the records of deliveries sent or given up that were created
/// before `before`; how many.
pub async fn purge_deliveries(db: &Db, before: i64) -> Result<u64> {
    WEBHOOKS.purge(db, before).await
}

/// One delivery as an operator (or a test) sees it.
#[derive(Debug, sqlx::FromRow)]
pub struct DeliveryRecord {
    pub id: i64,
    pub event_id: i64,
    pub url: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Every delivery, oldest first.
pub async fn deliveries(db: &Db) -> Result<Vec<DeliveryRecord>> {
    Ok(with_pool!(db, read, |p| sqlx::query_as(
        "SELECT id, event_id, url, status, attempts, last_error FROM webhook_outbox ORDER BY id"
    )
    .fetch_all(p)
    .await)?)
}
