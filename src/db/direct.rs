//! SQLite reads on the request path, run on the calling thread.
//!
//! sqlx runs every SQLite statement on a worker thread of its own and hands
//! the statement and the rows across threads: two thread wake-ups per round
//! trip, and a second round trip (a ping) whenever a connection goes back to
//! its pool. For a primary-key lookup that SQLite answers in a few
//! microseconds, those hand-offs were most of the cost of an authenticated
//! request (BENCHMARKS.md). The few hot reads therefore run here instead: on
//! a small set of read-only connections of the same file, directly on the
//! thread that asks, each statement its own read transaction, so a read
//! sees every write committed before it started (exactly as through sqlx).
//!
//! A connection is held for one statement (microseconds), never across an
//! `.await`. When SQLite answers BUSY or LOCKED (rare in WAL mode: recovery
//! after a crash, a checkpoint resetting the log), the caller falls back to
//! the sqlx pool, which waits with the configured busy timeout off the
//! request thread.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::error::Error;

/// Read-only connections for reads on the calling thread.
pub struct DirectReads {
    conns: Box<[Mutex<Connection>]>,
    next: AtomicUsize,
}

impl std::fmt::Debug for DirectReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectReads")
            .field("connections", &self.conns.len())
            .finish()
    }
}

/// Why a direct read gave no answer.
#[derive(Debug)]
pub enum DirectError {
    /// The database is busy or locked: read through the pool instead.
    Busy,
    /// Anything else, for the caller to report.
    Failed(Error),
}

impl From<rusqlite::Error> for DirectError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => DirectError::Busy,
            // The file cannot be read (disk, permissions): as through sqlx,
            // the service is unavailable rather than broken.
            Some(ErrorCode::SystemIoFailure | ErrorCode::CannotOpen) => {
                tracing::warn!(error = %e, "reading the SQLite database failed");
                DirectError::Failed(Error::Unavailable)
            }
            _ => DirectError::Failed(Error::internal(e)),
        }
    }
}

/// A writing connection of the caller's own to the SQLite file at `path`,
/// used on the calling thread (the Django import's: its batches go
/// straight to SQLite, not row by row through sqlx's worker thread). It
/// waits up to 5 s for the server's writes, like the pool's connections,
/// and keeps the same durability (`GATEHOUSE_SQLITE_SYNCHRONOUS`).
pub fn open_writer(path: &Path, synchronous_full: bool) -> rusqlite::Result<Connection> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(std::time::Duration::from_secs(5))?;
    c.execute_batch(if synchronous_full {
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
    } else {
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
    })?;
    Ok(c)
}

impl DirectReads {
    /// Opens `count` read-only connections to the SQLite file at `path`.
    pub fn open(path: &Path, count: usize) -> rusqlite::Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conns = (0..count.max(1))
            .map(|_| {
                let c = Connection::open_with_flags(path, flags)?;
                // Never wait on the request thread: BUSY falls back to the pool.
                c.busy_timeout(std::time::Duration::ZERO)?;
                c.set_prepared_statement_cache_capacity(16);
                Ok(Mutex::new(c))
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Self {
            conns: conns.into_boxed_slice(),
            next: AtomicUsize::new(0),
        })
    }

    /// Runs `f` on a free connection (waiting for one only if all are in
    /// use, which lasts a statement's time).
    pub fn run<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, DirectError> {
        let n = self.conns.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        for i in 0..n {
            if let Ok(conn) = self.conns[(start + i) % n].try_lock() {
                return f(&conn).map_err(DirectError::from);
            }
        }
        // A poisoned lock only means a panic elsewhere while it was held; the
        // connection itself is still consistent (each statement is atomic).
        let conn = self.conns[start]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&conn).map_err(DirectError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_and_locked_fall_back_and_nothing_else_does() {
        let failure = |code| {
            DirectError::from(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            ))
        };
        assert!(matches!(
            failure(rusqlite::ffi::SQLITE_BUSY),
            DirectError::Busy
        ));
        assert!(matches!(
            failure(rusqlite::ffi::SQLITE_LOCKED),
            DirectError::Busy
        ));
        assert!(matches!(
            failure(rusqlite::ffi::SQLITE_IOERR),
            DirectError::Failed(Error::Unavailable)
        ));
        assert!(matches!(
            failure(rusqlite::ffi::SQLITE_CORRUPT),
            DirectError::Failed(Error::Internal(_))
        ));
        assert!(matches!(
            DirectError::from(rusqlite::Error::InvalidColumnIndex(99)),
            DirectError::Failed(_)
        ));
    }

    #[test]
    fn connections_are_read_only_and_shared_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let rw = Connection::open(&path).unwrap();
        rw.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7);",
        )
        .unwrap();
        let reads = DirectReads::open(&path, 2).unwrap();
        let x: i64 = reads
            .run(|c| c.query_row("SELECT x FROM t", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(x, 7);
        // A write through these connections is refused by SQLite itself.
        let write = reads.run(|c| c.execute("INSERT INTO t VALUES (8)", []));
        assert!(matches!(write, Err(DirectError::Failed(_))));
        // Held connections do not block: the other one is used.
        let held = reads.conns[0].lock().unwrap();
        let x: i64 = reads
            .run(|c| c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(x, 1);
        drop(held);
    }
}
