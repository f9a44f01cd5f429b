//! Changing the password: the caller gets new tokens and every older
//! session ends; a wrong old password or a weak new one changes nothing.

use super::face::*;
use crate::helpers::*;

const NEW_PASSWORD: &str = "a brand new passphrase";

on_both_faces! {
    #[tokio::test]
    async fn a_new_password_gives_working_tokens_and_ends_every_older_one<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let a = F::logged_in(&app, "alice").await;
        let b = F::logged_in(&app, "alice").await;

        let fresh = F::change_password(&app, Some(&a.bearer()), PASSWORD, NEW_PASSWORD)
            .await
            .expect("the password is changed");
        let me = F::me(&app, Some(&fresh.bearer())).await.expect("me");
        assert_eq!(me.username, "alice");
        F::refresh(&app, &fresh.refresh)
            .await
            .expect("the new refresh token works");

        // Every older token, this session's and the other one's, is over.
        for old in [&a, &b] {
            F::me(&app, Some(&old.bearer()))
                .await
                .refused(Code::TokenInvalid);
            F::refresh(&app, &old.refresh)
                .await
                .refused(Code::TokenInvalid);
        }
        // The old password no longer logs in; the new one does.
        F::log_in(&app, "alice", PASSWORD)
            .await
            .refused(Code::InvalidCredentials);
        F::log_in(&app, "alice", NEW_PASSWORD)
            .await
            .expect("the new password logs in");
    }

    #[tokio::test]
    async fn a_wrong_old_password_or_a_weak_new_one_is_bad_user_input_and_changes_nothing<
        F: Face,
    >() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        for (old, new, field) in [
            ("not my password", NEW_PASSWORD, Field::OldPassword),
            (PASSWORD, "short", Field::NewPassword),
            (PASSWORD, "ALICE@example.com", Field::NewPassword),
        ] {
            let refused = F::change_password(&app, Some(&session.bearer()), old, new)
                .await
                .refused(Code::BadUserInput);
            assert_eq!(refused.field().0, field, "{old:?} → {new:?}");
        }
        F::me(&app, Some(&session.bearer()))
            .await
            .expect("the token still works");
    }

    #[tokio::test]
    async fn changing_the_password_needs_a_token<F: Face>() {
        let app = spawn_app().await;
        F::change_password(&app, None, PASSWORD, NEW_PASSWORD)
            .await
            .refused(Code::Unauthenticated);
    }
}
