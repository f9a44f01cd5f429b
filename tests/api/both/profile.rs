//! Changing one's own account: the email and names, partially.

use super::face::*;
use crate::helpers::*;

on_both_faces! {
    #[tokio::test]
    async fn changing_ones_account_changes_only_the_fields_given<F: Face>() {
        let app = spawn_app().await;
        let alice = F::signed_up(&app, "alice").await;
        let auth = F::logged_in(&app, "alice").await.bearer();

        let user = F::update_me(&app, Some(&auth), &[(Field::FirstName, "Ada")])
            .await
            .expect("changed");
        assert_eq!(user.id, alice.id);
        assert_eq!(user.first_name, "Ada");
        assert_eq!(user.last_name, "");
        assert_eq!(user.email, "alice@example.com");

        let changes = [
            (Field::LastName, "Lovelace"),
            (Field::Email, "ada@example.org"),
        ];
        let user = F::update_me(&app, Some(&auth), &changes)
            .await
            .expect("changed");
        assert_eq!(user.first_name, "Ada", "a field left out is unchanged");
        assert_eq!(user.last_name, "Lovelace");
        assert_eq!(user.email, "ada@example.org");

        let me = F::me(&app, Some(&auth)).await.expect("me");
        assert_eq!(me.email, "ada@example.org");
        assert_eq!(me.first_name, "Ada");
        assert_eq!(me.last_name, "Lovelace");
    }

    #[tokio::test]
    async fn a_changed_email_is_the_new_login_and_frees_the_old_one<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let auth = F::logged_in(&app, "alice").await.bearer();
        F::update_me(&app, Some(&auth), &[(Field::Email, "ada@example.org")])
            .await
            .expect("changed");
        let session = F::logged_in(&app, "ADA@example.org").await;
        let me = F::me(&app, Some(&session.bearer())).await.expect("me");
        assert_eq!(me.username, "alice");
        F::log_in(&app, "alice@example.com", PASSWORD)
            .await
            .refused(Code::InvalidCredentials);
        // The old address can be taken by someone else.
        F::sign_up(&app, "bob", "alice@example.com", PASSWORD)
            .await
            .expect("bob takes the old address");
    }

    /// Taken as another user's email in any case, or as another user's
    /// username (which would make one login name two accounts).
    #[tokio::test]
    async fn an_email_taken_by_another_user_is_a_conflict<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        F::signed_up(&app, "bob").await;
        F::sign_up(
            &app,
            "carol@example.com",
            "carol.other@example.com",
            PASSWORD,
        )
        .await
        .expect("carol signs up with an email for a username");
        let auth = F::logged_in(&app, "alice").await.bearer();
        for taken in ["bob@example.com", "BOB@Example.com", "Carol@example.com"] {
            let refused = F::update_me(&app, Some(&auth), &[(Field::Email, taken)])
                .await
                .refused(Code::Conflict);
            assert_eq!(refused.field().0, Field::Email, "{taken}");
        }
        let me = F::me(&app, Some(&auth)).await.expect("me");
        assert_eq!(me.email, "alice@example.com", "nothing changed");
    }

    #[tokio::test]
    async fn keeping_ones_own_email_in_another_case_is_not_a_conflict<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let auth = F::logged_in(&app, "alice").await.bearer();
        let user = F::update_me(&app, Some(&auth), &[(Field::Email, "Alice@Example.com")])
            .await
            .expect("changed");
        assert_eq!(user.email, "Alice@Example.com");
    }

    #[tokio::test]
    async fn an_invalid_email_or_an_overlong_name_is_bad_user_input_on_that_field<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let auth = F::logged_in(&app, "alice").await.bearer();
        let long = "a".repeat(151);
        for (field, value) in [
            (Field::Email, "not-an-email"),
            (Field::Email, "nope"),
            (Field::FirstName, &long),
            (Field::LastName, &long),
        ] {
            let refused = F::update_me(&app, Some(&auth), &[(field, value)])
                .await
                .refused(Code::BadUserInput);
            assert_eq!(refused.field().0, field, "{value}");
        }
        let me = F::me(&app, Some(&auth)).await.expect("me");
        assert_eq!(me.email, "alice@example.com", "nothing changed");
    }

    #[tokio::test]
    async fn changing_ones_account_needs_a_token<F: Face>() {
        let app = spawn_app().await;
        F::update_me(&app, None, &[(Field::FirstName, "Ada")])
            .await
            .refused(Code::Unauthenticated);
    }
}
