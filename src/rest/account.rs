//! `/api/account/…` and `/api/users/me/email`: confirming an address,
//! recovering a password and changing the address by mailed links; each
//! operation one call into the service layer.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use secrecy::SecretString;

use super::account_types::{
    Accepted, EmailChangeRequest, EmailRequest, LinkTokenRequest, PasswordResetRequest, IF_ACCOUNT,
};
use super::auth::BearerAuth;
use super::error::{EmailChangeErrors, LinkErrors, MailErrors, Problem};
use super::user_types::User;
use super::ApiTags;
use crate::request::RequestContext;
use crate::service::State;

/// The account-by-email operations.
pub struct AccountApi;

#[derive(ApiResponse)]
pub enum Changed {
    /// The user as the change left it.
    #[oai(status = 200)]
    Ok(Json<User>),
}

#[derive(ApiResponse)]
pub enum Queued {
    /// Taken in; a mail follows.
    #[oai(status = 202)]
    Accepted(Json<Accepted>),
}

fn queued(detail: &str) -> Queued {
    Queued::Accepted(Json(Accepted {
        detail: detail.to_owned(),
    }))
}

#[OpenApi(tag = "ApiTags::Account")]
impl AccountApi {
    /// Confirm an email address
    ///
    /// With the token from the link mailed after sign-up, after an email
    /// change through `PATCH /api/users/me`, or by
    /// `POST /api/account/verify/resend`. A bad token is a 400.
    #[oai(
        path = "/account/verify",
        method = "post",
        operation_id = "verifyAccount"
    )]
    async fn verify(
        &self,
        Data(gh): Data<&State>,
        body: Json<LinkTokenRequest>,
    ) -> Result<Changed, Problem<LinkErrors>> {
        let user = gh
            .verify_account(&body.0.token)
            .await
            .map_err(Problem::of_link)?;
        Ok(Changed::Ok(Json(user.into())))
    }

    /// Mail a new verification link
    ///
    /// If the address belongs to an account not yet verified. The answer is
    /// the same whether or not it does; at most one mail per address per
    /// `GATEHOUSE_MAIL_MIN_INTERVAL_SECS` (429). A new link replaces the older.
    #[oai(
        path = "/account/verify/resend",
        method = "post",
        operation_id = "resendActivationEmail"
    )]
    async fn resend(
        &self,
        Data(gh): Data<&State>,
        req: &poem::Request,
        body: Json<EmailRequest>,
    ) -> Result<Queued, Problem<MailErrors>> {
        let client = RequestContext::of(req).caller.client;
        gh.resend_activation_email(&body.0.email, client).await?;
        Ok(queued(IF_ACCOUNT))
    }

    /// Mail a password-reset link
    ///
    /// If the address belongs to an active account. The answer is the same,
    /// in the same time, whether or not it does; at most one mail per
    /// address per `GATEHOUSE_MAIL_MIN_INTERVAL_SECS` (429).
    #[oai(
        path = "/account/password-reset",
        method = "post",
        operation_id = "sendPasswordResetEmail"
    )]
    async fn reset(
        &self,
        Data(gh): Data<&State>,
        req: &poem::Request,
        body: Json<EmailRequest>,
    ) -> Result<Queued, Problem<MailErrors>> {
        let client = RequestContext::of(req).caller.client;
        gh.send_password_reset_email(&body.0.email, client).await?;
        Ok(queued(IF_ACCOUNT))
    }

    /// Set a new password with a reset link
    ///
    /// Every session of the account ends (its access and refresh tokens stop
    /// working) and a notice is mailed; log in again with the new password.
    /// A bad token is a 400, a password the rules refuse a 422.
    #[oai(
        path = "/account/password-reset/confirm",
        method = "post",
        operation_id = "passwordReset"
    )]
    async fn reset_confirm(
        &self,
        Data(gh): Data<&State>,
        body: Json<PasswordResetRequest>,
    ) -> Result<Changed, Problem<LinkErrors>> {
        let PasswordResetRequest {
            token,
            new_password,
        } = body.0;
        let user = gh
            .reset_password(&token, &SecretString::from(new_password.0))
            .await
            .map_err(Problem::of_link)?;
        Ok(Changed::Ok(Json(user.into())))
    }

    /// Ask to change the caller's email address
    ///
    /// A link that confirms the change is mailed to the new address; nothing
    /// changes until it is followed (`POST /api/account/email/confirm`). A
    /// wrong password is a 422, an address that is another account's a 409.
    #[oai(
        path = "/users/me/email",
        method = "post",
        operation_id = "requestEmailChange"
    )]
    async fn change_email(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        body: Json<EmailChangeRequest>,
    ) -> Result<Queued, Problem<EmailChangeErrors>> {
        let me = auth.caller().require(gh).await?;
        let EmailChangeRequest {
            new_email,
            password,
        } = body.0;
        let password = SecretString::from(password.0);
        gh.request_email_change(me, &new_email, &password, auth.caller().client)
            .await?;
        Ok(queued(
            "A link that confirms the change is on its way to the new address.",
        ))
    }

    /// Confirm an email change
    ///
    /// With the token from the link mailed to the new address: it becomes
    /// the account's email (verified), and a notice goes to the old one.
    #[oai(
        path = "/account/email/confirm",
        method = "post",
        operation_id = "confirmEmailChange"
    )]
    async fn confirm_email(
        &self,
        Data(gh): Data<&State>,
        body: Json<LinkTokenRequest>,
    ) -> Result<Changed, Problem<LinkErrors>> {
        let user = gh
            .confirm_email_change(&body.0.token)
            .await
            .map_err(Problem::of_link)?;
        Ok(Changed::Ok(Json(user.into())))
    }
}
