//! Verifying an address: the sign-up's mail carries a link whose token
//! confirms the address once; a resent link replaces the older one; an
//! expired, tampered, unknown or superseded token confirms nothing; asking
//! for a link tells nobody whether the address is anyone's.

use super::*;
use crate::both::face::*;

on_both_faces! {
    #[tokio::test]
    async fn a_sign_up_mails_a_link_whose_token_verifies_the_address_once<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        let alice = F::signed_up(&app, "alice").await;
        assert!(!alice.email_verified, "{alice:#?}");

        let mail = smtp.first("alice@example.com", VERIFY_SUBJECT).await;
        assert_mail(&mail, "alice@example.com", VERIFY_SUBJECT);
        let token = mail.token();
        assert_eq!(mail.link(), format!("{VERIFY_LINK}{token}"));
        assert!(
            mail.text().contains("alice"),
            "the mail greets its user:\n{}",
            mail.text()
        );
        assert_eq!(smtp.mails().len(), 1, "{:#?}", smtp.summary());

        // Not required: the unverified address logs in, and shows as such.
        let session = F::logged_in(&app, "alice").await;
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert!(!me.email_verified);

        let verified = F::verify_account(&app, &token).await.expect("verified");
        assert_eq!(
            (verified.id.as_str(), verified.email.as_str()),
            (alice.id.as_str(), "alice@example.com")
        );
        assert!(verified.email_verified, "{verified:#?}");
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert!(me.email_verified, "{me:#?}");

        // Single use.
        F::verify_account(&app, &token)
            .await
            .refused(Code::TokenInvalid);
        let row = app.outbox_to("alice@example.com").await;
        assert_eq!(row.len(), 1, "{row:#?}");
        assert_eq!(
            (row[0].kind.as_str(), row[0].status.as_str()),
            ("verify_email", "sent")
        );
    }

    #[tokio::test]
    async fn the_link_points_where_the_settings_say<F: Face>() {
        let (app, smtp) = mail_app(|c| {
            c.mail.verify_url = "https://front.test/welcome/{token}/confirm?src=mail"
                .parse()
                .unwrap();
        })
        .await;
        F::signed_up(&app, "alice").await;
        let mail = smtp.first("alice@example.com", VERIFY_SUBJECT).await;
        let token = mail.token();
        assert_eq!(
            mail.link(),
            format!("https://front.test/welcome/{token}/confirm?src=mail")
        );
        F::verify_account(&app, &token).await.expect("verified");
    }

    #[tokio::test]
    async fn a_resent_link_replaces_the_older_one<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let first = smtp
            .first("alice@example.com", VERIFY_SUBJECT)
            .await
            .token();

        app.state.clock().advance(MIN_INTERVAL + 1);
        F::resend_activation_email(&app, "alice@example.com")
            .await
            .expect("resent");
        let mail = smtp.nth("alice@example.com", VERIFY_SUBJECT, 2).await;
        assert_mail(&mail, "alice@example.com", VERIFY_SUBJECT);
        let second = mail.token();
        assert_ne!(first, second);
        assert_eq!(mail.link(), format!("{VERIFY_LINK}{second}"));

        F::verify_account(&app, &first)
            .await
            .refused(Code::TokenInvalid);
        let verified = F::verify_account(&app, &second).await.expect("verified");
        assert!(verified.email_verified);
    }

    #[tokio::test]
    async fn a_second_resend_within_the_interval_is_rate_limited_and_allowed_after_it<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        smtp.first("alice@example.com", VERIFY_SUBJECT).await;

        // The sign-up's mail starts no interval (a resend right after it
        // must answer as for any address); the first resend does.
        F::resend_activation_email(&app, "alice@example.com")
            .await
            .expect("the first resend");
        let refused = F::resend_activation_email(&app, "alice@example.com")
            .await
            .refused(Code::RateLimited);
        let wait = refused.retry_after.expect("how long to wait");
        assert!((1..=MIN_INTERVAL).contains(&wait), "{refused:#?}");

        app.state.clock().advance(MIN_INTERVAL + 1);
        F::resend_activation_email(&app, "alice@example.com")
            .await
            .expect("allowed after the interval");
        F::resend_activation_email(&app, "alice@example.com")
            .await
            .refused(Code::RateLimited);
        smtp.nth("alice@example.com", VERIFY_SUBJECT, 3).await;
        app.settle().await;
        assert_eq!(
            smtp.count("alice@example.com", VERIFY_SUBJECT),
            3,
            "{:#?}",
            smtp.summary()
        );
    }

    #[tokio::test]
    async fn a_link_works_until_its_lifetime_ends_and_is_token_expired_after<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        F::signed_up(&app, "bob").await;
        let alice = smtp
            .first("alice@example.com", VERIFY_SUBJECT)
            .await
            .token();
        let bob = smtp.first("bob@example.com", VERIFY_SUBJECT).await.token();

        app.state.clock().advance(VERIFY_TTL - 30);
        F::verify_account(&app, &bob).await.expect("still valid");
        app.state.clock().advance(31);
        F::verify_account(&app, &alice)
            .await
            .refused(Code::TokenExpired);
        let session = F::logged_in(&app, "alice").await;
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert!(!me.email_verified);
    }

    #[tokio::test]
    async fn tampered_malformed_and_unknown_tokens_are_token_invalid_and_burn_nothing<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let token = smtp
            .first("alice@example.com", VERIFY_SUBJECT)
            .await
            .token();
        let unknown = format!("ghl_{}", "A".repeat(43));
        for bad in [
            tampered(&token),
            token[..token.len() - 1].to_owned(),
            format!("{token}A"),
            token.replace("ghl_", "ghr_"),
            unknown,
            UNKNOWN_REFRESH.to_owned(),
            "".to_owned(),
            "not a token".to_owned(),
        ] {
            let refused = F::verify_account(&app, &bad)
                .await
                .refused(Code::TokenInvalid);
            let shown = refused.shown.to_string();
            assert!(
                !shown.contains(&token),
                "the real token is not echoed: {shown}"
            );
        }
        F::verify_account(&app, &token)
            .await
            .expect("the real token still works");
    }

    #[tokio::test]
    async fn an_unknown_or_verified_address_gets_the_same_answer_and_no_mail<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        F::signed_up(&app, "bob").await;
        let alice = smtp
            .first("alice@example.com", VERIFY_SUBJECT)
            .await
            .token();
        smtp.first("bob@example.com", VERIFY_SUBJECT).await;
        F::verify_account(&app, &alice).await.expect("verified");
        app.state.clock().advance(MIN_INTERVAL + 1);

        let unknown = F::resend_activation_email(&app, "nobody@example.com")
            .await
            .expect("the same answer");
        let verified = F::resend_activation_email(&app, "alice@example.com")
            .await
            .expect("the same answer");
        let waiting = F::resend_activation_email(&app, "bob@example.com")
            .await
            .expect("resent");
        assert_eq!(unknown, waiting);
        assert_eq!(verified, waiting);

        smtp.nth("bob@example.com", VERIFY_SUBJECT, 2).await;
        app.settle().await;
        assert!(
            smtp.mails_to("nobody@example.com").is_empty(),
            "{:#?}",
            smtp.summary()
        );
        assert_eq!(
            smtp.mails_to("alice@example.com").len(),
            1,
            "{:#?}",
            smtp.summary()
        );
        assert!(app.outbox_to("nobody@example.com").await.is_empty());
        assert_eq!(app.outbox_to("alice@example.com").await.len(), 1);
    }

    #[tokio::test]
    async fn a_malformed_address_is_bad_user_input<F: Face>() {
        let (app, _smtp) = mail_app(|_| {}).await;
        for bad in ["", "not an address", "a@"] {
            let refused = F::resend_activation_email(&app, bad)
                .await
                .refused(Code::BadUserInput);
            assert_eq!(refused.field().0, Field::Email, "{bad:?}");
            let refused = F::send_password_reset_email(&app, bad)
                .await
                .refused(Code::BadUserInput);
            assert_eq!(refused.field().0, Field::Email, "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_staff_user_made_by_an_operator_counts_as_verified_and_gets_no_mail<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        app.create_staff("root", PASSWORD).await;
        let session = F::logged_in(&app, "root").await;
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert!(me.email_verified && me.is_staff, "{me:#?}");
        app.settle().await;
        assert!(smtp.mails().is_empty(), "{:#?}", smtp.summary());
        assert!(app.outbox().await.is_empty());
    }
}
