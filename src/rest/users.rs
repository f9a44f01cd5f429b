//! `/api/users…`: sign-up, the caller's account, and the staff-only list
//! (the rest of staff administration is in `admin.rs`);
//! each operation one call into the service layer.

use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use secrecy::SecretString;

use super::auth::BearerAuth;
use super::error::{
    AuthErrors, DeleteMeErrors, PasswordErrors, Problem, SignUpErrors, StaffErrors, UpdateErrors,
};
use super::token::TokensIssued;
use super::token_types::TokenSet;
use super::user_types::{
    ChangePasswordRequest, DeleteMeRequest, SignUpRequest, UpdateMeRequest, User, UserPage,
};
use super::ApiTags;
use crate::request::RequestContext;
use crate::service::accounts::DEFAULT_PAGE;
use crate::service::admin::{Actor, UserQuery};
use crate::service::State;

/// The users operations.
pub struct UsersApi;

#[derive(ApiResponse)]
pub enum Created {
    /// The new user.
    #[oai(status = 201)]
    Created(
        Json<User>,
        /// The new user's URL, `/api/users/{id}`.
        #[oai(header = "Location")]
        String,
    ),
}

#[derive(ApiResponse)]
pub enum Me {
    /// The caller's account.
    #[oai(status = 200)]
    Ok(Json<User>),
}

#[derive(ApiResponse)]
pub enum LoggedOut {
    /// Every access and refresh token of the caller has stopped working
    /// (after a deletion: with the account).
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
pub enum Page {
    /// A page of users.
    #[oai(status = 200)]
    Ok(Json<UserPage>),
}

#[OpenApi(tag = "ApiTags::Users")]
impl UsersApi {
    /// Sign up
    ///
    /// Creates an active, non-staff user. Invalid fields get 422 with a
    /// message per field; a taken username or email gets 409. Then log in
    /// with `POST /api/token`.
    #[oai(path = "/users", method = "post", operation_id = "signUp")]
    async fn sign_up(
        &self,
        Data(gh): Data<&State>,
        req: &poem::Request,
        body: Json<SignUpRequest>,
    ) -> Result<Created, Problem<SignUpErrors>> {
        let SignUpRequest {
            username,
            email,
            password,
        } = body.0;
        let user = gh
            .sign_up(
                &username,
                &email,
                &SecretString::from(password.0),
                false,
                RequestContext::of(req).caller.client,
            )
            .await?;
        let location = format!("/api/users/{}", user.id);
        Ok(Created::Created(Json(user.into()), location))
    }

    /// The caller's account
    #[oai(path = "/users/me", method = "get", operation_id = "getMe")]
    async fn me(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
    ) -> Result<Me, Problem<AuthErrors>> {
        let me = auth.caller().require(gh).await?;
        Ok(Me::Ok(Json(me.user.clone().into())))
    }

    /// Change the caller's names
    ///
    /// A partial update: fields left out (or null) are unchanged. The email
    /// may change case only; a new address goes through
    /// `POST /api/users/me/email`.
    #[oai(path = "/users/me", method = "patch", operation_id = "updateMe")]
    async fn update_me(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        body: Json<UpdateMeRequest>,
    ) -> Result<Me, Problem<UpdateErrors>> {
        let me = auth.caller().require(gh).await?;
        let change = body.0;
        let user = gh
            .update_me(
                me,
                change.email.as_deref(),
                change.first_name.as_deref(),
                change.last_name.as_deref(),
            )
            .await?;
        Ok(Me::Ok(Json(user.into())))
    }

    /// Change the caller's password
    ///
    /// Every other session of the caller ends (their access and refresh
    /// tokens stop working, including the token used for this call); the
    /// tokens returned, in the shape of `POST /api/token`, keep this one going.
    #[oai(
        path = "/users/me/password",
        method = "post",
        operation_id = "changePassword"
    )]
    async fn change_password(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        body: Json<ChangePasswordRequest>,
    ) -> Result<TokensIssued, Problem<PasswordErrors>> {
        let me = auth.caller().require(gh).await?;
        let ChangePasswordRequest {
            old_password,
            new_password,
        } = body.0;
        let issued = gh
            .change_password(
                me,
                &SecretString::from(old_password.0),
                &SecretString::from(new_password.0),
            )
            .await?;
        Ok(TokensIssued::new(TokenSet::new(issued, gh.now())?))
    }

    /// Log out everywhere
    ///
    /// Every access and refresh token of the caller stops working, on REST
    /// and GraphQL alike, including the token used for this call.
    #[oai(
        path = "/users/me/logout-all",
        method = "post",
        operation_id = "logoutAll"
    )]
    async fn logout_all(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
    ) -> Result<LoggedOut, Problem<AuthErrors>> {
        let me = auth.caller().require(gh).await?;
        gh.revoke_all(me).await?;
        Ok(LoggedOut::NoContent)
    }

    /// Delete the caller's account
    ///
    /// The password is checked as a password change checks the old one
    /// (counted against the account's login attempts: 422 when wrong, 429
    /// after too many). Every token of the account stops working. The last
    /// active superuser cannot (409).
    #[oai(path = "/users/me", method = "delete", operation_id = "deleteMe")]
    async fn delete_me(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        body: Json<DeleteMeRequest>,
    ) -> Result<LoggedOut, Problem<DeleteMeErrors>> {
        let me = auth.caller().require(gh).await?;
        gh.delete_me(me, &SecretString::from(body.0.password.0))
            .await?;
        Ok(LoggedOut::NoContent)
    }

    /// List and search users (staff only)
    ///
    /// Users oldest first (by id), filtered, one page at a time. Callers who
    /// are not staff get 403.
    #[oai(path = "/users", method = "get", operation_id = "listUsers")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        /// Only users whose username or email starts with this, compared
        /// case-insensitively; every character is literal (`%` and `_` are no
        /// wildcards); at most 254 characters. Empty: no filter.
        search: Query<Option<String>>,
        /// Only active (true) or inactive (false) users.
        active: Query<Option<bool>>,
        /// Only staff (true) or non-staff (false) users.
        staff: Query<Option<bool>>,
        /// How many users to skip from the start of the list (default 0, not negative).
        offset: Query<Option<i64>>,
        /// How many users to return at most (default 100, 1 to 1000).
        limit: Query<Option<i64>>,
    ) -> Result<Page, Problem<StaffErrors>> {
        let me = auth.caller().require(gh).await?;
        let q = UserQuery {
            search: search.0.as_deref(),
            active: active.0,
            staff: staff.0,
            offset: offset.0,
            limit: limit.0,
        };
        let users = gh.find_users(Actor::User(me), &q).await?;
        Ok(Page::Ok(Json(UserPage {
            items: users.into_iter().map(User::from).collect(),
            // The service applied these defaults; echo what was used.
            offset: offset.0.unwrap_or(0),
            limit: limit.0.unwrap_or(DEFAULT_PAGE),
        })))
    }
}
