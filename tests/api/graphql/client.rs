//! A small GraphQL client over the shared `TestApp`: one request, the
//! operations the tests send most, and assertions on GraphQL's error shape
//! (`errors[0].extensions.code`, the failed field null, HTTP 200).

use serde_json::{json, Value};

use crate::helpers::*;

/// A user as created: its id (as the API spells it) and the JSON returned.
pub struct Created {
    pub id: String,
    pub user: Value,
}

impl TestApp {
    /// Posts one GraphQL request; `auth` is the full `Authorization` value.
    pub async fn post_graphql(
        &self,
        query: &str,
        variables: Value,
        auth: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(a) = auth {
            req = req.header(reqwest::header::AUTHORIZATION, a);
        }
        req.send().await.expect("the request is sent")
    }

    /// Posts one GraphQL request and returns the body; GraphQL-level errors
    /// must still be HTTP 200.
    pub async fn graphql(&self, query: &str, variables: Value, auth: Option<&str>) -> Value {
        let resp = self.post_graphql(query, variables, auth).await;
        let status = resp.status();
        let body: Value = resp.json().await.expect("a JSON body");
        assert_eq!(status, 200, "GraphQL responses are HTTP 200: {body}");
        body
    }

    /// `graphql` with `Authorization: Bearer <token>`.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.graphql(query, variables, Some(&bearer(token))).await
    }

    /// Signs up through `createUser`; panics unless it succeeds.
    pub async fn sign_up(&self, username: &str, email: &str, password: &str) -> Created {
        let body = self.create_user(username, email, password, None).await;
        assert_no_errors(&body);
        let user = body["data"]["createUser"]["user"].clone();
        let id = user["id"].as_str().expect("the user has an id").to_owned();
        Created { id, user }
    }

    /// `createUser` as sent, whatever the outcome.
    pub async fn create_user(
        &self,
        username: &str,
        email: &str,
        password: &str,
        auth: Option<&str>,
    ) -> Value {
        self.graphql(
            CREATE_USER,
            json!({ "username": username, "email": email, "password": password }),
            auth,
        )
        .await
    }

    /// Signs up `username` with `username@example.com` and [`PASSWORD`].
    pub async fn sign_up_default(&self, username: &str) -> Created {
        self.sign_up(username, &format!("{username}@example.com"), PASSWORD)
            .await
    }

    /// `tokenAuth` as sent, whatever the outcome.
    pub async fn token_auth(&self, username: &str, password: &str, auth: Option<&str>) -> Value {
        self.graphql(
            TOKEN_AUTH,
            json!({ "username": username, "password": password }),
            auth,
        )
        .await
    }

    /// Logs in; panics unless it succeeds. Returns (token, refresh token, payload).
    pub async fn login(&self, username: &str, password: &str) -> (String, String, Value) {
        let body = self.token_auth(username, password, None).await;
        assert_no_errors(&body);
        let t = &body["data"]["tokenAuth"];
        (
            t["token"].as_str().expect("a token").to_owned(),
            t["refreshToken"]
                .as_str()
                .expect("a refresh token")
                .to_owned(),
            t["payload"].clone(),
        )
    }

    /// `me { ... }` with the given full `Authorization` value.
    pub async fn me(&self, auth: Option<&str>) -> Value {
        self.graphql(ME, json!({}), auth).await
    }

    /// `verifyToken(token:)`.
    pub async fn verify_token(&self, token: &str) -> Value {
        self.graphql(VERIFY_TOKEN, json!({ "token": token }), None)
            .await
    }

    /// `refreshToken(refreshToken:)` (rotation).
    pub async fn rotate(&self, refresh_token: &str) -> Value {
        self.graphql(
            REFRESH_ROTATE,
            json!({ "refreshToken": refresh_token }),
            None,
        )
        .await
    }

    /// `refreshToken(token:)` (keep-alive).
    pub async fn keep_alive(&self, token: &str) -> Value {
        self.graphql(REFRESH_KEEP_ALIVE, json!({ "token": token }), None)
            .await
    }
}

pub const CREATE_USER: &str = "mutation ($username: String!, $email: String!, $password: String!) {
  createUser(username: $username, email: $email, password: $password) {
    user { id username email firstName lastName isActive isStaff isSuperuser dateJoined lastLogin emailVerified mfaEnabled }
  }
}";

pub const USER_CREATE: &str = "mutation ($username: String!, $email: String!, $password: String!) {
  userCreate(username: $username, email: $email, password: $password) {
    user { id username email firstName lastName isActive isStaff isSuperuser dateJoined lastLogin }
  }
}";

pub const TOKEN_AUTH: &str = "mutation ($username: String!, $password: String!) {
  tokenAuth(username: $username, password: $password) { token payload refreshExpiresIn refreshToken }
}";

pub const ME: &str =
    "{ me { id username email firstName lastName isActive isStaff isSuperuser dateJoined lastLogin emailVerified mfaEnabled } }";

pub const CURRENT_USER: &str =
    "{ currentUser { id username email firstName lastName isActive isStaff isSuperuser dateJoined lastLogin } }";

pub const VERIFY_TOKEN: &str =
    "mutation ($token: String) { verifyToken(token: $token) { payload } }";

pub const REFRESH_ROTATE: &str = "mutation ($refreshToken: String) {
  refreshToken(refreshToken: $refreshToken) { token payload refreshExpiresIn refreshToken }
}";

pub const REFRESH_KEEP_ALIVE: &str = "mutation ($token: String) {
  refreshToken(token: $token) { token payload refreshExpiresIn refreshToken }
}";

pub const REVOKE_TOKEN: &str =
    "mutation ($refreshToken: String!) { revokeToken(refreshToken: $refreshToken) { revoked } }";

pub const REVOKE_ALL: &str = "mutation { revokeAllTokens { revoked } }";

pub const USERS: &str = "query ($offset: Int, $limit: Int) {
  users(offset: $offset, limit: $limit) {
    id username email firstName lastName isActive isStaff isSuperuser dateJoined lastLogin emailVerified mfaEnabled
  }
}";

pub const UPDATE_ME: &str = "mutation ($email: String, $firstName: String, $lastName: String) {
  updateMe(email: $email, firstName: $firstName, lastName: $lastName) {
    user { id username email firstName lastName isActive isStaff isSuperuser dateJoined lastLogin emailVerified mfaEnabled }
  }
}";

pub const CHANGE_PASSWORD: &str = "mutation ($old: String!, $new: String!) {
  changePassword(oldPassword: $old, newPassword: $new) {
    user { id username } token refreshToken payload refreshExpiresIn
  }
}";

/// Panics (showing the body) if the response has errors.
pub fn assert_no_errors(body: &Value) {
    assert!(
        body.get("errors")
            .is_none_or(|e| e.is_null() || e.as_array().is_some_and(|a| a.is_empty())),
        "expected no errors, got {body:#}"
    );
}

/// `errors[0].extensions.code`, if any.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// Asserts the response failed with `code` and the top-level `field` is null.
pub fn assert_error(body: &Value, field: &str, code: &str) {
    assert_eq!(
        error_code(body),
        Some(code),
        "expected {code} on `{field}`, got {body:#}"
    );
    assert!(
        body["data"].is_null() || body["data"][field].is_null(),
        "`{field}` should be null when it fails: {body:#}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "the error has a message: {body:#}"
    );
}

/// Asserts a BAD_USER_INPUT (or CONFLICT) naming `input` in `extensions.field`.
pub fn assert_field_error(body: &Value, field: &str, code: &str, input: &str) {
    assert_error(body, field, code);
    assert_eq!(
        body["errors"][0]["extensions"]["field"].as_str(),
        Some(input),
        "expected the error to name `{input}`: {body:#}"
    );
}
