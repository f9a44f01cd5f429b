//! The tokens mailed in links (verification, password reset, email
//! change): 256 random bits, stored only as a SHA-256 hash.

use crate::error::Result;

/// Link tokens start with this, so a leaked one is recognisable in a scan.
pub const PREFIX: &str = "ghl_";

/// A new link token and the hash to store.
pub fn generate() -> Result<(String, [u8; 32])> {
    super::refresh::generate_prefixed(PREFIX)
}

/// Whether a string has a link token's shape (checked before any lookup).
pub fn looks_valid(token: &str) -> bool {
    super::refresh::has_shape(token, PREFIX)
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
