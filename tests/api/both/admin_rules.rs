//! Staff administration's rules on both faces: only superusers make staff
//! or delete; staff leave staff and superusers alone; nobody acts on
//! themselves; the last active superuser stays; deleting takes the tokens
//! along; deleting one's own account wants the password, counted.

use super::admin::boss;
use super::admin_face::*;
use super::face::*;
use crate::helpers::*;

/// How many rows of `table` belong to user `id`.
async fn rows_of(app: &TestApp, table: &str, id: &str) -> i64 {
    let id: i64 = id.parse().unwrap();
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1");
    gatehouse::with_pool!(app.state.db(), write, |p| sqlx::query_scalar::<_, i64>(
        &sql
    )
    .bind(id)
    .fetch_one(p)
    .await)
    .expect("a count")
}

/// Exactly one of two racing removals went through. The other was refused
/// as the last superuser (CONFLICT), found its caller's session ended
/// (TOKEN_INVALID), or, when the winner had already committed before the
/// loser's caller was read, found its caller no longer staff (FORBIDDEN).
#[track_caller]
fn one_won<A: std::fmt::Debug, B: std::fmt::Debug>(x: Outcome<A>, y: Outcome<B>) {
    assert!(x.is_ok() != y.is_ok(), "{x:?} {y:?}");
    let lost = x.err().or(y.err()).unwrap();
    assert!(
        matches!(
            lost.code,
            Code::Conflict | Code::TokenInvalid | Code::Forbidden
        ),
        "{lost:?}"
    );
}

on_both_faces! {
    #[tokio::test]
    async fn only_superusers_make_staff_or_delete_and_staff_leave_staff_alone<F: Admin>() {
        let app = spawn_app().await;
        let (boss_id, auth) = boss::<F>(&app).await;
        let a = Some(auth.as_str());
        let moderator = F::signed_up(&app, "moderator").await;
        let other = F::signed_up(&app, "other").await;
        let plain = F::signed_up(&app, "plain").await;
        let made = F::set_staff(&app, a, &moderator.id, true).await.expect("made staff");
        assert!(made.is_staff && !made.is_superuser, "{made:?}");
        F::set_staff(&app, a, &other.id, true).await.expect("made staff");
        let m = F::logged_in(&app, "moderator").await.bearer();
        let m = Some(m.as_str());
        // Staff may list and act on plain users...
        F::find(&app, m, Find::default()).await.expect("staff list");
        F::set_active(&app, m, &plain.id, false).await.expect("plain deactivated");
        F::set_active(&app, m, &plain.id, true).await.expect("plain activated");
        F::revoke_sessions(&app, m, &plain.id).await.expect("plain's sessions ended");
        // ...but make no staff and delete nobody...
        F::set_staff(&app, m, &plain.id, true).await.refused(Code::Forbidden);
        F::delete_user(&app, m, &plain.id).await.refused(Code::Forbidden);
        // ...and leave other staff and superusers alone.
        for id in [&other.id, &boss_id] {
            F::set_active(&app, m, id, false).await.refused(Code::Forbidden);
            F::revoke_sessions(&app, m, id).await.refused(Code::Forbidden);
            F::set_staff(&app, m, id, false).await.refused(Code::Forbidden);
        }
        F::me(&app, a).await.expect("boss untouched");
        // A superuser may unmake staff, which takes their powers at once.
        let unmade = F::set_staff(&app, a, &moderator.id, false).await.expect("unmade");
        assert!(!unmade.is_staff && !unmade.is_superuser, "{unmade:?}");
        F::find(&app, m, Find::default()).await.refused(Code::Forbidden);
        F::delete_user(&app, a, &plain.id).await.expect("deleted by a superuser");
    }

    #[tokio::test]
    async fn nobody_deactivates_demotes_or_deletes_themselves<F: Admin>() {
        let app = spawn_app().await;
        let (boss_id, auth) = boss::<F>(&app).await;
        let a = Some(auth.as_str());
        app.create_staff("second", PASSWORD).await;
        F::set_active(&app, a, &boss_id, false).await.refused(Code::Forbidden);
        F::set_staff(&app, a, &boss_id, false).await.refused(Code::Forbidden);
        F::delete_user(&app, a, &boss_id).await.refused(Code::Forbidden);
        let me = F::me(&app, a).await.expect("still there");
        assert!(me.is_active && me.is_staff && me.is_superuser, "{me:?}");
        // Ending one's own sessions is logging out everywhere: allowed.
        F::revoke_sessions(&app, a, &boss_id).await.expect("own sessions ended");
        F::me(&app, a).await.refused(Code::TokenInvalid);
    }

    #[tokio::test]
    async fn the_last_active_superuser_stays_even_when_two_remove_each_other_at_once<F: Admin>() {
        let app = spawn_app().await;
        let (boss_id, auth) = boss::<F>(&app).await;
        let second_id = app.create_staff("second", PASSWORD).await;
        let second = F::logged_in(&app, "second").await.bearer();
        // The only superuser cannot delete their own account either.
        let lone = spawn_app().await;
        let (_, lone_auth) = boss::<F>(&lone).await;
        let refused = F::delete_me(&lone, Some(&lone_auth), PASSWORD)
            .await
            .refused(Code::Conflict);
        assert!(refused.fields.is_empty(), "{refused:?}");
        F::me(&lone, Some(&lone_auth)).await.expect("still there");
        // Each deactivates the other, in parallel: exactly one wins (the
        // other is refused as the last superuser, or finds its own session
        // ended).
        let (x, y) = tokio::join!(
            F::set_active(&app, Some(&auth), &second_id, false),
            F::set_active(&app, Some(&second), &boss_id, false),
        );
        one_won(x, y);
        // Set the scene again through the operator's door, and race a
        // deletion against a demotion.
        let op = gatehouse::service::admin::Actor::Operator;
        for id in [&boss_id, &second_id] {
            let id = id.parse().unwrap();
            app.state.set_user_active(op, id, true).await.expect("reactivated");
        }
        let auth = F::logged_in(&app, "boss").await.bearer();
        let second = F::logged_in(&app, "second").await.bearer();
        let (x, y) = tokio::join!(
            F::delete_user(&app, Some(&auth), &second_id),
            F::set_staff(&app, Some(&second), &boss_id, false),
        );
        one_won(x, y);
        let left = app.state.find_users(op, &Default::default()).await.unwrap();
        let superusers = left.iter().filter(|u| u.is_active && u.is_staff && u.is_superuser);
        assert_eq!(superusers.count(), 1, "{left:?}");
    }

    #[tokio::test]
    async fn deleting_a_user_takes_their_tokens_and_links_and_frees_their_names<F: Admin>() {
        let app = spawn_app().await;
        let (_, auth) = boss::<F>(&app).await;
        let a = Some(auth.as_str());
        let bob = F::signed_up(&app, "bob").await;
        let session = F::logged_in(&app, "bob").await;
        assert!(rows_of(&app, "refresh_tokens", &bob.id).await > 0);
        assert!(rows_of(&app, "email_tokens", &bob.id).await > 0, "the sign-up's link");
        F::delete_user(&app, a, &bob.id).await.expect("deleted");
        F::me(&app, Some(&session.bearer())).await.refused(Code::TokenInvalid);
        F::refresh(&app, &session.refresh).await.refused(Code::TokenInvalid);
        F::log_in(&app, "bob", PASSWORD).await.refused(Code::InvalidCredentials);
        F::user(&app, a, &bob.id).await.refused(Code::NotFound);
        F::delete_user(&app, a, &bob.id).await.refused(Code::NotFound);
        for table in ["refresh_tokens", "email_tokens", "login_keys"] {
            assert_eq!(rows_of(&app, table, &bob.id).await, 0, "{table}");
        }
        // The names are free again, for a new account with a new id.
        let again = F::signed_up(&app, "bob").await;
        assert_ne!(again.id, bob.id);
    }

    #[tokio::test]
    async fn deleting_ones_account_wants_the_password_and_wrong_ones_are_counted<F: Admin>() {
        let app = spawn_app_with(|c| c.throttle.login_failures_per_account = 3).await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        let auth = session.bearer();
        let refused = F::delete_me(&app, Some(&auth), "not my password")
            .await
            .refused(Code::BadUserInput);
        let (field, message) = refused.field();
        assert_eq!(field, Field::Password);
        assert_eq!(message, "Your password was entered incorrectly.");
        F::delete_me(&app, None, PASSWORD).await.refused(Code::Unauthenticated);
        // Parallel wrong guesses all count, in the login bucket: two more
        // are told it is wrong, the rest RATE_LIMITED, and then the right
        // password too (as a login would be).
        let guesses = (0..6).map(|i| {
            let auth = auth.clone();
            let app = &app;
            async move { F::delete_me(app, Some(&auth), &format!("wrong guess {i}")).await }
        });
        let answers = futures_util::future::join_all(guesses).await;
        let codes: Vec<Code> = answers.into_iter().map(|a| a.unwrap_err().code).collect();
        let wrong = codes.iter().filter(|c| **c == Code::BadUserInput).count();
        let limited = codes.iter().filter(|c| **c == Code::RateLimited).count();
        assert_eq!((wrong, limited), (2, 4), "{codes:?}");
        F::delete_me(&app, Some(&auth), PASSWORD).await.refused(Code::RateLimited);
        F::log_in(&app, "alice", PASSWORD).await.refused(Code::RateLimited);
        F::me(&app, Some(&auth)).await.expect("alice is still there");
        // Once the window has passed, the right password deletes the account.
        app.state.clock().advance(3600);
        let auth = F::logged_in(&app, "alice").await.bearer();
        F::delete_me(&app, Some(&auth), PASSWORD).await.expect("deleted");
        F::me(&app, Some(&auth)).await.refused(Code::TokenInvalid);
        F::refresh(&app, &session.refresh).await.refused(Code::TokenInvalid);
        F::log_in(&app, "alice", PASSWORD).await.refused(Code::InvalidCredentials);
    }
}
