//! Auth events: `authEvents` (staff) and `mySecurityEvents`, and the
//! `AuthEvent`, `AuthEventConnection` and `PageInfo` types. Each query is
//! one call into `service::events`.

use async_graphql::{Context, Result, ID};

use super::generated::{
    AuthEventConnectionResolver, AuthEventFilter, AuthEventResolver, PageInfoResolver,
    QueryAuthEventsArgs, QueryMySecurityEventsArgs,
};
use super::{services, DateTime, GenericScalar};
use crate::service::events::{self, EventQuery};

pub(super) async fn auth_events(
    ctx: &Context<'_>,
    args: QueryAuthEventsArgs,
) -> Result<Option<AuthEventConnection>> {
    let QueryAuthEventsArgs {
        filter,
        first,
        after,
    } = args;
    let AuthEventFilter {
        user_id,
        types,
        since,
        until,
    } = filter.unwrap_or(AuthEventFilter {
        user_id: None,
        types: None,
        since: None,
        until: None,
    });
    let (gh, caller) = services(ctx)?;
    let me = caller.require(gh).await?;
    let q = EventQuery {
        user_id: user_id.as_ref().map(|id| id.as_str()),
        types: types.as_deref().unwrap_or_default(),
        since: since.map(|t| t.0),
        until: until.map(|t| t.0),
        first: first.map(i64::from),
        after: after.as_deref(),
    };
    Ok(Some(AuthEventConnection(gh.auth_events(me, &q).await?)))
}

pub(super) async fn my_security_events(
    ctx: &Context<'_>,
    args: QueryMySecurityEventsArgs,
) -> Result<AuthEventConnection> {
    let QueryMySecurityEventsArgs { first, after } = args;
    let (gh, caller) = services(ctx)?;
    let me = caller.require(gh).await?;
    let page = gh
        .my_security_events(me, first.map(i64::from), after.as_deref())
        .await?;
    Ok(AuthEventConnection(page))
}

/// A page of events.
pub struct AuthEventConnection(pub events::EventPage);

impl AuthEventConnectionResolver for AuthEventConnection {
    async fn nodes(&self, _: &Context<'_>) -> Result<Vec<AuthEvent>> {
        Ok(self.0.nodes.iter().cloned().map(AuthEvent).collect())
    }
    async fn page_info(&self, _: &Context<'_>) -> Result<PageInfo> {
        Ok(PageInfo {
            has_next_page: self.0.has_next_page,
            end_cursor: self.0.end_cursor.clone(),
        })
    }
}

/// Where a page ends.
pub struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

impl PageInfoResolver for PageInfo {
    async fn has_next_page(&self, _: &Context<'_>) -> Result<bool> {
        Ok(self.has_next_page)
    }
    async fn end_cursor(&self, _: &Context<'_>) -> Result<Option<String>> {
        Ok(self.end_cursor.clone())
    }
}

/// One event.
pub struct AuthEvent(pub events::AuthEvent);

fn id(n: Option<i64>) -> Option<ID> {
    n.map(|n| ID(n.to_string()))
}

impl AuthEventResolver for AuthEvent {
    async fn id(&self, _: &Context<'_>) -> Result<ID> {
        Ok(ID(self.0.id.to_string()))
    }
    async fn r#type(&self, _: &Context<'_>) -> Result<String> {
        Ok(self.0.kind.clone())
    }
    async fn user_id(&self, _: &Context<'_>) -> Result<Option<ID>> {
        Ok(id(self.0.user_id))
    }
    async fn actor_id(&self, _: &Context<'_>) -> Result<Option<ID>> {
        Ok(id(self.0.actor_id))
    }
    async fn session_id(&self, _: &Context<'_>) -> Result<Option<String>> {
        Ok(self.0.session_id.clone())
    }
    async fn ip_address(&self, _: &Context<'_>) -> Result<Option<String>> {
        Ok(self.0.ip_address.clone())
    }
    async fn user_agent(&self, _: &Context<'_>) -> Result<Option<String>> {
        Ok(self.0.user_agent.clone())
    }
    async fn request_id(&self, _: &Context<'_>) -> Result<Option<String>> {
        Ok(self.0.request_id.clone())
    }
    async fn created_at(&self, _: &Context<'_>) -> Result<DateTime> {
        Ok(DateTime(self.0.created_at))
    }
    async fn details(&self, _: &Context<'_>) -> Result<GenericScalar> {
        Ok(GenericScalar(self.0.details.clone()))
    }
}
