//! Reading the caller's token from an `Authorization` header.

/// What the `Authorization` header holds.
#[derive(PartialEq, Eq)]
pub enum Credentials<'a> {
    /// No header: an anonymous caller.
    None,
    /// `Bearer <token>` or `JWT <token>` (scheme case-insensitive).
    Token(&'a str),
    /// A header we cannot use (another scheme, no token, bad bytes).
    Malformed,
}

impl std::fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Token(_) => f.write_str("Token(<redacted>)"),
            Credentials::Malformed => f.write_str("Malformed"),
        }
    }
}

/// Parses an `Authorization` header value. `Bearer` is RFC 6750's scheme;
/// `JWT` is what django-graphql-jwt clients send.
pub fn parse(value: Option<&[u8]>) -> Credentials<'_> {
    let Some(raw) = value else {
        return Credentials::None;
    };
    let Ok(s) = std::str::from_utf8(raw) else {
        return Credentials::Malformed;
    };
    let s = s.trim();
    let Some((scheme, rest)) = s.split_once([' ', '\t']) else {
        return Credentials::Malformed;
    };
    let token = rest.trim();
    let known = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("jwt");
    if !known || token.is_empty() || token.contains(char::is_whitespace) {
        return Credentials::Malformed;
    }
    Credentials::Token(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_jwt_schemes_are_accepted_in_any_case() {
        for h in [
            "Bearer abc",
            "bearer abc",
            "BEARER abc",
            "JWT abc",
            "jwt abc",
            "  Jwt   abc  ",
        ] {
            assert_eq!(parse(Some(h.as_bytes())), Credentials::Token("abc"), "{h}");
        }
    }

    /// The token stays out of logs, but what kind of credentials came does not.
    #[test]
    fn debug_output_names_the_kind_and_hides_the_token() {
        assert_eq!(
            format!("{:?}", Credentials::Token("secret")),
            "Token(<redacted>)"
        );
        assert_eq!(format!("{:?}", Credentials::None), "None");
        assert_eq!(format!("{:?}", Credentials::Malformed), "Malformed");
    }

    #[test]
    fn a_missing_header_is_anonymous() {
        assert_eq!(parse(None), Credentials::None);
    }

    #[test]
    fn other_schemes_and_empty_or_split_tokens_are_malformed() {
        for h in [
            "Basic abc",
            "Bearer",
            "Bearer ",
            "abc",
            "Bearer a b",
            "Token abc",
            "",
        ] {
            assert_eq!(parse(Some(h.as_bytes())), Credentials::Malformed, "{h:?}");
        }
        assert_eq!(parse(Some(&[0xff, 0xfe])), Credentials::Malformed);
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any bytes at all: no panic, and a token only from a known scheme.
        #[test]
        fn arbitrary_header_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Credentials::Token(t) = parse(Some(&raw)) {
                let s = std::str::from_utf8(&raw).unwrap().trim().to_ascii_lowercase();
                prop_assert!(s.starts_with("bearer") || s.starts_with("jwt"));
                prop_assert!(!t.is_empty() && !t.contains(char::is_whitespace));
            }
        }

        #[test]
        fn a_known_scheme_and_any_clean_token_parse(
            scheme in "(?i)(bearer|jwt)",
            token in "[!-~]{1,100}",
        ) {
            let header = format!("{scheme} {token}");
            prop_assert_eq!(parse(Some(header.as_bytes())), Credentials::Token(&token));
        }
    }
}
