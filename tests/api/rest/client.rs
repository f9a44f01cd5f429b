//! A small REST client over the shared `TestApp`: form and JSON posts, the
//! reply as status + headers + JSON, and sign-up / login shortcuts.

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

use crate::helpers::*;

/// A REST response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as JSON; `Value::Null` for an empty body.
    pub body: Value,
}

impl Reply {
    pub async fn read(resp: reqwest::Response) -> Self {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("the body is read");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "expected a JSON body ({e}), got {status}: {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status and returns the body.
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected status: {:#}", self.body);
        &self.body
    }

    /// Asserts a JSON error `{code, message}` with this status and code.
    pub fn expect_error(&self, status: u16, code: &str) -> &Value {
        let body = self.expect(status);
        assert_eq!(body["code"], code, "unexpected code: {body:#}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "an error has a message: {body:#}"
        );
        body
    }

    /// Asserts an OAuth error `{error, error_description}`.
    pub fn expect_oauth(&self, status: u16, error: &str) -> &Value {
        let body = self.expect(status);
        assert_eq!(body["error"], error, "unexpected error: {body:#}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "an OAuth error has a description: {body:#}"
        );
        body
    }
}

/// Access and refresh tokens from a token response.
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub body: Value,
}

impl Tokens {
    pub fn from_body(body: &Value) -> Self {
        let get = |k: &str| {
            body[k]
                .as_str()
                .unwrap_or_else(|| panic!("`{k}` in {body:#}"))
                .to_owned()
        };
        Self {
            access: get("access_token"),
            refresh: get("refresh_token"),
            body: body.clone(),
        }
    }
}

impl TestApp {
    pub fn rest(&self, method: Method, path: &str, auth: Option<&str>) -> RequestBuilder {
        let req = self.client.request(method, self.url(path));
        match auth {
            Some(a) => req.header(reqwest::header::AUTHORIZATION, a),
            None => req,
        }
    }

    pub async fn send(&self, req: RequestBuilder) -> Reply {
        Reply::read(req.send().await.expect("the request is sent")).await
    }

    pub async fn rest_get(&self, path: &str, auth: Option<&str>) -> Reply {
        self.send(self.rest(Method::GET, path, auth)).await
    }

    pub async fn rest_json(
        &self,
        method: Method,
        path: &str,
        body: Value,
        auth: Option<&str>,
    ) -> Reply {
        self.send(self.rest(method, path, auth).json(&body)).await
    }

    pub async fn rest_form(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        self.send(self.rest(Method::POST, path, None).form(form))
            .await
    }

    /// `POST /api/users`, whatever the outcome.
    pub async fn rest_sign_up(&self, username: &str, email: &str, password: &str) -> Reply {
        let body = json!({ "username": username, "email": email, "password": password });
        self.rest_json(Method::POST, "/api/users", body, None).await
    }

    /// Signs up `username` with `username@example.com` and [`PASSWORD`] over
    /// REST; returns the user.
    pub async fn rest_sign_up_default(&self, username: &str) -> Value {
        let email = format!("{username}@example.com");
        let reply = self.rest_sign_up(username, &email, PASSWORD).await;
        reply.expect(201).clone()
    }

    /// `grant_type=password`, form-encoded, whatever the outcome.
    pub async fn password_grant(&self, username: &str, password: &str) -> Reply {
        let form = [
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
        ];
        self.rest_form("/api/token", &form).await
    }

    /// Logs in over REST; panics unless it succeeds.
    pub async fn rest_login(&self, username: &str, password: &str) -> Tokens {
        let reply = self.password_grant(username, password).await;
        Tokens::from_body(reply.expect(200))
    }

    /// `grant_type=refresh_token`, form-encoded, whatever the outcome.
    pub async fn refresh_grant(&self, refresh_token: &str) -> Reply {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.rest_form("/api/token", &form).await
    }

    /// `GET /api/users/me` with the given token as Bearer.
    pub async fn rest_me(&self, token: &str) -> Reply {
        self.rest_get("/api/users/me", Some(&bearer(token))).await
    }

    /// POSTs `body` with `Transfer-Encoding: chunked` (no Content-Length),
    /// over a plain socket; returns the status and the raw response body.
    pub async fn post_chunked(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, String) {
        let addr = self.address.trim_start_matches("http://").to_owned();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        let task = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            use std::io::{Read as _, Write as _};
            let mut stream = std::net::TcpStream::connect(addr)?;
            stream.write_all(head.as_bytes())?;
            for chunk in body.chunks(8192) {
                // The server may answer and close before reading everything.
                if write!(stream, "{:x}\r\n", chunk.len()).is_err()
                    || stream.write_all(chunk).is_err()
                    || stream.write_all(b"\r\n").is_err()
                {
                    break;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n");
            let mut response = Vec::new();
            let _ = stream.read_to_end(&mut response);
            Ok(String::from_utf8_lossy(&response).into_owned())
        });
        let response = task
            .await
            .expect("the socket task")
            .expect("the server answers");
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("an HTTP status line: {response}"));
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }
}
