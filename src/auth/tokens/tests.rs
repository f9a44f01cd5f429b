//! Tests of access tokens: signing, verifying, what is refused, and the
//! verified-token cache.

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
        session: None,
        user_id: 7,
        username: "alice".into(),
        issued_at: now,
        not_before: now,
        expires_at: now + 300,
        orig_iat: now,
        jti: "j1".into(),
        version: 0,
        kid: String::new(),
        auth_time: now,
        amr: Amr::Password,
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
    let t = PublicToken::sign(&f.key.secret, msg, Some(&f.key.footer), Some(b"refresh")).unwrap();
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
    let t = PublicToken::sign(&f.key.secret, b"{}", Some(b"[1,2]"), Some(ACCESS_PURPOSE)).unwrap();
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
    keys::rotate(&db, &keys::Sealing::clear(), &Default::default())
        .await
        .unwrap();
    keys::retire(&db, &key.kid, false, &Default::default())
        .await
        .unwrap();
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
