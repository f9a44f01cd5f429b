//! `/api/users/me/mfa/…` and `/api/users/me/reauthenticate`: the second
//! factor and re-authentication, each one call into the service layer (the
//! same methods as GraphQL's `mfaTotp*`, `mfaRecoveryCodesRegenerate`,
//! `resetUserMfa` and `reauthenticate`).

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};
use secrecy::SecretString;

use super::auth::BearerAuth;
use super::error::{AdminErrors, MfaErrors, Problem, QrErrors};
use super::text::Text;
use super::user_types::User;
use super::ApiTags;
use crate::service::admin::Actor;
use crate::service::State;

/// The second-factor operations.
pub struct MfaApi;

/// A TOTP secret to add to an authenticator app.
#[derive(Object)]
#[oai(example)]
pub struct TotpEnrolment {
    /// The secret in base32, to type in.
    pub secret: String,
    /// The `otpauth://totp/…` URI (SHA-1, 6 digits, 30 seconds).
    pub otpauth_uri: String,
    /// The URI as a QR code: an SVG image in a `data:image/svg+xml;base64,…`
    /// URI (paste it into a browser's address bar, or use it as an `<img>`).
    pub qr_code: String,
}

impl Example for TotpEnrolment {
    fn example() -> Self {
        Self {
            secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into(),
            otpauth_uri: "otpauth://totp/Gatehouse:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30".into(),
            qr_code: "data:image/svg+xml;base64,PD94bWwgdmVyc2lvbj0iMS4wIj8+...".into(),
        }
    }
}

/// A code from the authenticator app (or a recovery code, where one is taken).
#[derive(Object)]
#[oai(deny_unknown_fields, example)]
pub struct CodeRequest {
    /// The 6-digit code, or a recovery code (`xxxx-xxxx-xxxx-xxxx`).
    pub code: Text,
}

impl Example for CodeRequest {
    fn example() -> Self {
        Self {
            code: "123456".into(),
        }
    }
}

/// A code and the password, to turn the second factor off.
#[derive(Object)]
#[oai(deny_unknown_fields, example)]
pub struct DisableRequest {
    /// A code from the authenticator app, or an unused recovery code.
    pub code: Text,
    /// The caller's current password.
    pub password: Text,
}

impl Example for DisableRequest {
    fn example() -> Self {
        Self {
            code: "123456".into(),
            password: "correct horse battery staple".into(),
        }
    }
}

/// The password, and a code when a second factor is on.
#[derive(Object)]
#[oai(deny_unknown_fields, example)]
pub struct ReauthenticateRequest {
    /// The caller's current password.
    pub password: Text,
    /// A code from the authenticator app or a recovery code; required when
    /// a second factor is on.
    pub code: Option<Text>,
}

impl Example for ReauthenticateRequest {
    fn example() -> Self {
        Self {
            password: "correct horse battery staple".into(),
            code: Some("123456".into()),
        }
    }
}

/// Recovery codes, shown this once.
#[derive(Object)]
#[oai(example)]
pub struct RecoveryCodes {
    /// Ten codes, each good for one login in place of a code. Store them safely.
    pub recovery_codes: Vec<String>,
}

impl Example for RecoveryCodes {
    fn example() -> Self {
        Self {
            recovery_codes: vec!["7kq2-m9xd-4hrt-0pzb".into(), "c3nw-8vfa-2jes-q61y".into()],
        }
    }
}

/// A new access token in the caller's session.
#[derive(Object)]
#[oai(example)]
pub struct AccessToken {
    /// The access token, with `authTime` now.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

impl Example for AccessToken {
    fn example() -> Self {
        Self {
            access_token: "v4.public.eyJzdWIiOiI0MiJ9...".into(),
            token_type: "Bearer".into(),
            expires_in: 300,
        }
    }
}

#[derive(ApiResponse)]
pub enum Begun {
    /// A new secret (replacing one not yet confirmed). Sent with
    /// `Cache-Control: no-store`.
    #[oai(status = 200)]
    Ok(
        Json<TotpEnrolment>,
        /// `no-store`: a secret must not be cached.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// An SVG image.
#[derive(poem_openapi::ResponseContent)]
pub enum SvgImage {
    #[oai(content_type = "image/svg+xml")]
    Svg(poem_openapi::payload::Binary<Vec<u8>>),
}

#[derive(ApiResponse)]
pub enum QrImage {
    /// The QR code of the pending secret (`otpauth://` URI), as an SVG
    /// image. Sent with `Cache-Control: no-store`.
    #[oai(status = 200)]
    Ok(
        SvgImage,
        /// `no-store`: it holds the secret.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

#[derive(ApiResponse)]
pub enum Codes {
    /// The recovery codes, shown this once. Sent with `Cache-Control: no-store`.
    #[oai(status = 200)]
    Ok(
        Json<RecoveryCodes>,
        /// `no-store`: codes must not be cached.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

#[derive(ApiResponse)]
pub enum OneUser {
    /// The user after the change.
    #[oai(status = 200)]
    Ok(Json<User>),
}

#[derive(ApiResponse)]
pub enum Reauthenticated {
    /// A new access token in the same session. Sent with `Cache-Control: no-store`.
    #[oai(status = 200)]
    Ok(
        Json<AccessToken>,
        /// `no-store`: tokens must not be cached.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

fn no_store() -> String {
    "no-store".into()
}

#[OpenApi(tag = "ApiTags::Users")]
impl MfaApi {
    /// Start turning on a second factor
    ///
    /// A new TOTP secret for an authenticator app, as text, as an
    /// `otpauth://` URI and as a QR code. Nothing changes until
    /// `POST /api/users/me/mfa/totp/confirm` gets a code from it. Needs a
    /// recent authentication (403 REAUTHENTICATION_REQUIRED); 409 when a
    /// second factor is on already.
    #[oai(
        path = "/users/me/mfa/totp",
        method = "post",
        operation_id = "beginTotp"
    )]
    async fn begin(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
    ) -> Result<Begun, Problem<MfaErrors>> {
        let me = auth.caller().require(gh).await?;
        let e = gh.mfa_totp_begin(me).await?;
        let body = TotpEnrolment {
            secret: e.secret,
            otpauth_uri: e.otpauth_uri,
            qr_code: e.qr_code,
        };
        Ok(Begun::Ok(Json(body), no_store()))
    }

    /// The pending secret's QR code
    ///
    /// The secret begun with `POST /api/users/me/mfa/totp`, as a QR code
    /// image to scan with an authenticator app (Swagger UI shows it). 409
    /// when no enrolment is pending; 403 REAUTHENTICATION_REQUIRED as for
    /// beginning.
    #[oai(
        path = "/users/me/mfa/totp/qr",
        method = "get",
        operation_id = "totpQrCode"
    )]
    async fn qr(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
    ) -> Result<QrImage, Problem<QrErrors>> {
        let me = auth.caller().require(gh).await?;
        let svg = gh.mfa_totp_qr_svg(me).await?;
        let body = SvgImage::Svg(poem_openapi::payload::Binary(svg.into_bytes()));
        Ok(QrImage::Ok(body, no_store()))
    }

    /// Turn the second factor on
    ///
    /// With a current code for the secret just begun; returns 10 recovery
    /// codes, shown this once. Every other session of the caller ends
    /// (their logins had no second factor). Needs a recent authentication (403
    /// REAUTHENTICATION_REQUIRED); 422 for a wrong code (counted like a
    /// password), 409 when nothing is pending.
    #[oai(
        path = "/users/me/mfa/totp/confirm",
        method = "post",
        operation_id = "confirmTotp"
    )]
    async fn confirm(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        body: Json<CodeRequest>,
    ) -> Result<Codes, Problem<MfaErrors>> {
        let me = auth.caller().require(gh).await?;
        let recovery_codes = gh.mfa_totp_confirm(me, &body.0.code.0).await?;
        Ok(Codes::Ok(
            Json(RecoveryCodes { recovery_codes }),
            no_store(),
        ))
    }

    /// New recovery codes
    ///
    /// Replaces the caller's recovery codes with 10 new ones. Needs a recent
    /// authentication with the second factor (403 REAUTHENTICATION_REQUIRED)
    /// and a current code (422 when wrong).
    #[oai(
        path = "/users/me/mfa/recovery-codes",
        method = "post",
        operation_id = "regenerateRecoveryCodes"
    )]
    async fn regenerate(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        body: Json<CodeRequest>,
    ) -> Result<Codes, Problem<MfaErrors>> {
        let me = auth.caller().require(gh).await?;
        let recovery_codes = gh.mfa_recovery_codes_regenerate(me, &body.0.code.0).await?;
        Ok(Codes::Ok(
            Json(RecoveryCodes { recovery_codes }),
            no_store(),
        ))
    }

    /// Turn the second factor off
    ///
    /// Needs a recent authentication with the second factor (403
    /// REAUTHENTICATION_REQUIRED), the password and a code (422 when either
    /// is wrong).
    #[oai(
        path = "/users/me/mfa/totp/disable",
        method = "post",
        operation_id = "disableTotp"
    )]
    async fn disable(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        body: Json<DisableRequest>,
    ) -> Result<OneUser, Problem<MfaErrors>> {
        let me = auth.caller().require(gh).await?;
        let DisableRequest { code, password } = body.0;
        let user = gh
            .mfa_totp_disable(me, &code.0, &SecretString::from(password.0))
            .await?;
        Ok(OneUser::Ok(Json(user.into())))
    }

    /// Authenticate again
    ///
    /// The password, and a code when a second factor is on (each counted
    /// like a login's: 422 when wrong, 429 after too many). Returns a new
    /// access token in the same session, recent enough for the changes that
    /// need one (a password or email change, the second factor off, new
    /// recovery codes, deleting the account: `GATEHOUSE_REAUTH_MAX_AGE_SECS`).
    #[oai(
        path = "/users/me/reauthenticate",
        method = "post",
        operation_id = "reauthenticate"
    )]
    async fn reauthenticate(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        body: Json<ReauthenticateRequest>,
    ) -> Result<Reauthenticated, Problem<MfaErrors>> {
        let me = auth.caller().require(gh).await?;
        let ReauthenticateRequest { password, code } = body.0;
        let issued = gh
            .reauthenticate(
                me,
                &SecretString::from(password.0),
                code.as_ref().map(|c| c.0.as_str()),
            )
            .await?;
        let token = AccessToken {
            expires_in: (issued.claims.expires_at - gh.now()).max(0),
            access_token: issued.token,
            token_type: "Bearer".into(),
        };
        Ok(Reauthenticated::Ok(Json(token), no_store()))
    }

    /// Reset a user's second factor (superusers)
    ///
    /// Turns the user's second factor off (a lost phone and lost recovery
    /// codes) and ends every session of theirs; logged with who did it.
    /// Superusers only, with a recent authentication (403
    /// REAUTHENTICATION_REQUIRED); not on oneself. 404 when no user has the id.
    #[oai(
        path = "/users/:id/mfa",
        method = "delete",
        operation_id = "resetUserMfa"
    )]
    async fn reset(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        /// The user's id.
        id: Path<String>,
    ) -> Result<OneUser, Problem<AdminErrors>> {
        let me = auth.caller().require(gh).await?;
        let user = gh.reset_user_mfa(Actor::User(me), &id.0).await?;
        Ok(OneUser::Ok(Json(user.into())))
    }
}

/// The second step of a browser-mode login.
#[derive(Object)]
#[oai(deny_unknown_fields, example)]
pub struct ChallengeRequest {
    /// The challenge from `MFA_REQUIRED`.
    pub challenge: Text,
    /// The 6-digit code from the authenticator app, or a recovery code.
    pub code: Text,
}

impl Example for ChallengeRequest {
    fn example() -> Self {
        Self {
            challenge: "ghm_Qm9iIGFuZCBBbGljZSB3YWxrIGludG8gYSBiYXIuLi4uLi4uLi4uLi4".into(),
            code: "123456".into(),
        }
    }
}
