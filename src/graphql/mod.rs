//! The GraphQL face: generated schema types, hand-written resolvers (one file
//! per schema type), and the HTTP handler.

mod account;
mod admin;
mod documents;
pub mod error;
mod events;
pub mod generated;
pub mod graphiql;
pub mod http;
pub mod limits;
mod mfa;
mod mutation;
mod payloads;
mod query;
mod scalars;
mod session;
mod user;

pub use account::{
    ConfirmEmailChange, PasswordReset, RequestEmailChange, ResendActivationEmail,
    SendPasswordResetEmail, VerifyAccount,
};
pub use admin::{DeleteMe, DeleteUser, RevokeUserSessions, SetUserActive, SetUserStaff};
pub use events::{AuthEvent, AuthEventConnection, PageInfo};
pub use generated::{Schema, SDL};
pub use mfa::{
    MfaRecoveryCodesRegenerate, MfaTotpBegin, MfaTotpConfirm, MfaTotpDisable, Reauthenticate,
    ResetUserMfa,
};
pub use mutation::Mutation;
pub use payloads::{
    ChangePassword, CreateUser, ObtainJSONWebToken, Refresh, Revoke, RevokeAllTokens, UpdateMe,
    UserCreate, Verify,
};
pub use query::Query;
pub use scalars::{DateTime, GenericScalar};
pub use session::{RevokeOtherSessions, RevokeSession, Session};
pub use user::User;

use std::sync::Arc;

use crate::error::Error;
use crate::request::RequestContext;
use crate::service::{Caller, State};

/// Builds the executable schema over the service, with its own cache of
/// parsed documents (read by `http::post`).
pub fn schema(state: State) -> Schema {
    Schema::build(Query, Mutation, async_graphql::EmptySubscription)
        .data(state)
        .data(documents::Documents::default())
        .finish()
}

/// The service and the caller of the request being resolved.
/// The request's context (caller, client address, user agent).
fn request<'a>(ctx: &async_graphql::Context<'a>) -> async_graphql::Result<&'a RequestContext> {
    ctx.data::<Arc<RequestContext>>()
        .map(|c| c.as_ref())
        .map_err(|_| {
            Error::internal(anyhow::anyhow!(
                "request context missing from the GraphQL context"
            ))
            .into()
        })
}

fn services<'a>(
    ctx: &async_graphql::Context<'a>,
) -> async_graphql::Result<(&'a State, &'a Caller)> {
    let missing =
        |what: &str| Error::internal(anyhow::anyhow!("{what} missing from the GraphQL context"));
    let gh = ctx.data::<State>().map_err(|_| missing("service state"))?;
    let context = ctx
        .data::<Arc<RequestContext>>()
        .map_err(|_| missing("request context"))?;
    Ok((gh, &context.caller))
}
