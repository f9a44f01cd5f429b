//! The GraphQL face as the shared tests see it: each [`Face`] operation is
//! one mutation or query, and a refusal is read from `errors[0]` after
//! checking GraphQL's shape (HTTP 200, the field null, a message).

use serde_json::{json, Value};

use super::client::*;
use crate::both::face::*;
use crate::helpers::*;

/// Gatehouse over `POST /graphql`.
pub struct Graphql;

/// `first_name` → `firstName`.
pub fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn spell(field: Field) -> &'static str {
    match field {
        Field::Username => "username",
        Field::Email => "email",
        Field::Password => "password",
        Field::OldPassword => "oldPassword",
        Field::NewPassword => "newPassword",
        Field::FirstName => "firstName",
        Field::LastName => "lastName",
        Field::Offset => "offset",
        Field::Limit => "limit",
        Field::NewEmail => "newEmail",
        Field::Search => "search",
        Field::Code => "code",
        Field::First => "first",
        Field::After => "after",
        Field::Types => "types",
    }
}

/// `data.<field>` of `body`, or the refusal in its `errors`.
pub(crate) fn answer(body: Value, field: &str) -> Outcome<Value> {
    let errors = body["errors"].as_array().map_or(0, Vec::len);
    if errors == 0 {
        return Ok(body["data"][field].clone());
    }
    assert!(
        body["data"].is_null() || body["data"][field].is_null(),
        "`{field}` is null when it fails: {body:#}"
    );
    let first = &body["errors"][0];
    assert!(
        first["message"].as_str().is_some_and(|m| !m.is_empty()),
        "the error has a message: {body:#}"
    );
    let code = first["extensions"]["code"]
        .as_str()
        .and_then(Code::parse)
        .unwrap_or_else(|| panic!("not a refusal the contract knows: {body:#}"));
    let fields = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let name = e["extensions"]["field"].as_str()?;
            let message = e["message"].as_str().unwrap_or_default().to_owned();
            Some((Field::spelled(name, spell), message))
        })
        .collect();
    Err(Failure {
        code,
        fields,
        retry_after: first["extensions"]["retryAfter"].as_i64(),
        challenge: first["extensions"]["challenge"].as_str().map(str::to_owned),
        shown: body,
    })
}

pub(crate) fn user(json: &Value) -> User {
    assert!(json["id"].is_string(), "a GraphQL ID is a string: {json:#}");
    User::read(json, camel)
}

fn session(json: &Value) -> Session {
    let token = |key: &str| {
        json[key]
            .as_str()
            .unwrap_or_else(|| panic!("`{key}`: {json:#}"))
            .to_owned()
    };
    Session {
        access: token("token"),
        refresh: token("refreshToken"),
    }
}

impl Face for Graphql {
    const NAME: &'static str = "GraphQL";

    async fn sign_up(app: &TestApp, username: &str, email: &str, password: &str) -> Outcome<User> {
        let body = app.create_user(username, email, password, None).await;
        answer(body, "createUser").map(|v| user(&v["user"]))
    }

    async fn log_in(app: &TestApp, login: &str, password: &str) -> Outcome<Session> {
        let body = app.token_auth(login, password, None).await;
        answer(body, "tokenAuth").map(|v| session(&v))
    }

    async fn me(app: &TestApp, authorization: Option<&str>) -> Outcome<User> {
        answer(app.me(authorization).await, "me").map(|v| user(&v))
    }

    async fn refresh(app: &TestApp, refresh_token: &str) -> Outcome<Session> {
        answer(app.rotate(refresh_token).await, "refreshToken").map(|v| session(&v))
    }

    async fn revoke(app: &TestApp, refresh_token: &str) -> Outcome<()> {
        let vars = json!({ "refreshToken": refresh_token });
        let body = app.graphql(REVOKE_TOKEN, vars, None).await;
        answer(body, "revokeToken").map(|v| {
            assert!(v["revoked"].is_i64(), "revoked is a time: {v:#}");
        })
    }

    async fn revoke_all(app: &TestApp, authorization: Option<&str>) -> Outcome<()> {
        let body = app.graphql(REVOKE_ALL, json!({}), authorization).await;
        answer(body, "revokeAllTokens").map(|v| {
            assert!(v["revoked"].is_i64(), "revoked is a time: {v:#}");
        })
    }

    async fn change_password(
        app: &TestApp,
        authorization: Option<&str>,
        old: &str,
        new: &str,
    ) -> Outcome<Session> {
        let vars = json!({ "old": old, "new": new });
        let body = app.graphql(CHANGE_PASSWORD, vars, authorization).await;
        answer(body, "changePassword").map(|v| session(&v))
    }

    async fn update_me(
        app: &TestApp,
        authorization: Option<&str>,
        changes: &[(Field, &str)],
    ) -> Outcome<User> {
        let vars = Field::object(changes, spell);
        let body = app.graphql(UPDATE_ME, vars, authorization).await;
        answer(body, "updateMe").map(|v| user(&v["user"]))
    }

    async fn users(
        app: &TestApp,
        authorization: Option<&str>,
        offset: Option<i64>,
        limit: Option<i64>,
    ) -> Outcome<Vec<User>> {
        let vars = json!({ "offset": offset, "limit": limit });
        let body = app.graphql(USERS, vars, authorization).await;
        answer(body, "users").map(|v| User::list(&v, user))
    }

    async fn verify_account(app: &TestApp, token: &str) -> Outcome<User> {
        let body = app
            .graphql(VERIFY_ACCOUNT, json!({ "token": token }), None)
            .await;
        answer(body, "verifyAccount").map(|v| succeeded(&v, |v| user(&v["user"])))
    }

    async fn resend_activation_email(app: &TestApp, email: &str) -> Outcome<Value> {
        let body = app
            .graphql(RESEND_ACTIVATION, json!({ "email": email }), None)
            .await;
        answer(body.clone(), "resendActivationEmail").map(|v| succeeded(&v, |_| body))
    }

    async fn send_password_reset_email(app: &TestApp, email: &str) -> Outcome<Value> {
        let body = app
            .graphql(SEND_RESET, json!({ "email": email }), None)
            .await;
        answer(body.clone(), "sendPasswordResetEmail").map(|v| succeeded(&v, |_| body))
    }

    async fn password_reset(app: &TestApp, token: &str, new_password: &str) -> Outcome<User> {
        let vars = json!({ "token": token, "newPassword": new_password });
        let body = app.graphql(PASSWORD_RESET, vars, None).await;
        answer(body, "passwordReset").map(|v| succeeded(&v, |v| user(&v["user"])))
    }

    async fn request_email_change(
        app: &TestApp,
        authorization: Option<&str>,
        new_email: &str,
        password: &str,
    ) -> Outcome<()> {
        let vars = json!({ "newEmail": new_email, "password": password });
        let body = app.graphql(REQUEST_EMAIL_CHANGE, vars, authorization).await;
        answer(body, "requestEmailChange").map(|v| succeeded(&v, |_| ()))
    }

    async fn confirm_email_change(app: &TestApp, token: &str) -> Outcome<User> {
        let body = app
            .graphql(CONFIRM_EMAIL_CHANGE, json!({ "token": token }), None)
            .await;
        answer(body, "confirmEmailChange").map(|v| succeeded(&v, |v| user(&v["user"])))
    }

    async fn my_sessions(app: &TestApp, authorization: Option<&str>) -> Outcome<Vec<Login>> {
        let body = app.graphql(MY_SESSIONS, json!({}), authorization).await;
        answer(body, "mySessions").map(|v| {
            v.as_array()
                .unwrap_or_else(|| panic!("a list: {v:#}"))
                .iter()
                .map(|s| Login::read(s, camel))
                .collect()
        })
    }

    async fn revoke_session(app: &TestApp, authorization: Option<&str>, id: &str) -> Outcome<()> {
        let body = app
            .graphql(REVOKE_SESSION, json!({ "id": id }), authorization)
            .await;
        answer(body, "revokeSession").map(|v| succeeded(&v, |_| ()))
    }

    async fn revoke_other_sessions(app: &TestApp, authorization: Option<&str>) -> Outcome<u64> {
        let body = app
            .graphql(REVOKE_OTHER_SESSIONS, json!({}), authorization)
            .await;
        answer(body, "revokeOtherSessions").map(|v| {
            succeeded(&v, |v| {
                v["revokedCount"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("revokedCount: {v:#}"))
            })
        })
    }
}

/// A payload's `success`, asserted true, then `read` of the payload.
#[track_caller]
fn succeeded<T>(payload: &Value, read: impl FnOnce(&Value) -> T) -> T {
    assert_eq!(
        payload["success"], true,
        "a successful payload: {payload:#}"
    );
    read(payload)
}

/// The user fields the mail operations' payloads ask for.
macro_rules! user {
    () => {
        "user { id username email firstName lastName isActive isStaff isSuperuser \
         dateJoined lastLogin emailVerified mfaEnabled }"
    };
}

const VERIFY_ACCOUNT: &str = concat!(
    "mutation ($token: String!) { verifyAccount(token: $token) { success ",
    user!(),
    " } }"
);

const RESEND_ACTIVATION: &str =
    "mutation ($email: String!) { resendActivationEmail(email: $email) { success } }";

const SEND_RESET: &str =
    "mutation ($email: String!) { sendPasswordResetEmail(email: $email) { success } }";

const PASSWORD_RESET: &str = concat!(
    "mutation ($token: String!, $newPassword: String!) { ",
    "passwordReset(token: $token, newPassword: $newPassword) { success ",
    user!(),
    " } }"
);

const REQUEST_EMAIL_CHANGE: &str = "mutation ($newEmail: String!, $password: String!) {
  requestEmailChange(newEmail: $newEmail, password: $password) { success }
}";

const CONFIRM_EMAIL_CHANGE: &str = concat!(
    "mutation ($token: String!) { confirmEmailChange(token: $token) { success ",
    user!(),
    " } }"
);

const MY_SESSIONS: &str = "{ mySessions { id createdAt lastUsedAt userAgent ipAddress current } }";
const REVOKE_SESSION: &str = "mutation ($id: ID!) { revokeSession(id: $id) { success } }";
const REVOKE_OTHER_SESSIONS: &str = "mutation { revokeOtherSessions { success revokedCount } }";
