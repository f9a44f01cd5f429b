//! The second factor and re-authentication: the resolvers `Mutation`
//! forwards to, and their result types. Each one is a call into
//! `service::mfa` or `service::reauth`.

use async_graphql::{Context, Result};
use secrecy::SecretString;

use super::generated::{
    MfaRecoveryCodesRegenerateResolver, MfaTotpBeginResolver, MfaTotpConfirmResolver,
    MfaTotpDisableResolver, MutationMfaRecoveryCodesRegenerateArgs, MutationMfaTotpConfirmArgs,
    MutationMfaTotpDisableArgs, MutationReauthenticateArgs, MutationResetUserMfaArgs,
    MutationTokenAuthMfaArgs, ReauthenticateResolver, ResetUserMfaResolver,
};
use super::payloads::ObtainJSONWebToken;
use super::{services, GenericScalar, User};
use crate::service::admin::Actor;
use crate::service::{self, Issued, TotpEnrolment};

pub(super) async fn token_auth_mfa(
    ctx: &Context<'_>,
    MutationTokenAuthMfaArgs { challenge, code }: MutationTokenAuthMfaArgs,
) -> Result<Option<ObtainJSONWebToken>> {
    let (gh, _) = services(ctx)?;
    let device = super::request(ctx)?.device();
    let issued = gh.login_mfa(&challenge, &code, device).await?;
    Ok(Some(ObtainJSONWebToken(issued)))
}

pub(super) async fn reauthenticate(
    ctx: &Context<'_>,
    MutationReauthenticateArgs { password, code }: MutationReauthenticateArgs,
) -> Result<Option<Reauthenticate>> {
    let (gh, caller) = services(ctx)?;
    let me = caller.require(gh).await?;
    let issued = gh
        .reauthenticate(me, &SecretString::from(password), code.as_deref())
        .await?;
    Ok(Some(Reauthenticate(issued)))
}

pub(super) async fn begin(ctx: &Context<'_>) -> Result<Option<MfaTotpBegin>> {
    let (gh, caller) = services(ctx)?;
    let me = caller.require(gh).await?;
    Ok(Some(MfaTotpBegin(gh.mfa_totp_begin(me).await?)))
}

pub(super) async fn confirm(
    ctx: &Context<'_>,
    MutationMfaTotpConfirmArgs { code }: MutationMfaTotpConfirmArgs,
) -> Result<Option<MfaTotpConfirm>> {
    let (gh, caller) = services(ctx)?;
    let me = caller.require(gh).await?;
    let codes = gh.mfa_totp_confirm(me, &code).await?;
    let user = service::User {
        mfa_enabled: true,
        ..me.user.clone()
    };
    Ok(Some(MfaTotpConfirm { codes, user }))
}

pub(super) async fn regenerate(
    ctx: &Context<'_>,
    MutationMfaRecoveryCodesRegenerateArgs { code }: MutationMfaRecoveryCodesRegenerateArgs,
) -> Result<Option<MfaRecoveryCodesRegenerate>> {
    let (gh, caller) = services(ctx)?;
    let me = caller.require(gh).await?;
    let codes = gh.mfa_recovery_codes_regenerate(me, &code).await?;
    Ok(Some(MfaRecoveryCodesRegenerate(codes)))
}

pub(super) async fn disable(
    ctx: &Context<'_>,
    MutationMfaTotpDisableArgs { code, password }: MutationMfaTotpDisableArgs,
) -> Result<Option<MfaTotpDisable>> {
    let (gh, caller) = services(ctx)?;
    let me = caller.require(gh).await?;
    let user = gh
        .mfa_totp_disable(me, &code, &SecretString::from(password))
        .await?;
    Ok(Some(MfaTotpDisable(user)))
}

pub(super) async fn reset(
    ctx: &Context<'_>,
    MutationResetUserMfaArgs { user_id }: MutationResetUserMfaArgs,
) -> Result<Option<ResetUserMfa>> {
    let (gh, caller) = services(ctx)?;
    let me = caller.require(gh).await?;
    // The service settles who may act before whether the id is anyone's.
    let user = gh.reset_user_mfa(Actor::User(me), user_id.as_str()).await?;
    Ok(Some(ResetUserMfa(user)))
}

/// Result of `mfaTotpBegin`.
pub struct MfaTotpBegin(TotpEnrolment);

impl MfaTotpBeginResolver for MfaTotpBegin {
    async fn secret(&self, _: &Context<'_>) -> Result<String> {
        Ok(self.0.secret.clone())
    }
    async fn otpauth_uri(&self, _: &Context<'_>) -> Result<String> {
        Ok(self.0.otpauth_uri.clone())
    }
    async fn qr_code(&self, _: &Context<'_>) -> Result<String> {
        Ok(self.0.qr_code.clone())
    }
}

/// Result of `mfaTotpConfirm`.
pub struct MfaTotpConfirm {
    codes: Vec<String>,
    user: service::User,
}

impl MfaTotpConfirmResolver for MfaTotpConfirm {
    async fn recovery_codes(&self, _: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.codes.clone())
    }
    async fn user(&self, _: &Context<'_>) -> Result<Option<User>> {
        Ok(Some(User(self.user.clone())))
    }
}

/// Result of `mfaRecoveryCodesRegenerate`.
pub struct MfaRecoveryCodesRegenerate(Vec<String>);

impl MfaRecoveryCodesRegenerateResolver for MfaRecoveryCodesRegenerate {
    async fn recovery_codes(&self, _: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.0.clone())
    }
}

/// Result of `mfaTotpDisable`.
pub struct MfaTotpDisable(service::User);

impl MfaTotpDisableResolver for MfaTotpDisable {
    async fn user(&self, _: &Context<'_>) -> Result<Option<User>> {
        Ok(Some(User(self.0.clone())))
    }
}

/// Result of `resetUserMfa`.
pub struct ResetUserMfa(service::User);

impl ResetUserMfaResolver for ResetUserMfa {
    async fn user(&self, _: &Context<'_>) -> Result<Option<User>> {
        Ok(Some(User(self.0.clone())))
    }
}

/// Result of `reauthenticate`.
pub struct Reauthenticate(Issued);

impl ReauthenticateResolver for Reauthenticate {
    async fn token(&self, _: &Context<'_>) -> Result<String> {
        Ok(self.0.token.clone())
    }
    async fn payload(&self, _: &Context<'_>) -> Result<GenericScalar> {
        Ok(GenericScalar(self.0.claims.payload()))
    }
}
