//! The one JSON error body of the non-token endpoints, and how a service
//! error becomes it (status, code, per-field messages, `WWW-Authenticate`).
//!
//! Each operation declares which error statuses it can answer with (a marker
//! type listing them), so the spec documents exactly those; the body and the
//! mapping are shared.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use poem::http::{header, HeaderName, HeaderValue, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::payload::{Json, Payload as _};
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::{Example, Type as _};
use poem_openapi::{ApiResponse, Object};

use crate::error::{Error, Field};

/// The body of every error response outside `/api/token*`.
#[derive(Object)]
#[oai(example)]
pub struct ErrorBody {
    /// A stable, machine-readable code: the same codes as GraphQL's
    /// `extensions.code` (`BAD_USER_INPUT`, `CONFLICT`, `UNAUTHENTICATED`,
    /// `TOKEN_EXPIRED`, `TOKEN_INVALID`, `TOKEN_REUSED`, `FORBIDDEN`,
    /// `SERVICE_UNAVAILABLE`, `INTERNAL`), plus the transport-level
    /// `BAD_REQUEST`, `NOT_FOUND`, `METHOD_NOT_ALLOWED`, `PAYLOAD_TOO_LARGE`
    /// and `UNSUPPORTED_MEDIA_TYPE`.
    pub code: String,
    /// A human-readable explanation; never contains secrets or internals.
    pub message: String,
    /// For `BAD_USER_INPUT` and `CONFLICT` only: the message for each input
    /// field at fault, keyed by the field's name in the request body or query.
    #[oai(skip_serializing_if_is_none)]
    pub fields: Option<BTreeMap<String, String>>,
    /// For `MFA_REQUIRED` only (a login whose password was right, on an
    /// account with a second factor): the challenge to send back with a
    /// code, once, within five minutes.
    #[oai(skip_serializing_if_is_none)]
    pub challenge: Option<String>,
}

impl Example for ErrorBody {
    fn example() -> Self {
        let message = "Enter a valid email address.".to_owned();
        Self {
            code: "BAD_USER_INPUT".into(),
            fields: Some(BTreeMap::from([("email".into(), message.clone())])),
            message,
            challenge: None,
        }
    }
}

/// The challenge sent with every 401 (RFC 6750 section 3).
const REALM: &str = r#"Bearer realm="gatehouse""#;

/// Builds a JSON error response with the headers that go with it
/// (`WWW-Authenticate` on a 401, `Retry-After` on a 429).
pub fn response(
    status: StatusCode,
    body: ErrorBody,
    headers: Vec<(HeaderName, String)>,
) -> Response {
    let mut resp = Json(body).with_status(status).into_response();
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(name, value);
        }
    }
    resp
}

/// The statuses an operation can fail with, for its spec.
pub trait Statuses: 'static {
    const STATUSES: &'static [u16];
}

macro_rules! statuses {
    ($($(#[$doc:meta])* $name:ident: [$($s:literal),*];)*) => {$(
        $(#[$doc])*
        pub enum $name {}
        impl Statuses for $name {
            const STATUSES: &'static [u16] = &[$($s),*];
        }
    )*};
}
// The Django REST face declares its operations' statuses the same way.
pub(crate) use statuses;

statuses! {
    /// `POST /api/users`.
    SignUpErrors: [400, 409, 413, 415, 422, 429, 500, 503];
    /// Authenticated operations without a body.
    AuthErrors: [401, 500, 503];
    /// `PATCH /api/users/me`.
    UpdateErrors: [400, 401, 409, 413, 415, 422, 429, 500, 503];
    /// `POST /api/users/me/password`.
    PasswordErrors: [400, 401, 403, 413, 415, 422, 429, 500, 503];
    /// `/api/users/me/mfa/…`, `/api/users/me/reauthenticate`.
    MfaErrors: [400, 401, 403, 409, 413, 415, 422, 429, 500, 503];
    /// `GET /api/users/me/mfa/totp/qr`.
    QrErrors: [401, 403, 409, 500, 503];
    /// `DELETE /api/users/me/sessions/{id}`.
    SessionErrors: [401, 404, 500, 503];
    /// `GET /api/users`, `GET /api/events`.
    StaffErrors: [400, 401, 403, 422, 500, 503];
    /// `GET /api/users/me/events`.
    OwnEventErrors: [400, 401, 422, 500, 503];
    /// `POST /api/account/verify`, `…/password-reset/confirm`, `…/email/confirm`.
    LinkErrors: [400, 409, 413, 415, 422, 500, 503];
    /// `POST /api/account/verify/resend`, `…/password-reset`.
    MailErrors: [400, 413, 415, 422, 429, 500, 503];
    /// `POST /api/users/me/email`.
    EmailChangeErrors: [400, 401, 403, 409, 413, 415, 422, 429, 500, 503];
    /// `GET /api/users/{id}`.
    UserErrors: [401, 403, 404, 500, 503];
    /// The admin operations on `/api/users/{id}…` without a body.
    AdminErrors: [401, 403, 404, 409, 500, 503];
    /// The admin operations on `/api/users/{id}…` with a body.
    AdminBodyErrors: [400, 401, 403, 404, 409, 413, 415, 422, 500, 503];
    /// `DELETE /api/users/me`.
    DeleteMeErrors: [400, 401, 403, 413, 415, 422, 429, 500, 503];
}

fn describe(status: u16) -> &'static str {
    match status {
        400 => {
            "BAD_REQUEST: the body is not valid JSON, has a value of the wrong type, \
                lacks a required field or has an unknown one, or a query parameter \
                is not a number. On the endpoints that take a mailed link's token: \
                TOKEN_EXPIRED (an old link) or TOKEN_INVALID (a malformed, unknown, used \
                or replaced link, one meant for another purpose, or one sent to an \
                address the account no longer has)."
        }
        401 => {
            "UNAUTHENTICATED (no `Authorization` header), or TOKEN_EXPIRED / \
                TOKEN_INVALID (malformed, forged, revoked, or the user is inactive). \
                The `WWW-Authenticate` header carries the RFC 6750 challenge."
        }
        403 => {
            "FORBIDDEN: the caller is authenticated but lacks the right (is not staff; \
                is not a superuser where one is needed, or the user acted on is staff; \
                or acts on themselves through an admin operation). \
                REAUTHENTICATION_REQUIRED: a password or email change, turning the second \
                factor off, new recovery codes or deleting the account need a login at most \
                `GATEHOUSE_REAUTH_MAX_AGE_SECS` old, with the second factor when it is on: \
                `POST /api/users/me/reauthenticate` first. MFA_REQUIRED (a login only): the \
                password is right, and a code is needed (`challenge`)."
        }
        404 => {
            "NOT_FOUND: no user has that id, or no such session among the caller's live sessions."
        }
        409 => {
            "CONFLICT: the username or email is already taken (`fields` names which), \
                or the change would leave no active superuser."
        }
        413 => {
            "PAYLOAD_TOO_LARGE: the body is larger than the server's limit \
                (`GATEHOUSE_MAX_BODY_BYTES`, 64 KiB by default)."
        }
        415 => "UNSUPPORTED_MEDIA_TYPE: send the body as `application/json`.",
        422 => {
            "BAD_USER_INPUT: a value breaks a rule (password policy, email format, \
                page bounds); `fields` holds the message per field."
        }
        429 => {
            "RATE_LIMITED: too many attempts (logins, sign-ups, password or email \
             changes, mail asked for: one of a kind per address per \
             `GATEHOUSE_MAIL_MIN_INTERVAL_SECS`); retry after the seconds in `Retry-After`."
        }
        503 => "SERVICE_UNAVAILABLE: the database did not answer in time; retry.",
        _ => "INTERNAL: an unexpected error, logged on the server.",
    }
}

/// A failed operation, declared in the spec with the statuses of `S`.
pub struct Problem<S> {
    status: StatusCode,
    body: ErrorBody,
    headers: Vec<(HeaderName, String)>,
    // `fn() -> S`: a marker only, so Problem is Send + Sync whatever S is.
    _declared: PhantomData<fn() -> S>,
}

/// How REST spells a field: snake_case, as the bodies and queries do.
pub fn rest_field(field: Field) -> &'static str {
    match field {
        Field::Username => "username",
        Field::Email => "email",
        Field::Password => "password",
        Field::OldPassword => "old_password",
        Field::NewPassword => "new_password",
        Field::FirstName => "first_name",
        Field::LastName => "last_name",
        Field::Offset => "offset",
        Field::Limit => "limit",
        Field::Token => "token",
        Field::RefreshToken => "refresh_token",
        Field::NewEmail => "new_email",
        Field::Search => "search",
        Field::Code => "code",
        Field::Challenge => "challenge",
        Field::First => "first",
        Field::After => "after",
        Field::Types => "types",
    }
}

/// RFC 6750's `error_description` is a quoted string: keep it printable ASCII
/// without quotes or backslashes.
fn quotable(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '?',
        })
        .collect()
}

impl<S> From<Error> for Problem<S> {
    fn from(e: Error) -> Self {
        e.log();
        let (status, challenge) = match &e {
            Error::Unauthenticated => (StatusCode::UNAUTHORIZED, Some(REALM.to_owned())),
            Error::InvalidCredentials
            | Error::TokenExpired
            | Error::TokenInvalid(_)
            | Error::TokenReused => {
                let c = format!(
                    r#"{REALM}, error="invalid_token", error_description="{}""#,
                    quotable(&e.message())
                );
                (StatusCode::UNAUTHORIZED, Some(c))
            }
            Error::Forbidden
            | Error::ForbiddenBecause(_)
            | Error::EmailNotVerified
            | Error::MfaRequired { .. }
            | Error::ReauthenticationRequired => (StatusCode::FORBIDDEN, None),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, None),
            Error::StateConflict(_) => (StatusCode::CONFLICT, None),
            Error::BadUserInput { .. } => (StatusCode::UNPROCESSABLE_ENTITY, None),
            Error::Conflict { .. } => (StatusCode::CONFLICT, None),
            Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, None),
            Error::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, None),
            Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, None),
        };
        let mut headers = Vec::new();
        if let Some(c) = challenge {
            headers.push((header::WWW_AUTHENTICATE, c));
        }
        if let Some(secs) = e.retry_after() {
            headers.push((header::RETRY_AFTER, secs.max(1).to_string()));
        }
        let fields = e
            .field()
            .map(|f| BTreeMap::from([(rest_field(f).to_owned(), e.message())]));
        Self {
            status,
            body: ErrorBody {
                code: e.code().to_owned(),
                message: e.message(),
                fields,
                challenge: e.challenge().map(str::to_owned),
            },
            headers,
            _declared: PhantomData,
        }
    }
}

impl<S> Problem<S> {
    /// A service error from an operation that takes a mailed link's token:
    /// a bad token is a 400 (the request's input), not a 401 (a link token
    /// is no credential, and a client must not answer it by refreshing).
    pub fn of_link(e: Error) -> Self {
        let mut problem = Self::from(e);
        if problem.status == StatusCode::UNAUTHORIZED
            && matches!(
                problem.body.code.as_str(),
                "TOKEN_INVALID" | "TOKEN_EXPIRED"
            )
        {
            problem.status = StatusCode::BAD_REQUEST;
            problem
                .headers
                .retain(|(name, _)| name != header::WWW_AUTHENTICATE);
        }
        problem
    }
}

impl<S> IntoResponse for Problem<S> {
    fn into_response(self) -> Response {
        response(self.status, self.body, self.headers)
    }
}

impl<S> From<Problem<S>> for poem::Error {
    fn from(p: Problem<S>) -> Self {
        poem::Error::from_response(p.into_response())
    }
}

/// The headers documented with an error status: on a 401 the
/// `WWW-Authenticate` challenge (described by `challenge`), on a 429
/// `Retry-After`. The Django REST face documents its own with it.
pub(crate) fn documented_headers(status: u16, challenge: &str) -> Vec<MetaHeader> {
    let header = |name: &str, description: &str| MetaHeader {
        // Upper case, as poem-openapi writes the other response headers.
        name: name.to_owned(),
        description: Some(description.to_owned()),
        required: true,
        deprecated: false,
        schema: String::schema_ref(),
    };
    match status {
        401 => vec![header("WWW-AUTHENTICATE", challenge)],
        429 => vec![header(
            "RETRY-AFTER",
            "Seconds to wait before trying again.",
        )],
        _ => Vec::new(),
    }
}

/// REST's challenge, as `documented_headers` describes it.
const CHALLENGE_DOC: &str = "`Bearer realm=\"gatehouse\"`, with `error=\"invalid_token\"` \
     and an `error_description` when a token was presented.";

impl<S: Statuses> ApiResponse for Problem<S> {
    fn meta() -> MetaResponses {
        let responses = S::STATUSES
            .iter()
            .map(|&status| MetaResponse {
                description: describe(status),
                status: Some(status),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: Json::<ErrorBody>::CONTENT_TYPE,
                    schema: ErrorBody::schema_ref(),
                }],
                headers: documented_headers(status, CHALLENGE_DOC),
            })
            .collect();
        MetaResponses { responses }
    }

    fn register(registry: &mut Registry) {
        ErrorBody::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_field_names_are_spelled_as_the_rest_bodies_spell_them() {
        assert_eq!(rest_field(Field::Email), "email");
        assert_eq!(rest_field(Field::FirstName), "first_name");
        assert_eq!(rest_field(Field::OldPassword), "old_password");
    }

    #[test]
    fn challenges_never_break_out_of_their_quotes() {
        assert_eq!(quotable(r#"a "b" \c"#), "a 'b' 'c");
        assert_eq!(quotable("é\n"), "??");
    }
}
