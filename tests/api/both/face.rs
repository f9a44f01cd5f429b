//! The contract both faces keep, in neither face's spelling: a [`Face`]
//! signs up, logs in, reads and changes the caller, refreshes and revokes
//! tokens, lists users, and follows the mailed links (verification,
//! password reset, email change); what it refuses comes back as a [`Failure`] with
//! a face-neutral [`Code`] and the [`Field`]s at fault.
//!
//! Each face checks, while it translates, that a refusal has that face's
//! own shape (GraphQL: HTTP 200, the field null, `extensions.code`; REST:
//! the status, challenge and `Retry-After` that go with the code), so a
//! shared test asserts those on every refusal it meets without saying so.

use std::fmt::Debug;

use serde_json::{Map, Value};

use crate::helpers::*;

/// What a face answers: the success, or why it refused.
pub type Outcome<T> = Result<T, Failure>;

/// Why a request was refused, as both faces mean it (GraphQL's
/// `extensions.code`; REST's `code`, or the OAuth `error` that stands for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    InvalidCredentials,
    TokenExpired,
    TokenInvalid,
    TokenReused,
    EmailNotVerified,
    RateLimited,
    MfaRequired,
    ReauthenticationRequired,
}

impl Code {
    /// The code as both faces write it in an error body.
    pub fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "UNAUTHENTICATED" => Self::Unauthenticated,
            "FORBIDDEN" => Self::Forbidden,
            "NOT_FOUND" => Self::NotFound,
            "BAD_USER_INPUT" => Self::BadUserInput,
            "CONFLICT" => Self::Conflict,
            "INVALID_CREDENTIALS" => Self::InvalidCredentials,
            "TOKEN_EXPIRED" => Self::TokenExpired,
            "TOKEN_INVALID" => Self::TokenInvalid,
            "TOKEN_REUSED" => Self::TokenReused,
            "EMAIL_NOT_VERIFIED" => Self::EmailNotVerified,
            "RATE_LIMITED" => Self::RateLimited,
            "MFA_REQUIRED" => Self::MfaRequired,
            "REAUTHENTICATION_REQUIRED" => Self::ReauthenticationRequired,
            _ => return None,
        })
    }
}

/// An input at fault; each face spells it its own way (`firstName`, `first_name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Username,
    Email,
    Password,
    OldPassword,
    NewPassword,
    FirstName,
    LastName,
    Offset,
    Limit,
    /// The address `requestEmailChange` asks for.
    NewEmail,
    /// The prefix a staff search looks for.
    Search,
    /// A second-factor code.
    Code,
    /// A page's size, cursor and event types (auth events).
    First,
    After,
    Types,
}

impl Field {
    pub const ALL: [Field; 15] = [
        Self::Username,
        Self::Email,
        Self::Password,
        Self::OldPassword,
        Self::NewPassword,
        Self::FirstName,
        Self::LastName,
        Self::Offset,
        Self::Limit,
        Self::NewEmail,
        Self::Search,
        Self::Code,
        Self::First,
        Self::After,
        Self::Types,
    ];

    /// The field a face that spells fields with `spell` calls `name`.
    #[track_caller]
    pub fn spelled(name: &str, spell: fn(Field) -> &'static str) -> Self {
        Self::ALL
            .into_iter()
            .find(|f| spell(*f) == name)
            .unwrap_or_else(|| panic!("an unknown input `{name}`"))
    }

    /// `changes` as a JSON object whose keys `spell` writes.
    pub fn object(changes: &[(Field, &str)], spell: fn(Field) -> &'static str) -> Value {
        let object: Map<String, Value> = changes
            .iter()
            .map(|(field, value)| (spell(*field).to_owned(), Value::from(*value)))
            .collect();
        Value::Object(object)
    }
}

/// An account as a face shows it; the id as a string whichever way the face
/// writes it.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub email_verified: bool,
    pub mfa_enabled: bool,
    /// RFC 3339, as sent.
    pub date_joined: String,
    pub last_login: Option<String>,
}

impl User {
    /// Reads a user from `json`, whose keys `key` spells (`"first_name"` in,
    /// the face's name out).
    pub fn read(json: &Value, key: impl Fn(&str) -> String) -> Self {
        let get = |name: &str| &json[key(name)];
        let text = |name: &str| {
            get(name)
                .as_str()
                .unwrap_or_else(|| panic!("`{name}` is a string: {json:#}"))
                .to_owned()
        };
        let flag = |name: &str| {
            get(name)
                .as_bool()
                .unwrap_or_else(|| panic!("`{name}` is a boolean: {json:#}"))
        };
        let id = match get("id") {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => panic!("an id, got {other}: {json:#}"),
        };
        let last_login = match get("last_login") {
            Value::Null => None,
            _ => Some(text("last_login")),
        };
        Self {
            id,
            username: text("username"),
            email: text("email"),
            first_name: text("first_name"),
            last_name: text("last_name"),
            is_active: flag("is_active"),
            is_staff: flag("is_staff"),
            is_superuser: flag("is_superuser"),
            email_verified: flag("email_verified"),
            mfa_enabled: flag("mfa_enabled"),
            date_joined: text("date_joined"),
            last_login,
        }
    }

    /// Reads each user of the JSON array `list` with `read`.
    pub fn list(list: &Value, read: fn(&Value) -> User) -> Vec<User> {
        list.as_array()
            .unwrap_or_else(|| panic!("a list of users: {list:#}"))
            .iter()
            .map(read)
            .collect()
    }
}

/// The tokens of a login (or of a refresh, or a password change).
#[derive(Debug, Clone)]
pub struct Session {
    pub access: String,
    pub refresh: String,
}

impl Session {
    /// `Authorization: Bearer <access token>`.
    pub fn bearer(&self) -> String {
        bearer(&self.access)
    }
}

/// A session (login) as the sessions list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub id: String,
    pub created_at: String,
    pub last_used_at: String,
    pub user_agent: Option<String>,
    pub ip_address: Option<String>,
    pub current: bool,
}

impl Login {
    /// From a face's JSON, its keys spelled by `key` (`createdAt`, `created_at`).
    pub fn read(json: &Value, key: impl Fn(&str) -> String) -> Self {
        let text = |k: &str| {
            json[key(k)]
                .as_str()
                .unwrap_or_else(|| panic!("`{k}` is a string: {json:#}"))
                .to_owned()
        };
        let maybe = |k: &str| {
            let v = &json[key(k)];
            assert!(v.is_string() || v.is_null(), "`{k}`: {json:#}");
            v.as_str().map(str::to_owned)
        };
        Self {
            id: text("id"),
            created_at: text("created_at"),
            last_used_at: text("last_used_at"),
            user_agent: maybe("user_agent"),
            ip_address: maybe("ip_address"),
            current: json[key("current")]
                .as_bool()
                .unwrap_or_else(|| panic!("`current` is a boolean: {json:#}")),
        }
    }
}

/// A refusal, read from the face's error shape.
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: Code,
    /// The inputs at fault, each with its message.
    pub fields: Vec<(Field, String)>,
    /// The seconds to wait, on RATE_LIMITED.
    pub retry_after: Option<i64>,
    /// The challenge, on MFA_REQUIRED.
    pub challenge: Option<String>,
    /// Everything the client was shown, to compare two refusals.
    pub shown: Value,
}

impl Failure {
    /// The one input at fault and its message; panics unless there is exactly one.
    #[track_caller]
    pub fn field(&self) -> (Field, &str) {
        match &self.fields[..] {
            [(field, message)] => (*field, message),
            _ => panic!("expected exactly one field at fault: {self:#?}"),
        }
    }
}

/// Asserting how an [`Outcome`] was refused.
pub trait Refused {
    /// The failure; panics unless the request was refused with `code`.
    fn refused(self, code: Code) -> Failure;
}

impl<T: Debug> Refused for Outcome<T> {
    #[track_caller]
    fn refused(self, code: Code) -> Failure {
        match self {
            Ok(answer) => panic!("expected {code:?}, got a success: {answer:#?}"),
            Err(failure) => {
                assert_eq!(failure.code, code, "{failure:#?}");
                failure
            }
        }
    }
}

/// One face of Gatehouse, over a running `TestApp`. `authorization` is the
/// whole `Authorization` value, or none.
pub trait Face {
    /// The face, as the test names say it.
    const NAME: &'static str;

    async fn sign_up(app: &TestApp, username: &str, email: &str, password: &str) -> Outcome<User>;

    /// `login` is the username or the email.
    async fn log_in(app: &TestApp, login: &str, password: &str) -> Outcome<Session>;

    async fn me(app: &TestApp, authorization: Option<&str>) -> Outcome<User>;

    /// Rotates a refresh token: a new pair, the old refresh token used up.
    async fn refresh(app: &TestApp, refresh_token: &str) -> Outcome<Session>;

    /// Revokes a refresh token and every token rotated from the same login.
    async fn revoke(app: &TestApp, refresh_token: &str) -> Outcome<()>;

    /// Ends every session of the caller.
    async fn revoke_all(app: &TestApp, authorization: Option<&str>) -> Outcome<()>;

    async fn change_password(
        app: &TestApp,
        authorization: Option<&str>,
        old: &str,
        new: &str,
    ) -> Outcome<Session>;

    /// Changes the caller's email or names; fields left out stay as they are.
    async fn update_me(
        app: &TestApp,
        authorization: Option<&str>,
        changes: &[(Field, &str)],
    ) -> Outcome<User>;

    /// The staff-only list of users.
    async fn users(
        app: &TestApp,
        authorization: Option<&str>,
        offset: Option<i64>,
        limit: Option<i64>,
    ) -> Outcome<Vec<User>>;

    /// Confirms an address with a verification link's token.
    async fn verify_account(app: &TestApp, token: &str) -> Outcome<User>;

    /// Asks for a new verification link; the answer as shown (the same
    /// whether or not the address is anyone's).
    async fn resend_activation_email(app: &TestApp, email: &str) -> Outcome<Value>;

    /// Asks for a password-reset link; the answer as shown.
    async fn send_password_reset_email(app: &TestApp, email: &str) -> Outcome<Value>;

    /// Sets a new password with a reset link's token.
    async fn password_reset(app: &TestApp, token: &str, new_password: &str) -> Outcome<User>;

    /// Asks to change the caller's email: a link goes to the new address.
    async fn request_email_change(
        app: &TestApp,
        authorization: Option<&str>,
        new_email: &str,
        password: &str,
    ) -> Outcome<()>;

    /// Confirms an email change with the link's token.
    async fn confirm_email_change(app: &TestApp, token: &str) -> Outcome<User>;

    /// The caller's sessions, the most recently used first.
    async fn my_sessions(app: &TestApp, authorization: Option<&str>) -> Outcome<Vec<Login>>;

    /// Ends one of the caller's sessions.
    async fn revoke_session(app: &TestApp, authorization: Option<&str>, id: &str) -> Outcome<()>;

    /// Ends every session of the caller's but the current one; how many.
    async fn revoke_other_sessions(app: &TestApp, authorization: Option<&str>) -> Outcome<u64>;

    /// Signs up `username` with `username@example.com` and [`PASSWORD`];
    /// panics unless it succeeds.
    async fn signed_up(app: &TestApp, username: &str) -> User {
        let email = format!("{username}@example.com");
        Self::sign_up(app, username, &email, PASSWORD)
            .await
            .unwrap_or_else(|f| panic!("{username} signs up on {}: {f:#?}", Self::NAME))
    }

    /// Logs in with [`PASSWORD`]; panics unless it succeeds.
    async fn logged_in(app: &TestApp, login: &str) -> Session {
        Self::log_in(app, login, PASSWORD)
            .await
            .unwrap_or_else(|f| panic!("{login} logs in on {}: {f:#?}", Self::NAME))
    }
}
