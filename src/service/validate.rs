//! Input rules for accounts, with messages that name the rule broken.

use crate::error::{Error, Result};

pub const MAX_USERNAME_CHARS: usize = 150;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_NAME_CHARS: usize = 150;
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Django's rule: letters, digits and `@ . + - _`, at most 150 characters.
pub fn username(field: &'static str, s: &str) -> Result<()> {
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
        .all(|c| c.is_alphanumeric() || "@.+-_".contains(c))
    {
        return Err(Error::bad_input(
            field,
            "The username may contain only letters, digits and @ . + - _ characters.",
        ));
    }
    Ok(())
}

/// A plausible address: one `@`, a non-empty local part, a dotted domain,
/// no spaces or control characters. Deliverability is not our business.
pub fn email(field: &'static str, s: &str) -> Result<()> {
    let bad = || Error::bad_input(field, "Enter a valid email address.");
    if s.chars().count() > MAX_EMAIL_CHARS {
        return Err(Error::bad_input(
            field,
            format!("The email address must be at most {MAX_EMAIL_CHARS} characters."),
        ));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.contains('@');
    if local.is_empty() || local.contains('@') || !domain_ok {
        return Err(bad());
    }
    Ok(())
}

/// Password policy: length in characters and bytes, and not the username or
/// email (compared case-insensitively).
pub fn password(field: &'static str, pw: &str, username: &str, email: &str) -> Result<()> {
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
    if lower == username.to_lowercase() {
        return Err(Error::bad_input(
            field,
            "The password must not be the username.",
        ));
    }
    if !email.is_empty() && lower == email.to_lowercase() {
        return Err(Error::bad_input(
            field,
            "The password must not be the email address.",
        ));
    }
    Ok(())
}

/// First and last names: free text, bounded, no control characters.
pub fn name(field: &'static str, s: &str) -> Result<()> {
    if s.chars().count() > MAX_NAME_CHARS {
        return Err(Error::bad_input(
            field,
            format!("The name must be at most {MAX_NAME_CHARS} characters."),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::bad_input(
            field,
            "The name must not contain control characters.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(r: Result<()>) -> Option<String> {
        r.err().map(|e| e.message())
    }

    #[test]
    fn usernames_follow_djangos_character_rule() {
        assert!(username("username", "alice.b+c-d_e@x").is_ok());
        assert!(username("username", "Zoë").is_ok());
        assert!(rule(username("username", "")).unwrap().contains("empty"));
        assert!(rule(username("username", "a b"))
            .unwrap()
            .contains("only letters"));
        assert!(rule(username("username", &"a".repeat(151)))
            .unwrap()
            .contains("150"));
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(email("email", "alice@example.com").is_ok());
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "a b@x.com",
            "a@b@c.com",
            "a@.com",
            "a@x..com",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_must_be_long_enough_but_bounded() {
        assert!(password("password", "12345678", "alice", "a@x.com").is_ok());
        assert!(rule(password("password", "1234567", "alice", "a@x.com"))
            .unwrap()
            .contains("at least 8"));
        assert!(
            rule(password("password", &"x".repeat(1025), "alice", "a@x.com"))
                .unwrap()
                .contains("1024 bytes")
        );
        // Eight characters but more bytes: the character count decides the minimum.
        assert!(password("password", "éééééééé", "alice", "a@x.com").is_ok());
    }

    #[test]
    fn a_password_equal_to_the_username_or_email_is_refused() {
        assert!(
            rule(password("password", "AliceAlice", "alicealice", "a@x.com"))
                .unwrap()
                .contains("username")
        );
        assert!(rule(password(
            "password",
            "alice@x.com",
            "bob12345",
            "Alice@X.com"
        ))
        .unwrap()
        .contains("email"));
    }

    #[test]
    fn names_are_bounded() {
        assert!(name("firstName", "Ada").is_ok());
        assert!(name("firstName", "").is_ok());
        assert!(name("firstName", &"a".repeat(151)).is_err());
        assert!(name("firstName", "a\u{0}b").is_err());
    }
}
