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
    // Only what looks like another PASETO version or purpose is named so.
    for (t, why) in [
        ("v2.public.abc", "unsupported token version or purpose"),
        ("v4.local.abc", "unsupported token version or purpose"),
        ("x.y.z", "malformed token"),
        ("vvvv", "malformed token"),
    ] {
        assert_eq!(reason(parse_untrusted(t).map(|_| ())), Some(why), "{t:?}");
    }
}

fn reason<T>(r: Result<T>) -> Option<&'static str> {
    match r {
        Err(Error::TokenInvalid(why)) => Some(why),
        _ => None,
    }
}

/// A token exactly `MAX_TOKEN_LEN` bytes long verifies; one byte longer is
/// refused before any crypto.
#[test]
fn the_token_length_limit_is_exact() {
    let f = fixture();
    let now = 1_800_000_000;
    let sized = |n: usize| {
        let c = AccessClaims {
            username: "u".repeat(n),
            kid: f.key.kid.clone(),
            ..claims(now)
        };
        sign(&f.key, &c).unwrap()
    };
    let fits = (1..2000)
        .map(sized)
        .find(|t| t.len() == MAX_TOKEN_LEN)
        .expect("some username length gives a token of exactly the limit");
    assert!(check(&f, &fits, now).is_ok());
    let over = (1..2000)
        .map(sized)
        .find(|t| t.len() == MAX_TOKEN_LEN + 1)
        .expect("some username length gives a token one byte over");
    assert_eq!(
        reason(parse_untrusted(&over).map(|_| ())),
        Some("malformed token")
    );
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
    // A footer of exactly the limit is read.
    let at_limit = format!("{{\"kid\":\"{}\",\"pad\":\"\"}}", f.key.kid);
    let at_limit = at_limit.replace(
        "\"pad\":\"\"",
        &format!(
            "\"pad\":\"{}\"",
            "x".repeat(MAX_FOOTER_LEN - at_limit.len())
        ),
    );
    assert_eq!(at_limit.len(), MAX_FOOTER_LEN);
    let t = PublicToken::sign(
        &f.key.secret,
        b"{}",
        Some(at_limit.as_bytes()),
        Some(ACCESS_PURPOSE),
    )
    .unwrap();
    assert_eq!(parse_untrusted(&t).unwrap().1, f.key.kid);
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
    // The cache answers for its entry only while the key ring holds the
    // same public key under the entry's key id: an entry (planted here for
    // the forged text) recorded with the key's own bytes is answered from
    // the cache, one recorded with other bytes is checked in full (and the
    // forged signature is refused).
    let planted = VerifiedCache::default();
    let public = ring.verifying(&key.kid).await.unwrap().unwrap();
    planted.insert(&forged, key.kid.clone(), public.as_bytes(), &c);
    assert_eq!(verify(&ring, &planted, &forged, now + 2).await.unwrap(), c);
    let planted = VerifiedCache::default();
    planted.insert(&forged, key.kid.clone(), &[0u8; 32], &c);
    assert_eq!(
        code(verify(&ring, &planted, &forged, now + 2).await),
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

/// Tokens that land in the cache's first shard.
fn tokens_of_first_shard(cache: &VerifiedCache, n: usize, tag: &str) -> Vec<String> {
    use std::hash::BuildHasher as _;
    (0..)
        .map(|i| format!("{tag}-{i}"))
        .filter(|t| cache.hasher.hash_one(t.as_str()) as usize % cache.shards.len() == 0)
        .take(n)
        .collect()
}

/// A shard is scanned only when full; the scan forgets the expired tokens,
/// and everything if that frees less than an eighth.
#[test]
fn a_full_shard_forgets_expired_tokens_and_clears_if_that_frees_too_little() {
    let live = claims(crate::now());
    let expired = claims(crate::now() - 1000);
    let len = |cache: &VerifiedCache| cache.shards[0].lock().unwrap().len();

    // Half expired: the expired half goes, the live half stays.
    let cache = VerifiedCache::new(8 * 64);
    assert_eq!(cache.shard_capacity, 64);
    let old = tokens_of_first_shard(&cache, 32, "old");
    let new = tokens_of_first_shard(&cache, 33, "new");
    for t in &old {
        cache.insert(t, "kid".into(), b"key", &expired);
    }
    for t in &new[..32] {
        cache.insert(t, "kid".into(), b"key", &live);
    }
    // Full, and not yet scanned: the expired tokens are still there.
    assert_eq!(len(&cache), 64);
    assert!(cache.get(&old[0]).is_some());
    cache.insert(&new[32], "kid".into(), b"key", &live);
    assert_eq!(len(&cache), 33);
    assert!(old.iter().all(|t| cache.get(t).is_none()));
    assert!(new.iter().all(|t| cache.get(t).is_some()));

    // One expired in 64: less than an eighth freed, so all is forgotten.
    let cache = VerifiedCache::new(8 * 64);
    let old = tokens_of_first_shard(&cache, 1, "old");
    let new = tokens_of_first_shard(&cache, 64, "new");
    cache.insert(&old[0], "kid".into(), b"key", &expired);
    for t in &new[..63] {
        cache.insert(t, "kid".into(), b"key", &live);
    }
    assert_eq!(len(&cache), 64);
    cache.insert(&new[63], "kid".into(), b"key", &live);
    assert_eq!(len(&cache), 1);
    assert!(cache.get(&new[63]).is_some());
}

#[test]
fn the_verified_token_cache_stays_within_its_capacity() {
    let c = claims(crate::now());
    for capacity in [VERIFIED_CAPACITY, 256] {
        let cache = VerifiedCache::new(capacity);
        for i in 0..3 * capacity {
            cache.insert(&format!("token-{i}"), "kid".into(), b"key", &c);
            // No shard ever holds more than its share.
            let fullest = cache.shards.iter().map(|s| s.lock().unwrap().len()).max();
            assert!(fullest <= Some(cache.shard_capacity));
        }
        let total: usize = cache.shards.iter().map(|s| s.lock().unwrap().len()).sum();
        assert!(total <= capacity, "{total} > {capacity}");
        let last = format!("token-{}", 3 * capacity - 1);
        assert!(cache.get(&last).is_some());
    }
}

#[test]
fn the_authentication_methods_keep_their_names_in_tokens_and_in_storage() {
    assert_eq!(Amr::Password.methods(), ["pwd"]);
    assert_eq!(Amr::PasswordOtp.methods(), ["pwd", "otp"]);
    assert_eq!(Amr::PasswordRecovery.methods(), ["pwd", "recovery"]);
    for amr in [Amr::Password, Amr::PasswordOtp, Amr::PasswordRecovery] {
        assert_eq!(amr.stored(), amr.methods().join(" "));
        assert_eq!(Amr::from_stored(amr.stored()), amr);
        assert_eq!(Amr::from_names(amr.methods().iter().copied()), amr);
        assert_eq!(amr.second_factor(), amr != Amr::Password);
        // And through a signed token.
        let f = fixture();
        let now = 1_800_000_000;
        let t = sign(&f.key, &AccessClaims { amr, ..claims(now) }).unwrap();
        assert_eq!(check(&f, &t, now).unwrap().amr, amr);
    }
    // Names it does not know count as the password alone.
    assert_eq!(Amr::from_names(["pwd", "sms"]), Amr::Password);
    assert_eq!(Amr::from_stored(""), Amr::Password);
}
