//! Login throttling per account: too many failures lock the account for
//! the window, known or not, in any spelling; a success forgets them.

use super::face::*;
use crate::helpers::*;

const WRONG: &str = "wrong password here";

on_both_faces! {
    #[tokio::test]
    async fn an_account_is_throttled_after_too_many_failures_and_its_owner_gets_in_after_the_window<
        F: Face,
    >() {
        let app = spawn_app_with(|c| {
            c.throttle.login_failures_per_account = 3;
            c.throttle.login_window = 2;
        })
        .await;
        F::signed_up(&app, "alice").await;
        for _ in 0..3 {
            F::log_in(&app, "alice", WRONG)
                .await
                .refused(Code::InvalidCredentials);
        }
        // Over the limit even the right password is refused, with a retry time.
        let refused = F::log_in(&app, "alice", PASSWORD)
            .await
            .refused(Code::RateLimited);
        assert!(
            refused.retry_after.is_some_and(|s| (1..=2).contains(&s)),
            "{refused:#?}"
        );
        // Another spelling of the same account shares the bucket.
        F::log_in(&app, "ALICE", PASSWORD)
            .await
            .refused(Code::RateLimited);

        app.state.clock().advance(3);
        F::logged_in(&app, "alice").await;
    }

    #[tokio::test]
    async fn unknown_accounts_are_throttled_exactly_like_known_ones<F: Face>() {
        let app = spawn_app_with(|c| c.throttle.login_failures_per_account = 2).await;
        for _ in 0..2 {
            F::log_in(&app, "ghost", WRONG)
                .await
                .refused(Code::InvalidCredentials);
        }
        F::log_in(&app, "ghost", WRONG)
            .await
            .refused(Code::RateLimited);
    }

    #[tokio::test]
    async fn a_successful_login_forgets_the_accounts_failures<F: Face>() {
        let app = spawn_app_with(|c| c.throttle.login_failures_per_account = 3).await;
        F::signed_up(&app, "bob").await;
        for _ in 0..2 {
            F::log_in(&app, "bob", WRONG)
                .await
                .refused(Code::InvalidCredentials);
        }
        F::logged_in(&app, "bob").await;
        for _ in 0..2 {
            F::log_in(&app, "bob", WRONG)
                .await
                .refused(Code::InvalidCredentials);
        }
    }
}
