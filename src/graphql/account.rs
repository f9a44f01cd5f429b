//! Resolvers of the payloads of the account-by-email mutations
//! (`verifyAccount`, `passwordReset`, …): a `success` flag, as
//! django-graphql-auth answers, and the user where there is one.

use async_graphql::{Context, Result};

use super::generated::{
    ConfirmEmailChangeResolver, PasswordResetResolver, RequestEmailChangeResolver,
    ResendActivationEmailResolver, SendPasswordResetEmailResolver, VerifyAccountResolver,
};
use super::User;
use crate::service;

macro_rules! success_only {
    ($($(#[$doc:meta])* $name:ident: $resolver:ident;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl $resolver for $name {
            async fn success(&self, _: &Context<'_>) -> Result<bool> {
                Ok(true)
            }
        }
    )*};
}

macro_rules! with_user {
    ($($(#[$doc:meta])* $name:ident: $resolver:ident;)*) => {$(
        $(#[$doc])*
        pub struct $name(pub service::User);

        impl $resolver for $name {
            async fn success(&self, _: &Context<'_>) -> Result<bool> {
                Ok(true)
            }
            async fn user(&self, _: &Context<'_>) -> Result<Option<User>> {
                Ok(Some(User(self.0.clone())))
            }
        }
    )*};
}

success_only! {
    /// Result of `resendActivationEmail`.
    ResendActivationEmail: ResendActivationEmailResolver;
    /// Result of `sendPasswordResetEmail`.
    SendPasswordResetEmail: SendPasswordResetEmailResolver;
    /// Result of `requestEmailChange`.
    RequestEmailChange: RequestEmailChangeResolver;
}

with_user! {
    /// Result of `verifyAccount`.
    VerifyAccount: VerifyAccountResolver;
    /// Result of `passwordReset`.
    PasswordReset: PasswordResetResolver;
    /// Result of `confirmEmailChange`.
    ConfirmEmailChange: ConfirmEmailChangeResolver;
}
