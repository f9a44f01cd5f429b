//! Reading events: staff only, newest first, a page at a time with
//! cursors, filters; a person's own security events and nobody else's;
//! bad input refused with its field.

use super::face::*;
use crate::both::face::*;
use crate::helpers::*;

on_both_faces! {
    /// Only staff read the log; without a token, UNAUTHENTICATED.
    #[tokio::test]
    async fn only_staff_read_the_log<F: Events>() {
        let app = spawn_app().await;
        F::signed_up(&app, "ivan").await;
        let s = F::logged_in(&app, "ivan").await;
        F::auth_events(&app, Some(&s.bearer()), Query::default()).await.refused(Code::Forbidden);
        F::auth_events(&app, None, Query::default()).await.refused(Code::Unauthenticated);
        F::my_events(&app, None, None, None).await.refused(Code::Unauthenticated);
    }

    /// Pages follow one another without gaps or repeats, newest first, and
    /// the last says so.
    #[tokio::test]
    async fn pages_follow_their_cursors<F: Events>() {
        let app = spawn_app_with(unthrottled).await;
        let staff = staff::<F>(&app).await;
        for i in 0..7 {
            F::signed_up(&app, &format!("user{i}")).await;
        }
        let everything = all::<F>(&app, &staff).await;
        assert!(!everything.has_next_page);
        let total = everything.events.len();
        assert!(total >= 9, "{:?}", everything.kinds());
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let q = Query { first: Some(3), after: after.as_deref(), ..Query::default() };
            let page = F::auth_events(&app, Some(&staff.bearer()), q).await.expect("a page");
            assert!(page.events.len() <= 3);
            seen.extend(page.events.iter().map(|e| e.id.clone()));
            if !page.has_next_page {
                break;
            }
            after = page.end_cursor.clone();
            assert!(after.is_some());
        }
        let ids: Vec<String> = everything.events.iter().map(|e| e.id.clone()).collect();
        assert_eq!(seen, ids);
    }

    /// Filters: by user, by types, by time; all together.
    #[tokio::test]
    async fn filters_narrow_the_log<F: Events>() {
        let app = spawn_app().await;
        let judy = F::signed_up(&app, "judy").await;
        F::signed_up(&app, "karl").await;
        F::log_in(&app, "judy", "wrong password").await.refused(Code::InvalidCredentials);
        app.state.clock().advance(3600);
        F::logged_in(&app, "judy").await;
        let staff = staff::<F>(&app).await;
        let auth = staff.bearer();
        let hers = F::auth_events(&app, Some(&auth), Query { user_id: Some(&judy.id), ..Query::default() })
            .await
            .unwrap();
        assert_eq!(hers.kinds(), ["login_succeeded", "login_failed", "sign_up"]);
        let types: &[&str] = &["login_failed", "sign_up"];
        let q = Query { user_id: Some(&judy.id), types: Some(types), ..Query::default() };
        let two = F::auth_events(&app, Some(&auth), q).await.unwrap();
        assert_eq!(two.kinds(), ["login_failed", "sign_up"]);
        // Since the login an hour later (its time, to the second).
        let at = hers.events[0].created_at.clone();
        let q = Query { user_id: Some(&judy.id), since: Some(&at), ..Query::default() };
        assert_eq!(F::auth_events(&app, Some(&auth), q).await.unwrap().kinds(), ["login_succeeded"]);
        let q = Query { user_id: Some(&judy.id), until: Some(&at), ..Query::default() };
        assert_eq!(F::auth_events(&app, Some(&auth), q).await.unwrap().kinds(), ["login_failed", "sign_up"]);
        // An id nobody has matches nothing.
        for nobody in ["999999", "not-an-id"] {
            let q = Query { user_id: Some(nobody), ..Query::default() };
            assert!(F::auth_events(&app, Some(&auth), q).await.unwrap().events.is_empty());
        }
    }

    /// Bad page sizes, cursors and types are BAD_USER_INPUT on their field.
    #[tokio::test]
    async fn bad_input_is_refused_with_its_field<F: Events>() {
        let app = spawn_app().await;
        let staff = staff::<F>(&app).await;
        let auth = staff.bearer();
        for first in [0, -1, 1001] {
            let q = Query { first: Some(first), ..Query::default() };
            let f = F::auth_events(&app, Some(&auth), q).await.refused(Code::BadUserInput);
            assert_eq!(f.field().0, Field::First);
        }
        let long = "A".repeat(10_000);
        for after in ["", "42", "ZXZlbnQ6LTE", "%%%", long.as_str()] {
            let q = Query { after: Some(after), ..Query::default() };
            let f = F::auth_events(&app, Some(&auth), q).await.refused(Code::BadUserInput);
            assert_eq!(f.field().0, Field::After, "{after:.20}");
        }
        let types: &[&str] = &["sign_up", "no_such_type"];
        let f = F::auth_events(&app, Some(&auth), Query { types: Some(types), ..Query::default() })
            .await
            .refused(Code::BadUserInput);
        assert_eq!(f.field().0, Field::Types);
        let many = vec!["sign_up"; 500];
        let f = F::auth_events(&app, Some(&auth), Query { types: Some(&many), ..Query::default() })
            .await
            .refused(Code::BadUserInput);
        assert_eq!(f.field().0, Field::Types);
        let f = F::my_events(&app, Some(&auth), Some(101), None).await.refused(Code::BadUserInput);
        assert_eq!(f.field().0, Field::First);
    }

    /// A person sees their own security events, never another's, and not
    /// the staff-only ones about them.
    #[tokio::test]
    async fn my_security_events_are_mine_alone<F: Events>() {
        let app = spawn_app().await;
        F::signed_up(&app, "lena").await;
        F::signed_up(&app, "mike").await;
        F::log_in(&app, "lena", "wrong password").await.refused(Code::InvalidCredentials);
        F::log_in(&app, "mike", "wrong password").await.refused(Code::InvalidCredentials);
        let s = F::logged_in(&app, "lena").await;
        F::update_me(&app, Some(&s.bearer()), &[(Field::FirstName, "Lena")]).await.unwrap();
        let mine = F::my_events(&app, Some(&s.bearer()), None, None).await.expect("my events");
        assert_eq!(mine.kinds(), ["login_succeeded", "login_failed", "sign_up"]);
        let lena = F::me(&app, Some(&s.bearer())).await.unwrap();
        assert!(mine.events.iter().all(|e| e.user_id.as_deref() == Some(lena.id.as_str())));
        let first = F::my_events(&app, Some(&s.bearer()), Some(1), None).await.unwrap();
        assert!(first.has_next_page);
        let next = F::my_events(&app, Some(&s.bearer()), Some(5), first.end_cursor.as_deref())
            .await
            .unwrap();
        assert_eq!(next.kinds(), ["login_failed", "sign_up"]);
    }
}

/// Old events go after the retention, in batches, and their deliveries
/// with them; newer ones stay.
#[tokio::test]
async fn events_past_their_retention_are_purged() {
    let app = spawn_app_with(|c| c.events_retention_days = 1).await;
    app.create_staff("auditor", PASSWORD).await;
    for i in 0..3 {
        app.state
            .sign_up(
                &format!("old{i}"),
                &format!("old{i}@example.com"),
                &secrecy::SecretString::from(PASSWORD.to_owned()),
                false,
                None,
            )
            .await
            .unwrap();
    }
    app.state.clock().advance(2 * 86_400);
    app.state
        .sign_up(
            "new",
            "new@example.com",
            &secrecy::SecretString::from(PASSWORD.to_owned()),
            false,
            None,
        )
        .await
        .unwrap();
    let purged = app.state.purge_events().await.unwrap();
    assert_eq!(purged, 4, "the auditor's and three old sign-ups");
    let left = app
        .state
        .latest_events(&gatehouse::db::events::Filter::default(), 100)
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].details["via"], "sign_up");
}
