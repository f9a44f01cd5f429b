//! The bodies of the token endpoints, in the parameter names of RFC 6749,
//! RFC 7662 and RFC 7009. Every request takes the standard form encoding or,
//! as an extension, the same parameters as a JSON object.

use std::borrow::Cow;

use poem_openapi::payload::{Form, Json};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{Example, ParseFromJSON, ParseResult, ToJSON, Type};
use poem_openapi::{ApiRequest, Object};
use serde::Deserialize;
use serde_json::Value;

use super::text::Text;
use crate::auth::tokens::AccessClaims;
use crate::error::{Error, Result};
use crate::service::Issued;

/// The `grant_type` parameter. Any string parses, so that an unknown grant
/// gets RFC 6749's `unsupported_grant_type` rather than a parse error; the
/// spec lists the two supported values so Swagger UI offers them.
#[derive(Deserialize)]
#[serde(transparent)]
pub struct GrantType(pub String);

impl Type for GrantType {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "GrantType".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            enum_items: vec![
                "password".into(),
                "refresh_token".into(),
                super::token::MFA_GRANT.into(),
            ],
            ..MetaSchema::new("string")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl ParseFromJSON for GrantType {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => Ok(Self(s)),
            other => Err(super::text::not_a_string(&other)),
        }
    }
}

impl ToJSON for GrantType {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

/// A token request (RFC 6749 sections 4.3.2 and 6). Parameters not listed
/// here (`scope`, `client_id`) and those of the other grant are ignored, as
/// section 3.2 requires; an empty value (or a JSON null) counts as absent; a
/// repeated parameter is `invalid_request`.
#[derive(Object, Deserialize)]
#[oai(example, skip_serializing_if_is_none)]
pub struct TokenParams {
    /// `password` (log in with `username` and `password`), `refresh_token`
    /// (exchange `refresh_token` for a new pair; the one given becomes used),
    /// or `urn:gatehouse:grant-type:mfa` (the second step of a login on an
    /// account with a second factor: the `challenge` from the password
    /// grant's `MFA_REQUIRED` and a `code`).
    pub grant_type: GrantType,
    /// For `password`: the username or the email address.
    #[oai(nullable)]
    pub username: Option<Text>,
    /// For `password`: the password.
    #[oai(nullable)]
    pub password: Option<Text>,
    /// For `refresh_token`: the refresh token from the last response.
    #[oai(nullable)]
    pub refresh_token: Option<Text>,
    /// For `urn:gatehouse:grant-type:mfa`: the challenge from `MFA_REQUIRED`
    /// (single use, 5 minutes, 5 codes).
    #[oai(nullable)]
    #[serde(default)]
    pub challenge: Option<Text>,
    /// For `urn:gatehouse:grant-type:mfa`: the 6-digit code from the
    /// authenticator app, or an unused recovery code.
    #[oai(nullable)]
    #[serde(default)]
    pub code: Option<Text>,
}

impl Example for TokenParams {
    fn example() -> Self {
        Self {
            grant_type: GrantType("password".into()),
            username: Some("alice".into()),
            password: Some("correct horse battery staple".into()),
            refresh_token: None,
            challenge: None,
            code: None,
        }
    }
}

/// The body of `POST /api/token`.
#[derive(ApiRequest)]
pub enum TokenRequest {
    Form(Form<TokenParams>),
    Json(Json<TokenParams>),
}

/// A token to introspect or revoke (RFC 7662 section 2.1, RFC 7009 section 2.1).
#[derive(Object, Deserialize)]
#[oai(example)]
pub struct TokenParam {
    /// The token.
    #[oai(validator(min_length = 1))]
    pub token: Text,
    /// `access_token` or `refresh_token`: a hint only, which may be ignored.
    #[oai(nullable)]
    pub token_type_hint: Option<Text>,
}

impl Example for TokenParam {
    fn example() -> Self {
        Self {
            token: "v4.public.eyJzdWIiOiI0MiJ9...".into(),
            token_type_hint: Some("access_token".into()),
        }
    }
}

/// The body of `POST /api/token/introspect` and `POST /api/token/revoke`.
#[derive(ApiRequest)]
pub enum TokenParamRequest {
    Form(Form<TokenParam>),
    Json(Json<TokenParam>),
}

/// A successful token response (RFC 6749 section 5.1).
#[derive(Object)]
#[oai(example)]
pub struct TokenSet {
    /// The access token. Send it as `Authorization: Bearer <token>`; GraphQL accepts it too.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The refresh token: single use. Give it to `POST /api/token` with
    /// `grant_type=refresh_token`; presenting a used one again revokes every
    /// token of that login.
    pub refresh_token: String,
    /// Seconds until the refresh token expires. Relative, in the style of
    /// `expires_in`; GraphQL's `refreshExpiresIn` is an absolute Unix time.
    pub refresh_expires_in: i64,
}

impl TokenSet {
    /// The response for tokens issued at `now`.
    pub fn new(issued: Issued, now: i64) -> Result<Self> {
        let refresh_token = issued
            .refresh_token
            .ok_or_else(|| Error::internal(anyhow::anyhow!("no refresh token was issued")))?;
        Ok(Self {
            access_token: issued.token,
            token_type: "Bearer".into(),
            expires_in: (issued.claims.expires_at - now).max(0),
            refresh_token,
            refresh_expires_in: (issued.refresh_expires_at - now).max(0),
        })
    }
}

impl Example for TokenSet {
    fn example() -> Self {
        Self {
            access_token: "v4.public.eyJzdWIiOiI0MiJ9...".into(),
            token_type: "Bearer".into(),
            expires_in: 300,
            refresh_token: "ghr_2bX0k4Yq7uVd9PzJm3wN8sLc1tRf6hAe5gQy0iKoZuE".into(),
            refresh_expires_in: 604_800,
        }
    }
}

/// What introspection says about a token (RFC 7662 section 2.2). Only
/// `active` is present for an inactive token.
#[derive(Object)]
#[oai(example, skip_serializing_if_is_none)]
pub struct Introspection {
    /// Whether the token is a valid access token of an active user, not expired or revoked.
    pub active: bool,
    /// The user's id, as a string.
    pub sub: Option<String>,
    /// The user's login name.
    pub username: Option<String>,
    /// Always `Bearer`.
    pub token_type: Option<String>,
    /// When the token expires (Unix seconds).
    pub exp: Option<i64>,
    /// When the token was issued (Unix seconds).
    pub iat: Option<i64>,
    /// When the token became valid (Unix seconds).
    pub nbf: Option<i64>,
    /// The token's unique id.
    pub jti: Option<String>,
}

impl Introspection {
    pub fn inactive() -> Self {
        Self::from_claims(None)
    }

    pub fn from_claims(claims: Option<&AccessClaims>) -> Self {
        Self {
            active: claims.is_some(),
            sub: claims.map(|c| c.user_id.to_string()),
            username: claims.map(|c| c.username.clone()),
            token_type: claims.map(|_| "Bearer".to_owned()),
            exp: claims.map(|c| c.expires_at),
            iat: claims.map(|c| c.issued_at),
            nbf: claims.map(|c| c.not_before),
            jti: claims.map(|c| c.jti.clone()),
        }
    }
}

impl Example for Introspection {
    fn example() -> Self {
        Self {
            active: true,
            sub: Some("42".into()),
            username: Some("alice".into()),
            token_type: Some("Bearer".into()),
            exp: Some(1_764_000_300),
            iat: Some(1_764_000_000),
            nbf: Some(1_764_000_000),
            jti: Some("Yq3V0x2mT4iu8Jb1wq9wZg".into()),
        }
    }
}
