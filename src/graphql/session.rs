//! Resolvers of `Session` and of the sessions' payloads.

use async_graphql::{Context, Result, ID};

use super::generated::{RevokeOtherSessionsResolver, RevokeSessionResolver, SessionResolver};
use super::DateTime;
use crate::service;

/// A session as GraphQL shows it.
pub struct Session(pub service::Session);

impl SessionResolver for Session {
    async fn id(&self, _: &Context<'_>) -> Result<ID> {
        Ok(ID(self.0.id.clone()))
    }
    async fn created_at(&self, _: &Context<'_>) -> Result<DateTime> {
        Ok(DateTime(self.0.created_at))
    }
    async fn last_used_at(&self, _: &Context<'_>) -> Result<DateTime> {
        Ok(DateTime(self.0.last_used_at))
    }
    async fn user_agent(&self, _: &Context<'_>) -> Result<Option<String>> {
        Ok(self.0.user_agent.clone())
    }
    async fn ip_address(&self, _: &Context<'_>) -> Result<Option<String>> {
        Ok(self.0.ip_address.clone())
    }
    async fn current(&self, _: &Context<'_>) -> Result<bool> {
        Ok(self.0.current)
    }
}

/// Result of `revokeSession`.
pub struct RevokeSession;

impl RevokeSessionResolver for RevokeSession {
    async fn success(&self, _: &Context<'_>) -> Result<bool> {
        Ok(true)
    }
}

/// Result of `revokeOtherSessions`: how many ended.
pub struct RevokeOtherSessions(pub u64);

impl RevokeOtherSessionsResolver for RevokeOtherSessions {
    async fn success(&self, _: &Context<'_>) -> Result<bool> {
        Ok(true)
    }
    async fn revoked_count(&self, _: &Context<'_>) -> Result<i32> {
        Ok(i32::try_from(self.0).unwrap_or(i32::MAX))
    }
}
