//! Property tests of token parsing: arbitrary or mutated tokens never panic
//! and never verify as something else.

use super::*;
use pasetors::keys::{AsymmetricKeyPair, Generate};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Any string: parsing never panics.
    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,600}") {
        let _ = parse_untrusted(&s);
        let _ = parse_untrusted(&format!("v4.public.{s}"));
    }

    /// Any single-character change to a valid token is refused (or, if it
    /// decodes to the same bytes, accepted with the same claims).
    #[test]
    fn a_mutated_token_never_verifies_as_something_else(at in any::<prop::sample::Index>(), c in "[A-Za-z0-9_.=-]") {
        let kp = AsymmetricKeyPair::<V4>::generate().unwrap();
        let kid = crate::auth::keys::kid_of(&kp.public);
        let key = SigningKey { footer: format!("{{\"kid\":\"{kid}\"}}").into_bytes(), kid: kid.clone(), secret: kp.secret };
        let claims = AccessClaims {
            session: None,
            user_id: 1, username: "alice".into(), issued_at: 1_800_000_000, not_before: 1_800_000_000,
            expires_at: 1_800_000_300, orig_iat: 1_800_000_000, jti: "j".into(), version: 0, kid,
            auth_time: 1_800_000_000, amr: super::Amr::PasswordOtp,
        };
        let token = sign(&key, &claims).unwrap();
        let i = at.index(token.len());
        let mutated = format!("{}{}{}", &token[..i], c, &token[i + 1..]);
        let result = parse_untrusted(&mutated)
            .and_then(|(u, kid)| verify_with(&kp.public, &u, kid, 1_800_000_010, 360));
        if let Ok(got) = result {
            prop_assert_eq!(got, claims);
        }
    }
}
