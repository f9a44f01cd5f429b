//! The bodies of the Django REST compatibility face, in the field names the
//! tutorials' frontends send and read. Every request field is optional in
//! the schema so that a missing one reaches the operation, which answers in
//! DRF's shape (`{"username": ["This field is required."]}`); a value of the
//! wrong type is a 400 before it (`Text` takes strings only). Unknown fields
//! are ignored, as DRF's serializers ignore them.

use poem_openapi::payload::{Form, Json};
use poem_openapi::types::Example;
use poem_openapi::{ApiRequest, Object};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::rest::text::Text;
use crate::rest::user_types::at;
use crate::service::User as DomainUser;

/// simplejwt's `TokenObtainPairSerializer`: a username and a password.
#[derive(Object, Deserialize)]
#[oai(example, skip_serializing_if_is_none)]
pub struct ObtainPair {
    /// The username (an email address works too).
    #[oai(nullable)]
    pub username: Option<Text>,
    /// The password.
    #[oai(nullable)]
    pub password: Option<Text>,
}

impl Example for ObtainPair {
    fn example() -> Self {
        Self {
            username: Some("alice".into()),
            password: Some("correct horse battery staple".into()),
        }
    }
}

/// An access token and a refresh token (simplejwt's pair).
#[derive(Object)]
#[oai(example)]
pub struct Pair {
    /// The access token (PASETO v4.public, not a JWT: treat it as opaque).
    pub access: String,
    /// The refresh token. Single use: `token/refresh/` returns a new one.
    pub refresh: String,
}

impl Example for Pair {
    fn example() -> Self {
        Self {
            access: "v4.public.eyJzdWIiOiI0MiJ9...".into(),
            refresh: "ghr_4Xb3...".into(),
        }
    }
}

/// simplejwt's refresh and blacklist bodies.
#[derive(Object, Deserialize)]
#[oai(example, skip_serializing_if_is_none)]
pub struct RefreshBody {
    /// A refresh token.
    #[oai(nullable)]
    pub refresh: Option<Text>,
}

impl Example for RefreshBody {
    fn example() -> Self {
        Self {
            refresh: Some("ghr_4Xb3...".into()),
        }
    }
}

/// simplejwt's verify body.
#[derive(Object, Deserialize)]
#[oai(example, skip_serializing_if_is_none)]
pub struct VerifyBody {
    /// An access token or a refresh token.
    #[oai(nullable)]
    pub token: Option<Text>,
}

impl Example for VerifyBody {
    fn example() -> Self {
        Self {
            token: Some("v4.public.eyJzdWIiOiI0MiJ9...".into()),
        }
    }
}

/// An empty object, simplejwt's answer to verify and blacklist.
#[derive(Object)]
#[oai(example)]
pub struct Empty {}

impl Example for Empty {
    fn example() -> Self {
        Self {}
    }
}

/// Seed 004's `CreateUserAPIView` body.
#[derive(Object, Deserialize)]
#[oai(example, skip_serializing_if_is_none)]
pub struct CreateUser {
    /// The email address (required; unique, compared case-insensitively).
    #[oai(nullable)]
    pub email: Option<Text>,
    /// The password (required), under the same rules as every sign-up.
    #[oai(nullable)]
    pub password: Option<Text>,
    /// The login name; without one, the email address is the username
    /// (seed 004's model logs in by email).
    #[oai(nullable)]
    pub username: Option<Text>,
    /// At most 150 characters.
    #[oai(nullable)]
    pub first_name: Option<Text>,
    /// At most 150 characters.
    #[oai(nullable)]
    pub last_name: Option<Text>,
}

impl Example for CreateUser {
    fn example() -> Self {
        Self {
            email: Some("alice@example.com".into()),
            password: Some("correct horse battery staple".into()),
            username: None,
            first_name: Some("Alice".into()),
            last_name: Some("Liddell".into()),
        }
    }
}

/// Seed 004's `authenticate_user` body.
#[derive(Object, Deserialize)]
#[oai(example, skip_serializing_if_is_none)]
pub struct Credentials {
    /// The email address (a username works too).
    #[oai(nullable)]
    pub email: Option<Text>,
    /// The password.
    #[oai(nullable)]
    pub password: Option<Text>,
}

impl Example for Credentials {
    fn example() -> Self {
        Self {
            email: Some("alice@example.com".into()),
            password: Some("correct horse battery staple".into()),
        }
    }
}

/// Seed 004's answer to a login: the user's name and an access token.
#[derive(Object)]
#[oai(example)]
pub struct NameToken {
    /// `"<first name> <last name>"`, as the tutorial formats it.
    pub name: String,
    /// The access token (PASETO v4.public, not a JWT: treat it as opaque).
    pub token: String,
}

impl Example for NameToken {
    fn example() -> Self {
        Self {
            name: "Alice Liddell".into(),
            token: "v4.public.eyJzdWIiOiI0MiJ9...".into(),
        }
    }
}

/// The fields `PUT`/`PATCH /user/update/` may change. `id` and
/// `date_joined` are read-only, as in DRF, and ignored.
#[derive(Object, Deserialize, Default)]
#[oai(example, skip_serializing_if_is_none)]
pub struct UserChanges {
    /// The new email address.
    #[oai(nullable)]
    pub email: Option<Text>,
    /// The new first name.
    #[oai(nullable)]
    pub first_name: Option<Text>,
    /// The new last name.
    #[oai(nullable)]
    pub last_name: Option<Text>,
    /// A new password (the password rules apply; every session of the
    /// account ends, and the answer carries a new pair for this client).
    #[oai(nullable)]
    pub password: Option<Text>,
    /// Read-only: the same value is ignored, a different one is a 400.
    #[oai(nullable)]
    pub username: Option<Text>,
}

impl Example for UserChanges {
    fn example() -> Self {
        Self {
            first_name: Some("Alice".into()),
            last_name: Some("Liddell".into()),
            ..Self::default()
        }
    }
}

/// Seed 004's update body: the changes under `user` (as its view reads
/// `request.data["user"]`), or the same fields at the top level.
#[derive(Object, Deserialize)]
#[oai(example, skip_serializing_if_is_none)]
pub struct UpdateBody {
    /// The changes. Give them here or at the top level, not both (400).
    #[oai(nullable)]
    pub user: Option<UserChanges>,
    /// Without `user`: the new email address.
    #[oai(nullable)]
    pub email: Option<Text>,
    /// Without `user`: the new first name.
    #[oai(nullable)]
    pub first_name: Option<Text>,
    /// Without `user`: the new last name.
    #[oai(nullable)]
    pub last_name: Option<Text>,
    /// Without `user`: a new password (see `UserChanges.password`).
    #[oai(nullable)]
    pub password: Option<Text>,
    /// Without `user`: read-only, as in `UserChanges`.
    #[oai(nullable)]
    pub username: Option<Text>,
}

impl UpdateBody {
    /// The changes asked for: `user`, or the top-level fields. `None` when
    /// both are given (which would leave one set silently unused).
    pub fn changes(self) -> Option<UserChanges> {
        let flat = UserChanges {
            email: self.email,
            first_name: self.first_name,
            last_name: self.last_name,
            password: self.password,
            username: self.username,
        };
        match self.user {
            None => Some(flat),
            Some(nested) if flat.is_empty() => Some(nested),
            Some(_) => None,
        }
    }
}

impl UserChanges {
    fn is_empty(&self) -> bool {
        let Self {
            email,
            first_name,
            last_name,
            password,
            username,
        } = self;
        [email, first_name, last_name, password, username]
            .iter()
            .all(|f| f.is_none())
    }
}

impl Example for UpdateBody {
    fn example() -> Self {
        Self {
            user: Some(UserChanges {
                first_name: Some("Alice".into()),
                last_name: Some("Liddell".into()),
                ..UserChanges::default()
            }),
            email: None,
            first_name: None,
            last_name: None,
            password: None,
            username: None,
        }
    }
}

/// The user as seed 004's serializer writes it (never the password).
#[derive(Object)]
#[oai(example, skip_serializing_if_is_none)]
pub struct DrfUser {
    /// The user's id.
    pub id: i64,
    /// The login name (the email address when none was given at sign-up).
    pub username: String,
    /// The email address.
    pub email: String,
    /// The first name ("" if none).
    pub first_name: String,
    /// The last name ("" if none).
    pub last_name: String,
    /// When the account was created (ISO 8601, UTC).
    pub date_joined: OffsetDateTime,
    /// Only after a password change: the new access token of this client
    /// (the one it sent has ended with every other session).
    pub access: Option<String>,
    /// Only after a password change: the new refresh token of this client.
    pub refresh: Option<String>,
}

impl From<DomainUser> for DrfUser {
    fn from(u: DomainUser) -> Self {
        Self {
            id: u.id,
            username: u.username,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            date_joined: at(u.date_joined),
            access: None,
            refresh: None,
        }
    }
}

impl Example for DrfUser {
    fn example() -> Self {
        Self {
            id: 42,
            username: "alice@example.com".into(),
            email: "alice@example.com".into(),
            first_name: "Alice".into(),
            last_name: "Liddell".into(),
            date_joined: at(1_764_000_000),
            access: None,
            refresh: None,
        }
    }
}

/// A request body as JSON or as a form, as DRF's default parsers take it.
macro_rules! json_or_form {
    ($($(#[$doc:meta])* $name:ident($inner:ty);)*) => {$(
        $(#[$doc])*
        #[derive(ApiRequest)]
        pub enum $name {
            Json(Json<$inner>),
            Form(Form<$inner>),
        }

        impl $name {
            pub fn into_inner(self) -> $inner {
                match self {
                    Self::Json(b) => b.0,
                    Self::Form(b) => b.0,
                }
            }
        }
    )*};
}

json_or_form! {
    /// `login/`'s body.
    ObtainPairRequest(ObtainPair);
    /// `token/refresh/`'s and `token/blacklist/`'s body.
    RefreshRequest(RefreshBody);
    /// `token/verify/`'s body.
    VerifyRequest(VerifyBody);
    /// `user/create/`'s body.
    CreateUserRequest(CreateUser);
    /// `user/obtain_token/`'s body.
    CredentialsRequest(Credentials);
    /// `user/update/`'s body.
    UpdateRequest(UpdateBody);
}
