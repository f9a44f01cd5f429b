//! Changing one's own account: the names, partially; the email only in
//! another case (a new address goes through `requestEmailChange`, tested
//! with the mail flows in `mail/`).

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
            (Field::Email, "ALICE@example.com"),
        ];
        let user = F::update_me(&app, Some(&auth), &changes)
            .await
            .expect("changed");
        assert_eq!(user.first_name, "Ada", "a field left out is unchanged");
        assert_eq!(user.last_name, "Lovelace");
        assert_eq!(user.email, "ALICE@example.com");

        let me = F::me(&app, Some(&auth)).await.expect("me");
        assert_eq!(me.email, "ALICE@example.com");
        assert_eq!(me.first_name, "Ada");
        assert_eq!(me.last_name, "Lovelace");
    }

    /// A new address needs the password and a link to it: with the access
    /// token alone (which a thief may hold for minutes) it is refused, on
    /// the email field, before anything is asked of the database, so it
    /// says nothing of whether the address is taken either.
    #[tokio::test]
    async fn a_new_address_is_refused_without_the_confirmation_flow<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        F::signed_up(&app, "bob").await;
        let auth = F::logged_in(&app, "alice").await.bearer();
        for new in [
            "ada@example.org",
            "bob@example.com",
            "BOB@Example.com",
            // One login key with the old address, but another mailbox.
            "ａlice@example.com",
        ] {
            let changes = [(Field::Email, new), (Field::FirstName, "Ada")];
            let refused = F::update_me(&app, Some(&auth), &changes)
                .await
                .refused(Code::BadUserInput);
            assert_eq!(refused.field().0, Field::Email, "{new}");
        }
        let me = F::me(&app, Some(&auth)).await.expect("me");
        assert_eq!(me.email, "alice@example.com", "nothing changed");
        assert_eq!(me.first_name, "", "not the names either");
        F::logged_in(&app, "alice@example.com").await;
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
