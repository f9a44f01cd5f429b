//! Django's `pbkdf2_sha256$iterations$salt$hash` password hashes: the shape
//! checked at import, and the verification at login.

use base64::Engine as _;
use subtle::ConstantTimeEq as _;

/// The only Django hasher accepted (Django's default since 1.4).
pub const ALGORITHM: &str = "pbkdf2_sha256";

/// The most iterations a stored hash may ask for: a little above the newest
/// Django release's default (6.1, August 2026: 1,500,000; 6.0: 1,200,000;
/// 5.2: 1,000,000), leaving room for 6.2's planned 1,800,000. More is a
/// crafted dump that would make each login burn CPU for seconds; the import
/// refuses such a row.
pub const MAX_ITERATIONS: u32 = 2_000_000;

/// A parsed `pbkdf2_sha256` hash.
struct Pbkdf2Sha256<'a> {
    iterations: u32,
    salt: &'a str,
    hash: [u8; 32],
}

/// Whether `stored` is a Django hash (checked at login, before argon2).
pub fn is_django_hash(stored: &str) -> bool {
    stored
        .strip_prefix(ALGORITHM)
        .is_some_and(|rest| rest.starts_with('$'))
}

/// Why a Django `password` value cannot be imported, if it cannot: an
/// unusable password (`!…`), another hasher, or a malformed hash.
pub fn unusable_reason(encoded: &str) -> Option<String> {
    if encoded.starts_with('!') {
        return Some(
            "the account has an unusable password (Django's `!…`: no password login)".into(),
        );
    }
    let Some((algorithm, _)) = encoded.split_once('$') else {
        return Some("the password is not a Django password hash".into());
    };
    if algorithm != ALGORITHM {
        return Some(format!(
            "the password uses Django's `{algorithm}` hasher; only {ALGORITHM} is supported"
        ));
    }
    parse(encoded)
        .err()
        .map(|why| format!("malformed {ALGORITHM} hash: {why}"))
}

fn parse(encoded: &str) -> Result<Pbkdf2Sha256<'_>, &'static str> {
    let mut parts = encoded.split('$');
    let (Some(ALGORITHM), Some(iterations), Some(salt), Some(hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err("expected pbkdf2_sha256$iterations$salt$hash");
    };
    let iterations: u32 = iterations
        .parse()
        .map_err(|_| "the iteration count is not a number")?;
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err("the iteration count is out of range (1 to 2,000,000, a little above Django 6.1's 1,500,000)");
    }
    if salt.is_empty() {
        return Err("the salt is empty");
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(hash)
        .map_err(|_| "the hash is not base64")?;
    let hash = bytes
        .try_into()
        .map_err(|_| "the hash is not 32 bytes long")?;
    Ok(Pbkdf2Sha256 {
        iterations,
        salt,
        hash,
    })
}

/// Whether `password` matches the Django hash `encoded`, compared in
/// constant time. CPU-bound (Django's default costs ~0.3 s): call it off the
/// async runtime. A malformed hash never matches.
pub fn verify(password: &[u8], encoded: &str) -> bool {
    let parsed = match parse(encoded) {
        Ok(p) => p,
        Err(why) => {
            tracing::error!(why, "stored Django password hash cannot be used");
            return false;
        }
    };
    let mut computed = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
        password,
        parsed.salt.as_bytes(),
        parsed.iterations,
        &mut computed,
    );
    computed.ct_eq(&parsed.hash).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Python: base64.b64encode(hashlib.pbkdf2_hmac('sha256', b'password', b'salt', 1000))
    const PASSWORD_SALT_1000: &str =
        "pbkdf2_sha256$1000$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM=";

    #[test]
    fn a_known_vector_matches_and_nothing_else_does() {
        assert!(verify(b"password", PASSWORD_SALT_1000));
        assert!(!verify(b"Password", PASSWORD_SALT_1000));
        assert!(!verify(b"", PASSWORD_SALT_1000));
        // Same hash, another salt or count: no match.
        assert!(!verify(
            b"password",
            &PASSWORD_SALT_1000.replace("$salt$", "$salt2$")
        ));
        assert!(!verify(
            b"password",
            &PASSWORD_SALT_1000.replace("$1000$", "$1001$")
        ));
    }

    #[test]
    fn djangos_default_cost_and_a_non_ascii_password_match() {
        // Python: hashlib.pbkdf2_hmac('sha256', 'pässwörd €'.encode(),
        // b'Zg7sQ1k9xW2vR4tY', 870000), as Django 5.1 stores it.
        let django =
            "pbkdf2_sha256$870000$Zg7sQ1k9xW2vR4tY$af75VjT25Vz6Gpz1u7ytt3ogx5AZW8nf5qm1bmk2EbU=";
        assert!(unusable_reason(django).is_none());
        assert!(verify("pässwörd €".as_bytes(), django));
        assert!(!verify(b"passwort", django));
    }

    #[test]
    fn only_pbkdf2_sha256_hashes_are_django_hashes_at_login() {
        assert!(is_django_hash(PASSWORD_SALT_1000));
        assert!(!is_django_hash(
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA"
        ));
        assert!(!is_django_hash("pbkdf2_sha256_x$1$s$h"));
        assert!(!is_django_hash("pbkdf2_sha1$1000$salt$abc"));
    }

    #[test]
    fn unusable_other_and_malformed_hashes_are_named() {
        let why = |s: &str| unusable_reason(s).unwrap_or_default();
        assert!(why("!Xk2lq9FzZ0").contains("unusable"));
        assert!(why("").contains("not a Django password hash"));
        assert!(why("argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA").contains("`argon2`"));
        assert!(why("pbkdf2_sha1$260000$salt$abc=").contains("`pbkdf2_sha1`"));
        assert!(
            why("pbkdf2_sha256$0$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM=")
                .contains("out of range")
        );
        // 10,000,000 (1.75 s a login here) used to be accepted; the cap is
        // now a little above Django 6.1's 1,500,000.
        for too_many in ["10000000", "2000001"] {
            assert!(
                why(&format!(
                    "pbkdf2_sha256${too_many}$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM="
                ))
                .contains("out of range"),
                "{too_many}"
            );
        }
        assert_eq!(
            why("pbkdf2_sha256$2000000$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM="),
            ""
        );
        assert!(
            why("pbkdf2_sha256$x$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM=")
                .contains("not a number")
        );
        assert!(
            why("pbkdf2_sha256$1000$$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM=")
                .contains("salt")
        );
        assert!(why("pbkdf2_sha256$1000$salt$bm90MzI=").contains("32 bytes"));
        assert!(why("pbkdf2_sha256$1000$salt$*").contains("base64"));
        assert!(why("pbkdf2_sha256$1000$salt").contains("expected"));
        assert!(why("pbkdf2_sha256$1000$salt$abc$extra").contains("expected"));
    }

    #[test]
    fn a_hash_past_the_iteration_cap_never_matches_and_costs_nothing() {
        let started = std::time::Instant::now();
        assert!(!verify(
            b"password",
            "pbkdf2_sha256$4000000000$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM="
        ));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
