//! Which address a mail goes to: always the one the account has stored,
//! whichever spelling asked for it (case, fullwidth letters); an address
//! counts once for the interval however it is spelled; a newer email-change
//! link replaces an older one; an address the Django REST update view
//! moves at once gets a link, and the old one a notice.

use serde_json::json;

use super::*;
use crate::both::face::*;

const NEW: &str = "alice@new.example.com";
const NEWER: &str = "alice@newer.example.com";

on_both_faces! {
    #[tokio::test]
    async fn a_link_goes_to_the_stored_address_whichever_spelling_asked<F: Face>() {
        let (app, smtp) = mail_app(|c| c.mail.min_interval = 1).await;
        F::signed_up(&app, "alice").await;
        // Another case, fullwidth letters (NFKC folds them): the same
        // account, and the mail goes to the address it has, never to the
        // spelling asked for. (A local part in fullwidth letters is no
        // valid address at all.)
        let mut sent = 0;
        for asked in [
            "ALICE@Example.COM",
            " alice@example.com ",
            "alice@ＥＸＡＭＰＬＥ.com",
            "ａｌｉｃｅ@example.com",
        ] {
            app.state.clock().advance(2);
            match F::send_password_reset_email(&app, asked).await {
                Ok(_) => {
                    sent += 1;
                    let mail = smtp.nth("alice@example.com", RESET_SUBJECT, sent).await;
                    assert_mail(&mail, "alice@example.com", RESET_SUBJECT);
                }
                Err(f) if asked.contains('ａ') && f.code == Code::BadUserInput => {}
                Err(f) => panic!("{asked:?}: {f:#?}"),
            }
        }
        assert!(sent >= 3, "{:#?}", smtp.summary());
        app.settle().await;
        let recipients: Vec<String> = smtp.mails().iter().flat_map(|m| m.to.clone()).collect();
        assert!(
            recipients.iter().all(|r| r == "alice@example.com"),
            "only the stored address: {recipients:?}"
        );
        let rows = app.outbox().await;
        assert!(
            rows.iter().all(|r| r.recipient == "alice@example.com"),
            "{rows:#?}"
        );
    }

    #[tokio::test]
    async fn an_address_counts_once_for_the_interval_however_it_is_spelled<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        smtp.first("alice@example.com", VERIFY_SUBJECT).await;
        // The sign-up's own mail starts no interval; a resend does.
        F::resend_activation_email(&app, "alice@example.com")
            .await
            .expect("the first resend");
        for spelling in [
            "ALICE@EXAMPLE.COM",
            " alice@example.com ",
            "alice@ＥＸＡＭＰＬＥ.com",
        ] {
            F::resend_activation_email(&app, spelling)
                .await
                .refused(Code::RateLimited);
        }
        F::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("another kind of mail has its own interval");
        F::send_password_reset_email(&app, "Alice@Example.com")
            .await
            .refused(Code::RateLimited);
    }

    #[tokio::test]
    async fn a_newer_email_change_link_replaces_the_older_one<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        F::request_email_change(&app, Some(&session.bearer()), NEW, PASSWORD)
            .await
            .expect("asked");
        F::request_email_change(&app, Some(&session.bearer()), NEWER, PASSWORD)
            .await
            .expect("asked again, for another address");
        let older = smtp.first(NEW, CONFIRM_SUBJECT).await.token();
        let newer = smtp.first(NEWER, CONFIRM_SUBJECT).await.token();
        F::confirm_email_change(&app, &older)
            .await
            .refused(Code::TokenInvalid);
        let user = F::confirm_email_change(&app, &newer)
            .await
            .expect("confirmed");
        assert_eq!(user.email, NEWER);
    }

    #[tokio::test]
    async fn asking_to_change_to_the_address_one_has_is_bad_user_input<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        for same in ["alice@example.com", "ALICE@example.com"] {
            let refused = F::request_email_change(&app, Some(&session.bearer()), same, PASSWORD)
                .await
                .refused(Code::BadUserInput);
            assert_eq!(refused.field().0, Field::NewEmail, "{same}");
        }
        for bad in ["", "not an address"] {
            let refused = F::request_email_change(&app, Some(&session.bearer()), bad, PASSWORD)
                .await
                .refused(Code::BadUserInput);
            assert_eq!(refused.field().0, Field::NewEmail, "{bad:?}");
        }
        app.settle().await;
        assert_eq!(
            smtp.mails().len(),
            1,
            "only the sign-up's: {:#?}",
            smtp.summary()
        );
    }
}

#[tokio::test]
async fn an_address_moved_by_the_django_update_view_gets_a_link_and_the_old_one_a_notice() {
    let (app, smtp) = mail_app(|_| {}).await;
    let body = json!({ "email": "alice@example.com", "password": PASSWORD });
    app.drf_post("/user/create/", body).await.expect(201);
    let reply = app
        .drf_update("alice@example.com", json!({ "user": { "email": NEW } }))
        .await;
    assert_eq!(reply.expect(200)["email"], NEW);
    let mail = smtp.first(NEW, VERIFY_SUBJECT).await;
    assert_mail(&mail, NEW, VERIFY_SUBJECT);
    let notice = smtp.first("alice@example.com", EMAIL_CHANGED_SUBJECT).await;
    assert_notice(&notice, "alice@example.com", EMAIL_CHANGED_SUBJECT);
    let verified = crate::graphql::face::Graphql::verify_account(&app, &mail.token())
        .await
        .expect("verified");
    assert_eq!(
        (verified.email.as_str(), verified.email_verified),
        (NEW, true)
    );
}
