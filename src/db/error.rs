//! How a database error becomes a service error: the database going away is
//! SERVICE_UNAVAILABLE (retry), anything else is INTERNAL (logged in full).

use crate::error::Error;

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::WorkerCrashed => Error::Unavailable,
            // PostgreSQL going away: connection exceptions (class 08), admin or
            // crash shutdown and "cannot connect now" (57P01-57P03), too many
            // connections (53300). The pool reconnects once it is back.
            sqlx::Error::Database(ref db)
                if db.code().is_some_and(|c| {
                    c.starts_with("08") || c.starts_with("57P") || c == "53300"
                }) =>
            {
                Error::Unavailable
            }
            other => Error::Internal(other.into()),
        }
    }
}
