//! Staff administration of `users`: finding users by a login prefix and
//! flags, and the guarded changes (activate, make staff, delete) that keep
//! at least one active superuser.
//!
//! Every change is one conditional statement: it applies only while the
//! row still has the flags the service read and judged (a user made staff
//! meanwhile is not changed by a rule meant for a plain user), and, for a
//! change that takes an active superuser away, only while another one
//! remains. On PostgreSQL such changes first take one transaction-scoped
//! advisory lock, so two of them (each removing the other) run one after
//! the other and the second sees the first; SQLite has one writer.

use super::{UserRow, COLUMNS};
use crate::db::events::NewEvent;
use crate::db::Db;
use crate::error::Result;
use crate::service::User;
use crate::with_pool;

/// What a search looks for; `None` matches any.
#[derive(Default, Debug)]
pub struct Filter {
    /// A login key prefix (already `users::key`ed): the username's or the
    /// email's key starts with it.
    pub prefix: Option<String>,
    pub active: Option<bool>,
    pub staff: Option<bool>,
}

/// The smallest string greater than every string that starts with
/// `prefix` (in code point order, which is the byte order of UTF-8), or
/// `None` when there is none (a prefix of `char::MAX`s).
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(c as u32 + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

enum Bind {
    Text(String),
    Flag(bool),
}

/// Users matching `filter`, ordered by id. A prefix is a range on the key
/// (`key >= prefix AND key < prefix_end`), which the keys' indexes answer
/// (on PostgreSQL through indexes in the "C" collation, whose order is the
/// one `prefix_end` computes); no LIKE, so `%`, `_` and `\` are letters.
pub async fn search(db: &Db, filter: &Filter, offset: i64, limit: i64) -> Result<Vec<User>> {
    let collate = match db {
        Db::Sqlite(_) => "",
        Db::Postgres(_) => " COLLATE \"C\"",
    };
    let mut conds: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let param = |binds: &mut Vec<Bind>, b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    if let Some(prefix) = &filter.prefix {
        let from = param(&mut binds, Bind::Text(prefix.clone()));
        let until = prefix_end(prefix).map(|end| param(&mut binds, Bind::Text(end)));
        let range = |column: &str| match &until {
            Some(until) => format!("({column}{collate} >= {from} AND {column}{collate} < {until})"),
            None => format!("{column}{collate} >= {from}"),
        };
        conds.push(format!(
            "({} OR {})",
            range("username_key"),
            range("email_key")
        ));
    }
    if let Some(active) = filter.active {
        conds.push(format!(
            "is_active = {}",
            param(&mut binds, Bind::Flag(active))
        ));
    }
    if let Some(staff) = filter.staff {
        conds.push(format!(
            "is_staff = {}",
            param(&mut binds, Bind::Flag(staff))
        ));
    }
    let (limit_at, offset_at) = (binds.len() + 1, binds.len() + 2);
    let filter_sql = match conds.is_empty() {
        true => String::new(),
        false => format!("WHERE {}", conds.join(" AND ")),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM users {filter_sql} ORDER BY id LIMIT ${limit_at} OFFSET ${offset_at}"
    );
    let rows = with_pool!(db, read, |p| {
        let mut q = sqlx::query_as::<_, UserRow>(&sql);
        for b in &binds {
            q = match b {
                Bind::Text(s) => q.bind(s.as_str()),
                Bind::Flag(f) => q.bind(*f),
            };
        }
        q.bind(limit).bind(offset).fetch_all(p).await
    })?;
    Ok(rows.into_iter().map(User::from).collect())
}

/// A change an admin operation makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Active(bool),
    /// Staff or not; `superuser` also makes a new staff user a superuser
    /// (the CLI's). Unmaking staff unmakes superuser too.
    Staff {
        staff: bool,
        superuser: bool,
    },
    Delete,
}

/// An active staff superuser: the one kind of user the service must keep.
const PILLAR: &str = "is_active AND is_staff AND is_superuser";
const PILLAR_O: &str = "o.is_active AND o.is_staff AND o.is_superuser";

/// Whether `change` to a user who is `seen` takes an active superuser away.
pub fn removes_superuser(seen: &User, change: Change) -> bool {
    let pillar = seen.is_active && seen.is_staff && seen.is_superuser;
    pillar
        && matches!(
            change,
            Change::Active(false) | Change::Staff { staff: false, .. } | Change::Delete
        )
}

/// Applies `change` to user `seen.id` if its flags are still `seen`'s and,
/// when it takes an active superuser away, another one remains. Returns
/// the user as changed (for a deletion, as it was), or `None` when the
/// conditions did not hold (or the user is gone): the caller reads again
/// to tell which.
pub async fn apply(
    db: &Db,
    seen: &User,
    change: Change,
    now: i64,
    events: &[NewEvent],
) -> Result<Option<User>> {
    let guard = match removes_superuser(seen, change) {
        true => format!(" AND EXISTS (SELECT 1 FROM users o WHERE o.id <> $1 AND {PILLAR_O})"),
        false => String::new(),
    };
    let unchanged = "id = $1 AND is_active = $2 AND is_staff = $3 AND is_superuser = $4";
    let sql = match change {
        Change::Active(_) => {
            format!("UPDATE users SET is_active = $5 WHERE {unchanged}{guard} RETURNING {COLUMNS}")
        }
        Change::Staff { .. } => format!(
            "UPDATE users SET is_staff = $5, \
               is_superuser = CASE WHEN $5 THEN (is_superuser OR $6) ELSE FALSE END \
             WHERE {unchanged}{guard} RETURNING {COLUMNS}"
        ),
        Change::Delete => format!("DELETE FROM users WHERE {unchanged}{guard} RETURNING {COLUMNS}"),
    };
    let (new_flag, superuser) = match change {
        Change::Active(a) => (Some(a), None),
        Change::Staff { staff, superuser } => (Some(staff), Some(superuser)),
        Change::Delete => (None, None),
    };
    let locks = !guard.is_empty();
    let row = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        if locks && matches!(db, Db::Postgres(_)) {
            sqlx::query("SELECT pg_advisory_xact_lock(7236001)")
                .execute(&mut *tx)
                .await?;
        }
        let mut q = sqlx::query_as::<_, UserRow>(&sql)
            .bind(seen.id)
            .bind(seen.is_active)
            .bind(seen.is_staff)
            .bind(seen.is_superuser);
        if let Some(flag) = new_flag {
            q = q.bind(flag);
        }
        if let Some(superuser) = superuser {
            q = q.bind(superuser);
        }
        let row = q.fetch_optional(&mut *tx).await?;
        if row.is_some() && change == Change::Delete {
            // The account's throttle counters (named by id) go with it;
            // its tokens, links and login keys cascade.
            sqlx::query("DELETE FROM throttle WHERE bucket IN ($1, $2, $3, $4)")
                .bind(format!("login:user:{}", seen.id))
                .bind(format!("password-change:user:{}", seen.id))
                .bind(format!("email-change:user:{}", seen.id))
                .bind(format!("profile:user:{}", seen.id))
                .execute(&mut *tx)
                .await?;
        }
        if row.is_some() {
            crate::insert_events!(tx, events, Some(seen.id), now)?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(row)
    }
    .await)?;
    Ok(row.map(User::from))
}

/// How many active staff superusers there are.
pub async fn count_superusers(db: &Db) -> Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM users WHERE {PILLAR}");
    Ok(with_pool!(db, read, |p| sqlx::query_scalar::<_, i64>(
        &sql
    )
    .fetch_one(p)
    .await)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_where_its_last_letter_goes_up() {
        assert_eq!(prefix_end("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_end("a%").as_deref(), Some("a&"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end(""), None);
        // Every string with the prefix sorts inside the range, and the next
        // one past it outside.
        for s in ["ab", "ab\u{10FFFF}", "abzzz", "ab\u{FFFF}x"] {
            assert!(s >= "ab" && s < prefix_end("ab").unwrap().as_str(), "{s}");
        }
        assert!("ac" >= prefix_end("ab").unwrap().as_str());
    }
}
