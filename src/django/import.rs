//! Creating users from a Django dump: one statement per user, so a user is
//! either wholly there or not at all, in transactions of a batch of users;
//! logins that exist already are skipped, so running it again creates
//! nothing twice.

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

/// Users per transaction (and per message from the reading thread).
const BATCH: usize = 500;

/// Imports the dump at `path`, streaming: the file is read twice, never
/// held whole. First it is checked (a file that is not a dump is refused
/// before the database is touched); then a thread reads and checks rows
/// while batches of [`BATCH`] users are inserted, one transaction each.
/// Memory: a few batches, whatever the file's size.
pub async fn import_file(config: &Config, path: &Path) -> anyhow::Result<Report> {
    let shown = path.display().to_string();
    // A pipe (`/dev/stdin`, `<(zcat users.json.gz)`, a FIFO) can be read
    // once: it is copied to a private temporary file first.
    // The copy is deleted when the import ends, an error or a signal
    // (SIGTERM, Ctrl-C: see `import_file`'s caller, `interruptible`).
    let spooled = match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => {
            let (spool, mut to) = Spool::create().with_context(|| {
                format!(
                    "cannot make a temporary copy of the Django dump {shown} in {}",
                    std::env::temp_dir().display()
                )
            })?;
            let from = path.to_owned();
            tokio::task::spawn_blocking(move || {
                std::io::copy(&mut std::fs::File::open(from)?, &mut to)
            })
            .await?
            .with_context(|| {
                format!(
                    "cannot copy the Django dump {shown} to {}",
                    spool.path.display()
                )
            })?;
            Some(spool)
        }
        _ => None,
    };
    let path = spooled.as_ref().map_or(path, |s| s.path.as_path());
    let open = || {
        std::fs::File::open(path)
            .map(|f| std::io::BufReader::with_capacity(1 << 20, f))
            .with_context(|| format!("cannot read the Django dump {shown}"))
    };
    let file = open()?;
    tokio::task::spawn_blocking(move || dump::check(file))
        .await?
        .map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    let file = open()?;
    let db = Db::connect(config).await?;
    db.migrate().await?;
    // On SQLite the batches go through a connection of the import's own,
    // on a blocking thread (see `users::insert_imported_batch_sqlite`).
    let mut writer = match crate::db::sqlite_path(&config.database_url) {
        Some(file) => Some(
            crate::db::direct::open_writer(&file, config.sqlite_synchronous_full).with_context(
                || format!("cannot open the SQLite database at {}", file.display()),
            )?,
        ),
        None => None,
    };
    let (batches, mut received) = tokio::sync::mpsc::channel::<Result<Vec<Row>, String>>(4);
    let reader = std::thread::spawn(move || {
        let mut elements = dump::Elements::new(file);
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            match elements.next_element() {
                Ok(Some(element)) => {
                    batch.push(dump::row(&element));
                    if batch.len() == BATCH
                        && batches
                            .blocking_send(Ok(std::mem::replace(
                                &mut batch,
                                Vec::with_capacity(BATCH),
                            )))
                            .is_err()
                    {
                        return;
                    }
                }
                Ok(None) => {
                    let _ = batches.blocking_send(Ok(batch));
                    return;
                }
                Err(e) => {
                    let _ = batches.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    let mut report = Report::default();
    let mut outcome = Ok(());
    while let Some(batch) = received.recv().await {
        let step = match batch {
            Ok(rows) => import_batch(&db, &mut writer, &mut report, rows).await,
            // The file changed since it was checked, or cannot be read.
            Err(e) => Err(anyhow::anyhow!(
                "{shown} changed while it was imported ({e}): the import stopped ({}); \
                 running it again is safe",
                report.summary()
            )),
        };
        if let Err(e) = step {
            outcome = Err(e);
            break;
        }
    }
    drop(received);
    let _ = reader.join();
    db.close().await;
    outcome.map(|()| report)
}

/// Imports parsed rows in file order (the rows of a dump held in memory).
pub async fn import(db: &Db, rows: Vec<Row>) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        import_batch(
            db,
            &mut None,
            &mut report,
            rows.by_ref().take(BATCH).collect(),
        )
        .await?;
    }
    Ok(report)
}

/// Imports one batch of rows: their users in one transaction (one by one
/// when the batch runs into a name another user took meanwhile), then the
/// notes for rejected and skipped rows, in file order. `writer`: SQLite's
/// own connection (taken for the batch and put back).
async fn import_batch(
    db: &Db,
    writer: &mut Option<rusqlite::Connection>,
    report: &mut Report,
    rows: Vec<Row>,
) -> anyhow::Result<()> {
    let Some(first_line) = rows.first().map(|r| r.line) else {
        return Ok(());
    };
    let (rows, batch) = match writer.take() {
        Some(mut conn) => {
            let (conn, rows, batch) = tokio::task::spawn_blocking(move || {
                let users: Vec<ImportedUser<'_>> = rows
                    .iter()
                    .filter_map(|r| r.user.as_ref().ok())
                    .map(imported)
                    .collect();
                let batch = users::insert_imported_batch_sqlite(&mut conn, &users);
                drop(users);
                (conn, rows, batch)
            })
            .await?;
            *writer = Some(conn);
            (rows, batch)
        }
        None => {
            let users: Vec<ImportedUser<'_>> = rows
                .iter()
                .filter_map(|r| r.user.as_ref().ok())
                .map(imported)
                .collect();
            let batch = users::insert_imported_batch(db, &users).await;
            drop(users);
            (rows, batch)
        }
    };
    let users: Vec<ImportedUser<'_>> = rows
        .iter()
        .filter_map(|r| r.user.as_ref().ok())
        .map(imported)
        .collect();
    let ids = match batch
        .map_err(detail)
        .with_context(|| stopped(first_line, report))?
    {
        Some(ids) => ids,
        None => {
            let mut ids = Vec::with_capacity(users.len());
            for (u, row) in users.iter().zip(rows.iter().filter(|r| r.user.is_ok())) {
                let id = users::insert_imported(db, u)
                    .await
                    .map_err(detail)
                    .with_context(|| stopped(row.line, report))?;
                ids.push(id);
            }
            ids
        }
    };
    let mut ids = ids.into_iter();
    for Row { line, user } in &rows {
        let user = match user {
            Ok(u) => u,
            Err(why) => {
                report.rejected += 1;
                report.notes.push(format!("line {line}: rejected: {why}"));
                continue;
            }
        };
        if ids.next().flatten().is_some() {
            report.imported += 1;
            continue;
        }
        report.existing += 1;
        let why = why_skipped(db, user)
            .await
            .map_err(detail)
            .with_context(|| stopped(*line, report))?;
        if let Some(why) = why {
            report.notes.push(format!("line {line}: skipped: {why}"));
        }
    }
    Ok(())
}

/// A copy of a dump that can only be read once (a pipe), in a file only
/// this user may read (it holds password hashes), deleted when dropped.
struct Spool {
    path: std::path::PathBuf,
}

impl Spool {
    /// A new, empty copy (only this user may read it) and its file to
    /// write; the caller holds the `Spool`, so the file goes when it does.
    fn create() -> std::io::Result<(Self, std::fs::File)> {
        let mut name = [0u8; 12];
        getrandom::getrandom(&mut name).map_err(std::io::Error::other)?;
        let name: String = name.iter().map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!("gatehouse-import-{name}.json"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let to = options.open(&path)?;
        Ok((Self { path }, to))
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
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
