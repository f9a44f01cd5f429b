//! The second factor: time-based one-time passwords (RFC 6238 over RFC
//! 4226's HOTP: HMAC-SHA-1, 6 digits, 30-second steps), the `otpauth://`
//! URI and QR code authenticator apps enrol from, recovery codes, and the
//! challenge a password login hands out when a code is still needed.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::{Error, Result};

/// Seconds per time step.
pub const STEP_SECS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a secret: 160 bits, RFC 4226's recommendation.
pub const SECRET_LEN: usize = 20;
/// Steps of clock difference tolerated either way.
pub const SKEW_STEPS: i64 = 1;
/// Recovery codes handed out at a time.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code (80 bits), shown in groups of four.
const RECOVERY_LEN: usize = 16;
/// Crockford's base32: no I, L, O or U, so codes read back without doubt.
const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Login challenges start with this (and are otherwise link-token shaped).
pub const CHALLENGE_PREFIX: &str = "ghm_";

/// A new random secret.
pub fn generate_secret() -> Result<Vec<u8>> {
    let mut secret = vec![0u8; SECRET_LEN];
    getrandom::getrandom(&mut secret).map_err(|e| Error::internal(anyhow::anyhow!("{e}")))?;
    Ok(secret)
}

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(ALPHABET[((n >> (35 - 5 * i)) & 31) as usize] as char);
        }
    }
    out
}

/// RFC 4226's HOTP value for `counter`, `digits` long.
fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let bin = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    bin % 10u32.pow(digits)
}

/// The time step a Unix time falls in.
pub fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECS)
}

/// The code for time step `step`, zero-padded.
pub fn code_at(secret: &[u8], step: i64) -> String {
    format!(
        "{:0width$}",
        hotp(secret, step.max(0) as u64, DIGITS),
        width = DIGITS as usize
    )
}

/// Whether `code` has a TOTP code's shape: exactly six ASCII digits.
pub fn is_totp_shaped(code: &str) -> bool {
    code.len() == DIGITS as usize && code.bytes().all(|b| b.is_ascii_digit())
}

/// The step, within one either way of `now`'s and after `last_step` (the
/// last one accepted: a code is good once), whose code `code` is; `None`
/// when there is none. Every candidate is compared, in constant time.
pub fn matching_step(secret: &[u8], code: &str, now: i64, last_step: i64) -> Option<i64> {
    if !is_totp_shaped(code) {
        return None;
    }
    let current = step_of(now);
    let mut found = None;
    for step in current - SKEW_STEPS..=current + SKEW_STEPS {
        let equal: bool = code_at(secret, step)
            .as_bytes()
            .ct_eq(code.as_bytes())
            .into();
        if equal && step > last_step && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The key URI authenticator apps read (Google Authenticator's format):
/// `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        percent_encode(issuer),
        percent_encode(account),
        base32(secret),
        percent_encode(issuer),
    )
}

/// `uri` as a QR code, an SVG image.
pub fn qr_svg(uri: &str) -> Result<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(Error::internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build())
}

/// `uri` as a QR code: an SVG image in a `data:` URI, which a browser's
/// address bar or an `<img src>` shows.
pub fn qr_data_uri(uri: &str) -> Result<String> {
    let svg = qr_svg(uri)?;
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

/// New recovery codes, as shown once (`xxxx-xxxx-xxxx-xxxx`).
pub fn generate_recovery_codes() -> Result<Vec<String>> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut raw = [0u8; RECOVERY_LEN];
            getrandom::getrandom(&mut raw).map_err(|e| Error::internal(anyhow::anyhow!("{e}")))?;
            let chars: Vec<char> = raw
                .iter()
                .map(|b| CROCKFORD[usize::from(b & 31)] as char)
                .collect();
            Ok(chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-"))
        })
        .collect()
}

/// A recovery code as typed, in its canonical form: case, dashes and
/// spaces ignored, and Crockford's look-alikes read as he reads them (o as
/// 0, i and l as 1). `None` when it cannot be one.
pub fn normalize_recovery_code(typed: &str) -> Option<String> {
    if typed.len() > 64 {
        return None;
    }
    let mut out = String::with_capacity(RECOVERY_LEN);
    for c in typed.chars() {
        let c = match c.to_ascii_lowercase() {
            '-' | ' ' => continue,
            'o' => '0',
            'i' | 'l' => '1',
            c => c,
        };
        if !c.is_ascii() || !CROCKFORD.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == RECOVERY_LEN).then_some(out)
}

/// The stored form of a recovery code (canonical): a hash bound to its
/// user, so a row copied to another account does not match there. The
/// code has 80 random bits, so a fast hash leaves nothing to guess.
pub fn recovery_hash(user_id: i64, canonical: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"gatehouse:recovery-code:v1:");
    h.update(user_id.to_be_bytes());
    h.update(canonical.as_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1: the secret is the ASCII "1234567890" x2.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_test_vectors_sha1_eight_digits() {
        let vectors = [
            (59_i64, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ];
        for (t, expected) in vectors {
            assert_eq!(hotp(RFC_SECRET, (t / 30) as u64, 8), expected, "t={t}");
        }
    }

    #[test]
    fn six_digit_codes_are_the_last_six_digits_zero_padded() {
        assert_eq!(code_at(RFC_SECRET, 59 / 30), "287082");
        assert_eq!(code_at(RFC_SECRET, 1111111109 / 30), "081804");
    }

    #[test]
    fn rfc_4226_hotp_vectors() {
        let expected = [755224, 287082, 359152, 969429, 338314];
        for (counter, want) in expected.into_iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64, 6), want);
        }
    }

    #[test]
    fn a_code_matches_one_step_either_way_and_only_after_the_last_used() {
        let now = 1_700_000_000;
        let s = step_of(now);
        for d in -1..=1 {
            let code = code_at(RFC_SECRET, s + d);
            assert_eq!(matching_step(RFC_SECRET, &code, now, 0), Some(s + d));
            // Used already (or an older step used): refused.
            assert_eq!(matching_step(RFC_SECRET, &code, now, s + d), None);
        }
        assert_eq!(
            matching_step(RFC_SECRET, &code_at(RFC_SECRET, s - 2), now, 0),
            None
        );
        assert_eq!(
            matching_step(RFC_SECRET, &code_at(RFC_SECRET, s + 2), now, 0),
            None
        );
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６", " 123456"] {
            assert_eq!(matching_step(RFC_SECRET, bad, now, 0), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_is_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fo"), "MZXQ");
        assert_eq!(base32(b"foo"), "MZXW6");
        assert_eq!(base32(b"foob"), "MZXW6YQ");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(&[0u8; 20]).len(), 32);
    }

    #[test]
    fn the_uri_names_issuer_and_account_percent_encoded() {
        let uri = otpauth_uri("Acme Corp", "bob@x.io", b"foobar");
        assert_eq!(
            uri,
            "otpauth://totp/Acme%20Corp:bob%40x.io?secret=MZXW6YTBOI&issuer=Acme%20Corp\
             &algorithm=SHA1&digits=6&period=30"
        );
        let qr = qr_data_uri(&uri).unwrap();
        assert!(qr.starts_with("data:image/svg+xml;base64,"));
    }

    #[test]
    fn recovery_codes_are_distinct_and_read_back_however_typed() {
        let codes = generate_recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let canon: std::collections::HashSet<_> = codes
            .iter()
            .map(|c| normalize_recovery_code(c).unwrap())
            .collect();
        assert_eq!(canon.len(), RECOVERY_CODES);
        let c = &codes[0];
        assert_eq!(c.len(), 19);
        let upper = c.to_uppercase().replace('-', " ");
        assert_eq!(normalize_recovery_code(&upper), normalize_recovery_code(c));
        assert_eq!(
            normalize_recovery_code("OOOO-IIII-LLLL-0000").as_deref(),
            Some("0000111111110000")
        );
        for bad in [
            "",
            "abcd",
            "abcd-efgh-jkmn-pqr",
            "abcd-efgh-jkmn-pqrst",
            "abcd-efgh-jkmn-pqru",
            "ａbcd-efgh-jkmn-pqrs",
        ] {
            assert_eq!(normalize_recovery_code(bad), None, "{bad:?}");
        }
        assert_ne!(recovery_hash(1, "x"), recovery_hash(2, "x"));
    }
}
