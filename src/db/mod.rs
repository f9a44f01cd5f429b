//! Database access: one pool type over SQLite (default) or PostgreSQL.
//!
//! `sqlx::Any` cannot carry what we need, so `Db` is an enum and each query
//! is written once in SQL that both databases accept (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT`) and compiled for each pool by `with_pool!`.

pub mod direct;
pub mod email_tokens;
mod error;
pub mod events;
pub mod keys;
pub mod mfa;
pub mod outbox;
pub mod refresh_tokens;
pub mod sessions;
pub mod throttle;
pub mod users;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::config::Config;

/// The SQLite pools: one connection writes (SQLite has a single writer, and a
/// queue in front of it beats SQLITE_BUSY retries), several read (WAL), and
/// a few read-only connections for the hot reads that run on the calling
/// thread (`direct`).
#[derive(Clone, Debug)]
pub struct SqlitePools {
    pub read: SqlitePool,
    pub write: SqlitePool,
    pub direct: Arc<direct::DirectReads>,
    /// The refresh-token rotations, made in batches on `write`.
    pub rotations: refresh_tokens::RotationQueue,
}

/// A handle on the database, cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePools),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the right pool (`read` or `write`) of `$db`.
/// The body is compiled once per database.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, $kind:ident, |$p:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(pools) => {
                let $p = &pools.$kind;
                $body
            }
            $crate::db::Db::Postgres(pool) => {
                let $p = pool;
                $body
            }
        }
    };
}

impl Db {
    /// Opens the database named by `config.database_url` (creating a SQLite
    /// file if needed). Does not migrate.
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        let url = config.database_url.as_str();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(config.db_max_connections)
                .acquire_timeout(config.db_acquire_timeout)
                .connect_lazy(url)
                .context("invalid PostgreSQL URL")?;
            return Ok(Db::Postgres(pool));
        }
        if !url.starts_with("sqlite:") {
            anyhow::bail!(
                "DATABASE_URL must start with sqlite:// or postgres:// (got a URL with another scheme)"
            );
        }
        if url.contains(":memory:") || url.contains("mode=memory") {
            anyhow::bail!("in-memory SQLite is not supported: every acknowledged write must be kept; use a file");
        }
        let opts = SqliteConnectOptions::from_str(url)
            .context("invalid SQLite URL")?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(if config.sqlite_synchronous_full {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            })
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let path = opts.get_filename().display().to_string();
        create_private(opts.get_filename())
            .with_context(|| format!("cannot open the SQLite database at {path}"))?;
        // No ping before handing out a connection: a SQLite connection is a
        // file handle on a worker thread, not a socket that can go stale, and
        // sqlx already pings it when it comes back to the pool. The ping was
        // one of three round trips to the worker thread per query
        // (BENCHMARKS.md). PostgreSQL keeps it: there it finds dead sockets.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(config.db_acquire_timeout)
            .connect_with(opts.clone())
            .await
            .with_context(|| format!("cannot open the SQLite database at {path}"))?;
        let read = SqlitePoolOptions::new()
            .max_connections(config.db_max_connections)
            .test_before_acquire(false)
            .acquire_timeout(config.db_acquire_timeout)
            .connect_with(opts.clone().create_if_missing(false))
            .await
            .with_context(|| format!("cannot open the SQLite database at {path}"))?;
        // One per core: a direct read never waits across an `.await`, so at
        // most one per thread that runs requests is in use at a time.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let direct = direct::DirectReads::open(opts.get_filename(), cores)
            .with_context(|| format!("cannot open the SQLite database at {path}"))?;
        private_sidecars(opts.get_filename());
        Ok(Db::Sqlite(SqlitePools {
            rotations: refresh_tokens::RotationQueue::start(write.clone()),
            read,
            write,
            direct: Arc::new(direct),
        }))
    }

    /// Applies pending migrations. Safe to run twice, and (on PostgreSQL,
    /// which takes an advisory lock) from several processes at once.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(p) => sqlx::migrate!("migrations/sqlite")
                .run(&p.write)
                .await
                .context("migrating the SQLite database")?,
            Db::Postgres(p) => sqlx::migrate!("migrations/postgres")
                .run(p)
                .await
                .context("migrating the PostgreSQL database")?,
        }
        Ok(())
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        with_pool!(self, read, |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .is_ok())
    }

    /// Connections per pool: (name, open, idle), for metrics.
    pub fn pool_stats(&self) -> Vec<(&'static str, u32, usize)> {
        match self {
            Db::Sqlite(p) => vec![
                ("sqlite_read", p.read.size(), p.read.num_idle()),
                ("sqlite_write", p.write.size(), p.write.num_idle()),
            ],
            Db::Postgres(p) => vec![("postgres", p.size(), p.num_idle())],
        }
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => {
                p.read.close().await;
                p.write.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

/// The file a `sqlite:` URL names; `None` for any other URL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    SqliteConnectOptions::from_str(url)
        .ok()
        .map(|o| o.get_filename().to_path_buf())
}

/// A SQLite database file and the two files SQLite keeps beside it in WAL
/// mode (`-wal`, `-shm`), which hold recent writes and so the same secrets.
pub fn sqlite_files(db: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [db.to_path_buf(), with("-wal"), with("-shm")]
}

/// Creates the database file, empty, readable and writable by its owner
/// only (0600, whatever the umask), unless it exists. SQLite creates the
/// `-wal` and `-shm` files with the database file's mode.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_file) => {
            // The umask may have taken bits away: set the mode exactly.
            #[cfg(unix)]
            std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Takes group and other access off the `-wal` and `-shm` files (left by an
/// older version or another program) when the database file has none. A
/// database file others may read is left as its owner made it: `config
/// check` and start-up warn about it.
fn private_sidecars(db: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let Ok(meta) = std::fs::metadata(db) else {
            return;
        };
        if meta.permissions().mode() & 0o077 != 0 {
            return;
        }
        for file in &sqlite_files(db)[1..] {
            let Ok(meta) = std::fs::metadata(file) else {
                continue;
            };
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                let private = std::fs::Permissions::from_mode(mode & 0o700);
                if let Err(e) = std::fs::set_permissions(file, private) {
                    tracing::warn!(file = %file.display(), error = %e, "could not make the file private to its owner");
                }
            }
        }
    }
}

/// The rows a batch script returned, each with its place in the batch
/// (`slot`), as one answer per place (`None`: no row for it); a slot out
/// of range is ignored.
pub(crate) fn by_slot<T>(
    places: usize,
    rows: impl IntoIterator<Item = (i64, T)>,
) -> Vec<Option<T>> {
    let mut answers: Vec<Option<T>> = (0..places).map(|_| None).collect();
    for (slot, row) in rows {
        if let Some(answer) = usize::try_from(slot).ok().and_then(|s| answers.get_mut(s)) {
            *answer = Some(row);
        }
    }
    answers
}

/// Deletes at most `batch` rows of `table` matching `condition` (SQL in
/// which `$1` is `before`); how many it deleted. The housekeeping purges
/// call it until a batch comes back short, pausing between batches: one
/// statement never holds SQLite's write lock (or a PostgreSQL table's rows)
/// for long, however many rows are due. `table` and `condition` are this
/// crate's constants, never input.
pub(crate) async fn purge_batch(
    db: &Db,
    table: &'static str,
    condition: &'static str,
    before: i64,
    batch: i64,
) -> crate::error::Result<u64> {
    let row = match db {
        Db::Sqlite(_) => "rowid",
        Db::Postgres(_) => "ctid",
    };
    let sql = format!(
        "DELETE FROM {table} WHERE {row} IN \
         (SELECT {row} FROM {table} WHERE {condition} LIMIT $2)"
    );
    Ok(with_pool!(db, write, |p| sqlx::query(&sql)
        .bind(before)
        .bind(batch)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
}

/// Runs `f` on the calling thread when `db` is SQLite (see `direct`);
/// `None` when the query must go through the pool instead (PostgreSQL, or
/// SQLite busy).
pub(crate) fn direct<T>(
    db: &Db,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
) -> Option<crate::error::Result<T>> {
    let Db::Sqlite(pools) = db else { return None };
    match pools.direct.run(f) {
        Ok(v) => Some(Ok(v)),
        Err(direct::DirectError::Failed(e)) => Some(Err(e)),
        Err(direct::DirectError::Busy) => None,
    }
}

/// A migrated SQLite database in a temporary folder (unit tests).
#[cfg(test)]
pub(crate) async fn scratch_sqlite() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        database_url: format!("sqlite://{}/t.db", dir.path().display()),
        ..Default::default()
    };
    let db = Db::connect(&config).await.unwrap();
    db.migrate().await.unwrap();
    (dir, db)
}

/// A scratch SQLite database with one plain user, `alice` (unit tests of
/// the tables that belong to a user): the folder, the database, her id.
#[cfg(test)]
pub(crate) async fn scratch_with_user() -> (tempfile::TempDir, Db, i64) {
    let (dir, db) = scratch_sqlite().await;
    let new = users::NewUser {
        first_name: "",
        last_name: "",
        username: "alice",
        email: "",
        password_hash: "x",
        is_staff: false,
        is_superuser: false,
        email_verified: false,
        now: 0,
    };
    let id = users::insert(&db, &new, &Default::default())
        .await
        .unwrap()
        .id;
    (dir, db, id)
}

#[cfg(all(test, unix))]
mod file_modes {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// The database and its -wal and -shm files are the owner's alone, also
    /// when a -wal left by an older version was readable by others.
    #[tokio::test]
    async fn the_database_and_its_wal_and_shm_files_are_private() {
        let (dir, db) = scratch_sqlite().await;
        let files = sqlite_files(&dir.path().join("t.db"));
        for f in &files {
            assert_eq!(mode(f), 0o600, "{}", f.display());
        }
        std::fs::set_permissions(&files[1], std::fs::Permissions::from_mode(0o644)).unwrap();
        let config = Config {
            database_url: format!("sqlite://{}/t.db", dir.path().display()),
            ..Default::default()
        };
        let again = Db::connect(&config).await.unwrap();
        assert_eq!(mode(&files[1]), 0o600);
        again.close().await;
        db.close().await;
    }

    #[test]
    fn sqlite_paths_come_from_sqlite_urls_only() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/g.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/g.db"))
        );
        assert_eq!(sqlite_path("postgres://u:p@h/db"), None);
    }
}

/// Which unique constraint a database error violated, if any.
pub(crate) fn unique_violation(e: &sqlx::Error) -> Option<String> {
    let db = e.as_database_error()?;
    if !db.is_unique_violation() {
        return None;
    }
    // PostgreSQL names the index; SQLite names the columns in the message.
    Some(
        db.constraint()
            .map(str::to_owned)
            .unwrap_or_else(|| db.message().to_owned()),
    )
}
