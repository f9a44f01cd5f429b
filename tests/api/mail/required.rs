//! `GATEHOUSE_REQUIRE_VERIFIED_EMAIL`: the right password for an
//! unconfirmed address gets EMAIL_NOT_VERIFIED and no token, on every face
//! (the Django REST views in their own shapes); a wrong one is told
//! nothing more than before; a confirmed address logs in.

use serde_json::json;

use super::*;
use crate::both::face::*;
use crate::graphql::face::Graphql;

on_both_faces! {
    #[tokio::test]
    async fn an_unconfirmed_address_cannot_log_in_until_it_is_confirmed<F: Face>() {
        let (app, smtp) = mail_app(|c| c.mail.require_verified_email = true).await;
        let alice = F::signed_up(&app, "alice").await;
        assert!(!alice.email_verified);
        for login in ["alice", "alice@example.com"] {
            let refused = F::log_in(&app, login, PASSWORD)
                .await
                .refused(Code::EmailNotVerified);
            let shown = refused.shown.to_string();
            assert!(
                !shown.contains("ghl_") && !shown.contains("v4.public"),
                "{shown}"
            );
            F::log_in(&app, login, "not my password")
                .await
                .refused(Code::InvalidCredentials);
        }
        F::log_in(&app, "nobody", PASSWORD)
            .await
            .refused(Code::InvalidCredentials);

        let token = smtp
            .first("alice@example.com", VERIFY_SUBJECT)
            .await
            .token();
        F::verify_account(&app, &token).await.expect("verified");
        let session = F::logged_in(&app, "alice").await;
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert!(me.email_verified);
    }

    #[tokio::test]
    async fn a_password_reset_confirms_the_address_and_logs_in<F: Face>() {
        let (app, smtp) = mail_app(|c| c.mail.require_verified_email = true).await;
        F::signed_up(&app, "alice").await;
        F::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("accepted");
        let token = smtp.first("alice@example.com", RESET_SUBJECT).await.token();
        F::password_reset(&app, &token, NEW_PASSWORD)
            .await
            .expect("reset");
        F::log_in(&app, "alice", NEW_PASSWORD)
            .await
            .expect("the link reached the address: it is confirmed");
    }

    #[tokio::test]
    async fn operators_staff_and_earlier_accounts_log_in_as_before<F: Face>() {
        let (app, _smtp) = mail_app(|c| c.mail.require_verified_email = true).await;
        app.create_staff("root", PASSWORD).await;
        F::logged_in(&app, "root").await;
    }
}

#[tokio::test]
async fn the_django_rest_logins_refuse_an_unconfirmed_address_in_their_shapes() {
    let (app, smtp) = mail_app(|c| c.mail.require_verified_email = true).await;
    app.drf_post(
        "/user/create/",
        json!({ "email": "alice@example.com", "password": PASSWORD }),
    )
    .await
    .expect(201);

    // simplejwt's pair view.
    let body = json!({ "username": "alice@example.com", "password": PASSWORD });
    let reply = app.drf_post("/login/", body.clone()).await;
    let refused = reply.expect(403);
    assert_eq!(refused["code"], "email_not_verified", "{refused:#}");
    assert!(refused["detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(refused.get("access").is_none() && refused.get("refresh").is_none());
    let wrong = json!({ "username": "alice@example.com", "password": "not my password" });
    assert_eq!(app.drf_post("/login/", wrong).await.status, 401);

    // Seed 004's view, by email.
    let seed = json!({ "email": "alice@example.com", "password": PASSWORD });
    let reply = app.drf_post("/user/obtain_token/", seed.clone()).await;
    let refused = reply.expect(403);
    assert!(
        refused["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{refused:#}"
    );
    assert!(refused.get("token").is_none());
    let cannot = app
        .drf_post(
            "/user/obtain_token/",
            json!({ "email": "alice@example.com", "password": "not my password" }),
        )
        .await;
    assert_ne!(
        cannot.expect(403)["error"],
        refused["error"],
        "a wrong password is told apart from an unconfirmed address only with the right one"
    );

    let token = smtp
        .first("alice@example.com", VERIFY_SUBJECT)
        .await
        .token();
    Graphql::verify_account(&app, &token)
        .await
        .expect("verified");
    app.drf_post("/login/", body).await.expect(200);
    app.drf_post("/user/obtain_token/", seed).await.expect(200);
}

/// Turning the setting on later: who confirmed logs in, who did not is refused.
#[tokio::test]
async fn turning_the_setting_on_later_refuses_only_the_unconfirmed() {
    let (first, smtp) = mail_app(|_| {}).await;
    Graphql::signed_up(&first, "alice").await;
    Graphql::signed_up(&first, "bob").await;
    let token = smtp
        .first("alice@example.com", VERIFY_SUBJECT)
        .await
        .token();
    Graphql::verify_account(&first, &token)
        .await
        .expect("verified");
    let dir = first.stop().await;
    let second = spawn_app_in(dir, |c| {
        send_to(c, &smtp);
        c.mail.require_verified_email = true;
    })
    .await;
    Graphql::logged_in(&second, "alice").await;
    Graphql::log_in(&second, "bob", PASSWORD)
        .await
        .refused(Code::EmailNotVerified);
}
