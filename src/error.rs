//! The one error type of the service layer, with the stable codes both faces use.
//!
//! `Error` deliberately does not implement `Display`: async-graphql converts
//! any `Display` type into a GraphQL error without extensions, and that would
//! let a resolver's `?` drop the code silently. The conversions that exist
//! (`From<Error> for async_graphql::Error`, the REST mapping) set the code.

use std::fmt;

use async_graphql::ErrorExtensions as _;

/// What went wrong, as a client may be told.
pub enum Error {
    /// No credentials were given where they are needed.
    Unauthenticated,
    /// The caller is known but lacks the right.
    Forbidden,
    /// An input failed validation; `field` names it as the API spells it.
    BadUserInput {
        field: &'static str,
        message: String,
    },
    /// A unique value (username or email) is already taken.
    Conflict { field: &'static str },
    /// Login failed: unknown user, wrong password or inactive account alike.
    InvalidCredentials,
    /// The token was valid once but has expired.
    TokenExpired,
    /// The token is malformed, forged, revoked, of the wrong kind or unknown.
    TokenInvalid(&'static str),
    /// A used refresh token was presented again; its whole family is revoked.
    TokenReused,
    /// Too many attempts: try again after this many seconds.
    RateLimited { retry_after: i64 },
    /// The database did not answer in time.
    Unavailable,
    /// Anything else: logged in full, shown to the client as a generic message.
    Internal(anyhow::Error),
}

impl Error {
    /// The stable, machine-readable code (`extensions.code` in GraphQL).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "UNAUTHENTICATED",
            Error::Forbidden => "FORBIDDEN",
            Error::BadUserInput { .. } => "BAD_USER_INPUT",
            Error::Conflict { .. } => "CONFLICT",
            Error::InvalidCredentials => "INVALID_CREDENTIALS",
            Error::TokenExpired => "TOKEN_EXPIRED",
            Error::TokenInvalid(_) => "TOKEN_INVALID",
            Error::TokenReused => "TOKEN_REUSED",
            Error::RateLimited { .. } => "RATE_LIMITED",
            Error::Unavailable => "SERVICE_UNAVAILABLE",
            Error::Internal(_) => "INTERNAL",
        }
    }

    /// The message shown to the client. Never includes secrets or internals.
    pub fn message(&self) -> String {
        match self {
            Error::Unauthenticated => {
                "Authentication required: send `Authorization: Bearer <token>`.".into()
            }
            Error::Forbidden => "You do not have permission to perform this action.".into(),
            Error::BadUserInput { message, .. } => message.clone(),
            Error::Conflict { field } => format!("A user with that {field} already exists."),
            Error::InvalidCredentials => "Please enter valid credentials.".into(),
            Error::TokenExpired => "The token has expired.".into(),
            Error::TokenInvalid(why) => format!("The token is invalid: {why}."),
            Error::TokenReused => {
                "The refresh token was already used; every token of that login has been revoked."
                    .into()
            }
            Error::RateLimited { retry_after } => {
                format!("Too many attempts; try again in {retry_after} seconds.")
            }
            Error::Unavailable => "The service is temporarily unavailable; try again.".into(),
            Error::Internal(_) => "Internal server error.".into(),
        }
    }

    /// The input field at fault, for BAD_USER_INPUT and CONFLICT.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::BadUserInput { field, .. } | Error::Conflict { field } => Some(field),
            _ => None,
        }
    }

    /// Seconds until a RATE_LIMITED caller may try again.
    pub fn retry_after(&self) -> Option<i64> {
        match self {
            Error::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        Error::BadUserInput {
            field,
            message: message.into(),
        }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Error::Internal(e.into())
    }

    /// Logs what the client will not see: internals in full.
    pub fn log(&self) {
        match self {
            Error::Internal(e) => tracing::error!(error = ?e, "internal error"),
            Error::Unavailable => tracing::warn!("database unavailable"),
            _ => {}
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Internal(e) => write!(f, "Internal({e:?})"),
            other => write!(f, "{}({})", other.code(), other.message()),
        }
    }
}

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

impl From<Error> for async_graphql::Error {
    fn from(e: Error) -> Self {
        e.log();
        let code = e.code();
        let field = e.field();
        let retry_after = e.retry_after();
        async_graphql::Error::new(e.message()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(field) = field {
                ext.set("field", field);
            }
            if let Some(secs) = retry_after {
                ext.set("retryAfter", secs);
            }
        })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
