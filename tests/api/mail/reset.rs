//! Recovering a password: the reset link's token sets a new password once,
//! ends every session and brings a notice; the request answers the same
//! whether or not the address is anyone's; a token works only for what it
//! was sent for.

use super::*;
use crate::both::face::*;

on_both_faces! {
    #[tokio::test]
    async fn a_reset_link_sets_the_password_ends_every_session_and_brings_a_notice<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        let alice = F::signed_up(&app, "alice").await;
        let a = F::logged_in(&app, "alice").await;
        let b = F::logged_in(&app, "alice@example.com").await;

        F::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("accepted");
        let mail = smtp.first("alice@example.com", RESET_SUBJECT).await;
        assert_mail(&mail, "alice@example.com", RESET_SUBJECT);
        let token = mail.token();
        assert_eq!(mail.link(), format!("{RESET_LINK}{token}"));
        // Nothing changes until the link is followed.
        F::me(&app, Some(&a.bearer()))
            .await
            .expect("still logged in");

        let user = F::password_reset(&app, &token, NEW_PASSWORD)
            .await
            .expect("the password is reset");
        assert_eq!(
            (user.id.as_str(), user.username.as_str()),
            (alice.id.as_str(), "alice")
        );
        assert!(
            user.email_verified,
            "the link reached the address: {user:#?}"
        );

        for old in [&a, &b] {
            F::me(&app, Some(&old.bearer()))
                .await
                .refused(Code::TokenInvalid);
            F::refresh(&app, &old.refresh)
                .await
                .refused(Code::TokenInvalid);
        }
        F::log_in(&app, "alice", PASSWORD)
            .await
            .refused(Code::InvalidCredentials);
        let fresh = F::log_in(&app, "alice", NEW_PASSWORD)
            .await
            .expect("the new password logs in");
        F::me(&app, Some(&fresh.bearer()))
            .await
            .expect("a new session works");

        let notice = smtp
            .first("alice@example.com", PASSWORD_RESET_SUBJECT)
            .await;
        assert_notice(&notice, "alice@example.com", PASSWORD_RESET_SUBJECT);
        assert!(
            !notice.data.contains(NEW_PASSWORD),
            "the notice does not carry the password"
        );

        // Single use: not again, not even with another password.
        F::password_reset(&app, &token, "yet another fine passphrase")
            .await
            .refused(Code::TokenInvalid);
        F::log_in(&app, "alice", NEW_PASSWORD)
            .await
            .expect("unchanged");
        app.settle().await;
        assert_eq!(smtp.count("alice@example.com", PASSWORD_RESET_SUBJECT), 1);
    }

    #[tokio::test]
    async fn a_weak_new_password_is_refused_and_the_link_still_works<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        F::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("accepted");
        let token = smtp.first("alice@example.com", RESET_SUBJECT).await.token();
        let session = F::logged_in(&app, "alice").await;
        for weak in ["short", "alice@example.com", "password1234"] {
            let refused = F::password_reset(&app, &token, weak)
                .await
                .refused(Code::BadUserInput);
            assert_eq!(refused.field().0, Field::NewPassword, "{weak:?}");
        }
        F::me(&app, Some(&session.bearer()))
            .await
            .expect("no session ended");
        F::log_in(&app, "alice", PASSWORD)
            .await
            .expect("the password is unchanged");
        F::password_reset(&app, &token, NEW_PASSWORD)
            .await
            .expect("the link still works");
        F::log_in(&app, "alice", NEW_PASSWORD)
            .await
            .expect("changed");
    }

    #[tokio::test]
    async fn a_reset_link_expires_after_its_lifetime<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        F::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("accepted");
        let token = smtp.first("alice@example.com", RESET_SUBJECT).await.token();
        app.state.clock().advance(RESET_TTL + 1);
        F::password_reset(&app, &token, NEW_PASSWORD)
            .await
            .refused(Code::TokenExpired);
        F::log_in(&app, "alice", PASSWORD)
            .await
            .expect("the password is unchanged");
    }

    #[tokio::test]
    async fn a_newer_reset_link_replaces_the_older_one_and_asking_again_at_once_is_limited<
        F: Face,
    >() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        F::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("accepted");
        let first = smtp.first("alice@example.com", RESET_SUBJECT).await.token();
        let refused = F::send_password_reset_email(&app, "alice@example.com")
            .await
            .refused(Code::RateLimited);
        assert!(
            refused
                .retry_after
                .is_some_and(|s| (1..=MIN_INTERVAL).contains(&s)),
            "{refused:#?}"
        );

        app.state.clock().advance(MIN_INTERVAL + 1);
        F::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("accepted after the interval");
        let second = smtp
            .nth("alice@example.com", RESET_SUBJECT, 2)
            .await
            .token();
        assert_ne!(first, second);
        F::password_reset(&app, &first, NEW_PASSWORD)
            .await
            .refused(Code::TokenInvalid);
        F::password_reset(&app, &second, NEW_PASSWORD)
            .await
            .expect("the newer link works");
    }

    #[tokio::test]
    async fn an_unknown_or_inactive_address_gets_the_same_answer_and_no_mail<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let bob = F::signed_up(&app, "bob").await;
        app.deactivate(&bob.id).await;

        let known = F::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("accepted");
        for other in ["nobody@example.com", "bob@example.com", "ALICE@example.org"] {
            let answer = F::send_password_reset_email(&app, other)
                .await
                .expect("the same answer");
            assert_eq!(answer, known, "{other}");
        }
        smtp.first("alice@example.com", RESET_SUBJECT).await;
        app.settle().await;
        for other in ["nobody@example.com", "bob@example.com", "ALICE@example.org"] {
            assert_eq!(smtp.count(other, RESET_SUBJECT), 0, "{:#?}", smtp.summary());
            let rows = app.outbox_to(other).await;
            assert!(rows.iter().all(|r| r.kind != "reset_password"), "{rows:#?}");
        }
        assert_eq!(smtp.count("alice@example.com", RESET_SUBJECT), 1);
    }

    #[tokio::test]
    async fn a_token_works_only_for_the_purpose_it_was_mailed_for<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let verify = smtp
            .first("alice@example.com", VERIFY_SUBJECT)
            .await
            .token();
        F::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("accepted");
        let reset = smtp.first("alice@example.com", RESET_SUBJECT).await.token();

        F::verify_account(&app, &reset)
            .await
            .refused(Code::TokenInvalid);
        F::confirm_email_change(&app, &reset)
            .await
            .refused(Code::TokenInvalid);
        F::password_reset(&app, &verify, NEW_PASSWORD)
            .await
            .refused(Code::TokenInvalid);
        F::confirm_email_change(&app, &verify)
            .await
            .refused(Code::TokenInvalid);
        F::log_in(&app, "alice", PASSWORD)
            .await
            .expect("nothing changed");

        // Each still does what it is for.
        F::verify_account(&app, &verify).await.expect("verified");
        F::password_reset(&app, &reset, NEW_PASSWORD)
            .await
            .expect("reset");
    }
}

across_faces! {
    #[tokio::test]
    async fn a_link_asked_for_on_one_face_is_followed_on_the_other<A: Face, B: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        A::signed_up(&app, "alice").await;
        let verify = smtp
            .first("alice@example.com", VERIFY_SUBJECT)
            .await
            .token();
        A::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("accepted");
        let reset = smtp.first("alice@example.com", RESET_SUBJECT).await.token();
        B::verify_account(&app, &verify).await.expect("verified");
        B::password_reset(&app, &reset, NEW_PASSWORD)
            .await
            .expect("reset");
        A::log_in(&app, "alice", NEW_PASSWORD)
            .await
            .expect("changed");
    }
}
