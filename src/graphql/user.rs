//! Resolvers of `User`.

use async_graphql::{Context, Result, ID};

use super::generated::UserResolver;
use super::DateTime;
use crate::service;

/// A user as GraphQL shows it (never the password hash).
pub struct User(pub service::User);

impl From<service::User> for User {
    fn from(user: service::User) -> Self {
        User(user)
    }
}

impl UserResolver for User {
    async fn id(&self, _: &Context<'_>) -> Result<ID> {
        Ok(ID(self.0.id.to_string()))
    }
    async fn username(&self, _: &Context<'_>) -> Result<String> {
        Ok(self.0.username.clone())
    }
    async fn email(&self, _: &Context<'_>) -> Result<String> {
        Ok(self.0.email.clone())
    }
    async fn first_name(&self, _: &Context<'_>) -> Result<String> {
        Ok(self.0.first_name.clone())
    }
    async fn last_name(&self, _: &Context<'_>) -> Result<String> {
        Ok(self.0.last_name.clone())
    }
    async fn is_active(&self, _: &Context<'_>) -> Result<bool> {
        Ok(self.0.is_active)
    }
    async fn is_staff(&self, _: &Context<'_>) -> Result<bool> {
        Ok(self.0.is_staff)
    }
    async fn is_superuser(&self, _: &Context<'_>) -> Result<bool> {
        Ok(self.0.is_superuser)
    }
    async fn date_joined(&self, _: &Context<'_>) -> Result<DateTime> {
        Ok(DateTime(self.0.date_joined))
    }
    async fn last_login(&self, _: &Context<'_>) -> Result<Option<DateTime>> {
        Ok(self.0.last_login.map(DateTime))
    }
    async fn email_verified(&self, _: &Context<'_>) -> Result<bool> {
        Ok(self.0.email_verified)
    }
    async fn mfa_enabled(&self, _: &Context<'_>) -> Result<bool> {
        Ok(self.0.mfa_enabled)
    }
}
