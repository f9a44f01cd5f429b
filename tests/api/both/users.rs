//! The list of users: staff only, oldest first, paged with offset and limit.

use super::face::*;
use crate::helpers::*;

fn usernames(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.username.as_str()).collect()
}

/// A staff user `boss` (the first account) and their `Authorization`.
async fn boss<F: Face>(app: &TestApp) -> (String, String) {
    let id = app.create_staff("boss", PASSWORD).await;
    (id, F::logged_in(app, "boss").await.bearer())
}

on_both_faces! {
    #[tokio::test]
    async fn staff_see_every_user_oldest_first<F: Face>() {
        let app = spawn_app().await;
        let (staff_id, auth) = boss::<F>(&app).await;
        let carol = F::signed_up(&app, "carol").await;
        let alice = F::signed_up(&app, "alice").await;
        let bob = F::signed_up(&app, "bob").await;
        let users = F::users(&app, Some(&auth), None, None)
            .await
            .expect("the list");
        assert_eq!(
            usernames(&users),
            ["boss", "carol", "alice", "bob"],
            "oldest first, not by name"
        );
        let ids: Vec<i64> = users
            .iter()
            .map(|u| u.id.parse().expect("a numeric id"))
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascend: {ids:?}");
        let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, [&staff_id, &carol.id, &alice.id, &bob.id]);
    }

    #[tokio::test]
    async fn staff_page_through_users_with_offset_and_limit<F: Face>() {
        let app = spawn_app().await;
        let (_, auth) = boss::<F>(&app).await;
        for name in ["u1", "u2", "u3", "u4"] {
            F::signed_up(&app, name).await;
        }
        let everyone = ["boss", "u1", "u2", "u3", "u4"];
        for (offset, limit, page) in [
            (Some(1), Some(2), &everyone[1..3]),
            (Some(3), Some(2), &everyone[3..5]),
            (None, Some(1), &everyone[..1]),
            (Some(4), None, &everyone[4..]),
            (Some(10), Some(5), &[][..]),
            (Some(0), Some(1000), &everyone[..]),
        ] {
            let users = F::users(&app, Some(&auth), offset, limit)
                .await
                .expect("a page");
            assert_eq!(
                usernames(&users),
                page,
                "offset {offset:?}, limit {limit:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_caller_who_is_not_staff_is_forbidden<F: Face>() {
        let app = spawn_app().await;
        F::signed_up(&app, "alice").await;
        let session = F::logged_in(&app, "alice").await;
        F::users(&app, Some(&jwt(&session.access)), None, None)
            .await
            .refused(Code::Forbidden);
    }

    #[tokio::test]
    async fn listing_users_needs_a_valid_token<F: Face>() {
        let app = spawn_app().await;
        F::users(&app, None, None, None)
            .await
            .refused(Code::Unauthenticated);
        F::users(&app, Some("Bearer garbage"), None, None)
            .await
            .refused(Code::TokenInvalid);
    }

    #[tokio::test]
    async fn a_zero_or_too_large_limit_or_a_negative_offset_is_bad_user_input<F: Face>() {
        let app = spawn_app().await;
        let (_, auth) = boss::<F>(&app).await;
        for (offset, limit, field) in [
            (None, Some(0), Field::Limit),
            (None, Some(-1), Field::Limit),
            (None, Some(1001), Field::Limit),
            (Some(-1), None, Field::Offset),
            (Some(-5), Some(10), Field::Offset),
        ] {
            let refused = F::users(&app, Some(&auth), offset, limit)
                .await
                .refused(Code::BadUserInput);
            assert_eq!(
                refused.field().0,
                field,
                "offset {offset:?}, limit {limit:?}"
            );
        }
    }
}
