use super::*;
use crate::db::refresh_tokens;

async fn sqlite() -> (tempfile::TempDir, Db, i64) {
    crate::db::scratch_with_user().await
}

async fn login(db: &Db, user_id: i64, id: &str, now: i64) {
    let hash = refresh::hash(id);
    assert!(start(
        db,
        &NewSession {
            events: &[],
            id,
            user_id,
            now,
            expires_at: now + 1_000,
            user_agent: "agent",
            ip_address: "203.0.113.7",
            token_hash: &hash,
            amr: "pwd",
            token_version: 0,
        },
    )
    .await
    .unwrap());
}

use crate::auth::refresh;

fn ids(rows: &[SessionRow]) -> Vec<&str> {
    rows.iter().map(|r| r.id.as_str()).collect()
}

/// Listed: live and unexpired only, the most recently used first.
#[tokio::test]
async fn sessions_are_listed_live_and_most_recent_first() {
    let (_dir, db, user) = sqlite().await;
    login(&db, user, "a", 100).await;
    login(&db, user, "b", 200).await;
    login(&db, user, "c", 300).await;
    assert!(touch(&db, "a", 400).await.unwrap());
    let listed = list(&db, user, 500).await.unwrap();
    assert_eq!(ids(&listed), ["a", "c", "b"]);
    assert_eq!(
        (listed[0].user_agent.as_str(), listed[0].ip_address.as_str()),
        ("agent", "203.0.113.7")
    );
    // "a" expires at 1 100 (touching does not extend it): gone after.
    assert_eq!(ids(&list(&db, user, 1_150).await.unwrap()), ["c", "b"]);
    assert!(end(&db, "c", Some(user), 600, &[]).await.unwrap());
    assert_eq!(ids(&list(&db, user, 700).await.unwrap()), ["a", "b"]);
    assert!(
        !touch(&db, "c", 700).await.unwrap(),
        "an ended session is not touched"
    );
}

/// Ending a session revokes its tokens; only its owner's end counts, and
/// an ended one does not end twice.
#[tokio::test]
async fn ending_a_session_revokes_its_tokens_and_needs_its_owner() {
    let (_dir, db, user) = sqlite().await;
    login(&db, user, "a", 100).await;
    assert!(!end(&db, "a", Some(user + 1), 200, &[]).await.unwrap());
    assert!(is_live(&db, "a", user).await.unwrap());
    assert!(!is_live(&db, "a", user + 1).await.unwrap());
    let token = refresh_tokens::by_hash(&db, &refresh::hash("a"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.revoked_at, None, "another user's end revokes nothing");

    assert!(end(&db, "a", Some(user), 300, &[]).await.unwrap());
    assert!(!end(&db, "a", Some(user), 301, &[]).await.unwrap());
    assert!(!is_live(&db, "a", user).await.unwrap());
    let token = refresh_tokens::by_hash(&db, &refresh::hash("a"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.revoked_at, Some(300));
}

/// Ending the others keeps the one named, with its tokens.
#[tokio::test]
async fn ending_the_others_keeps_the_current_one() {
    let (_dir, db, user) = sqlite().await;
    for id in ["a", "b", "c"] {
        login(&db, user, id, 100).await;
    }
    assert_eq!(end_others(&db, user, "b", 200, &[]).await.unwrap(), 2);
    assert_eq!(ids(&list(&db, user, 300).await.unwrap()), ["b"]);
    for (id, revoked) in [("a", Some(200)), ("b", None), ("c", Some(200))] {
        let token = refresh_tokens::by_hash(&db, &refresh::hash(id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(token.revoked_at, revoked, "{id}");
    }
    assert_eq!(end_others(&db, user, "b", 300, &[]).await.unwrap(), 0);
}

/// Ending every session but one (a password change) keeps that one going,
/// and it resumes with a new token at the new version; an ended session or
/// an old version resumes nothing.
#[tokio::test]
async fn a_password_change_keeps_the_callers_session() {
    let (_dir, db, user) = sqlite().await;
    login(&db, user, "a", 100).await;
    login(&db, user, "b", 100).await;
    let u =
        crate::db::users::end_sessions(&db, user, 200, Some("new"), Some("a"), &Default::default())
            .await
            .unwrap();
    assert_eq!(ids(&list(&db, user, 300).await.unwrap()), ["a"]);
    assert!(
        !resume(&db, "a", user, u.token_version - 1, b"stale", 210, 2_000)
            .await
            .unwrap()
    );
    assert!(
        !resume(&db, "b", user, u.token_version, b"ended", 210, 2_000)
            .await
            .unwrap()
    );
    assert!(
        resume(&db, "a", user, u.token_version, b"fresh", 210, 2_000)
            .await
            .unwrap()
    );
    let fresh = refresh_tokens::by_hash(&db, b"fresh")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((fresh.family_id.as_str(), fresh.revoked_at), ("a", None));
    assert!(refresh_tokens::by_hash(&db, b"stale")
        .await
        .unwrap()
        .is_none());
    assert!(refresh_tokens::by_hash(&db, b"ended")
        .await
        .unwrap()
        .is_none());
    let listed = list(&db, user, 1_500).await.unwrap();
    assert_eq!((listed[0].last_used_at, ids(&listed)), (210, vec!["a"]));

    crate::db::users::end_sessions(&db, user, 300, None, None, &Default::default())
        .await
        .unwrap();
    assert!(list(&db, user, 400).await.unwrap().is_empty());
}

/// Purged: sessions expired or ended before the cut-off; nothing else.
#[tokio::test]
async fn ended_and_expired_sessions_are_purged() {
    let (_dir, db, user) = sqlite().await;
    login(&db, user, "old", 100).await; // expires 1 100
    login(&db, user, "ended", 2_000).await;
    login(&db, user, "live", 2_000).await;
    end(&db, "ended", None, 2_100, &[]).await.unwrap();
    assert_eq!(purge(&db, 2_200, 1000).await.unwrap(), 2);
    assert!(is_live(&db, "live", user).await.unwrap());
    assert_eq!(purge(&db, 2_200, 1000).await.unwrap(), 0);
}

/// Once the second factor is on, a login by the password alone starts no
/// session (one that checked the password just before loses the race);
/// one with a code does.
#[tokio::test]
async fn a_password_only_session_does_not_start_once_the_second_factor_is_on() {
    let (_dir, db, user) = sqlite().await;
    with_pool!(&db, write, |p| sqlx::query(
        "UPDATE users SET mfa_enabled = TRUE WHERE id = $1"
    )
    .bind(user)
    .execute(p)
    .await
    .map(drop))
    .unwrap();
    let session = |id: &'static str, amr: &'static str| NewSession {
        events: &[],
        id,
        user_id: user,
        now: 100,
        expires_at: 1_100,
        user_agent: "",
        ip_address: "",
        token_hash: id.as_bytes(),
        amr,
        token_version: 0,
    };
    assert!(!start(&db, &session("pwd-only", "pwd")).await.unwrap());
    assert!(start(&db, &session("with-otp", "pwd otp")).await.unwrap());
    assert!(start(&db, &session("with-recovery", "pwd recovery"))
        .await
        .unwrap());
    assert_eq!(ids(&list(&db, user, 200).await.unwrap()).len(), 2);
}
