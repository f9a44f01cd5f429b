//! The `users` table.

use std::sync::LazyLock;

use rusqlite::{named_params, OptionalExtension as _};

use crate::db::{direct, unique_violation, Db};
use crate::error::{Error, Field, Result};
use crate::service::{StoredUser, User};
use crate::with_pool;

/// A row of `users` as read; mapped into the service's `User` (or
/// `StoredUser`, with the hash) before it leaves this module.
#[derive(sqlx::FromRow)]
struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub first_name: String,
    pub last_name: String,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub date_joined: i64,
    pub last_login: Option<i64>,
    pub token_version: i64,
}

impl UserRow {
    /// From a row of a direct read (`db::direct`) whose first columns are
    /// `COLUMNS`, in their order (by position: looking columns up by name
    /// cost more than the rest of the decoding).
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            username: r.get(1)?,
            email: r.get(2)?,
            password_hash: r.get(3)?,
            first_name: r.get(4)?,
            last_name: r.get(5)?,
            is_active: r.get(6)?,
            is_staff: r.get(7)?,
            is_superuser: r.get(8)?,
            date_joined: r.get(9)?,
            last_login: r.get(10)?,
            token_version: r.get(11)?,
        })
    }
}

impl From<UserRow> for StoredUser {
    fn from(r: UserRow) -> Self {
        StoredUser {
            password_hash: r.password_hash,
            user: User {
                id: r.id,
                username: r.username,
                email: r.email,
                first_name: r.first_name,
                last_name: r.last_name,
                is_active: r.is_active,
                is_staff: r.is_staff,
                is_superuser: r.is_superuser,
                date_joined: r.date_joined,
                last_login: r.last_login,
                token_version: r.token_version,
            },
        }
    }
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        StoredUser::from(r).user
    }
}

/// A user to create; names and email already validated.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub password_hash: &'a str,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub now: i64,
}

const COLUMNS: &str = "id, username, email, password_hash, first_name, last_name, is_active, \
     is_staff, is_superuser, date_joined, last_login, token_version";

/// The key a username or email is unique by, and looked up by: trimmed,
/// NFKC-normalised and case-folded (NFKC again after folding, which can
/// un-normalise). So `Admin`, `ａｄｍｉｎ` (fullwidth) and ` admin ` are one
/// name, as Django's `normalize_username` makes them; different scripts
/// (Cyrillic `а`) stay different, and sign-up refuses names that mix them.
///
/// Folding is lower-casing plus Greek final sigma: `to_lowercase` turns a
/// word-final `Σ` into `ς` but leaves a typed `σ`, so `ΟΔΟΣ` and `οδοσ`
/// would be two accounts (the attack review made both, and `Οδοσ` then
/// logged in to the second). Unicode case folding maps `ς` to `σ`.
///
/// An address's domain in punycode counts as the Unicode it spells, so
/// `bob@xn--bcher-kva.de` and `bob@bücher.de` are one address.
pub fn key(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    let mut folded = s.trim().nfkc().collect::<String>().to_lowercase();
    if folded.contains("xn--") {
        if let Some((local, domain)) = folded.rsplit_once('@') {
            if let (unicode, Ok(())) = idna::domain_to_unicode(domain) {
                folded = format!("{local}@{}", unicode.to_lowercase());
            }
        }
    }
    if folded.is_ascii() {
        return folded;
    }
    folded
        .nfkc()
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

/// Brings keys written by an older rule (before NFKC) up to [`key`]. Only
/// rows with a non-ASCII or punycode (`xn--`) key can differ, so only those are read. A row whose
/// new key is another row's is left as it was and reported: an operator must
/// rename one of the two.
pub async fn rekey(db: &Db) -> Result<()> {
    let sql = match db {
        Db::Sqlite(_) => {
            "SELECT id, username, email, username_key, email_key FROM users \
             WHERE username_key GLOB '*[^ -~]*' OR email_key GLOB '*[^ -~]*' \
                OR username_key LIKE '%xn--%' OR email_key LIKE '%xn--%'"
        }
        Db::Postgres(_) => {
            "SELECT id, username, email, username_key, email_key FROM users \
             WHERE username_key ~ '[^ -~]' OR email_key ~ '[^ -~]' \
                OR username_key LIKE '%xn--%' OR email_key LIKE '%xn--%'"
        }
    };
    type Keys = (i64, String, String, String, Option<String>);
    let rows: Vec<Keys> = with_pool!(db, write, |p| sqlx::query_as::<_, Keys>(sql)
        .fetch_all(p)
        .await)?;
    for (id, username, email, username_key, email_key) in rows {
        let new_username_key = key(&username);
        let new_email_key = (!email.is_empty()).then(|| key(&email));
        if new_username_key == username_key && new_email_key == email_key {
            continue;
        }
        let updated = with_pool!(db, write, |p| sqlx::query(
            "UPDATE users SET username_key = $2, email_key = $3 WHERE id = $1"
        )
        .bind(id)
        .bind(&new_username_key)
        .bind(new_email_key.as_deref())
        .execute(p)
        .await
        .map(|_| ()));
        match updated {
            Ok(_) => tracing::info!(user_id = id, "login keys brought up to NFKC"),
            Err(e) if unique_violation(&e).is_some() => tracing::warn!(
                user_id = id,
                "this user's name or email is, after NFKC normalisation, another \
                 user's; its keys were left as they were: rename one of the two"
            ),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
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

pub async fn insert(db: &Db, u: &NewUser<'_>) -> Result<User> {
    let sql = format!(
        "INSERT INTO users (username, username_key, email, email_key, password_hash, \
         is_staff, is_superuser, date_joined, first_name, last_name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}"
    );
    let email_key = (!u.email.is_empty()).then(|| key(u.email));
    let inserted = with_pool!(db, write, |p| sqlx::query_as::<_, UserRow>(&sql)
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
        .fetch_one(p)
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

/// Inserts an imported user in one statement and returns its id, or does
/// nothing and returns `None` when its username or email (case-insensitive)
/// is already a login here, as the same kind of name or as the other kind
/// (which sign-up refuses too).
pub async fn insert_imported(db: &Db, u: &ImportedUser<'_>) -> Result<Option<i64>> {
    let email_key = (!u.email.is_empty()).then(|| key(u.email));
    let inserted = with_pool!(db, write, |p| sqlx::query_scalar(
        "INSERT INTO users (username, username_key, email, email_key, password_hash, \
           first_name, last_name, is_active, is_staff, is_superuser, date_joined, last_login) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 \
         WHERE NOT EXISTS (SELECT 1 FROM users WHERE email_key = $2 OR username_key = $4) \
         ON CONFLICT DO NOTHING RETURNING id"
    )
    .bind(u.username)
    .bind(key(u.username))
    .bind(u.email)
    .bind(email_key.as_deref())
    .bind(u.password_hash)
    .bind(u.first_name)
    .bind(u.last_name)
    .bind(u.is_active)
    .bind(u.is_staff)
    .bind(u.is_superuser)
    .bind(u.date_joined)
    .bind(u.last_login)
    .fetch_optional(p)
    .await);
    match inserted {
        Ok(id) => Ok(id),
        // `login_keys` refused a name (see the migration): another user's.
        Err(e) if unique_violation(&e).is_some() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

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

/// The user an access token names, and whether the token's signing key is
/// still active (not retired) in the database: one query on the hot path.
/// On SQLite it runs on the calling thread (see `db::direct`).
pub async fn by_id_with_key(db: &Db, id: i64, kid: &str) -> Result<Option<(User, bool)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        key_active: bool,
    }
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {COLUMNS}, EXISTS (SELECT 1 FROM signing_keys \
               WHERE kid = $2 AND retired_at IS NULL) AS key_active \
             FROM users WHERE id = $1"
        )
    });
    let direct = direct(db, |c| {
        c.prepare_cached(&SQL)?
            .query_row(named_params! { "$1": id, "$2": kid }, |r| {
                Ok((UserRow::from_direct(r)?, r.get(12)?))
            })
            .optional()
    });
    if let Some(found) = direct {
        return Ok(found?.map(|(u, active)| (User::from(u), active)));
    }
    let row = with_pool!(db, read, |p| sqlx::query_as::<_, Row>(&SQL)
        .bind(id)
        .bind(kid)
        .fetch_optional(p)
        .await)?;
    Ok(row.map(|r| (r.user.into(), r.key_active)))
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

/// Profile fields to change; `None` leaves a field as it is.
#[derive(Default)]
pub struct ProfileChange<'a> {
    pub email: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
}

pub async fn update_profile(db: &Db, id: i64, c: &ProfileChange<'_>) -> Result<User> {
    let sql = format!(
        "UPDATE users SET \
           email = COALESCE($2, email), \
           email_key = CASE WHEN $2 IS NULL THEN email_key WHEN $2 = '' THEN NULL ELSE $3 END, \
           first_name = COALESCE($4, first_name), \
           last_name = COALESCE($5, last_name) \
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    with_pool!(db, write, |p| sqlx::query_as::<_, UserRow>(&sql)
        .bind(id)
        .bind(c.email)
        .bind(c.email.map(key))
        .bind(c.first_name)
        .bind(c.last_name)
        .fetch_optional(p)
        .await)
    .map_err(|e| conflict(e, Field::Email))?
    .map(User::from)
    .ok_or(Error::TokenInvalid("the user no longer exists"))
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
/// token is revoked, and, when `new_password_hash` is given, the password
/// changes. Returns the user as it now is.
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
) -> Result<User> {
    let sql = format!(
        "UPDATE users SET token_version = token_version + 1, \
         password_hash = COALESCE($2, password_hash) WHERE id = $1 RETURNING {COLUMNS}"
    );
    with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let user = sqlx::query_as::<_, UserRow>(&sql)
            .bind(id)
            .bind(new_password_hash)
            .fetch_optional(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(user)
    }
    .await)?
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

#[cfg(test)]
mod tests;
