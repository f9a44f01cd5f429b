//! Resolvers of `Query`.

use async_graphql::{Context, Result};

use super::generated::{QueryResolver, QueryUsersArgs};
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

    async fn users(
        &self,
        ctx: &Context<'_>,
        QueryUsersArgs { offset, limit }: QueryUsersArgs,
    ) -> Result<Option<Vec<User>>> {
        let (gh, caller) = services(ctx)?;
        let me = caller.require(gh).await?;
        let rows = gh
            .list_users(me, offset.map(i64::from), limit.map(i64::from))
            .await?;
        Ok(Some(rows.into_iter().map(User).collect()))
    }
}
