//! The bodies of the users API: the user as REST shows it (snake_case, as
//! Django REST framework serializes a Django user) and the request bodies.

use poem_openapi::types::Example;
use poem_openapi::Object;
use time::OffsetDateTime;

use super::text::Text;
use crate::service;

/// A user account. The password is never exposed.
#[derive(Object)]
#[oai(example)]
pub struct User {
    /// The user's id.
    pub id: i64,
    /// The login name.
    pub username: String,
    /// The email address.
    pub email: String,
    /// The first name (may be empty).
    pub first_name: String,
    /// The last name (may be empty).
    pub last_name: String,
    /// Whether the user may log in.
    pub is_active: bool,
    /// Whether the user may list users.
    pub is_staff: bool,
    /// Whether the user has every permission.
    pub is_superuser: bool,
    /// When the account was created (RFC 3339, UTC).
    pub date_joined: OffsetDateTime,
    /// When the user last logged in with a password (RFC 3339, UTC); null if never.
    #[oai(nullable)]
    pub last_login: Option<OffsetDateTime>,
    /// Whether the email address was confirmed by a link mailed to it
    /// (users imported from Django, and those created before verification
    /// existed, count as confirmed).
    pub email_verified: bool,
    /// Whether a second factor (TOTP) is on: a password login then needs a code.
    pub mfa_enabled: bool,
}

/// Unix seconds as a time; out-of-range values (never stored) become the epoch.
pub(crate) fn at(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl From<service::User> for User {
    fn from(u: service::User) -> Self {
        Self {
            id: u.id,
            username: u.username,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            is_active: u.is_active,
            is_staff: u.is_staff,
            is_superuser: u.is_superuser,
            date_joined: at(u.date_joined),
            last_login: u.last_login.map(at),
            email_verified: u.email_verified,
            mfa_enabled: u.mfa_enabled,
        }
    }
}

impl Example for User {
    fn example() -> Self {
        Self {
            id: 42,
            username: "alice".into(),
            email: "alice@example.com".into(),
            first_name: "Alice".into(),
            last_name: "Liddell".into(),
            is_active: true,
            is_staff: false,
            is_superuser: false,
            date_joined: at(1_764_000_000),
            last_login: Some(at(1_764_086_400)),
            email_verified: true,
            mfa_enabled: false,
        }
    }
}

/// Sign-up details.
#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct SignUpRequest {
    /// The login name: 1 to 150 characters of letters, digits and
    /// `@ . + - _` (unique, compared case-insensitively).
    pub username: Text,
    /// The email address (unique, compared case-insensitively).
    pub email: Text,
    /// At least 8 characters, at most 1024 bytes, not equal to the username
    /// or the email address.
    pub password: Text,
}

impl Example for SignUpRequest {
    fn example() -> Self {
        Self {
            username: "alice".into(),
            email: "alice@example.com".into(),
            password: "correct horse battery staple".into(),
        }
    }
}

/// Profile changes: fields left out (or null) are unchanged.
#[derive(Object)]
#[oai(example, deny_unknown_fields, skip_serializing_if_is_none)]
pub struct UpdateMeRequest {
    /// The email address in another case (`Alice@Example.com` for
    /// `alice@example.com`). Another address is refused with 422: change it
    /// with `POST /api/users/me/email`, which asks for the password and
    /// confirms the new address by a link mailed to it.
    #[oai(nullable)]
    pub email: Option<Text>,
    /// The new first name (at most 150 characters).
    #[oai(nullable)]
    pub first_name: Option<Text>,
    /// The new last name (at most 150 characters).
    #[oai(nullable)]
    pub last_name: Option<Text>,
}

impl Example for UpdateMeRequest {
    fn example() -> Self {
        Self {
            email: None,
            first_name: Some("Alice".into()),
            last_name: Some("Liddell".into()),
        }
    }
}

/// A password change.
#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The current password.
    pub old_password: Text,
    /// The new password, under the same rules as at sign-up.
    pub new_password: Text,
}

impl Example for ChangePasswordRequest {
    fn example() -> Self {
        Self {
            old_password: "correct horse battery staple".into(),
            new_password: "a much longer passphrase".into(),
        }
    }
}

/// The account's password, to delete it.
#[derive(Object)]
#[oai(deny_unknown_fields, example)]
pub struct DeleteMeRequest {
    /// The caller's current password.
    pub password: Text,
}

impl Example for DeleteMeRequest {
    fn example() -> Self {
        Self {
            password: "correct horse battery staple".into(),
        }
    }
}

/// One page of users, oldest first.
#[derive(Object)]
#[oai(example)]
pub struct UserPage {
    /// The users on this page, by ascending id.
    pub items: Vec<User>,
    /// How many users were skipped (the `offset` used).
    pub offset: i64,
    /// The largest page asked for (the `limit` used); fewer items means the end.
    pub limit: i64,
}

impl Example for UserPage {
    fn example() -> Self {
        Self {
            items: vec![User::example()],
            offset: 0,
            limit: 100,
        }
    }
}
