//! The one error type of the service layer, with the stable codes both faces use.
//!
//! It knows no face and no database: each face maps it out (`graphql::error`,
//! `rest::error`) and spells `Field` its own way; `db::error` maps database
//! errors into it.
//!
//! `Error` deliberately does not implement `Display`: async-graphql converts
//! any `Display` type into a GraphQL error without extensions, and that would
//! let a resolver's `?` drop the code silently. The conversions that exist
//! (the GraphQL and REST mappings) set the code.

use std::fmt;

/// An input the service names in an error, in no face's spelling: GraphQL
/// spells it camelCase (`graphql::error`), REST snake_case (`rest::error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Username,
    Email,
    Password,
    OldPassword,
    NewPassword,
    FirstName,
    LastName,
    Offset,
    Limit,
    /// An access token given as an input (not as the `Authorization` header).
    Token,
    RefreshToken,
    /// The address an email change asks for.
    NewEmail,
    /// The username-or-email prefix a staff search looks for.
    Search,
    /// A code from an authenticator app, or a recovery code.
    Code,
    /// The challenge a password login handed out (`MFA_REQUIRED`).
    Challenge,
    /// A page's size (events).
    First,
    /// A page's cursor (events).
    After,
    /// Event types asked for.
    Types,
}

impl Field {
    /// The field in prose, for messages ("A user with that email …").
    pub fn noun(self) -> &'static str {
        match self {
            Field::Username => "username",
            Field::Email => "email",
            Field::Password => "password",
            Field::OldPassword => "old password",
            Field::NewPassword => "new password",
            Field::FirstName => "first name",
            Field::LastName => "last name",
            Field::Offset => "offset",
            Field::Limit => "limit",
            Field::Token => "token",
            Field::RefreshToken => "refresh token",
            Field::NewEmail => "email",
            Field::Search => "search",
            Field::Code => "code",
            Field::Challenge => "challenge",
            Field::First => "first",
            Field::After => "after",
            Field::Types => "types",
        }
    }
}

/// MFA_REQUIRED's message (each face adds the challenge its own way).
pub const MFA_REQUIRED_MESSAGE: &str = "A second factor is required: send the challenge with a code from the authenticator app (or a recovery code) to `tokenAuthMfa`, or to `POST /api/token` with `grant_type=urn:gatehouse:grant-type:mfa`.";

/// What went wrong, as a client may be told.
pub enum Error {
    /// No credentials were given where they are needed.
    Unauthenticated,
    /// The caller is known but lacks the right.
    Forbidden,
    /// What the request names does not exist, or is not the caller's to
    /// see (the thing named: "session", "user").
    NotFound(&'static str),
    /// The caller is known, but this action is refused for the reason
    /// given (acting on oneself through an admin operation): FORBIDDEN.
    ForbiddenBecause(&'static str),
    /// The change would break a rule about the state of the service (the
    /// last active superuser): CONFLICT, with no field at fault.
    StateConflict(&'static str),
    /// An input failed validation; `field` says which (each face spells it).
    BadUserInput { field: Field, message: String },
    /// A unique value (username or email) is already taken.
    Conflict { field: Field },
    /// Login failed: unknown user, wrong password or inactive account alike.
    InvalidCredentials,
    /// The token was valid once but has expired.
    TokenExpired,
    /// The token is malformed, forged, revoked, of the wrong kind or unknown.
    TokenInvalid(&'static str),
    /// A used refresh token was presented again; its whole family is revoked.
    TokenReused,
    /// The password was right, but the address is not confirmed and
    /// `GATEHOUSE_REQUIRE_VERIFIED_EMAIL` is on.
    EmailNotVerified,
    /// The password was right, and the account has a second factor: no
    /// tokens yet. `challenge` (single use, minutes) goes back with a code.
    MfaRequired { challenge: String },
    /// A sensitive change needs a recent authentication (with the second
    /// factor when it is on): `reauthenticate` first.
    ReauthenticationRequired,
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
            Error::Forbidden | Error::ForbiddenBecause(_) => "FORBIDDEN",
            Error::NotFound(_) => "NOT_FOUND",
            Error::StateConflict(_) => "CONFLICT",
            Error::BadUserInput { .. } => "BAD_USER_INPUT",
            Error::Conflict { .. } => "CONFLICT",
            Error::InvalidCredentials => "INVALID_CREDENTIALS",
            Error::TokenExpired => "TOKEN_EXPIRED",
            Error::TokenInvalid(_) => "TOKEN_INVALID",
            Error::TokenReused => "TOKEN_REUSED",
            Error::EmailNotVerified => "EMAIL_NOT_VERIFIED",
            Error::MfaRequired { .. } => "MFA_REQUIRED",
            Error::ReauthenticationRequired => "REAUTHENTICATION_REQUIRED",
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
            Error::NotFound(what) => format!("No such {what}."),
            Error::ForbiddenBecause(why) | Error::StateConflict(why) => (*why).into(),
            Error::BadUserInput { message, .. } => message.clone(),
            Error::Conflict { field } => {
                format!("A user with that {} already exists.", field.noun())
            }
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
            Error::EmailNotVerified => "The email address has not been verified: follow the link mailed to it, or ask for a new one.".into(),
            Error::MfaRequired { .. } => MFA_REQUIRED_MESSAGE.into(),
            Error::ReauthenticationRequired => "This change needs a recent login: authenticate again (`reauthenticate`, or `POST /api/users/me/reauthenticate`) with your password, and a code when a second factor is on.".into(),
            Error::Unavailable => "The service is temporarily unavailable; try again.".into(),
            Error::Internal(_) => "Internal server error.".into(),
        }
    }

    /// The input field at fault, for BAD_USER_INPUT and CONFLICT.
    pub fn field(&self) -> Option<Field> {
        match self {
            Error::BadUserInput { field, .. } | Error::Conflict { field } => Some(*field),
            _ => None,
        }
    }

    /// The challenge of MFA_REQUIRED, for the client that logged in.
    pub fn challenge(&self) -> Option<&str> {
        match self {
            Error::MfaRequired { challenge } => Some(challenge),
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

    pub fn bad_input(field: Field, message: impl Into<String>) -> Self {
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

pub type Result<T, E = Error> = std::result::Result<T, E>;
