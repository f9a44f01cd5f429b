//! Logging in with a password: by username or email in any case, the login
//! time recorded, and failures that all look the same.

use super::face::*;
use crate::helpers::*;

on_both_faces! {
    #[tokio::test]
    async fn a_user_logs_in_with_their_email_in_any_case<F: Face>() {
        let app = spawn_app().await;
        F::sign_up(&app, "alice", "alice@example.com", PASSWORD)
            .await
            .expect("alice signs up");
        let session = F::logged_in(&app, "ALICE@Example.com").await;
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert_eq!(me.username, "alice");
    }

    #[tokio::test]
    async fn a_user_logs_in_with_their_username_in_any_case<F: Face>() {
        let app = spawn_app().await;
        F::sign_up(&app, "Alice", "alice@example.com", PASSWORD)
            .await
            .expect("Alice signs up");
        let session = F::logged_in(&app, "aLICE").await;
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert_eq!(me.username, "Alice", "the username as signed up");
    }

    #[tokio::test]
    async fn a_login_is_recorded_as_the_last_login<F: Face>() {
        let app = spawn_app().await;
        let created = F::signed_up(&app, "alice").await;
        assert_eq!(created.last_login, None);
        let before = now();
        let session = F::logged_in(&app, "alice").await;
        let me = F::me(&app, Some(&jwt(&session.access))).await.expect("me");
        let last = unix_time(me.last_login.as_deref().expect("a last login"));
        assert!(
            (before - 1..=now() + 1).contains(&last),
            "the last login {last} is the login time"
        );
        assert!(unix_time(&me.date_joined) <= last);
    }

    /// Nothing tells a wrong password from an unknown user or an inactive
    /// account: the same refusal, word for word.
    #[tokio::test]
    async fn a_wrong_password_an_unknown_user_and_an_inactive_account_fail_alike<F: Face>() {
        let app = spawn_app().await;
        let alice = F::signed_up(&app, "alice").await;
        let wrong = F::log_in(&app, "alice", "not the password")
            .await
            .refused(Code::InvalidCredentials);
        let unknown = F::log_in(&app, "nobody", PASSWORD)
            .await
            .refused(Code::InvalidCredentials);
        assert_eq!(
            wrong.shown, unknown.shown,
            "the refusal must not tell which usernames exist"
        );
        app.deactivate(&alice.id).await;
        let inactive = F::log_in(&app, "alice", PASSWORD)
            .await
            .refused(Code::InvalidCredentials);
        assert_eq!(
            inactive.shown, unknown.shown,
            "nor which accounts are inactive"
        );
    }

    #[tokio::test]
    async fn an_overlong_password_or_login_is_invalid_credentials<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        F::log_in(&app, "alice", &"x".repeat(1025))
            .await
            .refused(Code::InvalidCredentials);
        F::log_in(&app, &"a".repeat(2000), PASSWORD)
            .await
            .refused(Code::InvalidCredentials);
    }

    /// An overlong password or login is refused before the throttle counts
    /// it (and before any hashing or lookup): it cannot be anyone's, so it
    /// must not lock out the account's owner or the client's address.
    #[tokio::test]
    async fn an_overlong_password_or_login_is_not_counted_by_the_throttle<F: Face>() {
        let app = spawn_app_with(|c| {
            c.throttle.login_failures_per_account = 1;
            c.throttle.login_failures_per_address = 1;
        })
        .await;
        F::signed_up(&app, "alice").await;
        for _ in 0..2 {
            F::log_in(&app, "alice", &"x".repeat(1025))
                .await
                .refused(Code::InvalidCredentials);
            F::log_in(&app, &"a".repeat(1025), PASSWORD)
                .await
                .refused(Code::InvalidCredentials);
        }
        F::logged_in(&app, "alice").await;
    }

    /// The longest password sign-up accepts (1024 bytes) also logs in.
    #[tokio::test]
    async fn a_password_of_the_longest_allowed_length_logs_in<F: Face>() {
        let app = spawn_app().await;
        let longest = format!("{PASSWORD} {}", "x".repeat(1024 - PASSWORD.len() - 1));
        assert_eq!(longest.len(), 1024);
        F::sign_up(&app, "alice", "alice@example.com", &longest)
            .await
            .expect("alice signs up with a 1024-byte password");
        F::log_in(&app, "alice", &longest)
            .await
            .expect("and logs in with it");
    }
}
