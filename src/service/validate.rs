//! Input rules for accounts, with messages that name the rule broken.

use crate::error::{Error, Field, Result};

pub const MAX_USERNAME_CHARS: usize = 150;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_NAME_CHARS: usize = 150;
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A username as it is stored: trimmed and NFKC-normalised, as Django's
/// `normalize_username` stores it (fullwidth `ａｄｍｉｎ` becomes `admin`).
pub fn normalize_username(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    s.trim().nfkc().collect()
}

/// A new username (sign-up): [`username`]'s rule, and all its letters of one
/// script (UTS #39's single-script test; digits and `@ . + - _` belong to
/// every script, and Han with Hiragana and Katakana counts as one), so that
/// `аdmin` with a Cyrillic `а` cannot pass for `admin`. Imported Django
/// accounts are kept as they were.
pub fn new_username(field: Field, s: &str) -> Result<()> {
    use unicode_security::MixedScript as _;
    username(field, s)?;
    if !s.is_single_script() {
        return Err(Error::bad_input(
            field,
            "The username must not mix letters of different scripts (such as Latin and Cyrillic).",
        ));
    }
    Ok(())
}

/// Django's rule: letters, digits and `@ . + - _`, at most 150 characters.
pub fn username(field: Field, s: &str) -> Result<()> {
    if s.is_empty() {
        return Err(Error::bad_input(field, "The username must not be empty."));
    }
    if s.chars().count() > MAX_USERNAME_CHARS {
        return Err(Error::bad_input(
            field,
            format!("The username must be at most {MAX_USERNAME_CHARS} characters."),
        ));
    }
    if !s
        .chars()
        .all(|c| (c.is_alphanumeric() && !is_invisible(c)) || "@.+-_".contains(c))
    {
        return Err(Error::bad_input(
            field,
            "The username may contain only letters, digits and @ . + - _ characters.",
        ));
    }
    Ok(())
}

/// A plausible address, by Django's `EmailValidator` rules: the local part
/// a dot-atom of ASCII letters, digits and ``!#$%&'*+/=?^_`{|}~-`` (quoted
/// local parts are refused), the domain dot-separated labels of letters (any
/// script), digits and inner hyphens, with at least one dot. No spaces,
/// control or format characters anywhere (a zero-width space must not make
/// `admin@example.com` a second address). Deliverability is not our business.
pub fn email(field: Field, s: &str) -> Result<()> {
    let bad = || Error::bad_input(field, "Enter a valid email address.");
    if s.chars().count() > MAX_EMAIL_CHARS {
        return Err(Error::bad_input(
            field,
            format!("The email address must be at most {MAX_EMAIL_CHARS} characters."),
        ));
    }
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || is_invisible(c))
    {
        return Err(bad());
    }
    let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
    let atom_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let local_ok = local
        .split('.')
        .all(|atom| !atom.is_empty() && atom.chars().all(atom_char));
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars().count() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    // Each label of one script: `exаmple` with a Cyrillic `а` is refused,
    // and so is its punycode spelling `xn--exmple-4nf` (read as the Unicode
    // it spells; punycode that spells nothing is refused).
    let (unicode, decoded) = idna::domain_to_unicode(domain);
    let domain_ok = decoded.is_ok()
        && domain.contains('.')
        && domain.split('.').all(label_ok)
        && unicode
            .split('.')
            .all(|l| label_ok(l) && unicode_security::MixedScript::is_single_script(l));
    if !local_ok || !domain_ok {
        return Err(bad());
    }
    Ok(())
}

/// Characters that draw nothing: format characters and Unicode's
/// Default_Ignorable_Code_Point (Hangul fillers such as U+3164, variation
/// selectors…). None may be part of a name or an address.
pub fn is_invisible(c: char) -> bool {
    is_format(c)
        || matches!(c as u32,
            0x034F | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F | 0x2060..=0x206F | 0x3164
            | 0xFE00..=0xFE0F | 0xFFA0 | 0xFFF0..=0xFFF8 | 0xE0000..=0xE0FFF)
}

/// Unicode's format characters (general category Cf, Unicode 15.1): they
/// draw nothing or reorder text (U+200B zero-width space, U+00AD soft
/// hyphen, U+202E right-to-left override), so a name holding one can pass
/// for another, or turn a log line around.
pub fn is_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// Only this many characters are given to the strength estimator: its cost
/// grows quickly with length, and a prefix this long that is strong makes
/// the whole password strong.
const MAX_ESTIMATED_CHARS: usize = 100;

/// The password rules that depend on who is setting it.
pub struct PasswordContext<'a> {
    pub username: &'a str,
    pub email: &'a str,
    /// First and last names, when known.
    pub names: &'a [&'a str],
    /// Minimum zxcvbn score (0-4) a password must reach; 0 turns it off.
    pub min_score: u8,
}

/// Password policy: length in characters and bytes, not the username or
/// email (compared case-insensitively), and not guessable: the zxcvbn
/// estimate, with the user's own names as context, must reach `min_score`.
pub fn password(field: Field, pw: &str, ctx: &PasswordContext<'_>) -> Result<()> {
    if pw.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::bad_input(
            field,
            format!("The password must be at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    if pw.len() > MAX_PASSWORD_BYTES {
        return Err(Error::bad_input(
            field,
            format!("The password must be at most {MAX_PASSWORD_BYTES} bytes."),
        ));
    }
    let lower = pw.to_lowercase();
    if lower == ctx.username.to_lowercase() {
        return Err(Error::bad_input(
            field,
            "The password must not be the username.",
        ));
    }
    if !ctx.email.is_empty() && lower == ctx.email.to_lowercase() {
        return Err(Error::bad_input(
            field,
            "The password must not be the email address.",
        ));
    }
    strength(field, pw, ctx)
}

fn strength(field: Field, pw: &str, ctx: &PasswordContext<'_>) -> Result<()> {
    if ctx.min_score == 0 {
        return Ok(());
    }
    let sample: String = pw.chars().take(MAX_ESTIMATED_CHARS).collect();
    let local_part = ctx.email.split('@').next().unwrap_or("");
    let mut inputs = vec![ctx.username, ctx.email, local_part];
    inputs.extend(ctx.names.iter().copied().filter(|n| !n.is_empty()));
    let estimate = zxcvbn::zxcvbn(&sample, &inputs);
    let score = u8::from(estimate.score());
    if score >= ctx.min_score {
        return Ok(());
    }
    let mut message = format!(
        "The password is too easy to guess (strength {score} of 4, at least {} needed).",
        ctx.min_score
    );
    if let Some(feedback) = estimate.feedback() {
        if let Some(warning) = feedback.warning() {
            message.push_str(&format!(" {warning}"));
        }
        for suggestion in feedback.suggestions() {
            message.push_str(&format!(" {suggestion}"));
        }
    }
    Err(Error::bad_input(field, message))
}

/// First and last names: free text, bounded, no control characters.
pub fn name(field: Field, s: &str) -> Result<()> {
    if s.chars().count() > MAX_NAME_CHARS {
        return Err(Error::bad_input(
            field,
            format!("The name must be at most {MAX_NAME_CHARS} characters."),
        ));
    }
    let odd = |c: char| {
        c.is_control()
            || is_invisible(c)
            // Line and paragraph separators, no-break and wide spaces: a
            // name has plain spaces only.
            || (c.is_whitespace() && c != ' ')
            // Private use and noncharacters draw nothing agreed.
            || matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0x10FFFF | 0xFDD0..=0xFDEF)
            || (c as u32 & 0xFFFE) == 0xFFFE
    };
    if s.chars().any(odd) {
        return Err(Error::bad_input(
            field,
            "The name must not contain control or format characters (such as U+200B or U+202E).",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
