//! Staff administration and the account's own deletion: the resolvers
//! `Query` and `Mutation` forward to (their traits are implemented in
//! `query.rs` and `mutation.rs`, one impl each), and the result types.
//! Each one is a call into `service::admin`.

use async_graphql::{Context, Result, ID};
use secrecy::SecretString;

use super::generated::{
    DeleteMeResolver, DeleteUserResolver, MutationDeleteMeArgs, MutationDeleteUserArgs,
    MutationRevokeUserSessionsArgs, MutationSetUserActiveArgs, MutationSetUserStaffArgs,
    QueryUserArgs, QueryUserSessionsArgs, QueryUsersArgs, RevokeUserSessionsResolver,
    SetUserActiveResolver, SetUserStaffResolver,
};
use super::{services, Session, User};
use crate::error::Error;
use crate::service::admin::{parse_user_id, Actor, UserQuery};
use crate::service::{self};

fn id_of(id: &ID) -> Result<i64> {
    Ok(parse_user_id(id.as_str())?)
}

pub(super) async fn users(ctx: &Context<'_>, args: QueryUsersArgs) -> Result<Option<Vec<User>>> {
    let QueryUsersArgs {
        search,
        active,
        staff,
        offset,
        limit,
    } = args;
    let (gh, caller) = services(ctx)?;
    let me = caller.require(gh).await?;
    let q = UserQuery {
        search: search.as_deref(),
        active,
        staff,
        offset: offset.map(i64::from),
        limit: limit.map(i64::from),
    };
    let rows = gh.find_users(Actor::User(me), &q).await?;
    Ok(Some(rows.into_iter().map(User).collect()))
}

pub(super) async fn user(
    ctx: &Context<'_>,
    QueryUserArgs { id }: QueryUserArgs,
) -> Result<Option<User>> {
    let (gh, caller) = services(ctx)?;
    let me = caller.require(gh).await?;
    // Who may look is settled before whether the id is anyone's.
    let id = match parse_user_id(id.as_str()) {
        Ok(id) => id,
        Err(e) if me.is_staff() => return Err(e.into()),
        Err(_) => return Err(Error::Forbidden.into()),
    };
    Ok(Some(User(gh.user_by_id(Actor::User(me), id).await?)))
}

pub(super) async fn user_sessions(
    ctx: &Context<'_>,
    QueryUserSessionsArgs { user_id }: QueryUserSessionsArgs,
) -> Result<Option<Vec<Session>>> {
    let (gh, caller) = services(ctx)?;
    let me = caller.require(gh).await?;
    let id = match parse_user_id(user_id.as_str()) {
        Ok(id) => id,
        Err(e) if me.is_staff() => return Err(e.into()),
        Err(_) => return Err(Error::Forbidden.into()),
    };
    let sessions = gh.user_sessions(Actor::User(me), id).await?;
    Ok(Some(sessions.into_iter().map(Session).collect()))
}

/// Result of `setUserActive`.
pub struct SetUserActive(service::User);

impl SetUserActiveResolver for SetUserActive {
    async fn user(&self, _: &Context<'_>) -> Result<Option<User>> {
        Ok(Some(User(self.0.clone())))
    }
}

/// Result of `setUserStaff`.
pub struct SetUserStaff(service::User);

impl SetUserStaffResolver for SetUserStaff {
    async fn user(&self, _: &Context<'_>) -> Result<Option<User>> {
        Ok(Some(User(self.0.clone())))
    }
}

/// Result of `revokeUserSessions`.
pub struct RevokeUserSessions(service::User, i64);

impl RevokeUserSessionsResolver for RevokeUserSessions {
    async fn user(&self, _: &Context<'_>) -> Result<Option<User>> {
        Ok(Some(User(self.0.clone())))
    }
    async fn revoked(&self, _: &Context<'_>) -> Result<i32> {
        super::payloads::unix_int(self.1)
    }
}

/// Result of `deleteUser`.
pub struct DeleteUser(i64);

impl DeleteUserResolver for DeleteUser {
    async fn success(&self, _: &Context<'_>) -> Result<bool> {
        Ok(true)
    }
    async fn deleted_id(&self, _: &Context<'_>) -> Result<ID> {
        Ok(ID(self.0.to_string()))
    }
}

/// Result of `deleteMe`.
pub struct DeleteMe;

impl DeleteMeResolver for DeleteMe {
    async fn success(&self, _: &Context<'_>) -> Result<bool> {
        Ok(true)
    }
}

/// The authenticated caller as an actor, and the id acted on. A caller who
/// is not staff is told FORBIDDEN whatever the id.
macro_rules! acting {
    ($ctx:expr, $id:expr) => {{
        let (gh, caller) = services($ctx)?;
        let me = caller.require(gh).await?;
        let id = match id_of(&$id) {
            Ok(id) => id,
            Err(_) if !me.is_staff() => return Err(Error::Forbidden.into()),
            Err(e) => return Err(e),
        };
        (gh, me, id)
    }};
}

pub(super) async fn set_user_active(
    ctx: &Context<'_>,
    MutationSetUserActiveArgs { id, active }: MutationSetUserActiveArgs,
) -> Result<Option<SetUserActive>> {
    let (gh, me, id) = acting!(ctx, id);
    let user = gh.set_user_active(Actor::User(me), id, active).await?;
    Ok(Some(SetUserActive(user)))
}

pub(super) async fn set_user_staff(
    ctx: &Context<'_>,
    MutationSetUserStaffArgs { id, staff }: MutationSetUserStaffArgs,
) -> Result<Option<SetUserStaff>> {
    let (gh, me, id) = acting!(ctx, id);
    let user = gh.set_user_staff(Actor::User(me), id, staff, false).await?;
    Ok(Some(SetUserStaff(user)))
}

pub(super) async fn revoke_user_sessions(
    ctx: &Context<'_>,
    MutationRevokeUserSessionsArgs { user_id }: MutationRevokeUserSessionsArgs,
) -> Result<Option<RevokeUserSessions>> {
    let (gh, me, id) = acting!(ctx, user_id);
    let user = gh.revoke_user_sessions(Actor::User(me), id).await?;
    Ok(Some(RevokeUserSessions(user, gh.now())))
}

pub(super) async fn delete_user(
    ctx: &Context<'_>,
    MutationDeleteUserArgs { id }: MutationDeleteUserArgs,
) -> Result<Option<DeleteUser>> {
    let (gh, me, id) = acting!(ctx, id);
    let user = gh.delete_user(Actor::User(me), id).await?;
    Ok(Some(DeleteUser(user.id)))
}

pub(super) async fn delete_me(
    ctx: &Context<'_>,
    MutationDeleteMeArgs { password }: MutationDeleteMeArgs,
) -> Result<Option<DeleteMe>> {
    let (gh, caller) = services(ctx)?;
    let me = caller.require(gh).await?;
    gh.delete_me(me, &SecretString::from(password)).await?;
    Ok(Some(DeleteMe))
}
