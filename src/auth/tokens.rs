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
    /// The id of the key that signed it (from the footer).
    pub kid: String,
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
        kid,
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
mod tests {
    use super::*;
    use base64::Engine as _;
    use pasetors::keys::{AsymmetricKeyPair, Generate};

    struct Fixture {
        key: SigningKey,
        public: AsymmetricPublicKey<V4>,
    }

    fn fixture() -> Fixture {
        let kp = AsymmetricKeyPair::<V4>::generate().unwrap();
        let kid = crate::auth::keys::kid_of(&kp.public);
        Fixture {
            key: SigningKey {
                footer: format!("{{\"kid\":\"{kid}\"}}").into_bytes(),
                kid,
                secret: kp.secret,
            },
            public: kp.public,
        }
    }

    fn claims(now: i64) -> AccessClaims {
        AccessClaims {
            user_id: 7,
            username: "alice".into(),
            issued_at: now,
            not_before: now,
            expires_at: now + 300,
            orig_iat: now,
            jti: "j1".into(),
            version: 0,
            kid: String::new(),
        }
    }

    fn check(f: &Fixture, token: &str, now: i64) -> Result<AccessClaims> {
        let (untrusted, kid) = parse_untrusted(token)?;
        assert_eq!(kid, f.key.kid);
        verify_with(&f.public, &untrusted, kid, now, 300 + CLOCK_SKEW_SECS)
    }

    fn code(r: Result<AccessClaims>) -> &'static str {
        r.err().map(|e| e.code()).unwrap_or("OK")
    }

    #[test]
    fn a_signed_token_verifies_to_the_same_claims() {
        let f = fixture();
        let c = AccessClaims {
            kid: f.key.kid.clone(),
            ..claims(1_800_000_000)
        };
        let t = sign(&f.key, &c).unwrap();
        assert!(t.starts_with("v4.public."));
        assert_eq!(check(&f, &t, 1_800_000_010).unwrap(), c);
    }

    #[test]
    fn the_payload_has_integer_times_and_the_username() {
        let p = claims(1_800_000_000).payload();
        assert_eq!(p["username"], "alice");
        assert_eq!(p["exp"], 1_800_000_300i64);
        assert_eq!(p["origIat"], 1_800_000_000i64);
    }

    #[test]
    fn an_expired_token_is_token_expired() {
        let f = fixture();
        let t = sign(&f.key, &claims(1_800_000_000)).unwrap();
        assert_eq!(code(check(&f, &t, 1_800_000_300)), "TOKEN_EXPIRED");
    }

    #[test]
    fn a_token_not_yet_valid_is_refused() {
        let f = fixture();
        let mut c = claims(1_800_000_000);
        c.not_before += 100;
        let t = sign(&f.key, &c).unwrap();
        assert_eq!(code(check(&f, &t, 1_800_000_010)), "TOKEN_INVALID");
    }

    /// Whoever holds the key (stolen from the database, say) cannot mint a
    /// token that lives longer than the configured lifetime, nor one dated
    /// in the future to outlive it.
    #[test]
    fn a_token_issued_to_live_too_long_or_in_the_future_is_refused() {
        let f = fixture();
        let now = 1_800_000_000;
        let ten_years = 10 * 365 * 24 * 3600;
        let mut c = claims(now);
        c.expires_at = now + ten_years;
        let t = sign(&f.key, &c).unwrap();
        assert_eq!(code(check(&f, &t, now + 10)), "TOKEN_INVALID");
        // Back-dated so that `exp − iat` looks short: `iat` is then in the future.
        c.issued_at = now + ten_years - 300;
        let t = sign(&f.key, &c).unwrap();
        assert_eq!(code(check(&f, &t, now + 10)), "TOKEN_INVALID");
        // The lifetime plus the skew passes; one second more does not.
        let mut c = claims(now);
        c.expires_at = now + 300 + CLOCK_SKEW_SECS;
        assert_eq!(code(check(&f, &sign(&f.key, &c).unwrap(), now)), "OK");
        c.expires_at += 1;
        assert_eq!(
            code(check(&f, &sign(&f.key, &c).unwrap(), now)),
            "TOKEN_INVALID"
        );
        // `iat` a little ahead (another instance's clock) passes; far ahead does not.
        let mut c = claims(now);
        c.issued_at = now + CLOCK_SKEW_SECS;
        assert_eq!(code(check(&f, &sign(&f.key, &c).unwrap(), now)), "OK");
        c.issued_at += 1;
        assert_eq!(
            code(check(&f, &sign(&f.key, &c).unwrap(), now)),
            "TOKEN_INVALID"
        );
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let f = fixture();
        let t = sign(&f.key, &claims(1_800_000_000)).unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut body = b64.decode(parts[2]).unwrap();
        let at = body.windows(5).position(|w| w == b"alice").unwrap();
        body[at] = b'm';
        let forged = format!("v4.public.{}.{}", b64.encode(&body), parts[3]);
        assert_eq!(code(check(&f, &forged, 1_800_000_010)), "TOKEN_INVALID");
    }

    #[test]
    fn a_changed_footer_is_refused() {
        let f = fixture();
        let t = sign(&f.key, &claims(1_800_000_000)).unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let footer = format!("{{\"kid\":\"{}\",\"x\":\"1\"}}", f.key.kid);
        let forged = format!("v4.public.{}.{}", parts[2], b64.encode(footer));
        assert_eq!(code(check(&f, &forged, 1_800_000_010)), "TOKEN_INVALID");
    }

    #[test]
    fn a_token_signed_for_another_purpose_is_refused() {
        let f = fixture();
        let msg = br#"{"sub":"7","username":"alice","iat":"2027-01-15T08:00:00Z","nbf":"2027-01-15T08:00:00Z","exp":"2099-01-01T00:00:00Z","jti":"x","origIat":0,"ver":0}"#;
        let t =
            PublicToken::sign(&f.key.secret, msg, Some(&f.key.footer), Some(b"refresh")).unwrap();
        assert_eq!(code(check(&f, &t, 1_800_000_010)), "TOKEN_INVALID");
        let t = PublicToken::sign(&f.key.secret, msg, Some(&f.key.footer), None).unwrap();
        assert_eq!(code(check(&f, &t, 1_800_000_010)), "TOKEN_INVALID");
    }

    #[test]
    fn a_token_signed_by_another_key_is_refused() {
        let f = fixture();
        let other = fixture();
        let t = sign(&other.key, &claims(1_800_000_000)).unwrap();
        let (untrusted, kid) = parse_untrusted(&t).unwrap();
        assert_eq!(
            code(verify_with(&f.public, &untrusted, kid, 1_800_000_010, 360)),
            "TOKEN_INVALID"
        );
    }

    #[test]
    fn other_versions_purposes_and_garbage_are_refused_before_any_crypto() {
        for t in [
            "",
            "garbage",
            "v2.public.abc",
            "v3.public.abc.def",
            "v4.local.abc",
            "v4.public.",
            "v4.public.!!!",
            "ghr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(
                parse_untrusted(t).err().map(|e| e.code()),
                Some("TOKEN_INVALID"),
                "{t:?}"
            );
        }
        assert!(parse_untrusted(&format!("v4.public.{}", "A".repeat(5000))).is_err());
    }

    #[test]
    fn a_token_without_a_key_id_is_refused() {
        let f = fixture();
        let t = PublicToken::sign(&f.key.secret, b"{}", None, Some(ACCESS_PURPOSE)).unwrap();
        assert_eq!(
            parse_untrusted(&t).err().map(|e| e.code()),
            Some("TOKEN_INVALID")
        );
    }

    #[test]
    fn an_oversized_or_non_object_footer_is_refused_before_any_crypto() {
        let f = fixture();
        let padding = "x".repeat(MAX_FOOTER_LEN);
        let big = format!("{{\"kid\":\"{}\",\"pad\":\"{padding}\"}}", f.key.kid);
        let t = PublicToken::sign(
            &f.key.secret,
            b"{}",
            Some(big.as_bytes()),
            Some(ACCESS_PURPOSE),
        )
        .unwrap();
        assert_eq!(
            parse_untrusted(&t).err().map(|e| e.code()),
            Some("TOKEN_INVALID")
        );
        let t =
            PublicToken::sign(&f.key.secret, b"{}", Some(b"[1,2]"), Some(ACCESS_PURPOSE)).unwrap();
        assert_eq!(
            parse_untrusted(&t).err().map(|e| e.code()),
            Some("TOKEN_INVALID")
        );
    }
    /// The verified-token cache must never change an answer: a cached token
    /// still expires, and still fails once its key is retired.
    #[tokio::test]
    async fn a_cached_token_still_expires_and_still_dies_with_its_key() {
        use crate::auth::keys::{self, KeyRing};
        let dir = tempfile::tempdir().unwrap();
        let config = crate::config::Config {
            database_url: format!("sqlite://{}/t.db", dir.path().display()),
            ..Default::default()
        };
        let db = crate::db::Db::connect(&config).await.unwrap();
        db.migrate().await.unwrap();
        let ring = KeyRing::load(&db, None).await.unwrap();
        let key = ring.signing();
        let now = 1_800_000_000;
        let c = AccessClaims {
            kid: key.kid.clone(),
            ..claims(now)
        };
        let t = sign(&key, &c).unwrap();
        // Verified twice: the second answer comes from the cache.
        let cache = VerifiedCache::default();
        assert_eq!(verify(&ring, &cache, &t, now + 1).await.unwrap(), c);
        assert!(cache.get(&t).is_some());
        assert_eq!(verify(&ring, &cache, &t, now + 2).await.unwrap(), c);
        // A token differing in one byte of its signature, while the genuine
        // one sits in the cache, is refused (not answered from the cache).
        let mut forged = t.clone().into_bytes();
        let at = forged.len() - 60;
        forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(
            code(verify(&ring, &cache, &forged, now + 2).await),
            "TOKEN_INVALID"
        );
        let expired = verify(&ring, &cache, &t, now + 300).await;
        assert_eq!(code(expired), "TOKEN_EXPIRED");
        let early = verify(&ring, &cache, &t, now - 10).await;
        assert_eq!(code(early), "TOKEN_INVALID");
        // Retire the key (after adding a successor): the cached token fails.
        keys::rotate(&db, &keys::Sealing::clear()).await.unwrap();
        keys::retire(&db, &key.kid, false).await.unwrap();
        ring.reload().await.unwrap();
        let retired = verify(&ring, &cache, &t, now + 3).await;
        assert_eq!(code(retired), "TOKEN_INVALID");
    }

    #[test]
    fn the_verified_token_cache_stays_within_its_capacity() {
        let c = claims(crate::now());
        for capacity in [VERIFIED_CAPACITY, 256] {
            let cache = VerifiedCache::new(capacity);
            for i in 0..3 * capacity {
                cache.insert(&format!("token-{i}"), "kid".into(), b"key", &c);
            }
            let total: usize = cache.shards.iter().map(|s| s.lock().unwrap().len()).sum();
            assert!(total <= capacity, "{total} > {capacity}");
            let last = format!("token-{}", 3 * capacity - 1);
            assert!(cache.get(&last).is_some());
        }
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use pasetors::keys::{AsymmetricKeyPair, Generate};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Any string: parsing never panics.
        #[test]
        fn arbitrary_strings_never_panic(s in ".{0,600}") {
            let _ = parse_untrusted(&s);
            let _ = parse_untrusted(&format!("v4.public.{s}"));
        }

        /// Any single-character change to a valid token is refused (or, if it
        /// decodes to the same bytes, accepted with the same claims).
        #[test]
        fn a_mutated_token_never_verifies_as_something_else(at in any::<prop::sample::Index>(), c in "[A-Za-z0-9_.=-]") {
            let kp = AsymmetricKeyPair::<V4>::generate().unwrap();
            let kid = crate::auth::keys::kid_of(&kp.public);
            let key = SigningKey { footer: format!("{{\"kid\":\"{kid}\"}}").into_bytes(), kid: kid.clone(), secret: kp.secret };
            let claims = AccessClaims {
                user_id: 1, username: "alice".into(), issued_at: 1_800_000_000, not_before: 1_800_000_000,
                expires_at: 1_800_000_300, orig_iat: 1_800_000_000, jti: "j".into(), version: 0, kid,
            };
            let token = sign(&key, &claims).unwrap();
            let i = at.index(token.len());
            let mutated = format!("{}{}{}", &token[..i], c, &token[i + 1..]);
            let result = parse_untrusted(&mutated)
                .and_then(|(u, kid)| verify_with(&kp.public, &u, kid, 1_800_000_010, 360));
            if let Ok(got) = result {
                prop_assert_eq!(got, claims);
            }
        }
    }
}
