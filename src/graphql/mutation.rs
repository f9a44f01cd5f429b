//! Resolvers of `Mutation`: each one a thin call into the service layer.
//! Arguments arrive in a struct per field and are destructured by name, so
//! a renamed, added or removed argument in schema.graphql fails the build.

use async_graphql::{Context, Result};
use secrecy::SecretString;

use super::account::{
    ConfirmEmailChange, PasswordReset, RequestEmailChange, ResendActivationEmail,
    SendPasswordResetEmail, VerifyAccount,
};
use super::admin::{self, DeleteMe, DeleteUser, RevokeUserSessions, SetUserActive, SetUserStaff};
use super::generated::{
    MutationChangePasswordArgs, MutationConfirmEmailChangeArgs, MutationCreateUserArgs,
    MutationDeleteMeArgs, MutationDeleteUserArgs, MutationPasswordResetArgs,
    MutationRefreshTokenArgs, MutationRequestEmailChangeArgs, MutationResendActivationEmailArgs,
    MutationResolver, MutationRevokeSessionArgs, MutationRevokeTokenArgs,
    MutationRevokeUserSessionsArgs, MutationSendPasswordResetEmailArgs, MutationSetUserActiveArgs,
    MutationSetUserStaffArgs, MutationTokenAuthArgs, MutationUpdateMeArgs, MutationUserCreateArgs,
    MutationVerifyAccountArgs, MutationVerifyTokenArgs,
};
use super::generated::{
    MutationMfaRecoveryCodesRegenerateArgs, MutationMfaTotpConfirmArgs, MutationMfaTotpDisableArgs,
    MutationReauthenticateArgs, MutationResetUserMfaArgs, MutationTokenAuthMfaArgs,
};
use super::mfa::{
    self, MfaRecoveryCodesRegenerate, MfaTotpBegin, MfaTotpConfirm, MfaTotpDisable, Reauthenticate,
    ResetUserMfa,
};
use super::payloads::{
    ChangePassword, CreateUser, ObtainJSONWebToken, Refresh, Revoke, RevokeAllTokens, UpdateMe,
    UserCreate, Verify,
};
use super::{services, RevokeOtherSessions, RevokeSession};
use crate::error::{Error, Field};

/// The root mutation type.
pub struct Mutation;

impl MutationResolver for Mutation {
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        MutationCreateUserArgs {
            username,
            password,
            email,
        }: MutationCreateUserArgs,
    ) -> Result<Option<CreateUser>> {
        let (gh, caller) = services(ctx)?;
        let user = gh
            .sign_up(
                &username,
                &email,
                &SecretString::from(password),
                false,
                caller.client,
            )
            .await?;
        Ok(Some(CreateUser(user)))
    }

    async fn user_create(
        &self,
        ctx: &Context<'_>,
        MutationUserCreateArgs {
            username,
            password,
            email,
        }: MutationUserCreateArgs,
    ) -> Result<Option<UserCreate>> {
        let (gh, caller) = services(ctx)?;
        let user = gh
            .sign_up(
                &username,
                &email,
                &SecretString::from(password),
                false,
                caller.client,
            )
            .await?;
        Ok(Some(UserCreate(user)))
    }

    async fn token_auth(
        &self,
        ctx: &Context<'_>,
        MutationTokenAuthArgs { username, password }: MutationTokenAuthArgs,
    ) -> Result<Option<ObtainJSONWebToken>> {
        let (gh, _) = services(ctx)?;
        let device = super::request(ctx)?.device();
        let issued = gh
            .login(&username, &SecretString::from(password), device)
            .await?;
        Ok(Some(ObtainJSONWebToken(issued)))
    }

    async fn verify_token(
        &self,
        ctx: &Context<'_>,
        MutationVerifyTokenArgs { token }: MutationVerifyTokenArgs,
    ) -> Result<Option<Verify>> {
        let (gh, _) = services(ctx)?;
        let token = token.ok_or_else(|| Error::bad_input(Field::Token, "A token is required."))?;
        let me = gh.authenticate(&token).await?;
        Ok(Some(Verify(me.claims)))
    }

    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        MutationRefreshTokenArgs {
            token,
            refresh_token,
        }: MutationRefreshTokenArgs,
    ) -> Result<Option<Refresh>> {
        let (gh, _) = services(ctx)?;
        let issued = match (token, refresh_token) {
            (Some(access), None) => gh.refresh_keep_alive(&access).await?,
            (None, Some(refresh)) => gh.refresh_rotate(&refresh).await?,
            (Some(_), Some(_)) => {
                return Err(Error::bad_input(
                    Field::RefreshToken,
                    "Give either `token` or `refreshToken`, not both.",
                )
                .into())
            }
            (None, None) => {
                return Err(Error::bad_input(
                    Field::RefreshToken,
                    "Give `token` (an access token) or `refreshToken` (a refresh token).",
                )
                .into())
            }
        };
        Ok(Some(Refresh(issued)))
    }

    async fn revoke_token(
        &self,
        ctx: &Context<'_>,
        MutationRevokeTokenArgs { refresh_token }: MutationRevokeTokenArgs,
    ) -> Result<Option<Revoke>> {
        let (gh, _) = services(ctx)?;
        Ok(Some(Revoke(gh.revoke_refresh(&refresh_token).await?)))
    }

    async fn update_me(
        &self,
        ctx: &Context<'_>,
        MutationUpdateMeArgs {
            email,
            first_name,
            last_name,
        }: MutationUpdateMeArgs,
    ) -> Result<Option<UpdateMe>> {
        let (gh, caller) = services(ctx)?;
        let me = caller.require(gh).await?;
        let user = gh
            .update_me(
                me,
                email.as_deref(),
                first_name.as_deref(),
                last_name.as_deref(),
            )
            .await?;
        Ok(Some(UpdateMe(user)))
    }

    async fn change_password(
        &self,
        ctx: &Context<'_>,
        MutationChangePasswordArgs {
            old_password,
            new_password,
        }: MutationChangePasswordArgs,
    ) -> Result<Option<ChangePassword>> {
        let (gh, caller) = services(ctx)?;
        let me = caller.require(gh).await?;
        let issued = gh
            .change_password(
                me,
                &SecretString::from(old_password),
                &SecretString::from(new_password),
            )
            .await?;
        Ok(Some(ChangePassword(issued)))
    }

    async fn revoke_all_tokens(&self, ctx: &Context<'_>) -> Result<Option<RevokeAllTokens>> {
        let (gh, caller) = services(ctx)?;
        let me = caller.require(gh).await?;
        Ok(Some(RevokeAllTokens(gh.revoke_all(me).await?)))
    }

    async fn revoke_session(
        &self,
        ctx: &Context<'_>,
        MutationRevokeSessionArgs { id }: MutationRevokeSessionArgs,
    ) -> Result<Option<RevokeSession>> {
        let (gh, caller) = services(ctx)?;
        let me = caller.require(gh).await?;
        gh.revoke_session(me, &id).await?;
        Ok(Some(RevokeSession))
    }

    async fn revoke_other_sessions(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<RevokeOtherSessions>> {
        let (gh, caller) = services(ctx)?;
        let me = caller.require(gh).await?;
        Ok(Some(RevokeOtherSessions(
            gh.revoke_other_sessions(me).await?,
        )))
    }

    async fn verify_account(
        &self,
        ctx: &Context<'_>,
        MutationVerifyAccountArgs { token }: MutationVerifyAccountArgs,
    ) -> Result<Option<VerifyAccount>> {
        let (gh, _) = services(ctx)?;
        Ok(Some(VerifyAccount(gh.verify_account(&token).await?)))
    }

    async fn resend_activation_email(
        &self,
        ctx: &Context<'_>,
        MutationResendActivationEmailArgs { email }: MutationResendActivationEmailArgs,
    ) -> Result<Option<ResendActivationEmail>> {
        let (gh, caller) = services(ctx)?;
        gh.resend_activation_email(&email, caller.client).await?;
        Ok(Some(ResendActivationEmail))
    }

    async fn send_password_reset_email(
        &self,
        ctx: &Context<'_>,
        MutationSendPasswordResetEmailArgs { email }: MutationSendPasswordResetEmailArgs,
    ) -> Result<Option<SendPasswordResetEmail>> {
        let (gh, caller) = services(ctx)?;
        gh.send_password_reset_email(&email, caller.client).await?;
        Ok(Some(SendPasswordResetEmail))
    }

    async fn password_reset(
        &self,
        ctx: &Context<'_>,
        MutationPasswordResetArgs {
            token,
            new_password,
        }: MutationPasswordResetArgs,
    ) -> Result<Option<PasswordReset>> {
        let (gh, _) = services(ctx)?;
        let user = gh
            .reset_password(&token, &SecretString::from(new_password))
            .await?;
        Ok(Some(PasswordReset(user)))
    }

    async fn request_email_change(
        &self,
        ctx: &Context<'_>,
        MutationRequestEmailChangeArgs {
            new_email,
            password,
        }: MutationRequestEmailChangeArgs,
    ) -> Result<Option<RequestEmailChange>> {
        let (gh, caller) = services(ctx)?;
        let me = caller.require(gh).await?;
        let password = SecretString::from(password);
        gh.request_email_change(me, &new_email, &password, caller.client)
            .await?;
        Ok(Some(RequestEmailChange))
    }

    async fn confirm_email_change(
        &self,
        ctx: &Context<'_>,
        MutationConfirmEmailChangeArgs { token }: MutationConfirmEmailChangeArgs,
    ) -> Result<Option<ConfirmEmailChange>> {
        let (gh, _) = services(ctx)?;
        Ok(Some(ConfirmEmailChange(
            gh.confirm_email_change(&token).await?,
        )))
    }

    async fn set_user_active(
        &self,
        ctx: &Context<'_>,
        args: MutationSetUserActiveArgs,
    ) -> Result<Option<SetUserActive>> {
        admin::set_user_active(ctx, args).await
    }

    async fn set_user_staff(
        &self,
        ctx: &Context<'_>,
        args: MutationSetUserStaffArgs,
    ) -> Result<Option<SetUserStaff>> {
        admin::set_user_staff(ctx, args).await
    }

    async fn revoke_user_sessions(
        &self,
        ctx: &Context<'_>,
        args: MutationRevokeUserSessionsArgs,
    ) -> Result<Option<RevokeUserSessions>> {
        admin::revoke_user_sessions(ctx, args).await
    }

    async fn delete_user(
        &self,
        ctx: &Context<'_>,
        args: MutationDeleteUserArgs,
    ) -> Result<Option<DeleteUser>> {
        admin::delete_user(ctx, args).await
    }

    async fn delete_me(
        &self,
        ctx: &Context<'_>,
        args: MutationDeleteMeArgs,
    ) -> Result<Option<DeleteMe>> {
        admin::delete_me(ctx, args).await
    }

    async fn token_auth_mfa(
        &self,
        ctx: &Context<'_>,
        args: MutationTokenAuthMfaArgs,
    ) -> Result<Option<ObtainJSONWebToken>> {
        mfa::token_auth_mfa(ctx, args).await
    }

    async fn reauthenticate(
        &self,
        ctx: &Context<'_>,
        args: MutationReauthenticateArgs,
    ) -> Result<Option<Reauthenticate>> {
        mfa::reauthenticate(ctx, args).await
    }

    async fn mfa_totp_begin(&self, ctx: &Context<'_>) -> Result<Option<MfaTotpBegin>> {
        mfa::begin(ctx).await
    }

    async fn mfa_totp_confirm(
        &self,
        ctx: &Context<'_>,
        args: MutationMfaTotpConfirmArgs,
    ) -> Result<Option<MfaTotpConfirm>> {
        mfa::confirm(ctx, args).await
    }

    async fn mfa_recovery_codes_regenerate(
        &self,
        ctx: &Context<'_>,
        args: MutationMfaRecoveryCodesRegenerateArgs,
    ) -> Result<Option<MfaRecoveryCodesRegenerate>> {
        mfa::regenerate(ctx, args).await
    }

    async fn mfa_totp_disable(
        &self,
        ctx: &Context<'_>,
        args: MutationMfaTotpDisableArgs,
    ) -> Result<Option<MfaTotpDisable>> {
        mfa::disable(ctx, args).await
    }

    async fn reset_user_mfa(
        &self,
        ctx: &Context<'_>,
        args: MutationResetUserMfaArgs,
    ) -> Result<Option<ResetUserMfa>> {
        mfa::reset(ctx, args).await
    }
}
