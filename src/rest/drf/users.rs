//! Seed 004's views: create a user (`user/create/`), log in by email
//! (`user/obtain_token/`, its `authenticate_user`), and read or change the
//! caller (`user/update/`, its `UserRetrieveUpdateAPIView`). Each is one
//! call into the service.

use std::collections::BTreeMap;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use secrecy::SecretString;

use super::errors::{
    required, CreateErrors, DrfProblem, LoginErrors, ReadErrors, UpdateErrors, View,
    PROVIDE_EMAIL_AND_PASSWORD,
};
use super::types::{
    CreateUser, CreateUserRequest, Credentials, CredentialsRequest, DrfUser, NameToken,
    UpdateRequest, UserChanges,
};
use super::DrfTags;
use crate::error::{Error, Field};
use crate::request::RequestContext;
use crate::rest::auth::BearerAuth;
use crate::service::accounts::AccountChanges;
use crate::service::State;

/// Seed 004's views.
pub struct SeedUserApi;

#[derive(ApiResponse)]
pub enum Created {
    /// The new user.
    #[oai(status = 201)]
    Created(Json<DrfUser>),
}

#[derive(ApiResponse)]
pub enum UserOk {
    /// The caller, after any change. After a password change it carries the
    /// client's new `access` and `refresh` tokens (no-store).
    #[oai(status = 200)]
    Ok(
        Json<DrfUser>,
        /// `no-store`: the body may carry tokens.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

impl UserOk {
    fn new(user: DrfUser) -> Self {
        Self::Ok(Json(user), "no-store".into())
    }
}

#[derive(ApiResponse)]
pub enum LoggedIn {
    /// The user's name and an access token.
    #[oai(status = 200)]
    Ok(
        Json<NameToken>,
        /// `no-store`: tokens must not be cached.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// A text that counts only when it has something in it.
fn given(value: &Option<crate::rest::text::Text>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

#[OpenApi(tag = "DrfTags::DjangoRest")]
impl SeedUserApi {
    /// Create a user (seed 004's CreateUserAPIView)
    ///
    /// `{email, password, username?, first_name?, last_name?}` → 201 with the
    /// user. Without a username, the email address is the username. A
    /// missing, invalid or taken field is a 400 naming it. Counted by the
    /// same sign-up throttle as every other face.
    #[oai(
        path = "/user/create/",
        method = "post",
        operation_id = "drfUserCreate"
    )]
    async fn create(
        &self,
        Data(gh): Data<&State>,
        req: &poem::Request,
        body: CreateUserRequest,
    ) -> Result<Created, DrfProblem<CreateErrors>> {
        let CreateUser {
            email,
            password,
            username,
            first_name,
            last_name,
        } = body.into_inner();
        let mut errors = BTreeMap::new();
        let email = required("email", email.as_deref(), &mut errors);
        let password = required("password", password.as_deref(), &mut errors);
        let username = match username.as_deref() {
            None => email,
            given => required("username", given, &mut errors),
        };
        let (Some(email), Some(password), Some(username)) = (email, password, username) else {
            return Err(DrfProblem::fields(errors));
        };
        let defaulted = username == email;
        let client = RequestContext::of(req).caller.client;
        let names = [
            first_name.as_deref().unwrap_or_default(),
            last_name.as_deref().unwrap_or_default(),
        ];
        let user = gh
            .sign_up_named(
                username,
                email,
                &SecretString::from(password.to_owned()),
                names,
                client,
            )
            .await
            .map_err(|e| {
                // The username the client did not send is its email address:
                // a fault in it is the email's.
                let e = match e {
                    Error::BadUserInput {
                        field: Field::Username,
                        message,
                    } if defaulted => Error::BadUserInput {
                        field: Field::Email,
                        message,
                    },
                    Error::Conflict {
                        field: Field::Username,
                    } if defaulted => Error::Conflict {
                        field: Field::Email,
                    },
                    e => e,
                };
                DrfProblem::from_service(e, View::Serializer)
            })?;
        Ok(Created::Created(Json(user.into())))
    }

    /// Log in by email (seed 004's authenticate_user)
    ///
    /// `{email, password}` → `{name, token}` with an access token. Wrong
    /// credentials and inactive accounts get the same 403; a missing field
    /// a 400. Counted by the same login throttle as every other face.
    #[oai(
        path = "/user/obtain_token/",
        method = "post",
        operation_id = "drfUserObtainToken"
    )]
    async fn obtain_token(
        &self,
        Data(gh): Data<&State>,
        req: &poem::Request,
        body: CredentialsRequest,
    ) -> Result<LoggedIn, DrfProblem<LoginErrors>> {
        let Credentials { email, password } = body.into_inner();
        let (Some(email), Some(password)) = (given(&email), given(&password)) else {
            return Err(DrfProblem::error(
                StatusCode::BAD_REQUEST,
                PROVIDE_EMAIL_AND_PASSWORD,
            ));
        };
        let context = RequestContext::of(req);
        let issued = gh
            .login(
                email,
                &SecretString::from(password.to_owned()),
                context.device(),
            )
            .await
            .map_err(|e| DrfProblem::from_service(e, View::SeedLogin))?;
        let name = format!("{} {}", issued.user.first_name, issued.user.last_name);
        Ok(LoggedIn::Ok(
            Json(NameToken {
                name,
                token: issued.token,
            }),
            "no-store".into(),
        ))
    }

    /// The caller (seed 004's UserRetrieveUpdateAPIView, GET)
    #[oai(
        path = "/user/update/",
        method = "get",
        operation_id = "drfUserRetrieve"
    )]
    async fn retrieve(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
    ) -> Result<UserOk, DrfProblem<ReadErrors>> {
        let me = auth
            .caller()
            .require(gh)
            .await
            .map_err(|e| DrfProblem::from_service(e, View::Serializer))?;
        Ok(UserOk::new(me.user.clone().into()))
    }

    /// Change the caller (seed 004's UserRetrieveUpdateAPIView, PUT)
    ///
    /// A partial update, as the tutorial's view does it: `{"user": {...}}`
    /// (or the same fields at the top level). A `password` changes the
    /// password with the access token alone, as in the tutorial (the other
    /// faces ask for the old one): the password rules apply, every session
    /// of the account ends, and the answer carries this client's new pair.
    #[oai(path = "/user/update/", method = "put", operation_id = "drfUserUpdate")]
    async fn update(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        body: UpdateRequest,
    ) -> Result<UserOk, DrfProblem<UpdateErrors>> {
        change(gh, &auth, body.into_inner().changes()).await
    }

    /// Change the caller (PATCH)
    ///
    /// The same partial update as `PUT`.
    #[oai(
        path = "/user/update/",
        method = "patch",
        operation_id = "drfUserPartialUpdate"
    )]
    async fn partial_update(
        &self,
        Data(gh): Data<&State>,
        auth: BearerAuth,
        body: UpdateRequest,
    ) -> Result<UserOk, DrfProblem<UpdateErrors>> {
        change(gh, &auth, body.into_inner().changes()).await
    }
}

async fn change(
    gh: &State,
    auth: &BearerAuth,
    changes: Option<UserChanges>,
) -> Result<UserOk, DrfProblem<UpdateErrors>> {
    let fail = |e| DrfProblem::from_service(e, View::Serializer);
    let me = auth.caller().require(gh).await.map_err(fail)?;
    let Some(changes) = changes else {
        return Err(DrfProblem::detail(
            StatusCode::BAD_REQUEST,
            "Send the changes under `user` or at the top level, not both.",
        ));
    };
    let UserChanges {
        email,
        first_name,
        last_name,
        password,
        username,
    } = changes;
    let mut errors = BTreeMap::new();
    if let Some(u) = username.as_deref() {
        // The same name in another spelling is the same name.
        let same = |a: &str| crate::service::validate::normalize_username(a).to_lowercase();
        if same(u) != same(&me.user.username) {
            errors.insert(
                "username".to_owned(),
                vec!["The username cannot be changed here.".to_owned()],
            );
        }
    }
    let password = match password.as_deref() {
        None => None,
        given => required("password", given, &mut errors),
    };
    if !errors.is_empty() {
        return Err(DrfProblem::fields(errors));
    }
    let password = password.map(|p| SecretString::from(p.to_owned()));
    let (user, issued) = gh
        .change_account(
            me,
            AccountChanges {
                email: email.as_deref(),
                first_name: first_name.as_deref(),
                last_name: last_name.as_deref(),
                password: password.as_ref(),
                client: auth.caller().client,
            },
        )
        .await
        .map_err(fail)?;
    let mut user = super::types::DrfUser::from(user);
    if let Some(issued) = issued {
        user.access = Some(issued.token);
        user.refresh = issued.refresh_token;
    }
    Ok(UserOk::new(user))
}
