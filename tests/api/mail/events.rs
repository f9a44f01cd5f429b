//! The mail flows' auth events: each after its link is followed, on both
//! faces; none for an address that is no account's.

use super::*;
use crate::events::face::*;

on_both_faces! {
    #[tokio::test]
    async fn the_mail_flows_record_their_events<F: Events>() {
        let (app, smtp) = mail_app(|_| {}).await;
        let staff = staff::<F>(&app).await;
        let alice = F::signed_up(&app, "alice").await;
        let verify = smtp.first("alice@example.com", VERIFY_SUBJECT).await;
        F::verify_account(&app, &verify.token()).await.expect("verified");

        F::send_password_reset_email(&app, "alice@example.com").await.expect("accepted");
        F::send_password_reset_email(&app, "nobody@example.com").await.expect("accepted");
        let reset = smtp.first("alice@example.com", RESET_SUBJECT).await;
        F::password_reset(&app, &reset.token(), NEW_PASSWORD).await.expect("reset");

        let s = F::log_in(&app, "alice", NEW_PASSWORD).await.expect("a login");
        F::request_email_change(&app, Some(&s.bearer()), "alice@new.example", NEW_PASSWORD)
            .await
            .expect("asked");
        let confirm = smtp.first("alice@new.example", CONFIRM_SUBJECT).await;
        F::confirm_email_change(&app, &confirm.token()).await.expect("changed");

        let page = all::<F>(&app, &staff).await;
        let hers: Vec<&str> = page
            .events
            .iter()
            .rev()
            .filter(|e| e.user_id.as_deref() == Some(alice.id.as_str()))
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(
            hers,
            ["sign_up", "email_verified", "password_reset_requested", "password_reset_completed",
             "login_succeeded", "email_change_requested", "email_changed"]
        );
        assert_eq!(page.newest("email_changed").details["verified"], true);
        // Asked for an address that is no account's: nothing recorded.
        assert_eq!(page.count("password_reset_requested"), 1);
        // The reset was asked for from the test's address, after the answer.
        let asked = page.newest("password_reset_requested");
        assert_eq!(asked.ip_address.as_deref(), Some("127.0.0.1"));
        assert!(asked.request_id.is_some(), "{asked:#?}");
        let shown = format!("{page:?}");
        for token in [verify.token(), reset.token(), confirm.token()] {
            assert!(!shown.contains(&token), "a link's token in the events");
        }
    }
}
