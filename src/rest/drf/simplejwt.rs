//! djangorestframework-simplejwt's views, at seed 003's `login/` and the
//! siblings simplejwt documents: obtain a pair, refresh (always rotating, as
//! simplejwt does with `ROTATE_REFRESH_TOKENS` and `BLACKLIST_AFTER_ROTATION`
//! on), verify, blacklist. Each is one call into the service.

use std::collections::BTreeMap;

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use secrecy::SecretString;

use super::errors::{required, DrfProblem, LoginErrors, TokenErrors, View, TOKEN_NOT_VALID};
use super::types::{Empty, ObtainPair, ObtainPairRequest, Pair, RefreshRequest, VerifyRequest};
use super::DrfTags;
use crate::error::Error;
use crate::request::RequestContext;
use crate::service::{Issued, State};

/// simplejwt's views.
pub struct SimpleJwtApi;

/// Tokens, never to be cached.
#[derive(ApiResponse)]
pub enum PairIssued {
    /// A new pair.
    #[oai(status = 200)]
    Ok(
        Json<Pair>,
        /// `no-store`: tokens must not be cached.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

impl From<Issued> for PairIssued {
    fn from(issued: Issued) -> Self {
        Self::Ok(
            Json(Pair {
                access: issued.token,
                refresh: issued.refresh_token.unwrap_or_default(),
            }),
            "no-store".into(),
        )
    }
}

#[derive(ApiResponse)]
pub enum Done {
    /// `{}`.
    #[oai(status = 200)]
    Ok(Json<Empty>),
}

/// A token in a body: missing or blank is a 400 in DRF's shape.
fn token_field<S>(name: &str, value: Option<&str>) -> Result<String, DrfProblem<S>> {
    let mut errors = BTreeMap::new();
    match required(name, value, &mut errors) {
        Some(v) => Ok(v.to_owned()),
        None => Err(DrfProblem::fields(errors)),
    }
}

/// simplejwt's 401 unless `token` works now (see `Gatehouse::token_is_live`).
async fn require_live(gh: &State, token: &str) -> Result<(), DrfProblem<TokenErrors>> {
    match gh.token_is_live(token).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(DrfProblem::token_not_valid(TOKEN_NOT_VALID)),
        Err(e) => Err(DrfProblem::from_service(e, View::TokenBody)),
    }
}

#[OpenApi(tag = "DrfTags::DjangoRest")]
impl SimpleJwtApi {
    /// Log in (simplejwt's TokenObtainPairView)
    ///
    /// `{username, password}` (an email address works as the username) →
    /// `{access, refresh}`. Wrong credentials and inactive accounts get the
    /// same 401. Counted by the same login throttle as every other face.
    #[oai(path = "/login/", method = "post", operation_id = "drfLogin")]
    async fn login(
        &self,
        Data(gh): Data<&State>,
        req: &poem::Request,
        body: ObtainPairRequest,
    ) -> Result<PairIssued, DrfProblem<LoginErrors>> {
        let ObtainPair { username, password } = body.into_inner();
        let mut errors = BTreeMap::new();
        let username = required("username", username.as_deref(), &mut errors);
        let password = required("password", password.as_deref(), &mut errors);
        let (Some(username), Some(password)) = (username, password) else {
            return Err(DrfProblem::fields(errors));
        };
        let context = RequestContext::of(req);
        gh.login(
            username,
            &SecretString::from(password.to_owned()),
            context.device(),
        )
        .await
        .map(PairIssued::from)
        .map_err(|e| DrfProblem::from_service(e, View::ObtainPair))
    }

    /// Refresh (simplejwt's TokenRefreshView, rotating)
    ///
    /// `{refresh}` → a new `{access, refresh}`; the refresh token given is
    /// used up. Presenting a used one again ends that login's session on
    /// every face (simplejwt's blacklist-after-rotation, made stricter).
    #[oai(
        path = "/token/refresh/",
        method = "post",
        operation_id = "drfTokenRefresh"
    )]
    async fn refresh(
        &self,
        Data(gh): Data<&State>,
        body: RefreshRequest,
    ) -> Result<PairIssued, DrfProblem<TokenErrors>> {
        let token = token_field("refresh", body.into_inner().refresh.as_deref())?;
        gh.refresh_rotate(&token)
            .await
            .map(PairIssued::from)
            .map_err(|e| DrfProblem::from_service(e, View::TokenBody))
    }

    /// Verify (simplejwt's TokenVerifyView)
    ///
    /// `{token}` → `{}` when it is a working access token or an unused
    /// refresh token; 401 `token_not_valid` otherwise.
    #[oai(
        path = "/token/verify/",
        method = "post",
        operation_id = "drfTokenVerify"
    )]
    async fn verify(
        &self,
        Data(gh): Data<&State>,
        body: VerifyRequest,
    ) -> Result<Done, DrfProblem<TokenErrors>> {
        let token = token_field("token", body.into_inner().token.as_deref())?;
        require_live(gh, &token).await?;
        Ok(Done::Ok(Json(Empty {})))
    }

    /// Log out (simplejwt's TokenBlacklistView)
    ///
    /// `{refresh}` → `{}`: the refresh token's session ends (on every face).
    #[oai(
        path = "/token/blacklist/",
        method = "post",
        operation_id = "drfTokenBlacklist"
    )]
    async fn blacklist(
        &self,
        Data(gh): Data<&State>,
        body: RefreshRequest,
    ) -> Result<Done, DrfProblem<TokenErrors>> {
        let token = token_field("refresh", body.into_inner().refresh.as_deref())?;
        // simplejwt refuses a token already blacklisted (or used, or expired).
        require_live(gh, &token).await?;
        match gh.revoke_refresh(&token).await {
            Ok(_) => Ok(Done::Ok(Json(Empty {}))),
            Err(e @ (Error::Unavailable | Error::Internal(_))) => {
                Err(DrfProblem::from_service(e, View::TokenBody))
            }
            Err(_) => Err(DrfProblem::token_not_valid(TOKEN_NOT_VALID)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_blank_token_is_a_field_error() {
        assert!(token_field::<TokenErrors>("refresh", Some("x")).is_ok());
        assert!(token_field::<TokenErrors>("refresh", None).is_err());
        assert!(token_field::<TokenErrors>("refresh", Some("")).is_err());
    }
}
