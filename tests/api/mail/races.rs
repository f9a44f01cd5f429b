//! Mail requests at once and in bulk: one reset token presented twenty
//! times at once sets one password; twenty resends at once send at most
//! one mail; a client address may ask for only so many mails a window.

use futures_util::future::join_all;

use super::*;
use crate::both::face::*;

on_both_faces! {
    #[tokio::test]
    async fn twenty_resets_with_one_token_at_once_let_exactly_one_through<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        F::send_password_reset_email(&app, "alice@example.com")
            .await
            .expect("accepted");
        let token = smtp.first("alice@example.com", RESET_SUBJECT).await.token();
        let passwords: Vec<String> = (0..20)
            .map(|i| format!("racing passphrase number {i} wins"))
            .collect();
        let results = join_all(passwords.iter().map(|p| F::password_reset(&app, &token, p))).await;
        let winners: Vec<&String> = passwords
            .iter()
            .zip(&results)
            .filter_map(|(p, r)| r.is_ok().then_some(p))
            .collect();
        assert_eq!(winners.len(), 1, "{results:#?}");
        for r in results.into_iter().filter(Result::is_err) {
            r.refused(Code::TokenInvalid);
        }
        F::log_in(&app, "alice", winners[0])
            .await
            .expect("the winner's password");
        app.settle().await;
        assert_eq!(smtp.count("alice@example.com", PASSWORD_RESET_SUBJECT), 1);
    }

    #[tokio::test]
    async fn twenty_resends_at_once_send_at_most_one_mail<F: Face>() {
        let (app, smtp) = mail_app(|c| c.mail.per_address = 1000).await;
        F::signed_up(&app, "alice").await;
        smtp.first("alice@example.com", VERIFY_SUBJECT).await;
        app.state.clock().advance(MIN_INTERVAL + 1);
        let results =
            join_all((0..20).map(|_| F::resend_activation_email(&app, "alice@example.com"))).await;
        let accepted = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(accepted, 1, "{results:#?}");
        for r in results.into_iter().filter(Result::is_err) {
            r.refused(Code::RateLimited);
        }
        smtp.nth("alice@example.com", VERIFY_SUBJECT, 2).await;
        app.settle().await;
        assert_eq!(
            smtp.count("alice@example.com", VERIFY_SUBJECT),
            2,
            "{:#?}",
            smtp.summary()
        );
    }

    #[tokio::test]
    async fn a_client_address_may_ask_for_so_many_mails_a_window<F: Face>() {
        let (app, _smtp) = mail_app(|c| c.mail.per_address = 5).await;
        for i in 0..5 {
            F::send_password_reset_email(&app, &format!("nobody{i}@example.com"))
                .await
                .expect("within the limit");
        }
        let refused = F::resend_activation_email(&app, "nobody9@example.com")
            .await
            .refused(Code::RateLimited);
        assert!(
            refused.retry_after.is_some_and(|s| s > MIN_INTERVAL),
            "{refused:#?}"
        );
        F::send_password_reset_email(&app, "nobody10@example.com")
            .await
            .refused(Code::RateLimited);
        app.state.clock().advance(3600 + 1);
        F::send_password_reset_email(&app, "nobody11@example.com")
            .await
            .expect("a new window");
    }
}
