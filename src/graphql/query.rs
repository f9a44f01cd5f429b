//! Resolvers of `Query`.

use async_graphql::{Context, Result};

use super::generated::{QueryResolver, QueryUserArgs, QueryUsersArgs};
use super::{services, User};

/// The root query type.
pub struct Query;

impl QueryResolver for Query {
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let (gh, caller) = services(ctx)?;
        let me = caller.require(gh).await?;
        Ok(Some(User(me.user.clone())))
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
}
