//! `POST /api/token`, `/api/token/introspect` and `/api/token/revoke`: thin
//! OAuth 2.0-shaped calls into the same service functions as GraphQL's
//! `tokenAuth`, `refreshToken`, `verifyToken` and `revokeToken`.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use secrecy::SecretString;

use super::oauth::OAuthProblem;
use super::text::Text;
use super::token_types::{Introspection, TokenParam, TokenParamRequest, TokenRequest, TokenSet};
use super::ApiTags;
use crate::error::Error;
use crate::request::RequestContext;
use crate::service::State;

/// The token operations.
pub struct TokenApi;

/// Tokens, never to be cached (RFC 6749 section 5.1).
#[derive(ApiResponse)]
pub enum TokensIssued {
    /// The new tokens. Sent with `Cache-Control: no-store` and `Pragma: no-cache`.
    #[oai(status = 200)]
    Ok(
        Json<TokenSet>,
        /// `no-store`: tokens must not be cached.
        #[oai(header = "Cache-Control")]
        String,
        /// `no-cache`, for HTTP/1.0 caches.
        #[oai(header = "Pragma")]
        String,
    ),
}

impl TokensIssued {
    pub fn new(tokens: TokenSet) -> Self {
        Self::Ok(Json(tokens), "no-store".into(), "no-cache".into())
    }
}

#[derive(ApiResponse)]
pub enum Introspected {
    /// What the token is: `{"active": false}` for anything but a valid access token.
    #[oai(status = 200)]
    Ok(Json<Introspection>),
}

#[derive(ApiResponse)]
pub enum Revoked {
    /// Done, or nothing to do: the answer is the same for unknown tokens (RFC 7009 section 2.2).
    #[oai(status = 200)]
    Ok,
}

/// The grant that completes a login with a second factor (an extension
/// grant, RFC 6749 section 4.5): `challenge` and `code`.
pub const MFA_GRANT: &str = "urn:gatehouse:grant-type:mfa";

/// RFC 6749 section 3.1: a parameter sent without a value counts as omitted.
fn given(value: Option<Text>) -> Option<String> {
    value.map(|v| v.0).filter(|v| !v.is_empty())
}

fn missing(name: &str) -> OAuthProblem {
    OAuthProblem::bad(
        "invalid_request",
        format!("The `{name}` parameter is required."),
    )
}

#[OpenApi(tag = "ApiTags::Tokens")]
impl TokenApi {
    /// Get tokens (log in, or refresh)
    ///
    /// The OAuth 2.0 token endpoint. `grant_type=password` logs in with a
    /// `username` (or email address) and `password` (RFC 6749 section 4.3);
    /// `grant_type=refresh_token` exchanges a `refresh_token` for a new pair
    /// (section 6). Refresh tokens rotate: the one given becomes used, and
    /// presenting a used one again fails with `invalid_grant` and revokes every
    /// token of that login. This is the same rotation as GraphQL's
    /// `refreshToken`: a refresh token used on either face is used on both.
    ///
    /// Send the parameters form-encoded (the standard) or as a JSON object.
    #[oai(path = "/token", method = "post", operation_id = "token")]
    async fn token(
        &self,
        Data(gh): Data<&State>,
        req: &poem::Request,
        body: TokenRequest,
    ) -> Result<TokensIssued, OAuthProblem> {
        let params = match body {
            TokenRequest::Form(p) => p.0,
            TokenRequest::Json(p) => p.0,
        };
        // The other grant's parameters are ignored, like any unrecognised
        // one (RFC 6749 section 3.2): Swagger UI's form sends every field.
        let username = given(params.username);
        let password = given(params.password);
        let refresh_token = given(params.refresh_token);
        let (challenge, code) = (given(params.challenge), given(params.code));
        let issued = match params.grant_type.0.as_str() {
            "password" => {
                let username = username.ok_or_else(|| missing("username"))?;
                let password = password.ok_or_else(|| missing("password"))?;
                let context = RequestContext::of(req);
                gh.login(&username, &SecretString::from(password), context.device())
                    .await?
            }
            "refresh_token" => {
                let token = refresh_token.ok_or_else(|| missing("refresh_token"))?;
                gh.refresh_rotate(&token).await?
            }
            MFA_GRANT => {
                let challenge = challenge.ok_or_else(|| missing("challenge"))?;
                let code = code.ok_or_else(|| missing("code"))?;
                let context = RequestContext::of(req);
                gh.login_mfa(&challenge, &code, context.device()).await?
            }
            "" => return Err(missing("grant_type")),
            _ => {
                return Err(OAuthProblem::bad(
                    "unsupported_grant_type",
                    // The value is not repeated: a client that mixed up its
                    // fields may have put a password here.
                    "This grant_type is not supported: use `password`, `refresh_token` or `urn:gatehouse:grant-type:mfa`."
                        .to_owned(),
                ));
            }
        };
        Ok(TokensIssued::new(TokenSet::new(issued, gh.now())?))
    }

    /// Introspect a token
    ///
    /// RFC 7662. Answers `{"active": true, ...claims}` for an access token
    /// that would be accepted now (signature, expiry, user active, not revoked
    /// by a logout-all or password change), and `{"active": false}` for
    /// anything else, including refresh tokens: they are opaque, single-use
    /// and meaningful only to this endpoint's `grant_type=refresh_token`.
    ///
    /// No client authentication is required: the claims are readable from
    /// the (signed, not encrypted) token itself, so the caller learns nothing
    /// it could not already read.
    #[oai(
        path = "/token/introspect",
        method = "post",
        operation_id = "introspectToken"
    )]
    async fn introspect(
        &self,
        Data(gh): Data<&State>,
        body: TokenParamRequest,
    ) -> Result<Introspected, OAuthProblem> {
        let token = required_token(body)?;
        let answer = match gh.authenticate(&token).await {
            Ok(me) => Introspection::from_claims(Some(&me.claims)),
            Err(e @ (Error::Unavailable | Error::Internal(_))) => return Err(e.into()),
            Err(_) => Introspection::inactive(),
        };
        Ok(Introspected::Ok(Json(answer)))
    }

    /// Revoke a token
    ///
    /// RFC 7009. A refresh token ends its session: every token rotated from
    /// the same login, and the session's access tokens, stop at once (the
    /// same as GraphQL's `revokeToken`). Unknown, malformed or already
    /// revoked tokens get the same 200.
    ///
    /// An access token given here gets a 200 and is not revoked by itself:
    /// end its session (`DELETE /api/users/me/sessions/{id}`), or every
    /// session (`POST /api/users/me/logout-all`).
    #[oai(path = "/token/revoke", method = "post", operation_id = "revokeToken")]
    async fn revoke(
        &self,
        Data(gh): Data<&State>,
        body: TokenParamRequest,
    ) -> Result<Revoked, OAuthProblem> {
        let token = required_token(body)?;
        match gh.revoke_refresh(&token).await {
            Err(e @ (Error::Unavailable | Error::Internal(_))) => Err(e.into()),
            Ok(_) | Err(_) => Ok(Revoked::Ok),
        }
    }
}

/// The `token` parameter of introspection and revocation.
fn required_token(body: TokenParamRequest) -> Result<String, OAuthProblem> {
    let TokenParam { token, .. } = match body {
        TokenParamRequest::Form(p) => p.0,
        TokenParamRequest::Json(p) => p.0,
    };
    given(Some(token)).ok_or_else(|| missing("token"))
}
