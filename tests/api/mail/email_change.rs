//! Changing an email: the new address is confirmed by a link sent to it
//! before it replaces the old one, which gets a notice; the current
//! password is required. `updateMe` does not move the address; the Django
//! REST update view (seed 004's) does, at once and unconfirmed, unless
//! confirmed addresses are required.

use serde_json::json;

use super::*;
use crate::both::face::*;

const NEW: &str = "alice@new.example.com";

on_both_faces! {
    #[tokio::test]
    async fn a_confirmed_change_moves_the_login_and_tells_the_old_address<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        let alice = F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;

        F::request_email_change(&app, Some(&session.bearer()), NEW, PASSWORD)
            .await
            .expect("asked");
        let mail = smtp.first(NEW, CONFIRM_SUBJECT).await;
        assert_mail(&mail, NEW, CONFIRM_SUBJECT);
        let token = mail.token();
        assert_eq!(mail.link(), format!("{CONFIRM_LINK}{token}"));
        // Nothing changes until the link is followed.
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert_eq!(me.email, "alice@example.com");
        F::log_in(&app, NEW, PASSWORD)
            .await
            .refused(Code::InvalidCredentials);

        let user = F::confirm_email_change(&app, &token)
            .await
            .expect("confirmed");
        assert_eq!(
            (user.id.as_str(), user.email.as_str()),
            (alice.id.as_str(), NEW)
        );
        assert!(user.email_verified, "the link reached it: {user:#?}");
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert_eq!(me.email, NEW);

        let notice = smtp.first("alice@example.com", EMAIL_CHANGED_SUBJECT).await;
        assert_notice(&notice, "alice@example.com", EMAIL_CHANGED_SUBJECT);
        assert!(
            notice.text().contains(NEW),
            "the notice names the new address:\n{}",
            notice.text()
        );
        F::log_in(&app, NEW, PASSWORD)
            .await
            .expect("the new address logs in");
        F::log_in(&app, "alice@example.com", PASSWORD)
            .await
            .refused(Code::InvalidCredentials);

        F::confirm_email_change(&app, &token)
            .await
            .refused(Code::TokenInvalid);
        app.settle().await;
        assert_eq!(smtp.mails_to(NEW).len(), 1, "{:#?}", smtp.summary());
        // The sign-up's link and the notice.
        assert_eq!(
            smtp.mails_to("alice@example.com").len(),
            2,
            "{:#?}",
            smtp.summary()
        );
    }

    #[tokio::test]
    async fn a_wrong_password_is_bad_user_input_and_mails_nothing<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        let refused =
            F::request_email_change(&app, Some(&session.bearer()), NEW, "not my password")
                .await
                .refused(Code::BadUserInput);
        assert_eq!(refused.field().0, Field::Password);
        app.settle().await;
        assert!(smtp.mails_to(NEW).is_empty(), "{:#?}", smtp.summary());
        assert!(app.outbox_to(NEW).await.is_empty());
    }

    #[tokio::test]
    async fn another_accounts_address_is_a_conflict<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        F::signed_up(&app, "bob").await;
        let session = F::logged_in(&app, "alice").await;
        for taken in ["bob@example.com", "BOB@EXAMPLE.COM", "bob"] {
            let refused =
                F::request_email_change(&app, Some(&session.bearer()), taken, PASSWORD).await;
            let code = match taken {
                // A username is no address.
                "bob" => Code::BadUserInput,
                _ => Code::Conflict,
            };
            assert!(
                matches!(&refused, Err(f) if f.code == code && f.field().0 == Field::NewEmail),
                "{taken}: {refused:#?}"
            );
        }
        app.settle().await;
        assert_eq!(
            smtp.mails_to("bob@example.com").len(),
            1,
            "only bob's sign-up"
        );
    }

    #[tokio::test]
    async fn an_address_taken_before_the_link_is_followed_is_not_moved_to<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        F::request_email_change(&app, Some(&session.bearer()), NEW, PASSWORD)
            .await
            .expect("asked");
        let token = smtp.first(NEW, CONFIRM_SUBJECT).await.token();
        F::sign_up(&app, "carol", NEW, PASSWORD)
            .await
            .expect("carol takes it first");
        F::confirm_email_change(&app, &token)
            .await
            .refused(Code::Conflict);
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert_eq!(me.email, "alice@example.com");
    }

    #[tokio::test]
    async fn an_email_change_link_expires_after_its_lifetime<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        F::request_email_change(&app, Some(&session.bearer()), NEW, PASSWORD)
            .await
            .expect("asked");
        let token = smtp.first(NEW, CONFIRM_SUBJECT).await.token();
        app.state.clock().advance(EMAIL_CHANGE_TTL + 1);
        F::confirm_email_change(&app, &token)
            .await
            .refused(Code::TokenExpired);
        F::log_in(&app, "alice@example.com", PASSWORD)
            .await
            .expect("the address is unchanged");
    }

    #[tokio::test]
    async fn a_tampered_email_change_link_is_token_invalid<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        F::request_email_change(&app, Some(&session.bearer()), NEW, PASSWORD)
            .await
            .expect("asked");
        let token = smtp.first(NEW, CONFIRM_SUBJECT).await.token();
        F::confirm_email_change(&app, &tampered(&token))
            .await
            .refused(Code::TokenInvalid);
        F::confirm_email_change(&app, &token)
            .await
            .expect("the real one works");
    }

    #[tokio::test]
    async fn asking_for_an_email_change_needs_a_token<F: Face>() {
        let (app, _smtp) = mail_app(|_| {}).await;
        F::request_email_change(&app, None, NEW, PASSWORD)
            .await
            .refused(Code::Unauthenticated);
    }

    #[tokio::test]
    async fn update_me_does_not_move_the_address_a_confirmed_change_does<F: Face>() {
        // With an access token alone, a thief would move the account's mail
        // and then reset its password: a new address needs the password
        // and the link.
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        for new in [NEW, "ALICE@new.example.com"] {
            let refused = F::update_me(&app, Some(&session.bearer()), &[(Field::Email, new)])
                .await
                .refused(Code::BadUserInput);
            assert_eq!(refused.field().0, Field::Email);
        }
        let refused = F::update_me(
            &app,
            Some(&session.bearer()),
            &[(Field::Email, NEW), (Field::FirstName, "Alice")],
        )
        .await
        .refused(Code::BadUserInput);
        assert_eq!(refused.field().0, Field::Email, "nothing is half done");
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert_eq!(
            (me.email.as_str(), me.first_name.as_str()),
            ("alice@example.com", "")
        );
        // The address it has (any spelling) and names go through.
        let user = F::update_me(
            &app,
            Some(&session.bearer()),
            &[
                (Field::Email, "ALICE@example.com"),
                (Field::FirstName, "Alice"),
            ],
        )
        .await
        .expect("no new address");
        assert_eq!(user.first_name, "Alice");
        assert_eq!(user.email.to_lowercase(), "alice@example.com");
        app.settle().await;
        assert!(smtp.mails_to(NEW).is_empty(), "{:#?}", smtp.summary());
        assert_eq!(
            smtp.mails().len(),
            1,
            "only the sign-up's: {:#?}",
            smtp.summary()
        );
    }

    #[tokio::test]
    async fn a_verification_link_sent_to_an_old_address_no_longer_verifies<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let old = smtp
            .first("alice@example.com", VERIFY_SUBJECT)
            .await
            .token();
        // The Django REST update view moves the address at once, unconfirmed.
        let reply = app
            .drf_update("alice@example.com", json!({ "user": { "email": NEW } }))
            .await;
        assert_eq!(reply.expect(200)["email"], NEW);
        F::verify_account(&app, &old)
            .await
            .refused(Code::TokenInvalid);
        let session = F::logged_in(&app, "alice").await;
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert!(!me.email_verified, "{me:#?}");
        let new = smtp.first(NEW, VERIFY_SUBJECT).await.token();
        let verified = F::verify_account(&app, &new).await.expect("verified");
        assert_eq!(
            (verified.email.as_str(), verified.email_verified),
            (NEW, true)
        );
    }

    #[tokio::test]
    async fn a_reset_link_sent_to_an_old_address_no_longer_resets<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        F::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("accepted");
        let reset = smtp.first("alice@example.com", RESET_SUBJECT).await.token();
        let session = F::logged_in(&app, "alice").await;
        F::request_email_change(&app, Some(&session.bearer()), NEW, PASSWORD)
            .await
            .expect("asked");
        let confirm = smtp.first(NEW, CONFIRM_SUBJECT).await.token();
        F::confirm_email_change(&app, &confirm)
            .await
            .expect("confirmed");
        F::password_reset(&app, &reset, NEW_PASSWORD)
            .await
            .refused(Code::TokenInvalid);
        F::log_in(&app, NEW, PASSWORD)
            .await
            .expect("the password is unchanged");
    }

    #[tokio::test]
    async fn with_confirmed_addresses_required_update_me_cannot_change_the_address<F: Face>() {
        let (app, smtp) = mail_app(|c| c.mail.require_verified_email = true).await;
        F::signed_up(&app, "alice").await;
        let token = smtp
            .first("alice@example.com", VERIFY_SUBJECT)
            .await
            .token();
        F::verify_account(&app, &token).await.expect("verified");
        let session = F::logged_in(&app, "alice").await;
        let refused = F::update_me(&app, Some(&session.bearer()), &[(Field::Email, NEW)])
            .await
            .refused(Code::BadUserInput);
        assert_eq!(refused.field().0, Field::Email);
        // The same address, and names, still go through.
        let user = F::update_me(
            &app,
            Some(&session.bearer()),
            &[
                (Field::Email, "alice@example.com"),
                (Field::FirstName, "Alice"),
            ],
        )
        .await
        .expect("no new address");
        assert_eq!(
            (user.email.as_str(), user.first_name.as_str()),
            ("alice@example.com", "Alice")
        );
        assert!(user.email_verified);
        // The confirmed way works.
        F::request_email_change(&app, Some(&session.bearer()), NEW, PASSWORD)
            .await
            .expect("asked");
        let token = smtp.first(NEW, CONFIRM_SUBJECT).await.token();
        F::confirm_email_change(&app, &token)
            .await
            .expect("confirmed");
        F::log_in(&app, NEW, PASSWORD)
            .await
            .expect("a confirmed address logs in");
    }
}

#[tokio::test]
async fn with_confirmed_addresses_required_the_django_update_view_cannot_move_the_address() {
    let (app, smtp) = mail_app(|c| c.mail.require_verified_email = true).await;
    crate::graphql::face::Graphql::signed_up(&app, "alice").await;
    let token = smtp
        .first("alice@example.com", VERIFY_SUBJECT)
        .await
        .token();
    crate::graphql::face::Graphql::verify_account(&app, &token)
        .await
        .expect("verified");
    let reply = app
        .drf_update("alice@example.com", json!({ "user": { "email": NEW } }))
        .await;
    assert!(reply.expect(400)["email"].is_array(), "{:#}", reply.body);
    let reply = app
        .drf_update(
            "alice@example.com",
            json!({ "user": { "first_name": "Alice" } }),
        )
        .await;
    assert_eq!(reply.expect(200)["email"], "alice@example.com");
    app.settle().await;
    assert!(smtp.mails_to(NEW).is_empty(), "{:#?}", smtp.summary());
}
