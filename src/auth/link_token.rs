//! The tokens mailed in links (verification, password reset, email
//! change): 256 random bits, stored only as a SHA-256 hash.

use base64::Engine as _;

use crate::error::{Error, Result};

/// Link tokens start with this, so a leaked one is recognisable in a scan.
pub const PREFIX: &str = "ghl_";

/// A new link token and the hash to store.
pub fn generate() -> Result<(String, [u8; 32])> {
    let mut raw = [0u8; 32];
    getrandom::getrandom(&mut raw).map_err(|e| Error::internal(anyhow::anyhow!("{e}")))?;
    let token = format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    );
    let hash = super::refresh::hash(&token);
    Ok((token, hash))
}

/// Whether a string has a link token's shape (checked before any lookup).
pub fn looks_valid(token: &str) -> bool {
    token.len() == PREFIX.len() + 43
        && token.starts_with(PREFIX)
        && token[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_well_formed_and_hash_consistently() {
        let (a, ha) = generate().unwrap();
        let (b, _) = generate().unwrap();
        assert_ne!(a, b);
        assert!(looks_valid(&a) && looks_valid(&b));
        assert_eq!(crate::auth::refresh::hash(&a), ha);
        assert!(!looks_valid(&a[1..]));
        assert!(!looks_valid(&format!("{a}x")));
        assert!(!looks_valid(&a.replace(PREFIX, "ghr_")));
        let mut bad = a.clone();
        bad.replace_range(10..11, "+");
        assert!(!looks_valid(&bad));
    }
}
