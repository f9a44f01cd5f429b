//! Security notices: a changed password is told to the account's address,
//! whichever face changed it (the Django REST face's `user/update/` too).

use serde_json::json;

use super::*;
use crate::both::face::*;

on_both_faces! {
    #[tokio::test]
    async fn changing_the_password_mails_a_notice<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        F::change_password(&app, Some(&session.bearer()), PASSWORD, NEW_PASSWORD)
            .await
            .expect("changed");
        let notice = smtp
            .first("alice@example.com", PASSWORD_CHANGED_SUBJECT)
            .await;
        assert_notice(&notice, "alice@example.com", PASSWORD_CHANGED_SUBJECT);
        assert!(!notice.data.contains(NEW_PASSWORD));
        assert!(notice.text().contains("alice"), "{}", notice.text());
    }

    #[tokio::test]
    async fn a_refused_password_change_mails_nothing<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        F::change_password(
            &app,
            Some(&session.bearer()),
            "not my password",
            NEW_PASSWORD,
        )
        .await
        .refused(Code::BadUserInput);
        F::change_password(&app, Some(&session.bearer()), PASSWORD, "short")
            .await
            .refused(Code::BadUserInput);
        app.settle().await;
        assert_eq!(smtp.count("alice@example.com", PASSWORD_CHANGED_SUBJECT), 0);
        let rows = app.outbox_to("alice@example.com").await;
        assert!(rows.iter().all(|r| r.kind == "verify_email"), "{rows:#?}");
    }
}

#[tokio::test]
async fn a_password_changed_through_the_django_update_view_mails_a_notice() {
    let (app, smtp) = mail_app(|_| {}).await;
    let body = json!({ "email": "alice@example.com", "password": PASSWORD });
    app.drf_post("/user/create/", body).await.expect(201);
    let change = json!({ "user": { "password": NEW_PASSWORD } });
    app.drf_update("alice@example.com", change)
        .await
        .expect(200);
    let notice = smtp
        .first("alice@example.com", PASSWORD_CHANGED_SUBJECT)
        .await;
    assert_notice(&notice, "alice@example.com", PASSWORD_CHANGED_SUBJECT);
}
