//! DRF's error shapes, and how a service error becomes one.
//!
//! Django REST framework answers `{"detail": "..."}` (with `"code"` for a
//! bad token, as simplejwt adds it), `{"field": ["message", ...]}` for a
//! serializer's validation, and seed 004's login view its own
//! `{"error": "..."}`. One schema (`DrfError`) covers the three; each
//! operation declares the statuses it can answer with.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use poem::http::{header, HeaderValue, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::payload::{Json, Payload as _};
use poem_openapi::registry::{
    MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type as _;
use poem_openapi::ApiResponse;
use serde_json::{json, Value};

use crate::error::{Error, Field, MFA_REQUIRED_MESSAGE};
use crate::rest::error::{documented_headers, rest_field, statuses, Statuses};

/// The challenge of a 401, as simplejwt sends it.
pub const CHALLENGE: &str = r#"Bearer realm="api""#;

/// simplejwt's answer to a bad, used or expired token given in a body.
pub const TOKEN_NOT_VALID: &str = "Token is invalid or expired";
/// simplejwt's answer to a bad token in the `Authorization` header.
pub const HEADER_TOKEN_NOT_VALID: &str = "Given token not valid for any token type";
/// DRF's answer when a protected view gets no token.
pub const NOT_PROVIDED: &str = "Authentication credentials were not provided.";
/// simplejwt's answer to wrong credentials at `login/`.
pub const NO_ACTIVE_ACCOUNT: &str = "No active account found with the given credentials";
/// Seed 004's answer to wrong credentials.
pub const CANNOT_AUTHENTICATE: &str =
    "can not authenticate with the given credentials or the account has been deactivated";
/// Seed 004's answer to a login without both fields.
pub const PROVIDE_EMAIL_AND_PASSWORD: &str = "please provide a email and a password";

/// DRF's required-field message.
pub const REQUIRED: &str = "This field is required.";
/// DRF's message for an empty string in a required text field.
pub const BLANK: &str = "This field may not be blank.";

/// Which view's wording a service error takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum View {
    /// simplejwt's `login/`.
    ObtainPair,
    /// simplejwt's `token/refresh/`, `token/verify/`, `token/blacklist/`.
    TokenBody,
    /// Seed 004's `user/obtain_token/`.
    SeedLogin,
    /// Seed 004's `user/create/` and `user/update/` (serializers).
    Serializer,
}

/// A failed operation, declared in the spec with the statuses of `S`.
pub struct DrfProblem<S> {
    status: StatusCode,
    body: Value,
    retry_after: Option<i64>,
    _declared: PhantomData<fn() -> S>,
}

impl<S> DrfProblem<S> {
    fn new(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body,
            retry_after: None,
            _declared: PhantomData,
        }
    }

    /// `{"detail": message}`.
    pub fn detail(status: StatusCode, message: &str) -> Self {
        Self::new(status, json!({ "detail": message }))
    }

    /// A 401 for a token: `{"detail": message, "code": "token_not_valid"}`.
    pub fn token_not_valid(message: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": message, "code": "token_not_valid" }),
        )
    }

    /// A 400 with one message per field.
    pub fn fields(errors: BTreeMap<String, Vec<String>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, json!(errors))
    }

    /// Seed 004's `{"error": message}`.
    pub fn error(status: StatusCode, message: &str) -> Self {
        Self::new(status, json!({ "error": message }))
    }

    /// A service error, worded as `view` words it.
    pub fn from_service(e: Error, view: View) -> Self {
        e.log();
        let retry_after = e.retry_after();
        let mut problem = match e {
            Error::Unauthenticated => Self::detail(StatusCode::UNAUTHORIZED, NOT_PROVIDED),
            Error::InvalidCredentials => match view {
                View::SeedLogin => Self::error(StatusCode::FORBIDDEN, CANNOT_AUTHENTICATE),
                _ => Self::detail(StatusCode::UNAUTHORIZED, NO_ACTIVE_ACCOUNT),
            },
            Error::TokenExpired | Error::TokenInvalid(_) | Error::TokenReused => match view {
                View::TokenBody => Self::token_not_valid(TOKEN_NOT_VALID),
                _ => Self::token_not_valid(HEADER_TOKEN_NOT_VALID),
            },
            Error::EmailNotVerified => match view {
                View::SeedLogin => Self::error(StatusCode::FORBIDDEN, &e.message()),
                _ => Self::new(
                    StatusCode::FORBIDDEN,
                    json!({ "detail": e.message(), "code": "email_not_verified" }),
                ),
            },
            // In the view's own error shape, with the challenge beside it.
            Error::MfaRequired { challenge } => match view {
                View::SeedLogin => Self::new(
                    StatusCode::FORBIDDEN,
                    json!({ "error": MFA_REQUIRED_MESSAGE, "challenge": challenge }),
                ),
                _ => Self::new(
                    StatusCode::FORBIDDEN,
                    json!({
                        "detail": MFA_REQUIRED_MESSAGE,
                        "code": "mfa_required",
                        "challenge": challenge,
                    }),
                ),
            },
            Error::ReauthenticationRequired => Self::new(
                StatusCode::FORBIDDEN,
                json!({
                    "detail": Error::ReauthenticationRequired.message(),
                    "code": "reauthentication_required",
                }),
            ),
            Error::Forbidden => Self::detail(
                StatusCode::FORBIDDEN,
                "You do not have permission to perform this action.",
            ),
            Error::ForbiddenBecause(why) => Self::detail(StatusCode::FORBIDDEN, why),
            Error::NotFound(_) => Self::detail(StatusCode::NOT_FOUND, "Not found."),
            Error::StateConflict(why) => Self::detail(StatusCode::CONFLICT, why),
            Error::BadUserInput { field, message } => Self::fields(BTreeMap::from([(
                drf_field(field).to_owned(),
                vec![message],
            )])),
            Error::Conflict { field } => {
                let message = format!("user with this {} already exists.", field.noun());
                Self::fields(BTreeMap::from([(
                    drf_field(field).to_owned(),
                    vec![message],
                )]))
            }
            Error::RateLimited { retry_after } => Self::detail(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Request was throttled. Expected available in {} seconds.",
                    retry_after.max(1)
                ),
            ),
            Error::Unavailable => Self::detail(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service temporarily unavailable, try again later.",
            ),
            Error::Internal(_) => Self::detail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "A server error occurred.",
            ),
        };
        problem.retry_after = retry_after;
        problem
    }
}

/// How this face spells a field: as the tutorials' bodies do (snake_case,
/// like the REST face; a new password is `password` here).
pub fn drf_field(field: Field) -> &'static str {
    match field {
        Field::NewPassword => "password",
        f => rest_field(f),
    }
}

impl<S> IntoResponse for DrfProblem<S> {
    fn into_response(self) -> Response {
        let mut resp = Json(self.body).with_status(self.status).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(CHALLENGE),
            );
        }
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

impl<S> From<DrfProblem<S>> for poem::Error {
    fn from(p: DrfProblem<S>) -> Self {
        poem::Error::from_response(p.into_response())
    }
}

statuses! {
    /// `login/` and `user/obtain_token/`.
    LoginErrors: [400, 401, 403, 413, 415, 429, 500, 503];
    /// `token/refresh/`, `token/verify/`, `token/blacklist/`.
    TokenErrors: [400, 401, 413, 415, 500, 503];
    /// `user/create/`.
    CreateErrors: [400, 413, 415, 429, 500, 503];
    /// `GET /user/update/`.
    ReadErrors: [401, 500, 503];
    /// `PUT`/`PATCH /user/update/`.
    UpdateErrors: [400, 401, 413, 415, 429, 500, 503];
}

fn describe(status: u16) -> &'static str {
    match status {
        400 => {
            "`{\"field\": [\"message\"]}` for a missing, blank or invalid field (or a \
             taken username or email); `{\"detail\": \"...\"}` for a body that is not a \
             JSON object or form, repeats a field, or has a value that is not a string; \
             seed 004's login answers `{\"error\": \"please provide a email and a password\"}`."
        }
        401 => {
            "`{\"detail\": \"...\"}`: no token where one is needed, or wrong credentials at \
             `login/`; with `\"code\": \"token_not_valid\"` for a bad, expired, used or \
             revoked token. `WWW-Authenticate: Bearer realm=\"api\"`."
        }
        403 => {
            "Seed 004's login: `{\"error\": \"can not authenticate ...\"}`; with \
             `GATEHOUSE_REQUIRE_VERIFIED_EMAIL` on, a right password for an address not yet \
             confirmed: `{\"detail\": \"...\", \"code\": \"email_not_verified\"}` \
             (seed 004's login: `{\"error\": \"...\"}`)."
        }
        413 => "`{\"detail\": \"...\"}`: the body is over the server's limit.",
        415 => "`{\"detail\": \"...\"}`: send JSON or a form.",
        429 => {
            "`{\"detail\": \"Request was throttled. Expected available in N seconds.\"}`, \
             with `Retry-After`."
        }
        503 => "`{\"detail\": \"...\"}`: the database did not answer in time; retry.",
        _ => "`{\"detail\": \"A server error occurred.\"}`, logged on the server.",
    }
}

/// The one schema of this face's errors.
const SCHEMA: &str = "DrfError";

/// A string property with its description.
fn described(description: &'static str) -> MetaSchemaRef {
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        description: Some(description),
        ..MetaSchema::new("string")
    }))
}

fn schema() -> MetaSchema {
    MetaSchema {
        description: Some(
            "DRF's error shapes: `detail` (with `code` for a bad token), seed 004's \
             `error`, or a list of messages per field.",
        ),
        properties: vec![
            ("detail", described("What went wrong (DRF's `detail`).")),
            (
                "code",
                described("`token_not_valid` for a bad, expired, used or revoked token."),
            ),
            ("error", described("Seed 004's login view's message.")),
        ],
        additional_properties: Some(Box::new(Vec::<String>::schema_ref())),
        example: Some(json!({ "email": ["user with this email already exists."] })),
        ..MetaSchema::new("object")
    }
}

impl<S: Statuses> ApiResponse for DrfProblem<S> {
    fn meta() -> MetaResponses {
        let responses = S::STATUSES
            .iter()
            .map(|&status| MetaResponse {
                description: describe(status),
                status: Some(status),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: Json::<Value>::CONTENT_TYPE,
                    schema: MetaSchemaRef::Reference(SCHEMA.to_owned()),
                }],
                headers: documented_headers(status, "`Bearer realm=\"api\"`."),
            })
            .collect();
        MetaResponses { responses }
    }

    fn register(registry: &mut Registry) {
        registry.create_schema::<DrfErrorSchema, _>(SCHEMA.to_owned(), |_| schema());
    }
}

/// The type `DrfError` is registered under (poem-openapi keys schemas by a
/// Rust type; the body itself is built as a JSON value).
pub struct DrfErrorSchema;

/// A required text field: its value, or the messages DRF gives for it.
pub fn required<'a>(
    name: &str,
    value: Option<&'a str>,
    errors: &mut BTreeMap<String, Vec<String>>,
) -> Option<&'a str> {
    match value {
        None => {
            errors.insert(name.to_owned(), vec![REQUIRED.to_owned()]);
            None
        }
        Some(v) if v.trim().is_empty() => {
            errors.insert(name.to_owned(), vec![BLANK.to_owned()]);
            None
        }
        Some(v) => Some(v),
    }
}

#[cfg(test)]
mod tests;
