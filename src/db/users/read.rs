//! Reads of `users`: by id (with the token's key state, for the hot path),
//! by login, a page of users, and clashes between the two kinds of login.
//! On SQLite the lookups by id and login run on the calling thread (see
//! `db::direct`).

use std::sync::LazyLock;

use rusqlite::{named_params, OptionalExtension as _};

use super::{key, UserRow, COLUMNS};
use crate::db::{direct, Db};
use crate::error::{Field, Result};
use crate::service::{StoredUser, User};
use crate::with_pool;

/// Which of a new username or email is already another user's login under
/// the other kind (a username equal to someone's email, or an email equal
/// to someone's username). Either would let one account shadow another at
/// login, which accepts both.
pub async fn login_name_clash(
    db: &Db,
    username: Option<&str>,
    email: Option<&str>,
    except_id: Option<i64>,
) -> Result<Option<Field>> {
    // The CASE yields text on both databases and is never NULL (a NULL
    // parameter compares as unknown and falls through to 'email').
    let clash: Option<String> = with_pool!(db, write, |p| sqlx::query_scalar(
        "SELECT CASE WHEN email_key = $1 THEN 'username' ELSE 'email' END FROM users \
         WHERE (email_key = $1 OR username_key = $2) AND id <> $3 LIMIT 1"
    )
    .bind(username.map(key))
    .bind(email.map(key))
    .bind(except_id.unwrap_or(-1))
    .fetch_optional(p)
    .await)?;
    Ok(clash.map(|field| {
        if field == "username" {
            Field::Username
        } else {
            Field::Email
        }
    }))
}

/// Whether `name`'s key is a login (a username or an email) of a user
/// other than `except_id`.
pub async fn login_taken(db: &Db, name: &str, except_id: i64) -> Result<bool> {
    let owner: Option<i64> = with_pool!(db, write, |p| sqlx::query_scalar(
        "SELECT user_id FROM login_keys WHERE key = $1 AND user_id <> $2"
    )
    .bind(key(name))
    .bind(except_id)
    .fetch_optional(p)
    .await)?;
    Ok(owner.is_some())
}

/// A user by id. On SQLite it runs on the calling thread (see `db::direct`).
pub async fn by_id(db: &Db, id: i64) -> Result<Option<User>> {
    Ok(row_by_id(db, id).await?.map(User::from))
}

/// A user by id, with the password hash (for a password change).
pub async fn stored_by_id(db: &Db, id: i64) -> Result<Option<StoredUser>> {
    Ok(row_by_id(db, id).await?.map(StoredUser::from))
}

async fn row_by_id(db: &Db, id: i64) -> Result<Option<UserRow>> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {COLUMNS} FROM users WHERE id = $1"));
    let direct = direct(db, |c| {
        c.prepare_cached(&SQL)?
            .query_row(named_params! { "$1": id }, UserRow::from_direct)
            .optional()
    });
    if let Some(found) = direct {
        return found;
    }
    Ok(with_pool!(db, read, |p| sqlx::query_as::<_, UserRow>(
        &SQL
    )
    .bind(id)
    .fetch_optional(p)
    .await)?)
}

/// The user an access token names, whether the token's signing key is
/// still active (not retired) in the database, and whether the token's
/// session is live (the user's, not ended): one query on the hot path. On
/// SQLite it runs on the calling thread (see `db::direct`).
pub async fn by_id_with_key(
    db: &Db,
    id: i64,
    kid: &str,
    session: Option<&str>,
) -> Result<Option<Authenticated>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        key_active: bool,
        session_live: bool,
    }
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {COLUMNS}, EXISTS (SELECT 1 FROM signing_keys \
               WHERE kid = $2 AND retired_at IS NULL) AS key_active, \
             EXISTS (SELECT 1 FROM sessions WHERE id = $3 AND user_id = users.id \
               AND ended_at IS NULL) AS session_live \
             FROM users WHERE id = $1"
        )
    });
    let direct = direct(db, |c| {
        c.prepare_cached(&SQL)?
            .query_row(named_params! { "$1": id, "$2": kid, "$3": session }, |r| {
                Ok((UserRow::from_direct(r)?, r.get(14)?, r.get(15)?))
            })
            .optional()
    });
    if let Some(found) = direct {
        return Ok(found?.map(|(u, key_active, session_live)| Authenticated {
            user: User::from(u),
            key_active,
            session_live,
        }));
    }
    let row = with_pool!(db, read, |p| sqlx::query_as::<_, Row>(&SQL)
        .bind(id)
        .bind(kid)
        .bind(session)
        .fetch_optional(p)
        .await)?;
    Ok(row.map(|r| Authenticated {
        user: r.user.into(),
        key_active: r.key_active,
        session_live: r.session_live,
    }))
}

/// What the per-request check reads (`by_id_with_key`).
pub struct Authenticated {
    pub user: User,
    /// The token's signing key is in the database and not retired.
    pub key_active: bool,
    /// The token's session is the user's and has not ended.
    pub session_live: bool,
}

/// Finds a user by username or, failing that, by email (both case-insensitive).
/// On SQLite it runs on the calling thread (see `db::direct`).
pub async fn by_login(db: &Db, login: &str) -> Result<Option<StoredUser>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {COLUMNS} FROM users WHERE username_key = $1 OR email_key = $1 \
             ORDER BY CASE WHEN username_key = $1 THEN 0 ELSE 1 END LIMIT 1"
        )
    });
    let login_key = key(login);
    let direct = direct(db, |c| {
        c.prepare_cached(&SQL)?
            .query_row(named_params! { "$1": login_key }, UserRow::from_direct)
            .optional()
    });
    if let Some(found) = direct {
        return Ok(found?.map(StoredUser::from));
    }
    Ok(with_pool!(db, read, |p| sqlx::query_as::<_, UserRow>(&SQL)
        .bind(login_key)
        .fetch_optional(p)
        .await)?
    .map(StoredUser::from))
}

/// The user whose email address is `email` (compared by key).
pub async fn by_email(db: &Db, email: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email_key = $1");
    Ok(with_pool!(db, read, |p| sqlx::query_as::<_, UserRow>(&sql)
        .bind(key(email))
        .fetch_optional(p)
        .await)?
    .map(User::from))
}

/// Users ordered by id.
pub async fn list(db: &Db, offset: i64, limit: i64) -> Result<Vec<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users ORDER BY id LIMIT $1 OFFSET $2");
    Ok(with_pool!(db, read, |p| sqlx::query_as::<_, UserRow>(&sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await)?
    .into_iter()
    .map(User::from)
    .collect())
}
