//! Creating users from a Django dump: one insert per user, so a user is
//! either wholly there or not at all; logins that exist already are skipped,
//! so running it again creates nothing twice.

use std::path::Path;

use anyhow::Context as _;

use super::dump::{self, DjangoUser, Row};
use crate::config::Config;
use crate::db::users::{self, ImportedUser};
use crate::db::Db;
use crate::error::Error;

/// What an import did.
#[derive(Debug, Default)]
pub struct Report {
    pub imported: usize,
    /// Rows whose username or email is already a login here (an earlier
    /// import, a duplicate in the file, or another user).
    pub existing: usize,
    pub rejected: usize,
    /// `line N: rejected: why` for each rejected row, and `line N: skipped:
    /// why` for each skipped row that is not plainly the same username again.
    pub notes: Vec<String>,
}

impl Report {
    /// The closing line: `imported N, skipped M existing, rejected K`.
    pub fn summary(&self) -> String {
        format!(
            "imported {}, skipped {} existing, rejected {}",
            self.imported, self.existing, self.rejected
        )
    }
}

/// Reads the dump at `path` (refusing a file that is not one before touching
/// the database), then imports it into the configured database.
pub async fn import_file(config: &Config, path: &Path) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the Django dump {}", path.display()))?;
    let rows = dump::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let db = Db::connect(config).await?;
    db.migrate().await?;
    let report = import(&db, rows).await;
    db.close().await;
    report
}

/// Imports parsed rows in file order.
pub async fn import(db: &Db, rows: Vec<Row>) -> anyhow::Result<Report> {
    let mut report = Report::default();
    for Row { line, user } in rows {
        let user = match user {
            Ok(u) => u,
            Err(why) => {
                report.rejected += 1;
                report.notes.push(format!("line {line}: rejected: {why}"));
                continue;
            }
        };
        let inserted = users::insert_imported(db, &imported(&user))
            .await
            .map_err(detail)
            .with_context(|| stopped(line, &report))?;
        if inserted.is_some() {
            report.imported += 1;
            continue;
        }
        report.existing += 1;
        let why = why_skipped(db, &user)
            .await
            .map_err(detail)
            .with_context(|| stopped(line, &report))?;
        if let Some(why) = why {
            report.notes.push(format!("line {line}: skipped: {why}"));
        }
    }
    Ok(report)
}

fn imported(u: &DjangoUser) -> ImportedUser<'_> {
    ImportedUser {
        username: &u.username,
        email: &u.email,
        password_hash: &u.password,
        first_name: &u.first_name,
        last_name: &u.last_name,
        is_active: u.is_active,
        is_staff: u.is_staff,
        is_superuser: u.is_superuser,
        date_joined: u.date_joined,
        last_login: u.last_login,
    }
}

fn stopped(line: usize, so_far: &Report) -> String {
    format!(
        "the import stopped at line {line} ({}); running it again is safe",
        so_far.summary()
    )
}

/// Why a user was skipped, unless it is simply there already under the same
/// username (an earlier run).
async fn why_skipped(db: &Db, u: &DjangoUser) -> crate::error::Result<Option<String>> {
    let who = format!("user {:?}", u.username);
    if let Some(there) = users::by_login(db, &u.username).await? {
        if there.user.username == u.username {
            return Ok(None);
        }
        if users::key(&there.user.username) == users::key(&u.username) {
            return Ok(Some(format!(
                "{who}: the username exists already as {:?}",
                there.user.username
            )));
        }
        return Ok(Some(format!(
            "{who}: the username is the email of user {:?}",
            there.user.username
        )));
    }
    if !u.email.is_empty() {
        if let Some(there) = users::by_login(db, &u.email).await? {
            if users::key(&there.user.username) == users::key(&u.email) {
                return Ok(Some(format!(
                    "{who}: the email {:?} is the username of another user",
                    u.email
                )));
            }
            return Ok(Some(format!(
                "{who}: the email {:?} belongs to user {:?} already",
                u.email, there.user.username
            )));
        }
    }
    Ok(Some(format!("{who}: exists already")))
}

/// An error for the operator: internals in full, the rest as its message.
fn detail(e: Error) -> anyhow::Error {
    match e {
        Error::Internal(inner) => inner,
        other => anyhow::anyhow!(other.message()),
    }
}
