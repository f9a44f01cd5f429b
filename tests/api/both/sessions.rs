//! Sessions a person can see and end: the list, ending one, ending the
//! others, concurrent tabs within the reuse interval, and what ends a
//! session at once (its access tokens included).

use futures_util::future::join_all;

use super::face::*;
use crate::helpers::*;

/// The ids of `logins`, in order.
fn ids(logins: &[Login]) -> Vec<&str> {
    logins.iter().map(|l| l.id.as_str()).collect()
}

on_both_faces! {
    /// Two logins are two sessions; each access token sees its own as current.
    #[tokio::test]
    async fn two_logins_list_two_sessions_with_the_callers_own_current<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let a = F::logged_in(&app, "alice").await;
        app.state.clock().advance(5);
        let b = F::logged_in(&app, "alice").await;
        let seen_by_a = F::my_sessions(&app, Some(&a.bearer())).await.expect("a list");
        let seen_by_b = F::my_sessions(&app, Some(&b.bearer())).await.expect("a list");
        assert_eq!(seen_by_a.len(), 2, "{seen_by_a:#?}");
        assert_eq!(ids(&seen_by_a), ids(&seen_by_b), "the most recent first, for both");
        let current = |list: &[Login]| list.iter().filter(|l| l.current).map(|l| l.id.clone()).collect::<Vec<_>>();
        assert_eq!(current(&seen_by_a), [seen_by_a[1].id.clone()], "a's is the older one");
        assert_eq!(current(&seen_by_b), [seen_by_b[0].id.clone()]);
        for login in &seen_by_a {
            assert_eq!(login.ip_address.as_deref(), Some("127.0.0.1"));
            assert!(login.created_at <= login.last_used_at, "{login:#?}");
        }
        // Another user sees none of them.
        F::signed_up(&app, "bob").await;
        let bob = F::logged_in(&app, "bob").await;
        let bobs = F::my_sessions(&app, Some(&bob.bearer())).await.expect("a list");
        assert_eq!(bobs.len(), 1);
        assert!(!ids(&seen_by_a).contains(&bobs[0].id.as_str()));
        F::my_sessions(&app, None).await.refused(Code::Unauthenticated);
    }

    /// Ending a session ends its access token on the next request and its
    /// refresh token; the other session goes on.
    #[tokio::test]
    async fn revoking_one_session_ends_its_tokens_at_once_and_no_other<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let a = F::logged_in(&app, "alice").await;
        let b = F::logged_in(&app, "alice").await;
        let list = F::my_sessions(&app, Some(&b.bearer())).await.expect("a list");
        let a_id = list.iter().find(|l| !l.current).expect("a's session").id.clone();
        F::me(&app, Some(&a.bearer())).await.expect("a works before");
        F::revoke_session(&app, Some(&b.bearer()), &a_id).await.expect("revoked");
        F::me(&app, Some(&a.bearer())).await.refused(Code::TokenInvalid);
        F::refresh(&app, &a.refresh).await.refused(Code::TokenInvalid);
        F::me(&app, Some(&b.bearer())).await.expect("b goes on");
        let b2 = F::refresh(&app, &b.refresh).await.expect("b refreshes");
        let left = F::my_sessions(&app, Some(&b2.bearer())).await.expect("a list");
        assert_eq!(left.len(), 1);
        assert!(left[0].current);
        // Ended already: not found, as an unknown id is.
        F::revoke_session(&app, Some(&b2.bearer()), &a_id).await.refused(Code::NotFound);
    }

    /// Ending the caller's own current session is a logout.
    #[tokio::test]
    async fn revoking_the_current_session_logs_out<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let a = F::logged_in(&app, "alice").await;
        let list = F::my_sessions(&app, Some(&a.bearer())).await.expect("a list");
        F::revoke_session(&app, Some(&a.bearer()), &list[0].id).await.expect("revoked");
        F::me(&app, Some(&a.bearer())).await.refused(Code::TokenInvalid);
        F::refresh(&app, &a.refresh).await.refused(Code::TokenInvalid);
    }

    /// Another user's session, an unknown id, an empty or an absurd one:
    /// NOT_FOUND alike, and nothing ends.
    #[tokio::test]
    async fn another_users_session_and_unknown_ids_are_not_found<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        F::signed_up(&app, "mallory").await;
        let alice = F::logged_in(&app, "alice").await;
        let mallory = F::logged_in(&app, "mallory").await;
        let alices = F::my_sessions(&app, Some(&alice.bearer())).await.expect("a list");
        let long = "x".repeat(10_000);
        for id in [alices[0].id.as_str(), "AAAAAAAAAAAAAAAAAAAAAA", "%", "' OR 1=1 --", long.as_str()] {
            F::revoke_session(&app, Some(&mallory.bearer()), id)
                .await
                .refused(Code::NotFound);
        }
        F::me(&app, Some(&alice.bearer())).await.expect("alice's session goes on");
        F::revoke_session(&app, None, &alices[0].id).await.refused(Code::Unauthenticated);
    }

    /// Ending the others keeps the current one working, access token and all.
    #[tokio::test]
    async fn revoking_the_other_sessions_keeps_the_current_one<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let others: Vec<_> = join_all((0..3).map(|_| F::logged_in(&app, "alice"))).await;
        let me = F::logged_in(&app, "alice").await;
        let ended = F::revoke_other_sessions(&app, Some(&me.bearer())).await.expect("ended");
        assert_eq!(ended, 3);
        for other in &others {
            F::me(&app, Some(&other.bearer())).await.refused(Code::TokenInvalid);
            F::refresh(&app, &other.refresh).await.refused(Code::TokenInvalid);
        }
        F::me(&app, Some(&me.bearer())).await.expect("the current one goes on");
        let list = F::my_sessions(&app, Some(&me.bearer())).await.expect("a list");
        assert_eq!((list.len(), list[0].current), (1, true));
        assert_eq!(F::revoke_other_sessions(&app, Some(&me.bearer())).await.expect("none"), 0);
        F::refresh(&app, &me.refresh).await.expect("and refreshes");
    }

    /// Two tabs refreshing with the same token at once both get a working
    /// pair in the same session, which survives.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_refreshes_within_the_interval_all_succeed_in_one_session<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let login = F::logged_in(&app, "alice").await;
        let tabs = join_all((0..6).map(|_| F::refresh(&app, &login.refresh))).await;
        let pairs: Vec<_> = tabs
            .into_iter()
            .map(|t| t.expect("every tab gets a pair within the interval"))
            .collect();
        for pair in &pairs {
            F::me(&app, Some(&pair.bearer())).await.expect("each access token works");
        }
        let list = F::my_sessions(&app, Some(&pairs[0].bearer())).await.expect("a list");
        assert_eq!(list.len(), 1, "still one session: {list:#?}");
        for pair in &pairs {
            F::refresh(&app, &pair.refresh).await.expect("each refresh token rotates");
        }
    }

    /// The interval is counted from the first use and does not slide: a
    /// presentation after it is a reuse, and ends the session.
    #[tokio::test]
    async fn a_reuse_after_the_interval_ends_the_session<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let login = F::logged_in(&app, "alice").await;
        let first = F::refresh(&app, &login.refresh).await.expect("a pair");
        app.state.clock().advance(6);
        let second = F::refresh(&app, &login.refresh).await.expect("within 10 s: a pair");
        app.state.clock().advance(5);
        F::refresh(&app, &login.refresh).await.refused(Code::TokenReused);
        for pair in [&first, &second] {
            F::me(&app, Some(&pair.bearer())).await.refused(Code::TokenInvalid);
            F::refresh(&app, &pair.refresh).await.refused(Code::TokenInvalid);
        }
    }

    /// A password change keeps the caller's session (the same id, current)
    /// with new tokens, and ends every other one.
    #[tokio::test]
    async fn a_password_change_keeps_this_session_and_ends_the_others<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let other = F::logged_in(&app, "alice").await;
        let me = F::logged_in(&app, "alice").await;
        let before = F::my_sessions(&app, Some(&me.bearer())).await.expect("a list");
        let mine = before.iter().find(|l| l.current).expect("current").id.clone();
        let after = F::change_password(&app, Some(&me.bearer()), PASSWORD, "a whole new passphrase 7")
            .await
            .expect("changed");
        let list = F::my_sessions(&app, Some(&after.bearer())).await.expect("a list");
        assert_eq!(ids(&list), [mine.as_str()]);
        assert!(list[0].current);
        F::me(&app, Some(&other.bearer())).await.refused(Code::TokenInvalid);
        F::refresh(&app, &after.refresh).await.expect("the kept session refreshes");
    }

    /// A logout (revoking the refresh token) and a revoke-all take sessions
    /// off the list.
    #[tokio::test]
    async fn logouts_take_sessions_off_the_list<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let a = F::logged_in(&app, "alice").await;
        let b = F::logged_in(&app, "alice").await;
        F::revoke(&app, &a.refresh).await.expect("logged out");
        F::me(&app, Some(&a.bearer())).await.refused(Code::TokenInvalid);
        let list = F::my_sessions(&app, Some(&b.bearer())).await.expect("a list");
        assert_eq!((list.len(), list[0].current), (1, true));
        F::revoke_all(&app, Some(&b.bearer())).await.expect("everywhere");
        let c = F::logged_in(&app, "alice").await;
        let list = F::my_sessions(&app, Some(&c.bearer())).await.expect("a list");
        assert_eq!((list.len(), list[0].current), (1, true));
    }
}
