//! Each event type appears, with its fields, after the action it records,
//! and none after an action that failed.

use futures_util::future::join_all;
use serde_json::json;

use super::face::*;
use crate::both::face::*;
use crate::both::mfa_face::{code_now, mid_step};
use crate::helpers::*;

on_both_faces! {
    /// A sign-up and a login: who, from where (the test client's address),
    /// which request, which session.
    #[tokio::test]
    async fn sign_up_and_login_are_recorded_with_their_origin<F: Events>() {
        let app = spawn_app().await;
        let staff = staff::<F>(&app).await;
        let alice = F::signed_up(&app, "alice").await;
        let s = F::logged_in(&app, "alice").await;
        let page = all::<F>(&app, &staff).await;
        let signed_up = page
            .events
            .iter()
            .find(|e| e.kind == "sign_up" && e.user_id.as_deref() == Some(alice.id.as_str()))
            .expect("alice's sign_up");
        assert_eq!(signed_up.ip_address.as_deref(), Some("127.0.0.1"));
        assert!(signed_up.request_id.as_deref().is_some_and(|r| !r.is_empty()), "{signed_up:?}");
        assert_eq!(signed_up.details, json!({ "via": "sign_up" }));
        assert_eq!(signed_up.actor_id, None);
        let login = page.newest("login_succeeded");
        assert_eq!(login.user_id.as_deref(), Some(alice.id.as_str()));
        assert_eq!(login.details["amr"], "pwd");
        let sessions = F::my_sessions(&app, Some(&s.bearer())).await.expect("sessions");
        let current = sessions.iter().find(|l| l.current).expect("the current session");
        assert_eq!(login.session_id.as_deref(), Some(current.id.as_str()));
        // The operator's account says so.
        let auditor = page
            .events
            .iter()
            .find(|e| e.kind == "sign_up" && e.details["via"] == "operator")
            .expect("the operator's sign_up");
        assert_eq!(auditor.ip_address, None);
        // Ids are newest first and never repeat.
        let ids: Vec<i64> = page.events.iter().map(|e| e.id.parse().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    }

    /// Failed logins, each with its reason; the name tried is not kept.
    #[tokio::test]
    async fn failed_logins_say_why<F: Events>() {
        let app = spawn_app_with(|c| c.throttle.login_failures_per_account = 3).await;
        let staff = staff::<F>(&app).await;
        let bob = F::signed_up(&app, "bob").await;
        F::log_in(&app, "bob", "wrong password").await.refused(Code::InvalidCredentials);
        F::log_in(&app, "nobody-here", "wrong password").await.refused(Code::InvalidCredentials);
        let carol = F::signed_up(&app, "carol").await;
        app.deactivate(&carol.id).await;
        F::log_in(&app, "carol", PASSWORD).await.refused(Code::InvalidCredentials);
        for _ in 0..3 {
            let _ = F::log_in(&app, "bob", "wrong again").await;
        }
        F::log_in(&app, "bob", PASSWORD).await.refused(Code::RateLimited);
        // A flood of refused logins is one event, not one a request.
        let flood = (0..20).map(|_| F::log_in(&app, "bob", "wrong again"));
        for refused in join_all(flood).await {
            refused.refused(Code::RateLimited);
        }
        let page = all::<F>(&app, &staff).await;
        let failed: Vec<(Option<&str>, &str)> = page
            .events
            .iter()
            .rev()
            .filter(|e| e.kind == "login_failed")
            .map(|e| (e.user_id.as_deref(), e.details["reason"].as_str().unwrap()))
            .collect();
        let (b, c) = (Some(bob.id.as_str()), Some(carol.id.as_str()));
        assert_eq!(failed[..3], [(b, "wrong_password"), (None, "unknown_user"), (c, "inactive")]);
        assert_eq!(failed.last(), Some(&(b, "throttled")), "{failed:?}");
        let throttled = failed.iter().filter(|(_, r)| *r == "throttled").count();
        assert_eq!(throttled, 1, "{failed:?}");
        let shown = format!("{page:?}");
        assert!(!shown.contains("nobody-here") && !shown.contains("wrong password"), "{shown}");
        assert_eq!(page.count("login_succeeded"), 1, "only the auditor's");
    }

    /// A change that failed leaves no event: a wrong old password, a taken
    /// username, a wrong code.
    #[tokio::test]
    async fn failed_changes_leave_no_event<F: Events>() {
        let app = spawn_app().await;
        let staff = staff::<F>(&app).await;
        F::signed_up(&app, "dave").await;
        let s = F::logged_in(&app, "dave").await;
        let before = all::<F>(&app, &staff).await;
        F::change_password(&app, Some(&s.bearer()), "not my password", "a brand new passphrase")
            .await
            .refused(Code::BadUserInput);
        F::sign_up(&app, "dave", "dave2@example.com", PASSWORD).await.refused(Code::Conflict);
        F::update_me(&app, Some(&s.bearer()), &[(Field::FirstName, "\u{0}")])
            .await
            .refused(Code::BadUserInput);
        let after = all::<F>(&app, &staff).await;
        assert_eq!(after.kinds(), before.kinds());
    }

    /// Of parallel sign-ups of one name and parallel ends of one session,
    /// one goes through, and one event is written: an event commits with
    /// its change or not at all.
    #[tokio::test]
    async fn racing_changes_leave_one_event_each<F: Events>() {
        let app = spawn_app_with(unthrottled).await;
        let staff = staff::<F>(&app).await;
        let tries = (0..12).map(|i| {
            let email = format!("race{i}@example.com");
            let app = &app;
            async move { F::sign_up(app, "racer", &email, PASSWORD).await }
        });
        let won = join_all(tries).await.into_iter().filter(Result::is_ok).count();
        assert_eq!(won, 1);
        let s = F::logged_in(&app, "racer").await;
        let other = F::logged_in(&app, "racer").await;
        let id = F::my_sessions(&app, Some(&other.bearer()))
            .await
            .unwrap()
            .into_iter()
            .find(|l| l.current)
            .unwrap()
            .id;
        let auth = s.bearer();
        let ends = (0..12).map(|_| F::revoke_session(&app, Some(&auth), &id));
        let ended = join_all(ends).await.into_iter().filter(Result::is_ok).count();
        assert_eq!(ended, 1);
        let page = all::<F>(&app, &staff).await;
        let racer = page.newest("login_succeeded").user_id.clone();
        let of_racer = |kind: &str| {
            page.events.iter().filter(|e| e.kind == kind && e.user_id == racer).count()
        };
        assert_eq!((of_racer("sign_up"), of_racer("session_revoked")), (1, 1));
    }

    /// Changes of names or address are limited per account and hour, counted
    /// first: of parallel changes past the limit, exactly the limit go through.
    #[tokio::test]
    async fn profile_changes_are_limited_per_account<F: Events>() {
        let app = spawn_app_with(|c| c.throttle.profile_changes_per_hour = 3).await;
        F::signed_up(&app, "nora").await;
        let s = F::logged_in(&app, "nora").await;
        let auth = s.bearer();
        let names: Vec<String> = (0..10).map(|i| format!("Nora{i}")).collect();
        let inputs: Vec<[(Field, &str); 1]> =
            names.iter().map(|n| [(Field::FirstName, n.as_str())]).collect();
        let changes = inputs.iter().map(|i| F::update_me(&app, Some(&auth), i));
        let results = join_all(changes).await;
        let done = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(done, 3, "{results:#?}");
        for r in results.into_iter().filter(|r| r.is_err()) {
            r.refused(Code::RateLimited);
        }
        // A change to nothing new is not counted, nor refused.
        let now = F::me(&app, Some(&auth)).await.unwrap();
        F::update_me(&app, Some(&auth), &[(Field::FirstName, now.first_name.as_str())])
            .await
            .expect("no change, no count");
        app.state.clock().advance(3601);
        let s = F::logged_in(&app, "nora").await;
        F::update_me(&app, Some(&s.bearer()), &[(Field::FirstName, "Later")])
            .await
            .expect("a new hour");
    }

    /// What staff did to a user shows in the user's own events as done by
    /// staff, without the staff member's id, address, device or request.
    #[tokio::test]
    async fn a_user_sees_what_staff_did_not_who_or_from_where<F: Events>() {
        let app = spawn_app().await;
        let staff = staff::<F>(&app).await;
        let olga = F::signed_up(&app, "olga").await;
        let auth = Some(staff.bearer());
        F::set_staff(&app, auth.as_deref(), &olga.id, true).await.expect("staff");
        F::set_staff(&app, auth.as_deref(), &olga.id, false).await.expect("not staff");
        let s = F::logged_in(&app, "olga").await;
        let mine = F::my_events(&app, Some(&s.bearer()), None, None).await.unwrap();
        let granted = mine.newest("staff_granted");
        assert_eq!(
            (&granted.actor_id, &granted.ip_address, &granted.user_agent, &granted.request_id),
            (&None, &None, &None, &None),
            "{granted:#?}"
        );
        assert_eq!(granted.details["by"], "staff");
        // Her own login keeps its origin.
        assert_eq!(mine.newest("login_succeeded").ip_address.as_deref(), Some("127.0.0.1"));
        // Staff see it all.
        let log = all::<F>(&app, &staff).await;
        let seen = log.newest("staff_granted");
        assert!(seen.actor_id.is_some() && seen.ip_address.is_some(), "{seen:#?}");
    }

    /// Password and profile changes, sessions ended one by one, by all but
    /// the current one, and by a logout everywhere.
    #[tokio::test]
    async fn account_and_session_changes_are_recorded<F: Events>() {
        let app = spawn_app().await;
        let staff = staff::<F>(&app).await;
        let erin = F::signed_up(&app, "erin").await;
        let first = F::logged_in(&app, "erin").await;
        let second = F::logged_in(&app, "erin").await;
        let third = F::logged_in(&app, "erin").await;
        F::update_me(&app, Some(&first.bearer()), &[(Field::FirstName, "Erin"), (Field::LastName, "Secret-Surname")])
            .await
            .expect("names changed");
        // The same values again change nothing: no event.
        F::update_me(&app, Some(&first.bearer()), &[(Field::FirstName, "Erin"), (Field::LastName, "Secret-Surname")])
            .await
            .expect("nothing to change");
        let ids: Vec<String> = F::my_sessions(&app, Some(&first.bearer()))
            .await
            .unwrap()
            .into_iter()
            .filter(|l| !l.current)
            .map(|l| l.id)
            .collect();
        F::revoke_session(&app, Some(&first.bearer()), &ids[0]).await.expect("revoked");
        // Again: it ends nothing, and records nothing.
        F::revoke_session(&app, Some(&first.bearer()), &ids[0]).await.refused(Code::NotFound);
        F::revoke_other_sessions(&app, Some(&first.bearer())).await.expect("others ended");
        let _ = (&second, &third);
        let fresh = F::change_password(&app, Some(&first.bearer()), PASSWORD, "a brand new passphrase")
            .await
            .expect("password changed");
        F::revoke_all(&app, Some(&fresh.bearer())).await.expect("logged out everywhere");
        let page = all::<F>(&app, &staff).await;
        let mine: Vec<&str> = page
            .events
            .iter()
            .rev()
            .filter(|e| e.user_id.as_deref() == Some(erin.id.as_str()))
            .map(|e| e.kind.as_str())
            .filter(|k| *k != "login_succeeded" && *k != "sign_up")
            .collect();
        assert_eq!(mine, ["user_updated", "session_revoked", "logout_all", "password_changed", "logout_all"]);
        let updated = page.newest("user_updated");
        assert_eq!(updated.details, json!({ "fields": ["firstName", "lastName"] }));
        assert!(!format!("{page:?}").contains("Secret-Surname"));
        let revoked = page.newest("session_revoked");
        assert_eq!(revoked.session_id.as_deref(), Some(ids[0].as_str()));
        assert_eq!(revoked.details["reason"], "revoked");
        let others = page.events.iter().rev().find(|e| e.kind == "logout_all").unwrap();
        assert_eq!(others.details["kept_current"], true);
        assert_eq!(page.count("session_revoked"), 1);
    }

    /// A refresh token used again after the reuse interval ends its session
    /// and says so; a logout with the refresh token is a session_revoked.
    #[tokio::test]
    async fn reuse_and_logout_are_recorded<F: Events>() {
        let app = spawn_app().await;
        let staff = staff::<F>(&app).await;
        F::signed_up(&app, "frank").await;
        let s = F::logged_in(&app, "frank").await;
        F::refresh(&app, &s.refresh).await.expect("rotated");
        app.past_reuse_interval();
        F::refresh(&app, &s.refresh).await.refused(Code::TokenReused);
        let t = F::logged_in(&app, "frank").await;
        F::revoke(&app, &t.refresh).await.expect("logged out");
        let page = all::<F>(&app, &staff).await;
        let reuse = page.newest("refresh_reuse_detected");
        assert!(reuse.session_id.is_some());
        let logout = page.newest("session_revoked");
        assert_eq!(logout.details["reason"], "logout");
        assert_ne!(logout.session_id, reuse.session_id);
    }

    /// Staff changes: who did it is the actor; a no-op records nothing.
    #[tokio::test]
    async fn staff_changes_name_their_actor<F: Events>() {
        let app = spawn_app().await;
        let staff = staff::<F>(&app).await;
        let me = F::me(&app, Some(&staff.bearer())).await.unwrap();
        let gina = F::signed_up(&app, "gina").await;
        let auth = Some(staff.bearer());
        let auth = auth.as_deref();
        F::set_active(&app, auth, &gina.id, false).await.expect("deactivated");
        F::set_active(&app, auth, &gina.id, false).await.expect("still deactivated");
        F::set_active(&app, auth, &gina.id, true).await.expect("activated");
        F::set_staff(&app, auth, &gina.id, true).await.expect("staff");
        F::set_staff(&app, auth, &gina.id, false).await.expect("not staff");
        F::revoke_sessions(&app, auth, &gina.id).await.expect("sessions ended");
        F::delete_user(&app, auth, &gina.id).await.expect("deleted");
        let page = all::<F>(&app, &staff).await;
        let hers: Vec<_> = page
            .events
            .iter()
            .rev()
            .filter(|e| e.user_id.as_deref() == Some(gina.id.as_str()) && e.kind != "sign_up")
            .collect();
        let kinds: Vec<&str> = hers.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["user_deactivated", "user_activated", "staff_granted", "staff_revoked", "logout_all", "user_deleted"]);
        assert!(hers.iter().all(|e| e.actor_id.as_deref() == Some(me.id.as_str())), "{hers:#?}");
        assert_eq!(hers[2].details["superuser"], false);
        // The account is gone; its events stay.
        assert_eq!(hers[5].details["username"], "gina");
    }

    /// The second factor: on, a recovery code used, new codes, off.
    #[tokio::test]
    async fn second_factor_changes_are_recorded<F: Events>() {
        let app = spawn_app().await;
        let staff = staff::<F>(&app).await;
        let hal = F::signed_up(&app, "hal").await;
        let s = F::logged_in(&app, "hal").await;
        mid_step(&app);
        let e = F::mfa_begin(&app, &s.bearer()).await.expect("an enrolment");
        let codes = F::mfa_confirm(&app, &s.bearer(), &code_now(&app, &e.secret, 0)).await.expect("on");
        let challenge = F::log_in(&app, "hal", PASSWORD).await.refused(Code::MfaRequired).challenge.unwrap();
        F::log_in_mfa(&app, &challenge, "000000").await.refused(Code::InvalidCredentials);
        let t = F::log_in_mfa(&app, &challenge, &codes[0]).await.expect("a recovery code logs in");
        app.state.clock().advance(30);
        F::mfa_regenerate(&app, &t.bearer(), &code_now(&app, &e.secret, 0)).await.expect("new codes");
        app.state.clock().advance(30);
        F::mfa_disable(&app, &t.bearer(), &code_now(&app, &e.secret, 0), PASSWORD).await.expect("off");
        let page = all::<F>(&app, &staff).await;
        let kinds: Vec<&str> = page
            .events
            .iter()
            .rev()
            .filter(|e| e.user_id.as_deref() == Some(hal.id.as_str()))
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(
            kinds,
            ["sign_up", "login_succeeded", "mfa_enabled", "mfa_required", "login_failed",
             "recovery_code_used", "login_succeeded", "recovery_codes_regenerated", "mfa_disabled"]
        );
        assert_eq!(page.newest("login_failed").details["reason"], "wrong_code");
        assert_eq!(page.newest("login_succeeded").details["amr"], "pwd recovery");
        assert!(!format!("{page:?}").contains(&codes[0]));
    }
}
