//! The caller's access token in `Authorization`: both schemes in any case,
//! and every way a token can be refused.

use std::time::Duration;

use super::face::*;
use crate::helpers::*;

on_both_faces! {
    #[tokio::test]
    async fn me_is_the_caller_with_a_bearer_or_jwt_token_in_any_case<F: Face>() {
        let app = spawn_app().await;
        let alice = F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        for scheme in ["Bearer", "bearer", "BEARER", "JWT", "jwt", "Jwt"] {
            let auth = format!("{scheme} {}", session.access);
            let me = F::me(&app, Some(&auth)).await.expect("me");
            assert_eq!(me.id, alice.id, "with `{scheme}`");
            assert_eq!(me.username, "alice");
            assert_eq!(me.email, "alice@example.com");
            assert!(me.is_active);
        }
    }

    #[tokio::test]
    async fn me_without_a_token_is_unauthenticated<F: Face>() {
        let app = spawn_app().await;
        F::me(&app, None).await.refused(Code::Unauthenticated);
    }

    /// Garbage, another scheme, no token after the scheme, a changed
    /// signature, a refresh token: all TOKEN_INVALID, and none of them
    /// harms the genuine token.
    #[tokio::test]
    async fn me_refuses_anything_but_a_genuine_access_token_as_token_invalid<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        let forged = forge_signature(&session.access);
        assert_ne!(forged, session.access);
        let garbage = [
            "Bearer garbage",
            "JWT garbage",
            "Bearer v4.public.AAAA",
            "Bearer v2.local.abc.def",
            "Basic xyz",
            "Token abc",
            "Bearer",
            "Bearer ",
            "justatoken",
        ];
        let tokens = [
            bearer(&forged),
            jwt(&forged),
            bearer(&session.refresh),
            jwt(&session.refresh),
        ];
        for auth in garbage
            .iter()
            .copied()
            .chain(tokens.iter().map(String::as_str))
        {
            F::me(&app, Some(auth)).await.refused(Code::TokenInvalid);
        }
        F::me(&app, Some(&session.bearer()))
            .await
            .expect("the genuine token still works");
    }

    #[tokio::test]
    async fn an_expired_access_token_is_token_expired<F: Face>() {
        let app = spawn_app_with(|c| c.access_token_ttl = Duration::from_secs(1)).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        app.state.clock().advance(3);
        F::me(&app, Some(&session.bearer()))
            .await
            .refused(Code::TokenExpired);
    }

    #[tokio::test]
    async fn a_deactivated_users_token_is_token_invalid<F: Face>() {
        let app = spawn_app().await;
        let alice = F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        F::me(&app, Some(&session.bearer()))
            .await
            .expect("me before");
        app.deactivate(&alice.id).await;
        F::me(&app, Some(&session.bearer()))
            .await
            .refused(Code::TokenInvalid);
    }
}
