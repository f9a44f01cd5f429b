//! Writes to `users`: creating users (signing up, importing), changing a
//! profile, recording a login, ending every session, (de)activating.

use super::{key, UserRow, COLUMNS};
use crate::db::email_tokens::Effects;
use crate::db::{unique_violation, Db};
use crate::error::{Error, Field, Result};
use crate::service::User;
use crate::with_pool;

/// A user to create; names and email already validated.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub password_hash: &'a str,
    pub is_staff: bool,
    pub is_superuser: bool,
    /// Created by an operator (the CLI), who vouches for the address.
    pub email_verified: bool,
    pub now: i64,
}

/// Maps a unique violation on `users` to the field it concerns. A clash in
/// `login_keys` (a name that is another user's login of the other kind)
/// concerns `cross_kind`.
fn conflict(e: sqlx::Error, cross_kind: Field) -> Error {
    match unique_violation(&e) {
        Some(c) if c.contains("login_keys") => Error::Conflict { field: cross_kind },
        Some(c) if c.contains("email") => Error::Conflict {
            field: Field::Email,
        },
        Some(_) => Error::Conflict {
            field: Field::Username,
        },
        None => e.into(),
    }
}

/// Whether `name`'s key is already someone's login (either kind).
async fn login_key_taken(db: &Db, name: &str) -> Result<bool> {
    Ok(with_pool!(db, write, |p| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM login_keys WHERE key = $1"
    )
    .bind(key(name))
    .fetch_one(p)
    .await)?
        > 0)
}

/// Creates the user, and writes `effects` (its verification token and
/// mail) in the same transaction.
pub async fn insert(db: &Db, u: &NewUser<'_>, effects: &Effects<'_>) -> Result<User> {
    let sql = format!(
        "INSERT INTO users (username, username_key, email, email_key, password_hash, \
         is_staff, is_superuser, date_joined, first_name, last_name, email_verified) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLUMNS}"
    );
    let email_key = (!u.email.is_empty()).then(|| key(u.email));
    let inserted = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let user = sqlx::query_as::<_, UserRow>(&sql)
            .bind(u.username)
            .bind(key(u.username))
            .bind(u.email)
            .bind(email_key)
            .bind(u.password_hash)
            .bind(u.is_staff)
            .bind(u.is_superuser)
            .bind(u.now)
            .bind(u.first_name)
            .bind(u.last_name)
            .bind(u.email_verified)
            .fetch_one(&mut *tx)
            .await?;
        crate::apply_effects!(tx, user.id, effects, u.now)?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(user)
    }
    .await);
    match inserted {
        Ok(user) => Ok(user.into()),
        // Which name was the other kind's: only asked on this rare path
        // (a race past `login_name_clash`, or a caller that skipped it).
        Err(e) if unique_violation(&e).is_some_and(|c| c.contains("login_keys")) => {
            let field = if login_key_taken(db, u.username).await? {
                Field::Username
            } else {
                Field::Email
            };
            Err(Error::Conflict { field })
        }
        Err(e) => Err(conflict(e, Field::Username)),
    }
}

/// A user brought over from another system (a Django dump): flags, names,
/// dates and password hash as they were there; names and email validated.
pub struct ImportedUser<'a> {
    pub username: &'a str,
    /// May be empty (no email; `email_key` stays NULL).
    pub email: &'a str,
    pub password_hash: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub date_joined: i64,
    pub last_login: Option<i64>,
}

/// Binds an imported user's twelve values to a query, in
/// [`insert_imported_sql`]'s order (a macro: the query's type differs by
/// database and kind).
macro_rules! bind_imported {
    ($query:expr, $u:expr) => {{
        let u: &ImportedUser<'_> = $u;
        $query
            .bind(u.username)
            .bind(key(u.username))
            .bind(u.email)
            .bind((!u.email.is_empty()).then(|| key(u.email)))
            .bind(u.password_hash)
            .bind(u.first_name)
            .bind(u.last_name)
            .bind(u.is_active)
            .bind(u.is_staff)
            .bind(u.is_superuser)
            .bind(u.date_joined)
            .bind(u.last_login)
    }};
}

/// Inserts an imported user in one statement and returns its id, or does
/// nothing and returns `None` when its username or email (case-insensitive)
/// is already a login here, as the same kind of name or as the other kind
/// (which sign-up refuses too).
pub async fn insert_imported(db: &Db, u: &ImportedUser<'_>) -> Result<Option<i64>> {
    let sql = insert_imported_sql(None, 0);
    let inserted = with_pool!(db, write, |p| bind_imported!(
        sqlx::query_scalar::<_, i64>(&sql),
        u
    )
    .fetch_optional(p)
    .await);
    match inserted {
        Ok(id) => Ok(id),
        // `login_keys` refused a name (see the migration): another user's.
        Err(e) if unique_violation(&e).is_some() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The statement that inserts one imported user (see [`insert_imported`]),
/// its parameters numbered from `first + 1`; with `slot`, its RETURNING
/// also names the user's place in a batch. The two names are checked by
/// two lookups, each on its own unique index: PostgreSQL's cached plan for
/// one `OR` of the two, made while the table was empty, scanned the whole
/// table for every user as it grew (attack review: 47,000 sequential scans
/// reading 1.1 billion rows for 100,000 users).
fn insert_imported_sql(slot: Option<usize>, first: usize) -> String {
    let [username, username_key, email, email_key, hash, first_name, last_name, active, staff, superuser, joined, last_login] =
        std::array::from_fn(|i| first + i + 1);
    let slot = slot.map(|s| format!("{s} AS slot, ")).unwrap_or_default();
    format!(
        "INSERT INTO users (username, username_key, email, email_key, password_hash, \
           first_name, last_name, is_active, is_staff, is_superuser, date_joined, last_login, \
           email_verified) \
         SELECT ${username}, ${username_key}, ${email}, ${email_key}, ${hash}, ${first_name}, \
           ${last_name}, ${active}, ${staff}, ${superuser}, ${joined}, ${last_login}, TRUE \
         WHERE NOT EXISTS (SELECT 1 FROM users WHERE email_key = ${username_key}) \
           AND NOT EXISTS (SELECT 1 FROM users WHERE username_key = ${email_key}) \
         ON CONFLICT DO NOTHING RETURNING {slot}id"
    )
}

/// [`insert_imported_batch`] on a SQLite connection of the caller's own
/// (`db::direct::open_writer`), on the calling thread: one transaction,
/// one prepared statement, no hand-off per statement or row.
pub fn insert_imported_batch_sqlite(
    conn: &mut rusqlite::Connection,
    users: &[ImportedUser<'_>],
) -> Result<Option<Vec<Option<i64>>>> {
    use rusqlite::OptionalExtension as _;
    let failed = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            Error::Unavailable
        }
        _ => Error::internal(e),
    };
    let sql = insert_imported_sql(None, 0);
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(failed)?;
    let mut ids = Vec::with_capacity(users.len());
    {
        let mut insert = tx.prepare_cached(&sql).map_err(failed)?;
        for u in users {
            let email_key = (!u.email.is_empty()).then(|| key(u.email));
            let id = insert
                .query_row(
                    rusqlite::named_params! {
                        "$1": u.username,
                        "$2": key(u.username),
                        "$3": u.email,
                        "$4": email_key,
                        "$5": u.password_hash,
                        "$6": u.first_name,
                        "$7": u.last_name,
                        "$8": u.is_active,
                        "$9": u.is_staff,
                        "$10": u.is_superuser,
                        "$11": u.date_joined,
                        "$12": u.last_login,
                    },
                    |r| r.get::<_, i64>(0),
                )
                .optional();
            match id {
                Ok(id) => ids.push(id),
                // A name taken (a unique index, or `login_keys`' primary
                // key): dropping the transaction rolls the batch back.
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(failed(e)),
            }
        }
    }
    tx.commit().map_err(failed)?;
    Ok(Some(ids))
}

/// Inserts imported users in one transaction, each as [`insert_imported`]
/// would: their ids, in order, `None` for a user whose names are taken
/// already (by a user inserted before, an earlier one of the batch
/// included). `Ok(None)` when the batch ran into a uniqueness rule that
/// only the database's constraints caught (a name taken as the other kind
/// within the batch, a sign-up racing the import): nothing of the batch is
/// stored, and the caller inserts its users one by one. On SQLite the batch
/// is one script, one round trip to the write connection.
pub async fn insert_imported_batch(
    db: &Db,
    users: &[ImportedUser<'_>],
) -> Result<Option<Vec<Option<i64>>>> {
    let result = match db {
        Db::Sqlite(pools) => {
            use sqlx::Connection as _;
            #[derive(sqlx::FromRow)]
            struct Inserted {
                slot: i64,
                id: i64,
            }
            let mut script = String::from("BEGIN IMMEDIATE; ");
            for slot in 0..users.len() {
                script.push_str(&insert_imported_sql(Some(slot), 12 * slot));
                script.push_str("; ");
            }
            script.push_str("COMMIT;");
            let mut query = sqlx::query_as::<_, Inserted>(&script);
            for u in users {
                query = bind_imported!(query, u);
            }
            let mut conn = pools.write.acquire().await?;
            match query.fetch_all(&mut *conn).await {
                Ok(rows) => Ok(crate::db::by_slot(
                    users.len(),
                    rows.into_iter().map(|r| (r.slot, r.id)),
                )),
                Err(e) => {
                    // The script stopped part-way, inside its transaction:
                    // closing the connection rolls the batch back.
                    let _ = conn.detach().close().await;
                    Err(e)
                }
            }
        }
        Db::Postgres(pool) => {
            let sql = insert_imported_sql(None, 0);
            async {
                let mut tx = pool.begin().await?;
                let mut ids = Vec::with_capacity(users.len());
                for u in users {
                    let id = bind_imported!(sqlx::query_scalar::<_, i64>(&sql), u)
                        .fetch_optional(&mut *tx)
                        .await?;
                    ids.push(id);
                }
                tx.commit().await?;
                Ok(ids)
            }
            .await
        }
    };
    match result {
        Ok(ids) => Ok(Some(ids)),
        Err(e) if unique_violation(&e).is_some() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Profile fields to change; `None` leaves a field as it is.
#[derive(Default)]
pub struct ProfileChange<'a> {
    pub email: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
}

/// Changes user `id`'s profile and writes `effects` in one transaction,
/// provided its token version is still `version` (the caller's token's:
/// TOKEN_INVALID otherwise, as a change racing a logout or password change
/// must not outlive it), and, with `session`, while that session is live
/// (one ended by a revoke while the request ran changes nothing). With
/// `unverify`, the (new) address is not verified, and the account's unused
/// links go stale.
#[allow(clippy::too_many_arguments)]
pub async fn update_profile(
    db: &Db,
    id: i64,
    version: i64,
    session: Option<&str>,
    c: &ProfileChange<'_>,
    unverify: bool,
    effects: &Effects<'_>,
    now: i64,
) -> Result<User> {
    let sql = format!(
        "UPDATE users SET \
           email_verified = email_verified AND NOT $6, \
           email = COALESCE($2, email), \
           email_key = CASE WHEN $2 IS NULL THEN email_key WHEN $2 = '' THEN NULL ELSE $3 END, \
           first_name = COALESCE($4, first_name), \
           last_name = COALESCE($5, last_name) \
         WHERE id = $1 AND token_version = $7 \
           AND ($8 IS NULL OR EXISTS (SELECT 1 FROM sessions s \
             WHERE s.id = $8 AND s.user_id = users.id AND s.ended_at IS NULL)) \
         RETURNING {COLUMNS}"
    );
    with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let user = sqlx::query_as::<_, UserRow>(&sql)
            .bind(id)
            .bind(c.email)
            .bind(c.email.map(key))
            .bind(c.first_name)
            .bind(c.last_name)
            .bind(unverify)
            .bind(version)
            .bind(session)
            .fetch_optional(&mut *tx)
            .await?;
        if user.is_some() && unverify {
            sqlx::query(
                "UPDATE email_tokens SET superseded_at = $2 WHERE user_id = $1 \
                 AND used_at IS NULL AND superseded_at IS NULL",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if user.is_some() {
            crate::apply_effects!(tx, id, effects, now)?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(user)
    }
    .await)
    .map_err(|e| conflict(e, Field::Email))?
    .map(User::from)
    .ok_or(Error::TokenInvalid("the session has ended"))
}

/// Records a successful password login, replacing the hash when it was
/// rehashed with current parameters.
pub async fn record_login(db: &Db, id: i64, now: i64, new_hash: Option<&str>) -> Result<()> {
    with_pool!(db, write, |p| {
        sqlx::query(
        "UPDATE users SET last_login = $2, password_hash = COALESCE($3, password_hash) WHERE id = $1"
    )
    .bind(id)
    .bind(now)
    .bind(new_hash)
    .execute(p)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

/// Ends every session of the user in one transaction: its token version
/// goes up (every access token issued so far stops working), every refresh
/// token is revoked, every session but `keep` (the caller's own, at a
/// password change, which then gets new tokens: `sessions::resume`) ends,
/// and, if `keep` has ended meanwhile, nothing changes (TOKEN_INVALID),
/// and, when `new_password_hash` is given, the password changes; `effects`
/// (a notice, the events) are written with it. Returns the user as it now is.
///
/// One transaction, version first: a refresh rotation (which reads the
/// version under a lock, see `refresh_tokens::rotate`) either finishes
/// before it, and its new token is revoked here, or starts after it, and
/// finds its token revoked.
pub async fn end_sessions(
    db: &Db,
    id: i64,
    now: i64,
    new_password_hash: Option<&str>,
    keep: Option<&str>,
    effects: &Effects<'_>,
) -> Result<User> {
    let sql = format!(
        "UPDATE users SET token_version = token_version + 1, \
         password_hash = COALESCE($2, password_hash) WHERE id = $1 RETURNING {COLUMNS}"
    );
    // The kept session must still be live, read under a lock (after the
    // user's row, in the order a rotation takes them): a revoke of it that
    // committed first makes the whole change fail, and one that comes
    // after waits and then ends it.
    let kept_live = match db {
        Db::Sqlite(_) => {
            "SELECT user_id FROM sessions WHERE id = $1 AND user_id = $2 AND ended_at IS NULL"
        }
        Db::Postgres(_) => {
            "SELECT user_id FROM sessions WHERE id = $1 AND user_id = $2 AND ended_at IS NULL \
             FOR UPDATE"
        }
    };
    let done = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let user = sqlx::query_as::<_, UserRow>(&sql)
            .bind(id)
            .bind(new_password_hash)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(keep) = keep {
            let live: Option<i64> = sqlx::query_scalar(kept_live)
                .bind(keep)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if live.is_none() {
                return Ok(Err(Error::TokenInvalid("the session has ended")));
            }
        }
        // The kept session is resumed with a new refresh token: none of its
        // old ones stays.
        crate::end_sessions_in!(tx, id, now, keep, None::<&str>);
        // Links that would change the account (a reset, an email change)
        // die with its sessions: asked for by someone who held one, they
        // must not outlive the owner's password change or logout.
        sqlx::query(
            "UPDATE email_tokens SET superseded_at = $2 WHERE user_id = $1 \
             AND purpose <> 'verify' AND used_at IS NULL AND superseded_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if user.is_some() {
            crate::apply_effects!(tx, id, effects, now)?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Ok(user))
    }
    .await)?;
    done?
        .map(User::from)
        .ok_or(Error::TokenInvalid("the user no longer exists"))
}

/// Activates or deactivates a user; a deactivated user's tokens stop working.
pub async fn set_active(db: &Db, id: i64, active: bool) -> Result<()> {
    with_pool!(db, write, |p| sqlx::query(
        "UPDATE users SET is_active = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(active)
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}
