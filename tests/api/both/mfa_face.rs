//! The second factor as both faces offer it: an [`Mfa`] face beside
//! [`Face`] (tests written against it run on each face through
//! `on_both_faces!`), and a TOTP generator of the test's own (RFC 6238,
//! written apart from the server's).

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};

use super::face::*;
use crate::graphql::face::{self as gq, Graphql};
use crate::helpers::*;
use crate::rest::face::{self as rs, Rest};

/// What `begin` hands out, the secret decoded.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret: Vec<u8>,
    pub uri: String,
    pub qr: String,
}

/// The second-factor operations of a face; `auth` is the whole
/// `Authorization` value.
pub trait Mfa: Face {
    async fn mfa_begin(app: &TestApp, auth: &str) -> Outcome<Enrolment>;
    async fn mfa_confirm(app: &TestApp, auth: &str, code: &str) -> Outcome<Vec<String>>;
    async fn log_in_mfa(app: &TestApp, challenge: &str, code: &str) -> Outcome<Session>;
    /// The new access token.
    async fn reauthenticate(
        app: &TestApp,
        auth: &str,
        password: &str,
        code: Option<&str>,
    ) -> Outcome<String>;
    async fn mfa_disable(app: &TestApp, auth: &str, code: &str, password: &str) -> Outcome<User>;
    async fn mfa_regenerate(app: &TestApp, auth: &str, code: &str) -> Outcome<Vec<String>>;
    async fn reset_mfa(app: &TestApp, auth: &str, id: &str) -> Outcome<User>;
}

/// RFC 4648 base32, as the server hands secrets out.
pub fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut n, mut out) = (0u64, 0u32, Vec::new());
    for c in s.bytes() {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c)
            .unwrap_or_else(|| panic!("base32: {s}"));
        bits = (bits << 5) | v as u64;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

/// The 6-digit code for Unix time `t` (RFC 6238: HMAC-SHA-1, 30 s).
pub fn totp(secret: &[u8], t: i64) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&((t / 30) as u64).to_be_bytes());
    let d = mac.finalize().into_bytes();
    let o = (d[19] & 15) as usize;
    let v = u32::from_be_bytes([d[o] & 0x7f, d[o + 1], d[o + 2], d[o + 3]]) % 1_000_000;
    format!("{v:06}")
}

/// Moves the server's clock to 10 s into a time step, so a test has 20 s
/// before the step changes under it.
pub fn mid_step(app: &TestApp) {
    let r = app.state.now().rem_euclid(30);
    app.state.clock().advance((10 - r).rem_euclid(30));
}

/// The code the server's clock is at now (`offset` steps of 30 s away).
pub fn code_now(app: &TestApp, secret: &[u8], offset: i64) -> String {
    totp(secret, app.state.now() + 30 * offset)
}

fn codes(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("a list of codes: {v:#}"))
        .iter()
        .map(|c| c.as_str().expect("a code").to_owned())
        .collect()
}

fn enrolment(v: &Value, uri: &str, qr: &str) -> Enrolment {
    let text = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("`{k}`: {v:#}"))
            .to_owned()
    };
    Enrolment {
        secret: base32_decode(&text("secret")),
        uri: text(uri),
        qr: text(qr),
    }
}

const FIELDS: &str = "id username email firstName lastName isActive isStaff isSuperuser \
                      dateJoined lastLogin emailVerified mfaEnabled";

impl Mfa for Graphql {
    async fn mfa_begin(app: &TestApp, auth: &str) -> Outcome<Enrolment> {
        let body = app
            .graphql(
                "mutation { mfaTotpBegin { secret otpauthUri qrCode } }",
                json!({}),
                Some(auth),
            )
            .await;
        gq::answer(body, "mfaTotpBegin").map(|v| enrolment(&v, "otpauthUri", "qrCode"))
    }

    async fn mfa_confirm(app: &TestApp, auth: &str, code: &str) -> Outcome<Vec<String>> {
        let q = format!("mutation ($c: String!) {{ mfaTotpConfirm(code: $c) {{ recoveryCodes user {{ {FIELDS} }} }} }}");
        let body = app.graphql(&q, json!({ "c": code }), Some(auth)).await;
        gq::answer(body, "mfaTotpConfirm").map(|v| {
            assert!(gq::user(&v["user"]).mfa_enabled, "{v:#}");
            codes(&v["recoveryCodes"])
        })
    }

    async fn log_in_mfa(app: &TestApp, challenge: &str, code: &str) -> Outcome<Session> {
        let q = "mutation ($ch: String!, $c: String!) { tokenAuthMfa(challenge: $ch, code: $c) { token refreshToken payload } }";
        let body = app
            .graphql(q, json!({ "ch": challenge, "c": code }), None)
            .await;
        gq::answer(body, "tokenAuthMfa").map(|v| Session {
            access: v["token"].as_str().expect("token").to_owned(),
            refresh: v["refreshToken"].as_str().expect("refreshToken").to_owned(),
        })
    }

    async fn reauthenticate(
        app: &TestApp,
        auth: &str,
        password: &str,
        code: Option<&str>,
    ) -> Outcome<String> {
        let q = "mutation ($p: String!, $c: String) { reauthenticate(password: $p, code: $c) { token payload } }";
        let body = app
            .graphql(q, json!({ "p": password, "c": code }), Some(auth))
            .await;
        gq::answer(body, "reauthenticate").map(|v| v["token"].as_str().expect("token").to_owned())
    }

    async fn mfa_disable(app: &TestApp, auth: &str, code: &str, password: &str) -> Outcome<User> {
        let q = format!("mutation ($c: String!, $p: String!) {{ mfaTotpDisable(code: $c, password: $p) {{ user {{ {FIELDS} }} }} }}");
        let body = app
            .graphql(&q, json!({ "c": code, "p": password }), Some(auth))
            .await;
        gq::answer(body, "mfaTotpDisable").map(|v| gq::user(&v["user"]))
    }

    async fn mfa_regenerate(app: &TestApp, auth: &str, code: &str) -> Outcome<Vec<String>> {
        let q = "mutation ($c: String!) { mfaRecoveryCodesRegenerate(code: $c) { recoveryCodes } }";
        let body = app.graphql(q, json!({ "c": code }), Some(auth)).await;
        gq::answer(body, "mfaRecoveryCodesRegenerate").map(|v| codes(&v["recoveryCodes"]))
    }

    async fn reset_mfa(app: &TestApp, auth: &str, id: &str) -> Outcome<User> {
        let q = format!(
            "mutation ($id: ID!) {{ resetUserMfa(userId: $id) {{ user {{ {FIELDS} }} }} }}"
        );
        let body = app.graphql(&q, json!({ "id": id }), Some(auth)).await;
        gq::answer(body, "resetUserMfa").map(|v| gq::user(&v["user"]))
    }
}

impl Mfa for Rest {
    async fn mfa_begin(app: &TestApp, auth: &str) -> Outcome<Enrolment> {
        let reply = app
            .send(app.rest(Method::POST, "/api/users/me/mfa/totp", Some(auth)))
            .await;
        if reply.status == 200 {
            assert_eq!(reply.header("cache-control"), Some("no-store"));
        }
        rs::answer(reply, 200).map(|v| enrolment(&v, "otpauth_uri", "qr_code"))
    }

    async fn mfa_confirm(app: &TestApp, auth: &str, code: &str) -> Outcome<Vec<String>> {
        let reply = app
            .rest_json(
                Method::POST,
                "/api/users/me/mfa/totp/confirm",
                json!({ "code": code }),
                Some(auth),
            )
            .await;
        rs::answer(reply, 200).map(|v| codes(&v["recovery_codes"]))
    }

    async fn log_in_mfa(app: &TestApp, challenge: &str, code: &str) -> Outcome<Session> {
        let form = [
            ("grant_type", "urn:gatehouse:grant-type:mfa"),
            ("challenge", challenge),
            ("code", code),
        ];
        let reply = app.rest_form("/api/token", &form).await;
        rs::answer(reply, 200).map(|v| Session {
            access: v["access_token"].as_str().expect("access_token").to_owned(),
            refresh: v["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_owned(),
        })
    }

    async fn reauthenticate(
        app: &TestApp,
        auth: &str,
        password: &str,
        code: Option<&str>,
    ) -> Outcome<String> {
        let reply = app
            .rest_json(
                Method::POST,
                "/api/users/me/reauthenticate",
                json!({ "password": password, "code": code }),
                Some(auth),
            )
            .await;
        rs::answer(reply, 200).map(|v| v["access_token"].as_str().expect("access_token").to_owned())
    }

    async fn mfa_disable(app: &TestApp, auth: &str, code: &str, password: &str) -> Outcome<User> {
        let body = json!({ "code": code, "password": password });
        let reply = app
            .rest_json(
                Method::POST,
                "/api/users/me/mfa/totp/disable",
                body,
                Some(auth),
            )
            .await;
        rs::answer(reply, 200).map(|v| rs::user(&v))
    }

    async fn mfa_regenerate(app: &TestApp, auth: &str, code: &str) -> Outcome<Vec<String>> {
        let reply = app
            .rest_json(
                Method::POST,
                "/api/users/me/mfa/recovery-codes",
                json!({ "code": code }),
                Some(auth),
            )
            .await;
        rs::answer(reply, 200).map(|v| codes(&v["recovery_codes"]))
    }

    async fn reset_mfa(app: &TestApp, auth: &str, id: &str) -> Outcome<User> {
        let reply = app
            .send(app.rest(Method::DELETE, &format!("/api/users/{id}/mfa"), Some(auth)))
            .await;
        rs::answer(reply, 200).map(|v| rs::user(&v))
    }
}
