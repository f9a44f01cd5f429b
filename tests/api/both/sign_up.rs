//! Signing up: what a new account looks like, the names and addresses it
//! may not take in any spelling, the input it refuses, races, throttling.

use futures_util::future::join_all;

use super::face::*;
use crate::helpers::*;

on_both_faces! {
    #[tokio::test]
    async fn a_new_user_is_active_not_staff_and_has_never_logged_in<F: Face>() {
        let app = spawn_app().await;
        let before = now();
        let user = F::sign_up(&app, "alice", "alice@example.com", PASSWORD)
            .await
            .expect("alice signs up");
        assert!(!user.id.is_empty(), "{user:#?}");
        assert_eq!(user.username, "alice");
        assert_eq!(user.email, "alice@example.com");
        assert_eq!(user.first_name, "");
        assert_eq!(user.last_name, "");
        assert!(user.is_active);
        assert!(!user.is_staff);
        assert!(!user.is_superuser);
        assert_eq!(user.last_login, None, "no login yet");
        assert!(
            user.date_joined.ends_with('Z'),
            "dateJoined is written in UTC: {user:#?}"
        );
        let joined = unix_time(&user.date_joined);
        assert!(
            (before - 2..=now() + 2).contains(&joined),
            "date joined {joined} is about now"
        );
    }

    /// Names and addresses are compared without case or surrounding space,
    /// and a username may not be another user's email (nor the other way
    /// round): a login names one account only.
    #[tokio::test]
    async fn a_username_or_email_taken_in_any_spelling_is_a_conflict_on_that_field<F: Face>() {
        let app = spawn_app_with(unthrottled).await;
        F::sign_up(&app, "alice", "alice@example.com", PASSWORD)
            .await
            .expect("alice signs up");
        F::sign_up(&app, "victim", "victim@example.com", PASSWORD)
            .await
            .expect("the victim signs up");
        F::sign_up(&app, "bob@example.com", "bob.other@example.com", PASSWORD)
            .await
            .expect("bob signs up with an email for a username");
        for (username, email, field) in [
            ("alice", "other@example.com", Field::Username),
            ("ALICE", "other@example.com", Field::Username),
            ("  Alice ", "other@example.com", Field::Username),
            // It would shadow the victim's login by email.
            (
                "Victim@Example.com",
                "attacker@example.com",
                Field::Username,
            ),
            ("alice2", "alice@example.com", Field::Email),
            ("alice2", "Alice@Example.COM", Field::Email),
            ("mallory", "BOB@example.com", Field::Email),
        ] {
            let refused = F::sign_up(&app, username, email, PASSWORD)
                .await
                .refused(Code::Conflict);
            assert_eq!(refused.field().0, field, "{username:?} {email:?}");
        }
        // The victim still logs in with their email, and nobody was created.
        F::logged_in(&app, "victim@example.com").await;
        F::sign_up(&app, "mallory", "mallory@example.com", PASSWORD)
            .await
            .expect("the name is still free");
    }

    /// Exactly one field is named, with a message that says what is wrong.
    #[tokio::test]
    async fn invalid_usernames_emails_and_passwords_are_bad_user_input_on_that_field<F: Face>() {
        let app = spawn_app_with(unthrottled).await;
        let (long, heavy) = ("a".repeat(151), "é".repeat(513));
        let ok = "alice@example.com";
        for (username, email, password, field, says) in [
            ("", ok, PASSWORD, Field::Username, "empty"),
            ("a b", ok, PASSWORD, Field::Username, "only letters"),
            ("has space", ok, PASSWORD, Field::Username, ""),
            ("semi;colon", ok, PASSWORD, Field::Username, ""),
            ("slash/", ok, PASSWORD, Field::Username, ""),
            (&long, ok, PASSWORD, Field::Username, ""),
            ("alice", "", PASSWORD, Field::Email, ""),
            (
                "alice",
                "not-an-email",
                PASSWORD,
                Field::Email,
                "Enter a valid email address.",
            ),
            ("alice", "@example.com", PASSWORD, Field::Email, ""),
            ("alice", "alice@", PASSWORD, Field::Email, ""),
            ("alice", "alice@example", PASSWORD, Field::Email, ""),
            ("alice", "a b@example.com", PASSWORD, Field::Email, ""),
            ("alice", ok, "short", Field::Password, "at least 8"),
            ("alice", ok, "1234567", Field::Password, "at least 8"),
            // Over 1024 bytes, although 513 characters.
            ("alice", ok, &heavy, Field::Password, ""),
            ("alice", ok, "alice@example.com", Field::Password, "email"),
            ("alice", ok, "ALICE@example.com", Field::Password, "email"),
            ("alicealice", ok, "AliceAlice", Field::Password, ""),
        ] {
            let refused = F::sign_up(&app, username, email, password)
                .await
                .refused(Code::BadUserInput);
            let (named, message) = refused.field();
            assert_eq!(named, field, "{username:?} {email:?} {password:?}");
            assert!(message.contains(says), "{field:?}: {message}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn of_ten_racing_sign_ups_with_one_username_exactly_one_succeeds<F: Face>() {
        let app = spawn_app().await;
        let emails: Vec<String> = (0..10).map(|i| format!("racer{i}@example.com")).collect();
        let racers = emails
            .iter()
            .map(|email| F::sign_up(&app, "racer", email, PASSWORD));
        let mut won = 0;
        for outcome in join_all(racers).await {
            match outcome {
                Ok(user) => {
                    assert_eq!(user.username, "racer");
                    won += 1;
                }
                Err(lost) => {
                    assert_eq!(lost.code, Code::Conflict, "{lost:#?}");
                    assert_eq!(lost.field().0, Field::Username);
                }
            }
        }
        assert_eq!(won, 1, "exactly one sign-up wins");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn of_racing_sign_ups_with_one_email_in_different_cases_exactly_one_succeeds<F: Face>() {
        let app = spawn_app().await;
        let emails = [
            "same@example.com",
            "SAME@example.com",
            "Same@Example.com",
            "same@EXAMPLE.COM",
        ];
        let names: Vec<String> = (0..emails.len()).map(|i| format!("user{i}")).collect();
        let racers = names
            .iter()
            .zip(emails)
            .map(|(name, email)| F::sign_up(&app, name, email, PASSWORD));
        let mut won = 0;
        for outcome in join_all(racers).await {
            match outcome {
                Ok(_) => won += 1,
                Err(lost) => {
                    assert_eq!(lost.code, Code::Conflict, "{lost:#?}");
                    assert_eq!(lost.field().0, Field::Email);
                }
            }
        }
        assert_eq!(won, 1, "exactly one sign-up wins");
    }

    #[tokio::test]
    async fn too_many_sign_ups_from_one_address_are_rate_limited_with_a_retry_time<F: Face>() {
        let app = spawn_app_with(|c| c.throttle.sign_ups_per_address = 2).await;
        F::signed_up(&app, "one").await;
        F::signed_up(&app, "two").await;
        let refused = F::sign_up(&app, "three", "three@example.com", PASSWORD)
            .await
            .refused(Code::RateLimited);
        assert!(refused.retry_after.is_some_and(|s| s >= 1), "{refused:#?}");
    }
}
