//! Shortcuts for the Django REST face over the REST client.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::rest::client::Reply;

pub const NO_ACTIVE_ACCOUNT: &str = "No active account found with the given credentials";
pub const TOKEN_NOT_VALID: &str = "Token is invalid or expired";
pub const REQUIRED: &str = "This field is required.";

impl TestApp {
    /// A JSON POST to a Django REST path, no token.
    pub async fn drf_post(&self, path: &str, body: Value) -> Reply {
        self.rest_json(Method::POST, path, body, None).await
    }

    /// Seed 004's sign-up body, with names.
    pub async fn drf_create(&self, email: &str, first: &str, last: &str) -> Reply {
        let body = json!({
            "email": email,
            "password": PASSWORD,
            "first_name": first,
            "last_name": last,
        });
        self.drf_post("/user/create/", body).await
    }

    /// simplejwt's pair for `username`, asserted.
    pub async fn drf_pair(&self, username: &str, password: &str) -> (String, String) {
        let reply = self
            .drf_post(
                "/login/",
                json!({ "username": username, "password": password }),
            )
            .await;
        let body = reply.expect(200);
        (
            body["access"].as_str().expect("access").to_owned(),
            body["refresh"].as_str().expect("refresh").to_owned(),
        )
    }
}

/// Asserts simplejwt's 401 for a token given in a body.
pub fn assert_token_not_valid(reply: &Reply) {
    assert_eq!(
        reply.expect(401),
        &json!({ "detail": TOKEN_NOT_VALID, "code": "token_not_valid" })
    );
}
