//! Ending sessions: revoking one login's refresh tokens, and logging out
//! everywhere.

use super::face::*;
use crate::helpers::*;

on_both_faces! {
    #[tokio::test]
    async fn a_revoked_refresh_token_no_longer_rotates<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        F::revoke(&app, &session.refresh).await.expect("revoked");
        F::refresh(&app, &session.refresh)
            .await
            .refused(Code::TokenInvalid);
    }

    /// Revoking a used refresh token still ends the family it started;
    /// another login is another family.
    #[tokio::test]
    async fn revoking_a_rotated_refresh_token_ends_its_successors_not_other_logins<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let first = F::logged_in(&app, "alice").await;
        let other_login = F::logged_in(&app, "alice").await;
        let second = F::refresh(&app, &first.refresh).await.expect("a new pair");
        F::revoke(&app, &first.refresh).await.expect("revoked");
        F::refresh(&app, &second.refresh)
            .await
            .refused(Code::TokenInvalid);
        F::refresh(&app, &other_login.refresh)
            .await
            .expect("the other login goes on");
    }

    #[tokio::test]
    async fn logging_out_everywhere_ends_every_session_of_the_caller_and_no_one_elses<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        F::signed_up(&app, "bob").await;
        let a = F::logged_in(&app, "alice").await;
        let b = F::logged_in(&app, "alice").await;
        let bob = F::logged_in(&app, "bob").await;

        F::revoke_all(&app, Some(&jwt(&a.access)))
            .await
            .expect("logged out");
        // The token used for the call, the other login's, every refresh token.
        for session in [&a, &b] {
            F::me(&app, Some(&session.bearer()))
                .await
                .refused(Code::TokenInvalid);
            F::refresh(&app, &session.refresh)
                .await
                .refused(Code::TokenInvalid);
        }
        // Another user is untouched.
        F::me(&app, Some(&bob.bearer()))
            .await
            .expect("bob is still in");
        F::refresh(&app, &bob.refresh)
            .await
            .expect("bob still refreshes");
        // Logging in again works.
        let fresh = F::logged_in(&app, "alice").await;
        F::me(&app, Some(&fresh.bearer()))
            .await
            .expect("alice is back");
    }

    #[tokio::test]
    async fn logging_out_everywhere_needs_a_valid_token<F: Face>() {
        let app = spawn_app().await;
        F::revoke_all(&app, None)
            .await
            .refused(Code::Unauthenticated);
        F::revoke_all(&app, Some("Bearer garbage"))
            .await
            .refused(Code::TokenInvalid);
    }
}
