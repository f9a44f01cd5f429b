use super::*;

#[test]
fn debug_output_of_issued_tokens_hides_the_tokens() {
    let user = User {
        id: 1,
        username: "alice".into(),
        email: "a@example.com".into(),
        first_name: String::new(),
        last_name: String::new(),
        is_active: true,
        is_staff: false,
        is_superuser: false,
        date_joined: 0,
        last_login: None,
        token_version: 0,
        email_verified: false,
        mfa_enabled: false,
    };
    let issued = Issued {
        claims: AccessClaims {
            user_id: 1,
            username: "alice".into(),
            issued_at: 0,
            not_before: 0,
            expires_at: 0,
            orig_iat: 0,
            jti: "j".into(),
            version: 0,
            session: None,
            kid: "k".into(),
            auth_time: 0,
            amr: crate::auth::tokens::Amr::Password,
        },
        user,
        token: "v4.public.SECRET-ACCESS".into(),
        refresh_token: Some("ghr_SECRET-REFRESH".into()),
        refresh_expires_at: 0,
    };
    let shown = format!("{issued:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
}
