//! `/api/users/{id}…` and the account's export: staff
//! administration over `service::admin`, each operation one call.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::auth::BearerAuth;
use super::error::{AdminBodyErrors, AdminErrors, AuthErrors, Problem, UserErrors};
use super::sessions::Session;
use super::user_types::{at, User};
use super::ApiTags;
use crate::error::Error;
use crate::service::admin::{parse_user_id, Actor};
use crate::service::{AuthUser, State};

/// The administration operations.
pub struct AdminApi;

#[derive(ApiResponse)]
pub enum OneUser {
    /// The user.
    #[oai(status = 200)]
    Ok(Json<User>),
}

#[derive(ApiResponse)]
pub enum Done {
    /// Done.
    #[oai(status = 204)]
    NoContent,
}

/// `{"active": …}`.
#[derive(Object)]
#[oai(deny_unknown_fields, example)]
pub struct ActiveRequest {
    /// True to activate, false to deactivate (which ends every session).
    pub active: bool,
}

impl Example for ActiveRequest {
    fn example() -> Self {
        Self { active: false }
    }
}

/// `{"staff": …}`.
#[derive(Object)]
#[oai(deny_unknown_fields, example)]
pub struct StaffRequest {
    /// True to make staff, false to unmake (which unmakes superuser too).
    pub staff: bool,
}

impl Example for StaffRequest {
    fn example() -> Self {
        Self { staff: true }
    }
}

/// Everything stored about the account that is its owner's to see: the
/// profile, dates, verification state and flags. Never a password hash or
/// a token.
#[derive(Object)]
#[oai(example)]
pub struct AccountExport {
    /// When this export was made (RFC 3339, UTC).
    pub exported_at: time::OffsetDateTime,
    /// The account.
    pub user: User,
    /// Its live sessions: where and when it is logged in.
    pub sessions: Vec<Session>,
}

impl Example for AccountExport {
    fn example() -> Self {
        Self {
            exported_at: at(1_764_007_200),
            user: User::example(),
            sessions: vec![Session::example()],
        }
    }
}

#[derive(ApiResponse)]
pub enum Exported {
    /// The account's data, as a file to save.
    #[oai(status = 200)]
    Ok(
        Json<AccountExport>,
        /// `attachment; filename="gatehouse-account-<id>.json"`.
        #[oai(header = "Content-Disposition")]
        String,
        /// `no-store`: personal data, not for shared caches or the browser's.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// The authenticated caller and the id in the path. A caller who is not
/// staff is refused (403) whatever the id, before it is read.
pub(super) async fn acting<'a>(
    gh: &State,
    auth: &'a BearerAuth,
    id: &str,
) -> Result<(&'a AuthUser, i64), Error> {
    let me = auth.caller().require(gh).await?;
    match parse_user_id(id) {
        Ok(id) => Ok((me, id)),
        Err(_) if !me.is_staff() => Err(Error::Forbidden),
        Err(e) => Err(e),
    }
}

#[OpenApi(tag = "ApiTags::Users")]
impl AdminApi {
    /// One user
    ///
    /// The caller, or, for staff, any user. 404 when no user has the id.
    #[oai(path = "/users/:id", method = "get", operation_id = "getUser")]
    async fn get(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        /// The user's id.
        id: Path<String>,
    ) -> Result<OneUser, Problem<UserErrors>> {
        let me = auth.caller().require(gh).await?;
        let id = match parse_user_id(&id.0) {
            Ok(id) => id,
            Err(_) if !me.is_staff() => return Err(Error::Forbidden.into()),
            Err(e) => return Err(e.into()),
        };
        let user = gh.user_by_id(Actor::User(me), id).await?;
        Ok(OneUser::Ok(Json(user.into())))
    }

    /// Activate or deactivate a user (staff)
    ///
    /// Deactivating ends every session of the user at once. A staff or
    /// superuser account needs a superuser; nobody acts on themselves (403);
    /// the last active superuser stays (409).
    #[oai(
        path = "/users/:id/active",
        method = "put",
        operation_id = "setUserActive"
    )]
    async fn set_active(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        /// The user's id.
        id: Path<String>,
        body: Json<ActiveRequest>,
    ) -> Result<OneUser, Problem<AdminBodyErrors>> {
        let (me, id) = acting(gh, &auth, &id.0).await?;
        let user = gh
            .set_user_active(Actor::User(me), id, body.0.active)
            .await?;
        Ok(OneUser::Ok(Json(user.into())))
    }

    /// Make or unmake staff (superusers)
    ///
    /// Unmaking staff unmakes superuser too. Nobody acts on themselves
    /// (403); the last active superuser stays (409).
    #[oai(
        path = "/users/:id/staff",
        method = "put",
        operation_id = "setUserStaff"
    )]
    async fn set_staff(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        /// The user's id.
        id: Path<String>,
        body: Json<StaffRequest>,
    ) -> Result<OneUser, Problem<AdminBodyErrors>> {
        let (me, id) = acting(gh, &auth, &id.0).await?;
        let user = gh
            .set_user_staff(Actor::User(me), id, body.0.staff, false)
            .await?;
        Ok(OneUser::Ok(Json(user.into())))
    }

    /// End a user's sessions (staff)
    ///
    /// Every access and refresh token of the user stops working; they may
    /// log in again. A staff or superuser account needs a superuser.
    #[oai(
        path = "/users/:id/logout-all",
        method = "post",
        operation_id = "revokeUserSessions"
    )]
    async fn revoke_sessions(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        /// The user's id.
        id: Path<String>,
    ) -> Result<Done, Problem<AdminErrors>> {
        let (me, id) = acting(gh, &auth, &id.0).await?;
        gh.revoke_user_sessions(Actor::User(me), id).await?;
        Ok(Done::NoContent)
    }

    /// Delete a user (superusers)
    ///
    /// Their tokens and mailed links go with them. Nobody deletes themselves
    /// here (403: `DELETE /api/users/me`); the last active superuser stays (409).
    #[oai(path = "/users/:id", method = "delete", operation_id = "deleteUser")]
    async fn delete(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        /// The user's id.
        id: Path<String>,
    ) -> Result<Done, Problem<AdminErrors>> {
        let (me, id) = acting(gh, &auth, &id.0).await?;
        gh.delete_user(Actor::User(me), id).await?;
        Ok(Done::NoContent)
    }

    /// Export the caller's account
    ///
    /// A JSON file of everything stored about the account that is the
    /// owner's to see (never a password hash or token), sent as an
    /// attachment and never cached.
    #[oai(path = "/users/me/export", method = "get", operation_id = "exportMe")]
    async fn export(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
    ) -> Result<Exported, Problem<AuthErrors>> {
        let me = auth.caller().require(gh).await?;
        let (user, sessions) = gh.export_me(me).await?;
        let disposition = format!(
            "attachment; filename=\"gatehouse-account-{}.json\"",
            user.id
        );
        let export = AccountExport {
            exported_at: at(gh.now()),
            user: user.into(),
            sessions: sessions.into_iter().map(Session::from).collect(),
        };
        Ok(Exported::Ok(Json(export), disposition, "no-store".into()))
    }
}
