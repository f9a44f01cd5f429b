//! One account and one set of tokens behind both faces: what one face
//! issues works on the other, and rotation and revocation are shared.

use super::face::*;
use crate::helpers::*;

across_faces! {
    #[tokio::test]
    async fn a_user_signed_up_on_one_face_logs_in_on_the_other<A: Face, B: Face>() {
        let app = spawn_app().await;
        A::signed_up(&app, "alice").await;
        B::logged_in(&app, "alice").await;
    }

    #[tokio::test]
    async fn an_access_token_from_one_face_works_on_the_other<A: Face, B: Face>() {
        let app = spawn_app().await;
        let alice = A::signed_up(&app, "alice").await;
        let session = A::logged_in(&app, "alice").await;
        for auth in [bearer(&session.access), jwt(&session.access)] {
            let me = B::me(&app, Some(&auth)).await.expect("me");
            assert_eq!(me.username, "alice");
            assert_eq!(
                me.id, alice.id,
                "the same user, whichever way the id is written"
            );
        }
    }

    #[tokio::test]
    async fn a_refresh_token_rotated_on_one_face_is_reused_on_the_other<A: Face, B: Face>() {
        let app = spawn_app().await;
        A::signed_up(&app, "alice").await;
        let session = A::logged_in(&app, "alice").await;
        let successor = A::refresh(&app, &session.refresh)
            .await
            .expect("a new pair");
        app.past_reuse_interval();
        B::refresh(&app, &session.refresh)
            .await
            .refused(Code::TokenReused);
        // Reuse ended the family on both faces.
        A::refresh(&app, &successor.refresh)
            .await
            .refused(Code::TokenInvalid);
    }

    #[tokio::test]
    async fn logging_out_everywhere_on_one_face_ends_the_sessions_of_the_other<A: Face, B: Face>() {
        let app = spawn_app().await;
        A::signed_up(&app, "alice").await;
        let here = A::logged_in(&app, "alice").await;
        let there = B::logged_in(&app, "alice").await;
        A::revoke_all(&app, Some(&here.bearer()))
            .await
            .expect("logged out");
        B::me(&app, Some(&there.bearer()))
            .await
            .refused(Code::TokenInvalid);
        B::refresh(&app, &there.refresh)
            .await
            .refused(Code::TokenInvalid);
    }
}
