//! The `users` table: here its row and how it maps to the service's types,
//! and the keys names are unique by; reads in `users/read.rs`, writes in
//! `users/write.rs`.

pub mod admin;
mod read;
mod write;

use crate::db::{unique_violation, Db};
use crate::error::Result;
use crate::service::{StoredUser, User};
use crate::with_pool;

pub use read::{
    by_email, by_id, by_id_with_key, by_login, list, login_name_clash, login_taken, stored_by_id,
    Authenticated,
};
pub use write::{
    end_sessions, insert, insert_imported, insert_imported_batch, insert_imported_batch_sqlite,
    record_login, set_active, update_profile, ImportedUser, NewUser, ProfileChange,
};

/// A row of `users` as read; mapped into the service's `User` (or
/// `StoredUser`, with the hash) before it leaves this module.
#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
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
    pub email_verified: bool,
    pub mfa_enabled: bool,
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
            email_verified: r.get(12)?,
            mfa_enabled: r.get(13)?,
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
                email_verified: r.email_verified,
                mfa_enabled: r.mfa_enabled,
            },
        }
    }
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        StoredUser::from(r).user
    }
}

pub(super) const COLUMNS: &str =
    "id, username, email, password_hash, first_name, last_name, is_active, \
     is_staff, is_superuser, date_joined, last_login, token_version, email_verified, \
     mfa_enabled";

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

#[cfg(test)]
mod tests;
