//! Resolvers of the mutation result types.

use async_graphql::{Context, Result};

use super::generated::{
    ChangePasswordResolver, CreateUserResolver, ObtainJSONWebTokenResolver, RefreshResolver,
    RevokeAllTokensResolver, RevokeResolver, UpdateMeResolver, UserCreateResolver, VerifyResolver,
};
use super::{GenericScalar, User};
use crate::auth::tokens::AccessClaims;
use crate::error::Error;
use crate::service::{self, Issued};

/// GraphQL's `Int` is 32 bits; Unix times fit until 2038.
pub(super) fn unix_int(t: i64) -> Result<i32> {
    i32::try_from(t)
        .map_err(|_| Error::internal(anyhow::anyhow!("time {t} does not fit Int")).into())
}

fn payload(claims: &AccessClaims) -> GenericScalar {
    GenericScalar(claims.payload())
}

/// Result of `createUser`.
pub struct CreateUser(pub service::User);

impl CreateUserResolver for CreateUser {
    async fn user(&self, _: &Context<'_>) -> Result<Option<User>> {
        Ok(Some(User(self.0.clone())))
    }
}

/// Result of `userCreate`.
pub struct UserCreate(pub service::User);

impl UserCreateResolver for UserCreate {
    async fn user(&self, _: &Context<'_>) -> Result<Option<User>> {
        Ok(Some(User(self.0.clone())))
    }
}

/// Result of `updateMe`.
pub struct UpdateMe(pub service::User);

impl UpdateMeResolver for UpdateMe {
    async fn user(&self, _: &Context<'_>) -> Result<Option<User>> {
        Ok(Some(User(self.0.clone())))
    }
}

/// Result of `tokenAuth`.
pub struct ObtainJSONWebToken(pub Issued);

impl ObtainJSONWebTokenResolver for ObtainJSONWebToken {
    async fn payload(&self, _: &Context<'_>) -> Result<GenericScalar> {
        Ok(payload(&self.0.claims))
    }
    async fn refresh_expires_in(&self, _: &Context<'_>) -> Result<i32> {
        unix_int(self.0.refresh_expires_at)
    }
    async fn token(&self, _: &Context<'_>) -> Result<String> {
        Ok(self.0.token.clone())
    }
    async fn refresh_token(&self, _: &Context<'_>) -> Result<Option<String>> {
        Ok(self.0.refresh_token.clone())
    }
}

/// Result of `verifyToken`.
pub struct Verify(pub AccessClaims);

impl VerifyResolver for Verify {
    async fn payload(&self, _: &Context<'_>) -> Result<GenericScalar> {
        Ok(payload(&self.0))
    }
}

/// Result of `refreshToken`.
pub struct Refresh(pub Issued);

impl RefreshResolver for Refresh {
    async fn payload(&self, _: &Context<'_>) -> Result<GenericScalar> {
        Ok(payload(&self.0.claims))
    }
    async fn refresh_expires_in(&self, _: &Context<'_>) -> Result<i32> {
        unix_int(self.0.refresh_expires_at)
    }
    async fn token(&self, _: &Context<'_>) -> Result<String> {
        Ok(self.0.token.clone())
    }
    async fn refresh_token(&self, _: &Context<'_>) -> Result<Option<String>> {
        Ok(self.0.refresh_token.clone())
    }
}

/// Result of `revokeToken`.
pub struct Revoke(pub i64);

impl RevokeResolver for Revoke {
    async fn revoked(&self, _: &Context<'_>) -> Result<i32> {
        unix_int(self.0)
    }
}

/// Result of `revokeAllTokens`.
pub struct RevokeAllTokens(pub i64);

impl RevokeAllTokensResolver for RevokeAllTokens {
    async fn revoked(&self, _: &Context<'_>) -> Result<i32> {
        unix_int(self.0)
    }
}

/// Result of `changePassword`.
pub struct ChangePassword(pub Issued);

impl ChangePasswordResolver for ChangePassword {
    async fn user(&self, _: &Context<'_>) -> Result<Option<User>> {
        Ok(Some(User(self.0.user.clone())))
    }
    async fn token(&self, _: &Context<'_>) -> Result<String> {
        Ok(self.0.token.clone())
    }
    async fn refresh_token(&self, _: &Context<'_>) -> Result<String> {
        self.0
            .refresh_token
            .clone()
            .ok_or_else(|| Error::internal(anyhow::anyhow!("no refresh token issued")).into())
    }
    async fn payload(&self, _: &Context<'_>) -> Result<GenericScalar> {
        Ok(payload(&self.0.claims))
    }
    async fn refresh_expires_in(&self, _: &Context<'_>) -> Result<i32> {
        unix_int(self.0.refresh_expires_at)
    }
}
