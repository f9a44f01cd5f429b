//! Staff administration on both faces: who may do what, finding users,
//! (de)activation and ending sessions. (Staff changes, deletion and the
//! guard rules: `admin_rules.rs`.)

use super::admin_face::*;
use super::face::*;
use crate::helpers::*;

/// A staff superuser `boss` (the first account) and their `Authorization`.
pub async fn boss<F: Admin>(app: &TestApp) -> (String, String) {
    let id = app.create_staff("boss", PASSWORD).await;
    (id, F::logged_in(app, "boss").await.bearer())
}

fn usernames(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.username.as_str()).collect()
}

on_both_faces! {
    #[tokio::test]
    async fn a_caller_who_is_not_staff_is_refused_every_admin_operation<F: Admin>() {
        let app = spawn_app().await;
        let (boss_id, _) = boss::<F>(&app).await;
        let alice = F::signed_up(&app, "alice").await;
        let bob = F::signed_up(&app, "bob").await;
        let auth = F::logged_in(&app, "alice").await.bearer();
        let a = Some(auth.as_str());
        F::find(&app, a, Find::default()).await.refused(Code::Forbidden);
        F::find(&app, a, Find { search: Some("b"), ..Find::default() })
            .await
            .refused(Code::Forbidden);
        // Whether an id is anyone's is not told either.
        for id in [bob.id.as_str(), boss_id.as_str(), "999999", "abc"] {
            F::user(&app, a, id).await.refused(Code::Forbidden);
            F::set_active(&app, a, id, false).await.refused(Code::Forbidden);
            F::set_staff(&app, a, id, true).await.refused(Code::Forbidden);
            F::revoke_sessions(&app, a, id).await.refused(Code::Forbidden);
            F::delete_user(&app, a, id).await.refused(Code::Forbidden);
        }
        // Nor on themselves (their own account is `me`).
        F::set_staff(&app, a, &alice.id, true).await.refused(Code::Forbidden);
        F::set_active(&app, a, &alice.id, false).await.refused(Code::Forbidden);
        // Nothing changed: bob still logs in, alice is no staff.
        F::logged_in(&app, "bob").await;
        let me = F::user(&app, a, &alice.id).await.expect("one's own account");
        assert!(!me.is_staff && me.is_active, "{me:?}");
        assert_eq!(me.username, "alice");
        // Without a token: UNAUTHENTICATED, before anything else.
        F::user(&app, None, &bob.id).await.refused(Code::Unauthenticated);
        F::set_active(&app, None, &bob.id, false).await.refused(Code::Unauthenticated);
        F::delete_user(&app, None, "abc").await.refused(Code::Unauthenticated);
    }

    #[tokio::test]
    async fn staff_find_users_by_login_prefix_flags_and_page<F: Admin>() {
        let app = spawn_app_with(unthrottled).await;
        let (_, auth) = boss::<F>(&app).await;
        let a = Some(auth.as_str());
        for (name, email) in [
            ("alice", "alice@example.com"),
            ("Alfred", "fred@example.com"),
            ("a_b", "ab@example.com"),
            ("axb", "x%y@example.com"),
            ("bob", "ali@example.org"),
        ] {
            F::sign_up(&app, name, email, PASSWORD).await.expect("signed up");
        }
        let find = |search: &'static str| Find { search: Some(search), ..Find::default() };
        for (search, expected) in [
            // Usernames or emails, case-insensitively, oldest first.
            ("AL", &["alice", "Alfred", "bob"][..]),
            ("ali", &["alice", "bob"][..]),
            ("alfred", &["Alfred"][..]),
            ("fred@", &["Alfred"][..]),
            // Every character is literal: `_` and `%` are no wildcards.
            ("a_", &["a_b"][..]),
            ("a%", &[][..]),
            ("%", &[][..]),
            ("x%", &["axb"][..]),
            ("_", &[][..]),
            ("\\", &[][..]),
            ("a\\_", &[][..]),
            ("nobody", &[][..]),
            // Empty: no filter.
            ("", &["boss", "alice", "Alfred", "a_b", "axb", "bob"][..]),
        ] {
            let found = F::find(&app, a, find(search)).await.expect("a search");
            assert_eq!(usernames(&found), expected, "search {search:?}");
        }
        // Paged like the plain list.
        let page = F::find(&app, a, Find { search: Some("a"), offset: Some(1), limit: Some(2), ..Find::default() })
            .await
            .expect("a page");
        assert_eq!(usernames(&page), ["Alfred", "a_b"]);
        // Flags.
        let bob = F::find(&app, a, find("bob")).await.unwrap().remove(0);
        F::set_active(&app, a, &bob.id, false).await.expect("deactivated");
        let inactive = F::find(&app, a, Find { active: Some(false), ..Find::default() }).await.unwrap();
        assert_eq!(usernames(&inactive), ["bob"]);
        let active_a = F::find(&app, a, Find { search: Some("al"), active: Some(true), ..Find::default() })
            .await
            .unwrap();
        assert_eq!(usernames(&active_a), ["alice", "Alfred"]);
        let staff = F::find(&app, a, Find { staff: Some(true), ..Find::default() }).await.unwrap();
        assert_eq!(usernames(&staff), ["boss"]);
        let not_staff = F::find(&app, a, Find { staff: Some(false), active: Some(false), ..Find::default() })
            .await
            .unwrap();
        assert_eq!(usernames(&not_staff), ["bob"]);
    }

    #[tokio::test]
    async fn a_search_is_bounded_and_pages_are_checked<F: Admin>() {
        let app = spawn_app().await;
        let (_, auth) = boss::<F>(&app).await;
        let a = Some(auth.as_str());
        let longest = "b".repeat(254);
        F::find(&app, a, Find { search: Some(&longest), ..Find::default() })
            .await
            .expect("254 characters are fine");
        let too_long = "é".repeat(255);
        let refused = F::find(&app, a, Find { search: Some(&too_long), ..Find::default() })
            .await
            .refused(Code::BadUserInput);
        assert_eq!(refused.field().0, Field::Search);
        let refused = F::find(&app, a, Find { search: Some("a"), limit: Some(0), ..Find::default() })
            .await
            .refused(Code::BadUserInput);
        assert_eq!(refused.field().0, Field::Limit);
    }

    #[tokio::test]
    async fn staff_see_any_user_and_an_unknown_id_is_not_found<F: Admin>() {
        let app = spawn_app().await;
        let (boss_id, auth) = boss::<F>(&app).await;
        let a = Some(auth.as_str());
        let bob = F::signed_up(&app, "bob").await;
        let seen = F::user(&app, a, &bob.id).await.expect("bob");
        assert_eq!((seen.id.as_str(), seen.username.as_str()), (bob.id.as_str(), "bob"));
        assert_eq!(seen.email, "bob@example.com");
        let me = F::user(&app, a, &boss_id).await.expect("oneself");
        assert!(me.is_staff && me.is_superuser);
        for unknown in ["999999", "0", "-1", "abc", "1.0", "01"] {
            F::user(&app, a, unknown).await.refused(Code::NotFound);
            F::set_active(&app, a, unknown, false).await.refused(Code::NotFound);
            F::revoke_sessions(&app, a, unknown).await.refused(Code::NotFound);
            F::delete_user(&app, a, unknown).await.refused(Code::NotFound);
            F::set_staff(&app, a, unknown, true).await.refused(Code::NotFound);
        }
    }

    #[tokio::test]
    async fn deactivation_ends_every_session_at_once_and_reactivation_allows_logins_again<F: Admin>() {
        let app = spawn_app().await;
        let (_, auth) = boss::<F>(&app).await;
        let a = Some(auth.as_str());
        let bob = F::signed_up(&app, "bob").await;
        let session = F::logged_in(&app, "bob").await;
        F::me(&app, Some(&session.bearer())).await.expect("bob is in");
        let off = F::set_active(&app, a, &bob.id, false).await.expect("deactivated");
        assert!(!off.is_active, "{off:?}");
        F::me(&app, Some(&session.bearer())).await.refused(Code::TokenInvalid);
        F::refresh(&app, &session.refresh).await.refused(Code::TokenInvalid);
        F::log_in(&app, "bob", PASSWORD).await.refused(Code::InvalidCredentials);
        // Twice is harmless.
        F::set_active(&app, a, &bob.id, false).await.expect("still deactivated");
        let on = F::set_active(&app, a, &bob.id, true).await.expect("activated");
        assert!(on.is_active, "{on:?}");
        // The old session stays ended; a new login works.
        F::me(&app, Some(&session.bearer())).await.refused(Code::TokenInvalid);
        F::refresh(&app, &session.refresh).await.refused(Code::TokenInvalid);
        let again = F::logged_in(&app, "bob").await;
        F::me(&app, Some(&again.bearer())).await.expect("bob is back");
    }

    #[tokio::test]
    async fn ending_a_users_sessions_stops_their_tokens_but_not_their_account<F: Admin>() {
        let app = spawn_app().await;
        let (_, auth) = boss::<F>(&app).await;
        let a = Some(auth.as_str());
        let bob = F::signed_up(&app, "bob").await;
        let first = F::logged_in(&app, "bob").await;
        let second = F::logged_in(&app, "bob").await;
        F::revoke_sessions(&app, a, &bob.id).await.expect("revoked");
        for s in [&first, &second] {
            F::me(&app, Some(&s.bearer())).await.refused(Code::TokenInvalid);
            F::refresh(&app, &s.refresh).await.refused(Code::TokenInvalid);
        }
        let seen = F::user(&app, a, &bob.id).await.expect("bob");
        assert!(seen.is_active);
        F::logged_in(&app, "bob").await;
        // The staff member's own session goes on.
        F::me(&app, a).await.expect("boss is still in");
    }

    /// Staff see a user's sessions, as the user does; others are refused,
    /// and ended sessions leave the list.
    #[tokio::test]
    async fn staff_list_a_users_sessions_and_others_may_not<F: Admin>() {
        let app = spawn_app().await;
        let (_, auth) = boss::<F>(&app).await;
        let a = Some(auth.as_str());
        let bob = F::signed_up(&app, "bob").await;
        let first = F::logged_in(&app, "bob").await;
        F::logged_in(&app, "bob").await;
        let seen = F::user_sessions(&app, a, &bob.id).await.expect("bob's sessions");
        let own = F::my_sessions(&app, Some(&first.bearer())).await.expect("bob's own list");
        assert_eq!(seen.len(), 2);
        let ids = |l: &[Login]| l.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&seen), ids(&own));
        assert!(seen.iter().all(|s| !s.current), "none is the staff member's");
        // Not staff: refused, for another user and for an unknown id alike.
        F::signed_up(&app, "eve").await;
        let eve = F::logged_in(&app, "eve").await;
        for id in [bob.id.as_str(), "999999", "x"] {
            F::user_sessions(&app, Some(&eve.bearer()), id)
                .await
                .refused(Code::Forbidden);
        }
        F::user_sessions(&app, a, "999999").await.refused(Code::NotFound);
        F::revoke_sessions(&app, a, &bob.id).await.expect("revoked");
        let seen = F::user_sessions(&app, a, &bob.id).await.expect("bob's sessions");
        assert!(seen.is_empty(), "{seen:#?}");
    }
}
