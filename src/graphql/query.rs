//! Resolvers of `Query`.

use async_graphql::{Context, Result};

use super::generated::{
    QueryAuthEventsArgs, QueryMySecurityEventsArgs, QueryResolver, QueryUserArgs,
    QueryUserSessionsArgs, QueryUsersArgs,
};
use super::{services, AuthEventConnection, Session, User};

/// The root query type.
pub struct Query;

impl QueryResolver for Query {
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let (gh, caller) = services(ctx)?;
        let me = caller.require(gh).await?;
        Ok(Some(User(me.user.clone())))
    }

    async fn my_sessions(&self, ctx: &Context<'_>) -> Result<Vec<Session>> {
        let (gh, caller) = services(ctx)?;
        let me = caller.require(gh).await?;
        let sessions = gh.my_sessions(me).await?;
        Ok(sessions.into_iter().map(Session).collect())
    }

    async fn current_user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        self.me(ctx).await
    }

    async fn users(&self, ctx: &Context<'_>, args: QueryUsersArgs) -> Result<Option<Vec<User>>> {
        super::admin::users(ctx, args).await
    }

    async fn user(&self, ctx: &Context<'_>, args: QueryUserArgs) -> Result<Option<User>> {
        super::admin::user(ctx, args).await
    }

    async fn user_sessions(
        &self,
        ctx: &Context<'_>,
        args: QueryUserSessionsArgs,
    ) -> Result<Option<Vec<Session>>> {
        super::admin::user_sessions(ctx, args).await
    }

    async fn auth_events(
        &self,
        ctx: &Context<'_>,
        args: QueryAuthEventsArgs,
    ) -> Result<Option<AuthEventConnection>> {
        super::events::auth_events(ctx, args).await
    }

    async fn my_security_events(
        &self,
        ctx: &Context<'_>,
        args: QueryMySecurityEventsArgs,
    ) -> Result<AuthEventConnection> {
        super::events::my_security_events(ctx, args).await
    }
}
