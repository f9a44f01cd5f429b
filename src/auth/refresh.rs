//! Opaque refresh tokens: 256 random bits, stored only as a SHA-256 hash.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Refresh tokens start with this, so a leaked one is recognisable in a scan
/// (and can never parse as a PASETO access token).
pub const PREFIX: &str = "ghr_";

/// A new refresh token and the hash to store.
pub fn generate() -> Result<(String, [u8; 32])> {
    generate_prefixed(PREFIX)
}

/// A new opaque token, `prefix` and 256 random bits in URL-safe base64,
/// and the hash to store (refresh tokens, mailed links).
pub(crate) fn generate_prefixed(prefix: &str) -> Result<(String, [u8; 32])> {
    let mut raw = [0u8; 32];
    getrandom::getrandom(&mut raw).map_err(|e| Error::internal(anyhow::anyhow!("{e}")))?;
    let token = format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    );
    let hash = hash(&token);
    Ok((token, hash))
}

/// The stored form of a token. The token has 256 bits of entropy, so a fast
/// hash is enough: there is nothing to brute-force.
pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A new family id (random, URL-safe).
pub fn family_id() -> Result<String> {
    let mut raw = [0u8; 16];
    getrandom::getrandom(&mut raw).map_err(|e| Error::internal(anyhow::anyhow!("{e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
}

/// Whether a string could be one of our refresh tokens (cheap shape check).
pub fn looks_valid(token: &str) -> bool {
    has_shape(token, PREFIX)
}

/// Whether `token` is `prefix` and 43 URL-safe base64 characters.
pub(crate) fn has_shape(token: &str, prefix: &str) -> bool {
    token.len() == prefix.len() + 43
        && token.starts_with(prefix)
        && token[prefix.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_well_formed_and_hash_consistently() {
        let (a, ha) = generate().unwrap();
        let (b, hb) = generate().unwrap();
        assert_ne!(a, b);
        assert_ne!(ha, hb);
        assert!(looks_valid(&a) && looks_valid(&b));
        assert_eq!(hash(&a), ha);
    }

    /// A family id names one login (session): 128 random bits, URL-safe.
    #[test]
    fn family_ids_are_distinct_and_url_safe() {
        let ids: std::collections::HashSet<String> =
            (0..100).map(|_| family_id().unwrap()).collect();
        assert_eq!(ids.len(), 100);
        for id in &ids {
            assert_eq!(id.len(), 22, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{id}"
            );
        }
    }

    #[test]
    fn a_malformed_token_is_recognised_without_a_lookup() {
        assert!(!looks_valid(""));
        assert!(!looks_valid("ghr_short"));
        assert!(!looks_valid(&format!("xyz_{}", "a".repeat(43))));
        assert!(!looks_valid(&format!("ghr_{}", "!".repeat(43))));
    }

    /// Base64url's `-` and `_` are part of the alphabet: three tokens in
    /// four hold one, and none of them may be refused as malformed.
    #[test]
    fn every_base64url_character_is_accepted() {
        for c in ['-', '_', 'a', 'Z', '0'] {
            let token = format!("ghr_{}", c.to_string().repeat(43));
            assert!(looks_valid(&token), "{token}");
        }
    }
}
