//! Access tokens: PASETO v4.public (Ed25519), key id in the footer, purpose
//! bound by an implicit assertion.

use pasetors::keys::AsymmetricPublicKey;
use pasetors::token::UntrustedToken;
use pasetors::version4::{PublicToken, V4};
use pasetors::Public;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::auth::keys::{KeyRing, SigningKey};
use crate::error::{Error, Result};

/// Bound into every access token's signature (PASETO implicit assertion), so
/// a token minted for another purpose or service never verifies as one.
pub const ACCESS_PURPOSE: &[u8] = b"gatehouse:access-token:v1";

/// Longest token we will look at; ours are about 400 bytes.
const MAX_TOKEN_LEN: usize = 2048;

/// Longest footer we will parse; ours (`{"kid":"k4.pid.…"}`) are about 60 bytes.
const MAX_FOOTER_LEN: usize = 512;

/// Seconds of clock difference between instances tolerated: a token may
/// live at most the access-token lifetime plus this, and its `iat` may lie
/// at most this far in the future.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// The claims of an access token, with times as Unix seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: i64,
    pub username: String,
    pub issued_at: i64,
    pub not_before: i64,
    pub expires_at: i64,
    /// When the login that started this chain of tokens happened.
    pub orig_iat: i64,
    pub jti: String,
    /// The user's token version at issue; bumped by revoke-all.
    pub version: i64,
    /// The login (refresh-token family) this token belongs to: a keep-alive
    /// refresh goes on only while that session does. `None` in tokens
    /// signed before sessions were recorded.
    pub session: Option<String>,
    /// The id of the key that signed it (from the footer).
    pub kid: String,
    /// When the user last proved who they are in this session (the login,
    /// or a re-authentication): `authTime`.
    pub auth_time: i64,
    /// How: `amr` (RFC 8176's method names).
    pub amr: Amr,
}

/// How a session's user authenticated: the password, and a second factor
/// if one was given. Tokens carry it as `amr`, a list of RFC 8176 names
/// (`pwd`, `otp`; `recovery` for a recovery code).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Amr {
    #[default]
    Password,
    PasswordOtp,
    PasswordRecovery,
}

impl Amr {
    /// The method names, as in the token and its payload.
    pub fn methods(self) -> &'static [&'static str] {
        match self {
            Amr::Password => &["pwd"],
            Amr::PasswordOtp => &["pwd", "otp"],
            Amr::PasswordRecovery => &["pwd", "recovery"],
        }
    }

    /// As stored in `sessions.amr`: the names, space-separated.
    pub fn stored(self) -> &'static str {
        match self {
            Amr::Password => "pwd",
            Amr::PasswordOtp => "pwd otp",
            Amr::PasswordRecovery => "pwd recovery",
        }
    }

    /// From a list of names (a token's, or the stored form split):
    /// anything it does not know counts as the password alone.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut amr = Amr::Password;
        for n in names {
            match n {
                "otp" => amr = Amr::PasswordOtp,
                "recovery" => amr = Amr::PasswordRecovery,
                _ => {}
            }
        }
        amr
    }

    /// From `sessions.amr`.
    pub fn from_stored(s: &str) -> Self {
        Self::from_names(s.split(' '))
    }

    /// Whether a second factor was given.
    pub fn second_factor(self) -> bool {
        self != Amr::Password
    }
}

/// The wire form: PASETO's registered claims are RFC 3339 strings.
#[derive(Serialize, Deserialize)]
struct WireClaims {
    sub: String,
    username: String,
    iat: String,
    nbf: String,
    exp: String,
    jti: String,
    #[serde(rename = "origIat")]
    orig_iat: i64,
    ver: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    /// Absent in tokens signed before it was recorded (then `origIat`).
    #[serde(rename = "authTime", default)]
    auth_time: Option<i64>,
    /// Absent in tokens signed before it was recorded (then the password).
    #[serde(default)]
    amr: Vec<String>,
}

impl AccessClaims {
    /// The claims as clients see them (`payload`): integer Unix times, as
    /// django-graphql-jwt returns them.
    pub fn payload(&self) -> serde_json::Value {
        serde_json::json!({
            "username": self.username,
            "sub": self.user_id.to_string(),
            "exp": self.expires_at,
            "origIat": self.orig_iat,
            "iat": self.issued_at,
            "authTime": self.auth_time,
            "amr": self.amr.methods(),
        })
    }
}

/// Signs an access token with the current key.
pub fn sign(key: &SigningKey, claims: &AccessClaims) -> Result<String> {
    let wire = WireClaims {
        sub: claims.user_id.to_string(),
        username: claims.username.clone(),
        iat: rfc3339(claims.issued_at)?,
        nbf: rfc3339(claims.not_before)?,
        exp: rfc3339(claims.expires_at)?,
        jti: claims.jti.clone(),
        orig_iat: claims.orig_iat,
        ver: claims.version,
        sid: claims.session.clone(),
        auth_time: Some(claims.auth_time),
        amr: claims
            .amr
            .methods()
            .iter()
            .map(|m| (*m).to_owned())
            .collect(),
    };
    let message = serde_json::to_vec(&wire).map_err(Error::internal)?;
    PublicToken::sign(
        &key.secret,
        &message,
        Some(&key.footer),
        Some(ACCESS_PURPOSE),
    )
    .map_err(|e| Error::internal(anyhow::anyhow!("signing failed: {e:?}")))
}

/// Verifies an access token's signature, key and times. Does not check the
/// user (active, not revoked): the service layer does, with the database.
///
/// Beyond `nbf` and `exp`, a token must not have been issued to live longer
/// than the configured access-token lifetime (`exp − iat`), nor be issued in
/// the future (`iat`), each give or take `CLOCK_SKEW_SECS`: whoever holds a
/// signing key cannot mint long-lived tokens that pass unnoticed. (Lowering
/// `GATEHOUSE_ACCESS_TOKEN_TTL` so ends tokens issued under the old one.)
///
/// A token whose signature was verified before is found in `verified` (the
/// service's cache) by its exact text, and skips the Ed25519 check (the
/// costliest part of an authenticated request). The cache changes no answer:
/// a hit still needs its key id to name the same public key in the key ring
/// now (a retired or unknown key refuses it as before), and its times are
/// checked again.
pub async fn verify(
    keys: &KeyRing,
    verified: &VerifiedCache,
    token: &str,
    now: i64,
) -> Result<AccessClaims> {
    let max_lifetime = keys.access_ttl().saturating_add(CLOCK_SKEW_SECS);
    if let Some(hit) = verified.get(token) {
        if let Some(public) = keys.verifying(&hit.kid).await? {
            if public.as_bytes() == &*hit.public_key {
                return check_times(hit.claims, now, max_lifetime);
            }
        }
        // The key is gone or changed: the full path below gives the answer.
    }
    let (untrusted, kid) = parse_untrusted(token)?;
    let public = keys
        .verifying(&kid)
        .await?
        .ok_or(Error::TokenInvalid("unknown or retired signing key"))?;
    let claims = verify_with(&public, &untrusted, kid.clone(), now, max_lifetime)?;
    verified.insert(token, kid, public.as_bytes(), &claims);
    Ok(claims)
}

/// How many verified tokens a service remembers by default (about 1 KiB each).
pub const VERIFIED_CAPACITY: usize = 8192;
const VERIFIED_SHARDS: usize = 8;

/// Tokens whose signature verified, by exact text (only byte-identical text
/// hits, so a forged token can never match), with the key that verified it.
/// One per running service (`Gatehouse`), so services in one process (tests
/// start many) share nothing.
pub struct VerifiedCache {
    hasher: std::hash::RandomState,
    shards: Vec<std::sync::Mutex<std::collections::HashMap<Box<str>, Verified>>>,
    /// Entries per shard.
    shard_capacity: usize,
}

impl Default for VerifiedCache {
    fn default() -> Self {
        Self::new(VERIFIED_CAPACITY)
    }
}

#[derive(Clone)]
struct Verified {
    kid: String,
    public_key: Box<[u8]>,
    claims: AccessClaims,
}

impl VerifiedCache {
    /// A cache of about `capacity` tokens.
    pub fn new(capacity: usize) -> Self {
        Self {
            hasher: std::hash::RandomState::new(),
            shards: (0..VERIFIED_SHARDS).map(|_| Default::default()).collect(),
            shard_capacity: (capacity / VERIFIED_SHARDS).max(8),
        }
    }

    fn shard(
        &self,
        token: &str,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<Box<str>, Verified>> {
        use std::hash::BuildHasher as _;
        let i = self.hasher.hash_one(token) as usize % self.shards.len();
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, token: &str) -> Option<Verified> {
        self.shard(token).get(token).cloned()
    }

    fn insert(&self, token: &str, kid: String, public_key: &[u8], claims: &AccessClaims) {
        let mut shard = self.shard(token);
        let capacity = self.shard_capacity;
        if shard.len() >= capacity {
            // Full: forget the expired tokens, and everything if that freed
            // less than an eighth (so the scan runs at most once per
            // capacity/8 inserts). Forgetting only costs a signature check.
            let now = crate::now();
            shard.retain(|_, v| v.claims.expires_at > now);
            if shard.len() >= capacity - capacity / 8 {
                shard.clear();
            }
        }
        shard.insert(
            token.into(),
            Verified {
                kid,
                public_key: public_key.into(),
                claims: claims.clone(),
            },
        );
    }
}

/// Splits a token and reads the key id from its (not yet trusted) footer.
fn parse_untrusted(token: &str) -> Result<(UntrustedToken<Public, V4>, String)> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Error::TokenInvalid("malformed token"));
    }
    if !token.starts_with(PublicToken::HEADER) {
        return Err(if token.starts_with("v") && token.contains('.') {
            Error::TokenInvalid("unsupported token version or purpose")
        } else {
            Error::TokenInvalid("malformed token")
        });
    }
    let untrusted = UntrustedToken::<Public, V4>::try_from(token)
        .map_err(|_| Error::TokenInvalid("malformed token"))?;
    // Read with serde_json directly: pasetors' `Footer::parse_bytes` compiles
    // a regex on every call, which was a third of the server's CPU on the
    // authenticated path (BENCHMARKS.md). The length cap does the job of its
    // key-count limit; serde_json bounds the nesting depth.
    let footer = untrusted.untrusted_footer();
    if footer.len() > MAX_FOOTER_LEN {
        return Err(Error::TokenInvalid("malformed footer"));
    }
    let footer: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(footer).map_err(|_| Error::TokenInvalid("malformed footer"))?;
    let kid = footer
        .get("kid")
        .and_then(|v| v.as_str())
        .ok_or(Error::TokenInvalid("no key id"))?
        .to_owned();
    Ok((untrusted, kid))
}

fn verify_with(
    public: &AsymmetricPublicKey<V4>,
    untrusted: &UntrustedToken<Public, V4>,
    kid: String,
    now: i64,
    max_lifetime: i64,
) -> Result<AccessClaims> {
    // The footer is covered by the signature, so a changed footer fails here.
    let trusted = PublicToken::verify(public, untrusted, None, Some(ACCESS_PURPOSE))
        .map_err(|_| Error::TokenInvalid("bad signature"))?;
    let wire: WireClaims = serde_json::from_str(trusted.payload())
        .map_err(|_| Error::TokenInvalid("malformed claims"))?;
    let claims = AccessClaims {
        user_id: wire
            .sub
            .parse()
            .map_err(|_| Error::TokenInvalid("malformed claims"))?,
        username: wire.username,
        issued_at: unix(&wire.iat)?,
        not_before: unix(&wire.nbf)?,
        expires_at: unix(&wire.exp)?,
        orig_iat: wire.orig_iat,
        jti: wire.jti,
        version: wire.ver,
        session: wire.sid,
        kid,
        auth_time: wire.auth_time.unwrap_or(wire.orig_iat),
        amr: Amr::from_names(wire.amr.iter().map(String::as_str)),
    };
    check_times(claims, now, max_lifetime)
}

fn check_times(claims: AccessClaims, now: i64, max_lifetime: i64) -> Result<AccessClaims> {
    if claims.not_before > now {
        return Err(Error::TokenInvalid("not yet valid"));
    }
    if claims.issued_at > now.saturating_add(CLOCK_SKEW_SECS) {
        return Err(Error::TokenInvalid("issued in the future"));
    }
    if claims.expires_at.saturating_sub(claims.issued_at) > max_lifetime {
        return Err(Error::TokenInvalid("issued to live longer than allowed"));
    }
    if claims.expires_at <= now {
        return Err(Error::TokenExpired);
    }
    Ok(claims)
}

fn rfc3339(unix: i64) -> Result<String> {
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(Error::internal)?
        .format(&Rfc3339)
        .map_err(Error::internal)
}

fn unix(s: &str) -> Result<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| Error::TokenInvalid("malformed claims"))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz;
