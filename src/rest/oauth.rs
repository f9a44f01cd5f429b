//! The OAuth 2.0 error shape of the `/api/token*` endpoints (RFC 6749
//! section 5.2, RFC 7009, RFC 7662): `{error, error_description}`.

use poem::http::{header, HeaderValue, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::payload::{Json, Payload as _};
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::{Example, Type as _};
use poem_openapi::{ApiResponse, Object};

use crate::error::Error;

/// An OAuth 2.0 error response.
#[derive(Object)]
#[oai(example)]
pub struct OAuthErrorBody {
    /// `invalid_request` (a parameter is missing, repeated, malformed, or
    /// belongs to the other grant), `invalid_grant` (wrong credentials, or a
    /// refresh token that is unknown, expired, revoked or already used),
    /// `unsupported_grant_type`, `server_error`, `temporarily_unavailable`
    /// (503, or 429 with `Retry-After` after too many failed attempts), or
    /// `EMAIL_NOT_VERIFIED` (403: the password is right, the address not
    /// yet confirmed, and `GATEHOUSE_REQUIRE_VERIFIED_EMAIL` on).
    pub error: String,
    /// A human-readable explanation. For a failed password grant it is the
    /// same whether the user is unknown, inactive or the password wrong.
    pub error_description: String,
    /// With `MFA_REQUIRED` only: the challenge to send back with a code
    /// (`grant_type=urn:gatehouse:grant-type:mfa`), once, within five minutes.
    #[oai(skip_serializing_if_is_none)]
    pub challenge: Option<String>,
}

impl Example for OAuthErrorBody {
    fn example() -> Self {
        Self {
            error: "invalid_grant".into(),
            error_description: "Please enter valid credentials.".into(),
            challenge: None,
        }
    }
}

/// A failed token request.
pub struct OAuthProblem {
    status: StatusCode,
    body: OAuthErrorBody,
    /// Seconds for `Retry-After`, on a 429.
    retry_after: Option<i64>,
}

impl OAuthProblem {
    /// A 400 with the given RFC 6749 error code.
    pub fn bad(error: &str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, description)
    }

    pub fn new(status: StatusCode, error: &str, description: impl Into<String>) -> Self {
        Self {
            status,
            body: OAuthErrorBody {
                error: error.to_owned(),
                error_description: description.into(),
                challenge: None,
            },
            retry_after: None,
        }
    }

    /// A request that could not be parsed or routed, in this shape: every
    /// client error is `invalid_request` (the status says which kind).
    pub fn from_transport(status: StatusCode, description: String) -> Self {
        if status.is_server_error() {
            Self::new(status, "server_error", "Internal server error.")
        } else {
            Self::new(status, "invalid_request", description)
        }
    }
}

impl From<Error> for OAuthProblem {
    fn from(e: Error) -> Self {
        e.log();
        let message = e.message();
        let retry_after = e.retry_after();
        match e {
            Error::InvalidCredentials
            | Error::TokenExpired
            | Error::TokenInvalid(_)
            | Error::TokenReused => Self::bad("invalid_grant", message),
            // The password was right: the same code as on the other faces.
            Error::EmailNotVerified => {
                Self::new(StatusCode::FORBIDDEN, "EMAIL_NOT_VERIFIED", message)
            }
            // The password was right; a code is still needed.
            Error::MfaRequired { challenge } => {
                let mut p = Self::new(StatusCode::FORBIDDEN, "MFA_REQUIRED", message);
                p.body.challenge = Some(challenge);
                p
            }
            // RFC 6749 has no code for this; the status and Retry-After say it.
            Error::RateLimited { .. } => Self {
                retry_after,
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "temporarily_unavailable",
                    message,
                )
            },
            Error::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                message,
            ),
            Error::Internal(_) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", message)
            }
            Error::BadUserInput { .. }
            | Error::Conflict { .. }
            | Error::Unauthenticated
            | Error::Forbidden
            | Error::ForbiddenBecause(_)
            | Error::NotFound(_)
            | Error::StateConflict(_)
            | Error::ReauthenticationRequired => Self::bad("invalid_request", message),
        }
    }
}

impl IntoResponse for OAuthProblem {
    fn into_response(self) -> Response {
        let mut resp = Json(self.body).with_status(self.status).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        resp
    }
}

impl From<OAuthProblem> for poem::Error {
    fn from(p: OAuthProblem) -> Self {
        poem::Error::from_response(p.into_response())
    }
}

fn describe(status: u16) -> &'static str {
    match status {
        400 => {
            "`invalid_request`, `invalid_grant` or `unsupported_grant_type` \
                (the last two only from `POST /api/token`)."
        }
        403 => {
            "`EMAIL_NOT_VERIFIED` (only from `POST /api/token`'s password grant, with \
                `GATEHOUSE_REQUIRE_VERIFIED_EMAIL` on): the password is right but the \
                address has not been confirmed by its link. `MFA_REQUIRED` (the password \
                grant, on an account with a second factor): the password is right, and \
                `challenge` goes back with a code in `grant_type=urn:gatehouse:grant-type:mfa`."
        }
        413 => {
            "`invalid_request`: the body is larger than the server's limit \
                (`GATEHOUSE_MAX_BODY_BYTES`, 64 KiB by default)."
        }
        415 => {
            "`invalid_request`: send `application/x-www-form-urlencoded` or \
                `application/json`."
        }
        429 => {
            "`temporarily_unavailable`: too many failed attempts; retry after the \
                seconds in `Retry-After`."
        }
        503 => "`temporarily_unavailable`: the database did not answer in time; retry.",
        _ => "`server_error`: an unexpected error, logged on the server.",
    }
}

impl ApiResponse for OAuthProblem {
    fn meta() -> MetaResponses {
        let responses = [400, 403, 413, 415, 429, 500, 503]
            .into_iter()
            .map(|status| MetaResponse {
                description: describe(status),
                status: Some(status),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: Json::<OAuthErrorBody>::CONTENT_TYPE,
                    schema: OAuthErrorBody::schema_ref(),
                }],
                headers: if status == 429 {
                    vec![MetaHeader {
                        // Upper case, as poem-openapi writes the other response headers.
                        name: "RETRY-AFTER".into(),
                        description: Some("Seconds to wait before trying again.".into()),
                        required: true,
                        deprecated: false,
                        schema: String::schema_ref(),
                    }]
                } else {
                    Vec::new()
                },
            })
            .collect();
        MetaResponses { responses }
    }

    fn register(registry: &mut Registry) {
        OAuthErrorBody::register(registry);
    }
}
