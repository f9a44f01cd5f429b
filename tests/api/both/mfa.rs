//! The second factor on both faces: enrolment, a login with a code, replay
//! and clock skew, recovery codes, regeneration, turning it off, a
//! superuser's reset, the challenge's limits, throttling of wrong codes,
//! and fresh authentication for sensitive changes.

use futures_util::future::join_all;

use super::face::*;
use super::mfa_face::*;
use crate::helpers::*;

/// Signs `username` up and turns TOTP on; its secret, recovery codes and
/// the session that enrolled.
async fn enrolled<F: Mfa>(app: &TestApp, username: &str) -> (Vec<u8>, Vec<String>, Session) {
    F::signed_up(app, username).await;
    let s = F::logged_in(app, username).await;
    mid_step(app);
    let e = F::mfa_begin(app, &s.bearer()).await.expect("an enrolment");
    let codes = F::mfa_confirm(app, &s.bearer(), &code_now(app, &e.secret, 0))
        .await
        .expect("TOTP turned on");
    (e.secret, codes, s)
}

/// A password login that stops at MFA_REQUIRED: its challenge.
async fn challenge<F: Mfa>(app: &TestApp, username: &str) -> String {
    let refused = F::log_in(app, username, PASSWORD)
        .await
        .refused(Code::MfaRequired);
    let c = refused.challenge.clone().expect("a challenge");
    assert!(c.starts_with("ghm_"), "{c}");
    c
}

/// The payload of an access token, as `verifyToken` shows it.
async fn payload(app: &TestApp, token: &str) -> serde_json::Value {
    let body = app.verify_token(token).await;
    body["data"]["verifyToken"]["payload"].clone()
}

on_both_faces! {
    /// Enrol with the QR code's secret, confirm with a code, then a login
    /// needs a code: MFA_REQUIRED with a challenge, then tokens whose `amr`
    /// says a code was given.
    #[tokio::test]
    async fn enrol_confirm_and_log_in_with_a_code<F: Mfa>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let s = F::logged_in(&app, "alice").await;
        mid_step(&app);
        let e = F::mfa_begin(&app, &s.bearer()).await.expect("an enrolment");
        assert_eq!(e.secret.len(), 20);
        assert!(e.uri.starts_with("otpauth://totp/Gatehouse:alice?secret="), "{}", e.uri);
        assert!(e.uri.contains("issuer=Gatehouse") && e.uri.contains("period=30"), "{}", e.uri);
        assert!(e.qr.starts_with("data:image/svg+xml;base64,"), "{}", e.qr);
        // Not on until confirmed: a login still gets tokens.
        let other = F::logged_in(&app, "alice").await;
        let wrong = F::mfa_confirm(&app, &s.bearer(), "000000").await.refused(Code::BadUserInput);
        assert_eq!(wrong.field().0, Field::Code);
        let codes = F::mfa_confirm(&app, &s.bearer(), &code_now(&app, &e.secret, 0)).await.expect("on");
        assert_eq!(codes.len(), 10);
        assert!(F::me(&app, Some(&s.bearer())).await.expect("me").mfa_enabled);
        // Every other session ended with it: their logins had no code.
        F::me(&app, Some(&other.bearer())).await.refused(Code::TokenInvalid);
        F::refresh(&app, &other.refresh).await.refused(Code::TokenInvalid);
        F::refresh(&app, &s.refresh).await.expect("the enrolling session goes on");
        // Confirmed twice: no.
        F::mfa_confirm(&app, &s.bearer(), &code_now(&app, &e.secret, 1)).await.refused(Code::Conflict);
        F::mfa_begin(&app, &s.bearer()).await.refused(Code::Conflict);
        let ch = challenge::<F>(&app, "alice").await;
        // The confirming code was used: the next step's is good, typed as
        // apps show it.
        let next = code_now(&app, &e.secret, 1);
        let shown = format!("{} {}", &next[..3], &next[3..]);
        let tokens = F::log_in_mfa(&app, &ch, &shown).await.expect("tokens");
        let p = payload(&app, &tokens.access).await;
        assert_eq!(p["amr"], serde_json::json!(["pwd", "otp"]), "{p:#}");
        assert!(p["authTime"].as_i64().is_some_and(|t| t >= app.state.now() - 1), "{p:#}");
        // The refresh token works, and the refreshed token keeps `amr`.
        let refreshed = F::refresh(&app, &tokens.refresh).await.expect("a refresh");
        assert_eq!(payload(&app, &refreshed.access).await["amr"], serde_json::json!(["pwd", "otp"]));
    }

    /// A code is good once, even within its window; one step of skew either
    /// way is accepted, two are not.
    #[tokio::test]
    async fn a_code_is_accepted_once_and_only_near_now<F: Mfa>() {
        let app = spawn_app().await;
        let (secret, _, _) = enrolled::<F>(&app, "alice").await;
        app.state.clock().advance(90);
        let old = code_now(&app, &secret, -2);
        let ch = challenge::<F>(&app, "alice").await;
        F::log_in_mfa(&app, &ch, &old).await.refused(Code::InvalidCredentials);
        F::log_in_mfa(&app, &ch, &code_now(&app, &secret, 2)).await.refused(Code::InvalidCredentials);
        let previous = code_now(&app, &secret, -1);
        F::log_in_mfa(&app, &ch, &previous).await.expect("one step back is fine");
        let ch = challenge::<F>(&app, "alice").await;
        F::log_in_mfa(&app, &ch, &previous).await.refused(Code::InvalidCredentials);
        // Nor any step at or before one used.
        let ch = challenge::<F>(&app, "alice").await;
        F::log_in_mfa(&app, &ch, &code_now(&app, &secret, 0)).await.expect("the current step");
        let ch = challenge::<F>(&app, "alice").await;
        F::log_in_mfa(&app, &ch, &code_now(&app, &secret, 0)).await.refused(Code::InvalidCredentials);
    }

    /// A code is read up to 64 bytes however it is spaced; a longer one is
    /// refused before any work.
    #[tokio::test]
    async fn a_code_over_64_bytes_is_refused_unread<F: Mfa>() {
        let app = spawn_app().await;
        let (secret, _, _) = enrolled::<F>(&app, "alice").await;
        let code = code_now(&app, &secret, 1);
        let ch = challenge::<F>(&app, "alice").await;
        let long = format!("{code:>65}");
        assert_eq!(long.len(), 65);
        F::log_in_mfa(&app, &ch, &long).await.refused(Code::InvalidCredentials);
        let padded = format!("{code:>64}");
        F::log_in_mfa(&app, &ch, &padded).await.expect("64 bytes are read");
    }

    /// A recovery code works once in place of a code, however it is typed.
    #[tokio::test]
    async fn a_recovery_code_logs_in_once<F: Mfa>() {
        let app = spawn_app().await;
        let (_, codes, _) = enrolled::<F>(&app, "alice").await;
        let ch = challenge::<F>(&app, "alice").await;
        let typed = codes[3].to_uppercase().replace('-', " ");
        let tokens = F::log_in_mfa(&app, &ch, &typed).await.expect("a recovery login");
        assert_eq!(payload(&app, &tokens.access).await["amr"], serde_json::json!(["pwd", "recovery"]));
        let ch = challenge::<F>(&app, "alice").await;
        F::log_in_mfa(&app, &ch, &codes[3]).await.refused(Code::InvalidCredentials);
        F::log_in_mfa(&app, &ch, &codes[4]).await.expect("another code still works");
    }

    /// New recovery codes end the old ones; they need a fresh login with
    /// the second factor.
    #[tokio::test]
    async fn regenerating_recovery_codes_ends_the_old_ones<F: Mfa>() {
        let app = spawn_app().await;
        let (secret, old, enrolling) = enrolled::<F>(&app, "alice").await;
        // The enrolling session logged in with a password alone.
        F::mfa_regenerate(&app, &enrolling.bearer(), &code_now(&app, &secret, 1))
            .await
            .refused(Code::ReauthenticationRequired);
        let ch = challenge::<F>(&app, "alice").await;
        let s = F::log_in_mfa(&app, &ch, &old[0]).await.expect("tokens");
        F::mfa_regenerate(&app, &s.bearer(), "000000").await.refused(Code::BadUserInput);
        let new = F::mfa_regenerate(&app, &s.bearer(), &code_now(&app, &secret, 1)).await.expect("new codes");
        assert_eq!(new.len(), 10);
        assert!(new.iter().all(|c| !old.contains(c)));
        let ch = challenge::<F>(&app, "alice").await;
        F::log_in_mfa(&app, &ch, &old[1]).await.refused(Code::InvalidCredentials);
        F::log_in_mfa(&app, &ch, &new[0]).await.expect("a new code works");
    }

    /// Turning it off needs a fresh login with the factor, the password and
    /// a code; then a password logs in alone again.
    #[tokio::test]
    async fn turning_the_second_factor_off<F: Mfa>() {
        let app = spawn_app().await;
        let (secret, codes, _) = enrolled::<F>(&app, "alice").await;
        let ch = challenge::<F>(&app, "alice").await;
        let s = F::log_in_mfa(&app, &ch, &codes[0]).await.expect("tokens");
        let wrong = F::mfa_disable(&app, &s.bearer(), &codes[1], "wrong password").await.refused(Code::BadUserInput);
        assert_eq!(wrong.field().0, Field::Password);
        let wrong = F::mfa_disable(&app, &s.bearer(), "000000", PASSWORD).await.refused(Code::BadUserInput);
        assert_eq!(wrong.field().0, Field::Code);
        let user = F::mfa_disable(&app, &s.bearer(), &code_now(&app, &secret, 1), PASSWORD).await.expect("off");
        assert!(!user.mfa_enabled);
        F::logged_in(&app, "alice").await;
        F::mfa_disable(&app, &s.bearer(), &codes[2], PASSWORD).await.refused(Code::Conflict);
    }

    /// A challenge lasts five minutes, gives one login, takes five codes,
    /// and dies with a password change.
    #[tokio::test]
    async fn a_challenge_expires_is_single_use_and_takes_five_codes<F: Mfa>() {
        let app = spawn_app_with(unthrottled).await;
        let (secret, codes, _) = enrolled::<F>(&app, "alice").await;
        let ch = challenge::<F>(&app, "alice").await;
        app.state.clock().advance(301);
        F::log_in_mfa(&app, &ch, &codes[0]).await.refused(Code::TokenExpired);
        let ch = challenge::<F>(&app, "alice").await;
        F::log_in_mfa(&app, &ch, &codes[0]).await.expect("tokens");
        let used = F::log_in_mfa(&app, &ch, &codes[1]).await.refused(Code::TokenInvalid);
        assert!(used.shown.to_string().contains("the challenge was used"), "{used:?}");
        let ch = challenge::<F>(&app, "alice").await;
        for _ in 0..5 {
            F::log_in_mfa(&app, &ch, "000000").await.refused(Code::InvalidCredentials);
        }
        F::log_in_mfa(&app, &ch, &codes[1]).await.refused(Code::TokenInvalid);
        F::log_in_mfa(&app, "ghm_not-a-challenge", &codes[1]).await.refused(Code::TokenInvalid);
        // A logout everywhere voids a challenge handed out before it.
        let ch = challenge::<F>(&app, "alice").await;
        let s = F::log_in_mfa(&app, &challenge::<F>(&app, "alice").await, &codes[1]).await.expect("tokens");
        F::revoke_all(&app, Some(&s.bearer())).await.expect("logged out");
        F::log_in_mfa(&app, &ch, &code_now(&app, &secret, 1)).await.refused(Code::TokenInvalid);
    }

    /// Wrong codes count against the account's logins, and a right password
    /// does not take them back: a thief with the password runs out.
    #[tokio::test]
    async fn wrong_codes_are_throttled_and_a_password_does_not_reset_them<F: Mfa>() {
        let app = spawn_app_with(|c| {
            unthrottled(c);
            c.throttle.login_failures_per_account = 6;
        })
        .await;
        let (_, codes, _) = enrolled::<F>(&app, "alice").await;
        let mut limited = false;
        for _ in 0..6 {
            match F::log_in(&app, "alice", PASSWORD).await {
                Err(f) if f.code == Code::RateLimited => { limited = true; break; }
                other => {
                    let ch = other.refused(Code::MfaRequired).challenge.expect("a challenge");
                    match F::log_in_mfa(&app, &ch, "000000").await {
                        Err(f) if f.code == Code::RateLimited => { limited = true; break; }
                        other => { other.refused(Code::InvalidCredentials); }
                    }
                }
            }
        }
        assert!(limited, "six guesses in a window of six, password logins between");
        let ch = F::log_in(&app, "alice", PASSWORD).await;
        assert_eq!(ch.as_ref().err().map(|f| f.code), Some(Code::RateLimited), "{ch:?}");
        // The window ends; a right code forgets the count.
        app.state.clock().advance(app.state.config().throttle.login_window + 1);
        let ch = challenge::<F>(&app, "alice").await;
        F::log_in_mfa(&app, &ch, &codes[0]).await.expect("tokens");
    }

    /// Of many logins racing with one code, one gets tokens.
    #[tokio::test]
    async fn one_code_in_parallel_logs_in_once<F: Mfa>() {
        let app = spawn_app_with(unthrottled).await;
        let (secret, codes, _) = enrolled::<F>(&app, "alice").await;
        let mut challenges = Vec::new();
        for _ in 0..8 {
            challenges.push(challenge::<F>(&app, "alice").await);
        }
        let code = code_now(&app, &secret, 1);
        let results = join_all(challenges.iter().map(|ch| F::log_in_mfa(&app, ch, &code))).await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:#?}");
        // The same for a recovery code, and for one challenge with many codes.
        let mut challenges = Vec::new();
        for _ in 0..8 {
            challenges.push(challenge::<F>(&app, "alice").await);
        }
        let results = join_all(challenges.iter().map(|ch| F::log_in_mfa(&app, ch, &codes[0]))).await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:#?}");
        let ch = challenge::<F>(&app, "alice").await;
        let results = join_all(codes[1..6].iter().map(|c| F::log_in_mfa(&app, &ch, c))).await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:#?}");
    }

    /// Sensitive changes need a recent login; `reauthenticate` gives one
    /// (with a code when the factor is on).
    #[tokio::test]
    async fn sensitive_changes_need_a_fresh_login<F: Mfa>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let s = F::logged_in(&app, "alice").await;
        app.state.clock().advance(301);
        let s = F::refresh(&app, &s.refresh).await.expect("a refresh keeps the login's time");
        F::change_password(&app, Some(&s.bearer()), PASSWORD, "a brand new passphrase")
            .await
            .refused(Code::ReauthenticationRequired);
        F::request_email_change(&app, Some(&s.bearer()), "new@example.com", PASSWORD)
            .await
            .refused(Code::ReauthenticationRequired);
        F::reauthenticate(&app, &s.bearer(), "wrong password", None).await.refused(Code::BadUserInput);
        let fresh = F::reauthenticate(&app, &s.bearer(), PASSWORD, None).await.expect("a fresh token");
        F::change_password(&app, Some(&bearer(&fresh)), PASSWORD, "a brand new passphrase")
            .await
            .expect("changed");
    }

    /// Turning the factor on needs a recent login too: a stolen access
    /// token alone cannot put the thief's phone on the account.
    #[tokio::test]
    async fn enrolment_needs_a_fresh_login<F: Mfa>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let s = F::logged_in(&app, "alice").await;
        mid_step(&app);
        let e = F::mfa_begin(&app, &s.bearer()).await.expect("an enrolment");
        app.state.clock().advance(301);
        let s = F::refresh(&app, &s.refresh).await.expect("a refresh");
        F::mfa_begin(&app, &s.bearer()).await.refused(Code::ReauthenticationRequired);
        F::mfa_confirm(&app, &s.bearer(), &code_now(&app, &e.secret, 0))
            .await
            .refused(Code::ReauthenticationRequired);
        let fresh = bearer(&F::reauthenticate(&app, &s.bearer(), PASSWORD, None).await.expect("fresh"));
        let e = F::mfa_begin(&app, &fresh).await.expect("an enrolment");
        F::mfa_confirm(&app, &fresh, &code_now(&app, &e.secret, 0)).await.expect("on");
    }

    /// With the factor on, a fresh login must include it.
    #[tokio::test]
    async fn with_the_factor_on_reauthentication_needs_a_code<F: Mfa>() {
        let app = spawn_app().await;
        let (secret, _, enrolling) = enrolled::<F>(&app, "alice").await;
        F::change_password(&app, Some(&enrolling.bearer()), PASSWORD, "a brand new passphrase")
            .await
            .refused(Code::ReauthenticationRequired);
        let missing = F::reauthenticate(&app, &enrolling.bearer(), PASSWORD, None).await.refused(Code::BadUserInput);
        assert_eq!(missing.field().0, Field::Code);
        F::reauthenticate(&app, &enrolling.bearer(), PASSWORD, Some("000000")).await.refused(Code::BadUserInput);
        let fresh = F::reauthenticate(&app, &enrolling.bearer(), PASSWORD, Some(&code_now(&app, &secret, 1)))
            .await
            .expect("a fresh token");
        assert_eq!(payload(&app, &fresh).await["amr"], serde_json::json!(["pwd", "otp"]));
        F::change_password(&app, Some(&bearer(&fresh)), PASSWORD, "a brand new passphrase")
            .await
            .expect("changed");
    }

    /// A superuser turns another user's factor off; nobody else can, and
    /// not on themselves.
    #[tokio::test]
    async fn a_superuser_resets_a_users_second_factor<F: Mfa>() {
        let app = spawn_app().await;
        let boss_id = app.create_staff("boss", PASSWORD).await;
        let boss_login = F::logged_in(&app, "boss").await;
        let boss = boss_login.bearer();
        let (_, _, alice) = enrolled::<F>(&app, "alice").await;
        let alice_id = F::me(&app, Some(&alice.bearer())).await.expect("me").id;
        let bob_id = F::signed_up(&app, "bob").await.id;
        let bob = F::logged_in(&app, "bob").await.bearer();
        F::reset_mfa(&app, &bob, &alice_id).await.refused(Code::Forbidden);
        // Nor staff who are not superusers; who may act is settled before
        // whether the id names anyone.
        let op = gatehouse::service::admin::Actor::Operator;
        app.state
            .set_user_staff(op, bob_id.parse().unwrap(), true, false)
            .await
            .expect("bob is staff");
        let staff = F::logged_in(&app, "bob").await.bearer();
        for id in [alice_id.as_str(), "999999", "abc"] {
            F::reset_mfa(&app, &staff, id).await.refused(Code::Forbidden);
        }
        F::reset_mfa(&app, &alice.bearer(), &alice_id).await.refused(Code::Forbidden);
        F::reset_mfa(&app, &boss, &boss_id).await.refused(Code::Forbidden);
        F::reset_mfa(&app, &boss, "999999").await.refused(Code::NotFound);
        challenge::<F>(&app, "alice").await;
        // A superuser's login must be recent too.
        app.state.clock().advance(301);
        let boss = F::refresh(&app, &boss_login.refresh).await.expect("a refresh").bearer();
        F::reset_mfa(&app, &boss, &alice_id).await.refused(Code::ReauthenticationRequired);
        let boss = bearer(&F::reauthenticate(&app, &boss, PASSWORD, None).await.expect("fresh"));
        let user = F::reset_mfa(&app, &boss, &alice_id).await.expect("reset");
        assert!(!user.mfa_enabled);
        // Her sessions ended with it.
        F::refresh(&app, &alice.refresh).await.refused(Code::TokenInvalid);
        F::logged_in(&app, "alice").await;
    }
}
