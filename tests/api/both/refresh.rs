//! Refreshing: single-use refresh tokens rotate, a reused one ends its
//! login's family, and what is not a live refresh token is refused.

use std::time::Duration;

use futures_util::future::join_all;

use super::face::*;
use crate::helpers::*;

on_both_faces! {
    #[tokio::test]
    async fn a_refresh_token_gives_a_new_access_token_and_a_new_refresh_token<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let first = F::logged_in(&app, "alice").await;
        let second = F::refresh(&app, &first.refresh).await.expect("a new pair");
        assert_ne!(second.access, first.access);
        assert_ne!(second.refresh, first.refresh);
        let me = F::me(&app, Some(&second.bearer())).await.expect("me");
        assert_eq!(me.username, "alice");
        // And the new refresh token rotates in turn.
        F::refresh(&app, &second.refresh)
            .await
            .expect("another pair");
    }

    #[tokio::test]
    async fn a_used_refresh_token_presented_again_is_token_reused_and_ends_the_family<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let first = F::logged_in(&app, "alice").await;
        let second = F::refresh(&app, &first.refresh).await.expect("a new pair");
        app.past_reuse_interval();
        F::refresh(&app, &first.refresh)
            .await
            .refused(Code::TokenReused);
        // The thief or the user, whoever holds the newer token, is locked out too.
        F::refresh(&app, &second.refresh)
            .await
            .refused(Code::TokenInvalid);
    }

    #[tokio::test]
    async fn reuse_ends_only_that_login_not_other_sessions<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let a = F::logged_in(&app, "alice").await;
        let b = F::logged_in(&app, "alice").await;
        F::refresh(&app, &a.refresh).await.expect("a new pair");
        app.past_reuse_interval();
        F::refresh(&app, &a.refresh)
            .await
            .refused(Code::TokenReused);
        F::refresh(&app, &b.refresh)
            .await
            .expect("the other login goes on");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_presentations_of_one_refresh_token_give_at_most_one_new_pair<F: Face>() {
        // Without a reuse interval: no presentation but the first is let off.
        let app = spawn_app_with(|c| c.refresh_reuse_interval_secs = 0).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        let presentations = (0..8).map(|_| F::refresh(&app, &session.refresh));
        let mut successes = 0;
        for outcome in join_all(presentations).await {
            match outcome {
                Ok(_) => successes += 1,
                Err(lost) => assert!(
                    matches!(lost.code, Code::TokenReused | Code::TokenInvalid),
                    "a losing presentation is refused as reused or revoked: {lost:#?}"
                ),
            }
        }
        assert!(
            successes <= 1,
            "{successes} presentations of one refresh token succeeded"
        );
    }

    #[tokio::test]
    async fn an_expired_refresh_token_is_token_expired<F: Face>() {
        let app = spawn_app_with(|c| c.refresh_token_ttl = Duration::from_secs(1)).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        app.state.clock().advance(3);
        F::refresh(&app, &session.refresh)
            .await
            .refused(Code::TokenExpired);
    }

    #[tokio::test]
    async fn unknown_malformed_and_access_tokens_are_not_refresh_tokens<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        for bad in [UNKNOWN_REFRESH, "garbage", "not a token", &session.access] {
            F::refresh(&app, bad).await.refused(Code::TokenInvalid);
        }
    }

    #[tokio::test]
    async fn a_deactivated_user_cannot_refresh<F: Face>() {
        let app = spawn_app().await;
        let alice = F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        app.deactivate(&alice.id).await;
        F::refresh(&app, &session.refresh)
            .await
            .refused(Code::TokenInvalid);
    }

    /// The purge deletes the refresh tokens that expired before its cut-off,
    /// says how many, and leaves live ones alone.
    #[tokio::test]
    async fn expired_refresh_tokens_are_purged_and_live_ones_kept<F: Face>() {
        let app = spawn_app_with(|c| c.refresh_token_ttl = Duration::from_secs(10)).await;
        F::signed_up(&app, "alice").await;
        let expired = F::logged_in(&app, "alice").await;
        F::logged_in(&app, "alice").await;
        app.state.clock().advance(20);
        let live = F::logged_in(&app, "alice").await;
        F::refresh(&app, &expired.refresh)
            .await
            .refused(Code::TokenExpired);
        let purged = app
            .state
            .purge_expired_refresh_tokens(app.state.now())
            .await
            .expect("the purge runs");
        assert_eq!(purged, 4, "the two expired refresh tokens and their sessions are deleted");
        // Gone, so no longer even known.
        F::refresh(&app, &expired.refresh)
            .await
            .refused(Code::TokenInvalid);
        F::refresh(&app, &live.refresh)
            .await
            .expect("the live login goes on");
    }
}
