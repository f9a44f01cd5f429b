//! The REST face as the shared tests see it: each [`Face`] operation is one
//! request under `/api`, and a refusal is read from either error shape
//! after checking that its status (and challenge, and `Retry-After`) go
//! with its code.

use reqwest::Method;
use serde_json::{json, Value};

use super::client::*;
use crate::both::face::*;
use crate::helpers::*;

/// Gatehouse over `/api`.
pub struct Rest;

fn spell(field: Field) -> &'static str {
    match field {
        Field::Username => "username",
        Field::Email => "email",
        Field::Password => "password",
        Field::OldPassword => "old_password",
        Field::NewPassword => "new_password",
        Field::FirstName => "first_name",
        Field::LastName => "last_name",
        Field::Offset => "offset",
        Field::Limit => "limit",
        Field::NewEmail => "new_email",
        Field::Search => "search",
        Field::Code => "code",
        Field::First => "first",
        Field::After => "after",
        Field::Types => "types",
    }
}

/// The status REST answers a code with, in its `{code, message}` shape.
fn status_of(code: Code) -> u16 {
    match code {
        Code::Unauthenticated
        | Code::InvalidCredentials
        | Code::TokenExpired
        | Code::TokenInvalid
        | Code::TokenReused => 401,
        Code::Forbidden
        | Code::EmailNotVerified
        | Code::MfaRequired
        | Code::ReauthenticationRequired => 403,
        Code::NotFound => 404,
        Code::Conflict => 409,
        Code::BadUserInput => 422,
        Code::RateLimited => 429,
    }
}

/// The code an OAuth error stands for. RFC 6749 has one code,
/// `invalid_grant`, for bad credentials and every unusable refresh token;
/// the description (the same text GraphQL shows) tells them apart.
fn oauth_code(reply: &Reply) -> Code {
    let error = reply.body["error"].as_str().unwrap_or_default();
    let description = reply.body["error_description"]
        .as_str()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| panic!("an OAuth error has a description: {:#}", reply.body));
    match (reply.status, error) {
        (429, "temporarily_unavailable") => Code::RateLimited,
        (403, "EMAIL_NOT_VERIFIED") => Code::EmailNotVerified,
        (403, "MFA_REQUIRED") => Code::MfaRequired,
        (400, "invalid_grant") if description == "Please enter valid credentials." => {
            Code::InvalidCredentials
        }
        (400, "invalid_grant") if description.contains("already used") => Code::TokenReused,
        (400, "invalid_grant") if description.contains("expired") => Code::TokenExpired,
        (400, "invalid_grant") if description.starts_with("The token is invalid") => {
            Code::TokenInvalid
        }
        _ => panic!(
            "not a refusal the contract knows: {} {:#}",
            reply.status, reply.body
        ),
    }
}

/// The status a mailed link's token is refused with: 400 (the link is bad;
/// the caller's credentials are not at fault), anything else as usual.
fn link_status_of(code: Code) -> u16 {
    match code {
        Code::TokenExpired | Code::TokenInvalid => 400,
        _ => status_of(code),
    }
}

fn failure_as(reply: Reply, status_of: fn(Code) -> u16) -> Failure {
    let code = match reply.body["code"].as_str() {
        Some(code) => {
            let code = Code::parse(code)
                .unwrap_or_else(|| panic!("not a refusal the contract knows: {:#}", reply.body));
            reply.expect_error(status_of(code), reply.body["code"].as_str().unwrap());
            code
        }
        None => oauth_code(&reply),
    };
    let challenge = reply.header("www-authenticate");
    match code {
        Code::Unauthenticated => {
            assert_eq!(
                challenge,
                Some(r#"Bearer realm="gatehouse""#),
                "a bare challenge"
            )
        }
        _ if reply.status == 401 => assert!(
            challenge.is_some_and(
                |c| c.starts_with(r#"Bearer realm="gatehouse", error="invalid_token""#)
            ),
            "an RFC 6750 challenge: {challenge:?}"
        ),
        _ => {}
    }
    let retry_after = reply.header("retry-after").map(|s| {
        s.parse::<i64>()
            .unwrap_or_else(|_| panic!("Retry-After is seconds: {s}"))
    });
    if code == Code::RateLimited {
        assert!(retry_after.is_some_and(|s| s >= 1), "{retry_after:?}");
    }
    let fields = reply.body["fields"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, message)| {
            let message = message
                .as_str()
                .unwrap_or_else(|| panic!("a message per field: {:#}", reply.body));
            (Field::spelled(name, spell), message.to_owned())
        })
        .collect();
    let challenge = reply.body["challenge"].as_str().map(str::to_owned);
    assert_eq!(
        challenge.is_some(),
        code == Code::MfaRequired,
        "a challenge comes with MFA_REQUIRED only: {:#}",
        reply.body
    );
    Failure {
        code,
        fields,
        retry_after,
        challenge,
        shown: reply.body,
    }
}

/// The body of a `status` reply, or the refusal.
pub(crate) fn answer(reply: Reply, status: u16) -> Outcome<Value> {
    answer_as(reply, status, status_of)
}

/// [`answer`], for an operation that takes a mailed link's token.
fn answer_link(reply: Reply, status: u16) -> Outcome<Value> {
    answer_as(reply, status, link_status_of)
}

fn answer_as(reply: Reply, status: u16, status_of: fn(Code) -> u16) -> Outcome<Value> {
    if reply.status == status {
        Ok(reply.body)
    } else if reply.status < 400 {
        panic!("expected {status}, got {}: {:#}", reply.status, reply.body)
    } else {
        Err(failure_as(reply, status_of))
    }
}

/// A 202's `{"detail": "..."}`, checked; the body as shown.
fn accepted(body: Value) -> Value {
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "a 202 says what happens next: {body:#}"
    );
    body
}

pub(crate) fn user(json: &Value) -> User {
    assert!(json["id"].is_i64(), "a REST id is an integer: {json:#}");
    User::read(json, str::to_owned)
}

fn session(json: &Value) -> Session {
    let tokens = Tokens::from_body(json);
    Session {
        access: tokens.access,
        refresh: tokens.refresh,
    }
}

impl Face for Rest {
    const NAME: &'static str = "REST";

    async fn sign_up(app: &TestApp, username: &str, email: &str, password: &str) -> Outcome<User> {
        let reply = app.rest_sign_up(username, email, password).await;
        answer(reply, 201).map(|v| user(&v))
    }

    async fn log_in(app: &TestApp, login: &str, password: &str) -> Outcome<Session> {
        let reply = app.password_grant(login, password).await;
        answer(reply, 200).map(|v| session(&v))
    }

    async fn me(app: &TestApp, authorization: Option<&str>) -> Outcome<User> {
        let reply = app.rest_get("/api/users/me", authorization).await;
        answer(reply, 200).map(|v| user(&v))
    }

    async fn refresh(app: &TestApp, refresh_token: &str) -> Outcome<Session> {
        let reply = app.refresh_grant(refresh_token).await;
        answer(reply, 200).map(|v| session(&v))
    }

    async fn revoke(app: &TestApp, refresh_token: &str) -> Outcome<()> {
        let form = [
            ("token", refresh_token),
            ("token_type_hint", "refresh_token"),
        ];
        let reply = app.rest_form("/api/token/revoke", &form).await;
        answer(reply, 200).map(|v| assert_eq!(v, Value::Null, "RFC 7009: an empty body"))
    }

    async fn revoke_all(app: &TestApp, authorization: Option<&str>) -> Outcome<()> {
        let req = app.rest(Method::POST, "/api/users/me/logout-all", authorization);
        let reply = app.send(req).await;
        answer(reply, 204).map(|v| assert_eq!(v, Value::Null, "204: no body"))
    }

    async fn change_password(
        app: &TestApp,
        authorization: Option<&str>,
        old: &str,
        new: &str,
    ) -> Outcome<Session> {
        let body = json!({ "old_password": old, "new_password": new });
        let path = "/api/users/me/password";
        let reply = app.rest_json(Method::POST, path, body, authorization).await;
        answer(reply, 200).map(|v| session(&v))
    }

    async fn update_me(
        app: &TestApp,
        authorization: Option<&str>,
        changes: &[(Field, &str)],
    ) -> Outcome<User> {
        let body = Field::object(changes, spell);
        let path = "/api/users/me";
        let reply = app
            .rest_json(Method::PATCH, path, body, authorization)
            .await;
        answer(reply, 200).map(|v| user(&v))
    }

    async fn users(
        app: &TestApp,
        authorization: Option<&str>,
        offset: Option<i64>,
        limit: Option<i64>,
    ) -> Outcome<Vec<User>> {
        let query: Vec<String> = [("offset", offset), ("limit", limit)]
            .into_iter()
            .filter_map(|(name, value)| Some(format!("{name}={}", value?)))
            .collect();
        let path = match query.is_empty() {
            true => "/api/users".to_owned(),
            false => format!("/api/users?{}", query.join("&")),
        };
        let reply = app.rest_get(&path, authorization).await;
        answer(reply, 200).map(|page| User::list(&page["items"], user))
    }

    async fn verify_account(app: &TestApp, token: &str) -> Outcome<User> {
        let body = json!({ "token": token });
        let reply = app
            .rest_json(Method::POST, "/api/account/verify", body, None)
            .await;
        answer_link(reply, 200).map(|v| user(&v))
    }

    async fn resend_activation_email(app: &TestApp, email: &str) -> Outcome<Value> {
        let body = json!({ "email": email });
        let path = "/api/account/verify/resend";
        let reply = app.rest_json(Method::POST, path, body, None).await;
        answer(reply, 202).map(accepted)
    }

    async fn send_password_reset_email(app: &TestApp, email: &str) -> Outcome<Value> {
        let body = json!({ "email": email });
        let path = "/api/account/password-reset";
        let reply = app.rest_json(Method::POST, path, body, None).await;
        answer(reply, 202).map(accepted)
    }

    async fn password_reset(app: &TestApp, token: &str, new_password: &str) -> Outcome<User> {
        let body = json!({ "token": token, "new_password": new_password });
        let path = "/api/account/password-reset/confirm";
        let reply = app.rest_json(Method::POST, path, body, None).await;
        answer_link(reply, 200).map(|v| user(&v))
    }

    async fn request_email_change(
        app: &TestApp,
        authorization: Option<&str>,
        new_email: &str,
        password: &str,
    ) -> Outcome<()> {
        let body = json!({ "new_email": new_email, "password": password });
        let path = "/api/users/me/email";
        let reply = app.rest_json(Method::POST, path, body, authorization).await;
        answer(reply, 202).map(|v| drop(accepted(v)))
    }

    async fn confirm_email_change(app: &TestApp, token: &str) -> Outcome<User> {
        let body = json!({ "token": token });
        let path = "/api/account/email/confirm";
        let reply = app.rest_json(Method::POST, path, body, None).await;
        answer_link(reply, 200).map(|v| user(&v))
    }

    async fn my_sessions(app: &TestApp, authorization: Option<&str>) -> Outcome<Vec<Login>> {
        let reply = app
            .send(app.rest(Method::GET, "/api/users/me/sessions", authorization))
            .await;
        answer(reply, 200).map(|v| {
            v.as_array()
                .unwrap_or_else(|| panic!("a list: {v:#}"))
                .iter()
                .map(|s| Login::read(s, str::to_owned))
                .collect()
        })
    }

    async fn revoke_session(app: &TestApp, authorization: Option<&str>, id: &str) -> Outcome<()> {
        let path = format!("/api/users/me/sessions/{}", urlencoding(id));
        let reply = app
            .send(app.rest(Method::DELETE, &path, authorization))
            .await;
        answer(reply, 204).map(|v| assert_eq!(v, Value::Null, "204: no body"))
    }

    async fn revoke_other_sessions(app: &TestApp, authorization: Option<&str>) -> Outcome<u64> {
        let req = app.rest(
            Method::POST,
            "/api/users/me/sessions/revoke-others",
            authorization,
        );
        let reply = app.send(req).await;
        answer(reply, 200).map(|v| {
            v["revoked_count"]
                .as_u64()
                .unwrap_or_else(|| panic!("revoked_count: {v:#}"))
        })
    }
}

/// `id` as one path segment.
fn urlencoding(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
