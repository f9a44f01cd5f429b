//! What the attack review of the mail flows (issue 14) found, replayed:
//! links asked for by someone who held a session outlive the owner's
//! password change or logout; a stolen access token moves the account's
//! mail; one inbox flooded through an email change; two links of one
//! account used at once (PostgreSQL deadlocked); an IDN recipient never
//! reached; an SMTP authentication refusal given up at once.

use crate::both::face::*;
use crate::helpers::*;
use crate::mail::*;

on_both_faces! {
    /// A thief with a session (and the password) asks for an email change
    /// to their address and a reset link; the owner changes the password:
    /// neither link works any more.
    #[tokio::test]
    async fn links_die_with_the_owners_password_change<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let thief = F::logged_in(&app, "alice").await;
        F::request_email_change(&app, Some(&thief.bearer()), "thief@evil.test", PASSWORD)
            .await
            .expect("asked");
        let change = smtp.first("thief@evil.test", CONFIRM_SUBJECT).await.token();
        F::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("asked");
        let reset = smtp.first("alice@example.com", RESET_SUBJECT).await.token();

        let owner = F::logged_in(&app, "alice").await;
        F::change_password(&app, Some(&owner.bearer()), PASSWORD, NEW_PASSWORD)
            .await
            .expect("changed");
        F::confirm_email_change(&app, &change)
            .await
            .refused(Code::TokenInvalid);
        F::password_reset(&app, &reset, "the thief's own passphrase")
            .await
            .refused(Code::TokenInvalid);
        let me = F::log_in(&app, "alice@example.com", NEW_PASSWORD)
            .await
            .expect("the owner still logs in with the address she had");
        F::me(&app, Some(&me.bearer())).await.expect("me");
    }

    /// The same with a logout everywhere instead of a password change.
    #[tokio::test]
    async fn an_email_change_link_dies_with_a_logout_everywhere<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let thief = F::logged_in(&app, "alice").await;
        F::request_email_change(&app, Some(&thief.bearer()), "thief@evil.test", PASSWORD)
            .await
            .expect("asked");
        let change = smtp.first("thief@evil.test", CONFIRM_SUBJECT).await.token();
        let owner = F::logged_in(&app, "alice").await;
        F::revoke_all(&app, Some(&owner.bearer())).await.expect("logged out");
        F::confirm_email_change(&app, &change)
            .await
            .refused(Code::TokenInvalid);
        // A link asked for afterwards works.
        let owner = F::logged_in(&app, "alice").await;
        F::request_email_change(&app, Some(&owner.bearer()), "alice@new.test", PASSWORD)
            .await
            .expect("asked");
        let mine = smtp.first("alice@new.test", CONFIRM_SUBJECT).await.token();
        let user = F::confirm_email_change(&app, &mine).await.expect("changed");
        assert_eq!(user.email, "alice@new.test");
    }

    /// A live reset link and a live email-change link of one account used at
    /// once, again and again: one wins, the other is TOKEN_INVALID, never a
    /// 500 (PostgreSQL deadlocked on them before the user's row was locked
    /// first).
    #[tokio::test]
    async fn two_links_of_one_account_used_at_once_never_fail_the_server<F: Face>() {
        let (app, smtp) = mail_app(|c| c.mail.min_interval = 1).await;
        F::signed_up(&app, "alice").await;
        let mut password = PASSWORD.to_owned();
        for round in 1..=6 {
            app.state.clock().advance(2);
            let session = F::logged_in(&app, "alice").await;
            let new_email = format!("alice{round}@new.test");
            let current = F::me(&app, Some(&session.bearer())).await.expect("me").email;
            F::request_email_change(&app, Some(&session.bearer()), &new_email, &password)
                .await
                .expect("asked");
            let change = smtp.first(&new_email, CONFIRM_SUBJECT).await.token();
            F::send_password_reset_email(&app, &current).await.expect("asked");
            let reset = smtp.nth(&current, RESET_SUBJECT, 1).await.token();
            let next = format!("passphrase number {round} of six");
            let (a, b) = tokio::join!(
                F::confirm_email_change(&app, &change),
                F::password_reset(&app, &reset, &next),
            );
            match (&a, &b) {
                (Ok(_), Err(f)) | (Err(f), Ok(_)) => {
                    assert_eq!(f.code, Code::TokenInvalid, "round {round}: {f:#?}");
                }
                _ => panic!("round {round}: exactly one wins: {a:#?} {b:#?}"),
            }
            if b.is_ok() {
                password = next;
            }
        }
    }

    /// The second review's race: an email change asked for with a stolen
    /// session while the owner logs out everywhere. Whichever commits
    /// first, no working link may be left once both have answered.
    #[tokio::test]
    async fn an_email_change_racing_a_logout_leaves_no_working_link<F: Face>() {
        let (app, smtp) = mail_app(|c| c.mail.min_interval = 1).await;
        F::signed_up(&app, "alice").await;
        for round in 0..8 {
            app.state.clock().advance(2);
            let thief = F::logged_in(&app, "alice").await;
            let owner = F::logged_in(&app, "alice").await;
            let target = format!("thief{round}@evil.test");
            let (thief, owner) = (thief.bearer(), owner.bearer());
            let (asked, _) = tokio::join!(
                F::request_email_change(&app, Some(&thief), &target, PASSWORD),
                F::revoke_all(&app, Some(&owner)),
            );
            match asked {
                Err(f) => assert_eq!(f.code, Code::TokenInvalid, "round {round}: {f:#?}"),
                Ok(()) => {
                    let link = smtp.first(&target, CONFIRM_SUBJECT).await.token();
                    F::confirm_email_change(&app, &link)
                        .await
                        .refused(Code::TokenInvalid);
                }
            }
        }
    }

    /// Password changes are counted like the Django REST face's, and the
    /// owner's inbox gets one notice per interval however many there are
    /// (an account signed up with someone else's address must not become
    /// a way to flood it).
    #[tokio::test]
    async fn password_changes_are_limited_and_their_notices_do_not_flood<F: Face>() {
        let (app, smtp) = mail_app(|c| c.throttle.login_failures_per_account = 4).await;
        F::signed_up(&app, "alice").await;
        let mut session = F::logged_in(&app, "alice").await;
        let mut password = PASSWORD.to_owned();
        for i in 0..4 {
            let next = format!("yet another passphrase {i}");
            session = F::change_password(&app, Some(&session.bearer()), &password, &next)
                .await
                .expect("changed");
            password = next;
        }
        F::change_password(&app, Some(&session.bearer()), &password, "one change too many")
            .await
            .refused(Code::RateLimited);
        app.settle().await;
        assert_eq!(smtp.count("alice@example.com", PASSWORD_CHANGED_SUBJECT), 1);
    }
}

/// Seed 004's update view still moves the address at once (as the
/// tutorial's does), but each move is mail asked for: one inbox gets at
/// most one link and one notice per interval, however many accounts ask.
#[tokio::test]
async fn the_direct_email_change_cannot_flood_an_inbox() {
    let (app, smtp) = mail_app(|_| {}).await;
    let victim = "victim@example.com";
    let mut refused = 0;
    for i in 0..3 {
        let name = format!("flood{i}");
        app.sign_up_default(&name).await;
        let own = format!("{name}@example.com");
        let auth = bearer(&app.rest_login(&name, PASSWORD).await.access);
        for _ in 0..4 {
            for to in [victim, own.as_str()] {
                let body = serde_json::json!({ "email": to });
                let path = "/user/update/";
                let method = reqwest::Method::PATCH;
                let reply = app.rest_json(method, path, body, Some(&auth)).await;
                match reply.status {
                    200 => {}
                    // Throttled, or the victim's address is another flood
                    // account's just now.
                    429 | 400 => refused += 1,
                    other => panic!("{other}: {:#}", reply.body),
                }
            }
        }
    }
    app.settle().await;
    assert!(refused > 0, "the flood was throttled");
    assert!(
        smtp.count(victim, VERIFY_SUBJECT) <= 1,
        "{:#?}",
        smtp.summary()
    );
    assert!(
        smtp.count(victim, EMAIL_CHANGED_SUBJECT) <= 1,
        "{:#?}",
        smtp.summary()
    );
}

/// An address with an internationalised domain is reached through its
/// ASCII (punycode) form: a server without SMTPUTF8 takes it.
#[tokio::test]
async fn an_idn_address_is_mailed_in_punycode() {
    let (app, smtp) = mail_app(|_| {}).await;
    app.sign_up("jörg", "jorg@bücher.de", PASSWORD).await;
    let mail = smtp.first("jorg@xn--bcher-kva.de", VERIFY_SUBJECT).await;
    assert!(mail.token().starts_with("ghl_"));
}

/// An SMTP server that refuses the login (535) is the operator's to fix:
/// the mail waits for it, it is not given up at the first try.
#[tokio::test]
async fn an_authentication_refusal_is_retried_not_given_up() {
    let (app, smtp) = mail_app(|_| {}).await;
    smtp.refuse(Some("535 5.7.8 Authentication credentials invalid"));
    app.sign_up_default("alice").await;
    app.attempts_ended("verify_email", "retry", 1).await;
    let row = app.outbox_to("alice@example.com").await.remove(0);
    assert_eq!(row.status, "pending", "{row:#?}");
    smtp.refuse(None);
    app.state.clock().advance(31);
    app.state.deliver_due().await.expect("a delivery pass");
    smtp.first("alice@example.com", VERIFY_SUBJECT).await;
}

/// A resend right after a sign-up answers as for an unknown address: the
/// sign-up's own mail does not start the recipient's interval (it would
/// tell that the address had just signed up).
#[tokio::test]
async fn a_resend_right_after_sign_up_answers_as_for_anyone() {
    let (app, smtp) = mail_app(|_| {}).await;
    app.sign_up_default("alice").await;
    let ask = |email: &'static str| {
        app.rest_json(
            reqwest::Method::POST,
            "/api/account/verify/resend",
            serde_json::json!({ "email": email }),
            None,
        )
    };
    let known = ask("alice@example.com").await;
    let unknown = ask("nobody@example.com").await;
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert_eq!(known.status, 202);
    smtp.nth("alice@example.com", VERIFY_SUBJECT, 2).await;
}
