use super::*;
use crate::db::sessions::{self, NewSession};

/// No reuse tolerated: a used token is never rotated again.
const STRICT: i64 = i64::MAX;

async fn sqlite() -> (tempfile::TempDir, Db, i64) {
    crate::db::scratch_with_user().await
}

/// Starts session `id` with a first token `hash`.
async fn start(db: &Db, user_id: i64, id: &str, hash: &[u8]) -> bool {
    sessions::start(
        db,
        &NewSession {
            events: &[],
            id,
            user_id,
            now: 100,
            expires_at: 1_000,
            user_agent: "",
            ip_address: "",
            token_hash: hash,
            amr: "pwd",
            token_version: 0,
        },
    )
    .await
    .unwrap()
}

/// A login decided before the user's sessions were ended stores nothing.
#[tokio::test]
async fn a_session_for_an_ended_version_is_not_stored() {
    let (_dir, db, user) = sqlite().await;
    crate::db::users::end_sessions(&db, user, 50, None, None, &Default::default())
        .await
        .unwrap();
    assert!(!start(&db, user, "fam", b"late").await);
    assert!(by_hash(&db, b"late").await.unwrap().is_none());
    assert!(sessions::list(&db, user, 0).await.unwrap().is_empty());
    let stored = sessions::start(
        &db,
        &NewSession {
            events: &[],
            id: "fam",
            user_id: user,
            now: 100,
            expires_at: 1_000,
            user_agent: "",
            ip_address: "",
            token_hash: b"now",
            amr: "pwd",
            token_version: 1,
        },
    )
    .await
    .unwrap();
    assert!(stored);
}

/// The one-script rotation on SQLite: claims a live token once, stores
/// the successor in its family, touches the session, stores nothing
/// otherwise, and leaves no transaction open behind it.
#[tokio::test]
async fn rotation_claims_once_and_stores_the_successor_in_the_family() {
    let (_dir, db, user) = sqlite().await;
    assert!(start(&db, user, "fam", b"old").await);

    let row = rotate(&db, b"old", 200, b"new", 2_000, STRICT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.family_id.as_str(), row.user_id), ("fam", user));
    assert_eq!(row.token_version, 0);
    assert_eq!(
        by_hash(&db, b"old").await.unwrap().unwrap().used_at,
        Some(200)
    );
    let new = by_hash(&db, b"new").await.unwrap().unwrap();
    assert_eq!((new.family_id.as_str(), new.expires_at), ("fam", 2_000));
    assert_eq!(new.used_at, None);
    let listed = sessions::list(&db, user, 1_500).await.unwrap();
    assert_eq!(
        listed.len(),
        1,
        "the session now lasts as long as its newest token"
    );
    assert_eq!((listed[0].created_at, listed[0].last_used_at), (100, 200));

    // Used, unknown, expired, ended: nothing claimed, nothing stored.
    for (hash, now) in [(&b"old"[..], 201), (b"nope", 201), (b"new", 2_000)] {
        assert!(rotate(&db, hash, now, b"again", 3_000, STRICT)
            .await
            .unwrap()
            .is_none());
    }
    assert!(sessions::end(&db, "fam", None, 300, &[]).await.unwrap());
    assert!(rotate(&db, b"new", 301, b"again", 3_000, STRICT)
        .await
        .unwrap()
        .is_none());
    assert!(by_hash(&db, b"again").await.unwrap().is_none());
    assert_eq!(
        by_hash(&db, b"new").await.unwrap().unwrap().revoked_at,
        Some(300)
    );

    // A reuse in the same second as the claim is still a reuse.
    assert!(start(&db, user, "fam2", b"t1").await);
    assert!(rotate(&db, b"t1", 400, b"t2", 2_000, STRICT)
        .await
        .unwrap()
        .is_some());
    assert!(rotate(&db, b"t1", 400, b"t3", 2_000, STRICT)
        .await
        .unwrap()
        .is_none());
    assert!(by_hash(&db, b"t3").await.unwrap().is_none());

    // No transaction left open: a write after the rotations is committed
    // and visible to another connection.
    assert!(start(&db, user, "fam3", b"later").await);
    let Db::Sqlite(pools) = &db else {
        unreachable!()
    };
    let seen: i64 = pools
        .direct
        .run(|c| {
            c.query_row(
                "SELECT count(*) FROM refresh_tokens WHERE token_hash = x'6c61746572'",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(seen, 1);
}

/// Within the reuse interval a used token is rotated again (its first use's
/// time kept, so the interval does not slide); after it, never.
#[tokio::test]
async fn a_used_token_rotates_again_only_within_the_reuse_interval() {
    let (_dir, db, user) = sqlite().await;
    assert!(start(&db, user, "fam", b"t1").await);
    assert!(rotate(&db, b"t1", 200, b"t2", 2_000, 190)
        .await
        .unwrap()
        .is_some());
    // Used at 200; tolerated while the use is at or after `reuse_after`.
    assert!(rotate(&db, b"t1", 205, b"t3", 2_000, 200)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        by_hash(&db, b"t1").await.unwrap().unwrap().used_at,
        Some(200)
    );
    assert!(rotate(&db, b"t1", 210, b"t4", 2_000, 201)
        .await
        .unwrap()
        .is_none());
    for hash in [&b"t2"[..], b"t3"] {
        let row = by_hash(&db, hash).await.unwrap().unwrap();
        assert_eq!((row.family_id.as_str(), row.used_at), ("fam", None));
    }
    assert!(by_hash(&db, b"t4").await.unwrap().is_none());
}

/// A script that fails after its UPDATE (here the successor's hash is
/// taken, a unique violation) leaves nothing behind: the claim is rolled
/// back, the token can still be rotated, and later writes commit.
#[tokio::test]
async fn a_rotation_that_fails_part_way_changes_nothing() {
    let (_dir, db, user) = sqlite().await;
    assert!(start(&db, user, "fam", b"old").await);
    assert!(start(&db, user, "fam2", b"taken").await);

    assert!(rotate(&db, b"old", 200, b"taken", 2_000, STRICT)
        .await
        .is_err());
    let old = by_hash(&db, b"old").await.unwrap().unwrap();
    assert_eq!(old.used_at, None, "the failed claim must be rolled back");

    assert!(rotate(&db, b"old", 201, b"fresh", 2_000, STRICT)
        .await
        .unwrap()
        .is_some());
    let old = by_hash(&db, b"old").await.unwrap().unwrap();
    assert_eq!(old.used_at, Some(201));
    let Db::Sqlite(pools) = &db else {
        unreachable!()
    };
    let fresh: i64 = pools
        .direct
        .run(|c| {
            c.query_row(
                "SELECT count(*) FROM refresh_tokens WHERE token_hash = x'6672657368'",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(fresh, 1, "a rotation after the failure must commit");
}

/// Many concurrent rotations of one token: exactly one wins.
#[tokio::test]
async fn concurrent_rotations_of_one_token_yield_one_successor() {
    let (_dir, db, user) = sqlite().await;
    assert!(start(&db, user, "fam", b"old").await);
    let tasks: Vec<_> = (0..16u8)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move { rotate(&db, b"old", 200, &[b'n', i], 2_000, STRICT).await })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        if t.await.unwrap().unwrap().is_some() {
            won += 1;
        }
    }
    assert_eq!(won, 1);
}

/// Rotations asked at once share transactions (group commit) and each gets
/// its own answer: every live token rotates once into its own family, a
/// token presented twice in a batch rotates once (strict), an unknown one
/// gets none, and everything is committed when the answers come.
#[tokio::test]
async fn rotations_asked_at_once_each_get_their_own_answer() {
    let (_dir, db, user) = sqlite().await;
    const N: usize = 150;
    for i in 0..N {
        assert!(start(&db, user, &format!("fam{i}"), format!("old{i}").as_bytes()).await);
    }
    let mut asked = Vec::new();
    for i in 0..N {
        let first = db.clone();
        asked.push(tokio::spawn(async move {
            rotate(
                &first,
                format!("old{i}").as_bytes(),
                200,
                format!("new{i}").as_bytes(),
                2_000,
                STRICT,
            )
            .await
        }));
        // The same token again, asked right behind it, and a stranger.
        let again = db.clone();
        asked.push(tokio::spawn(async move {
            rotate(
                &again,
                format!("old{i}").as_bytes(),
                200,
                format!("dup{i}").as_bytes(),
                2_000,
                STRICT,
            )
            .await
        }));
        let stranger = db.clone();
        asked.push(tokio::spawn(async move {
            rotate(
                &stranger,
                format!("nobody{i}").as_bytes(),
                200,
                format!("x{i}").as_bytes(),
                2_000,
                STRICT,
            )
            .await
        }));
    }
    let mut answers = Vec::new();
    for a in asked {
        answers.push(a.await.unwrap().unwrap());
    }
    for i in 0..N {
        let (first, second, stranger) = (&answers[3 * i], &answers[3 * i + 1], &answers[3 * i + 2]);
        // Whichever of the two presentations came first won; the other lost.
        let won: Vec<_> = [first, second].into_iter().flatten().collect();
        assert_eq!(won.len(), 1, "token {i}: {first:?} {second:?}");
        assert_eq!(won[0].family_id, format!("fam{i}"));
        assert_eq!(won[0].user_id, user);
        assert!(stranger.is_none());
        let new = by_hash(&db, format!("new{i}").as_bytes()).await.unwrap();
        let dup = by_hash(&db, format!("dup{i}").as_bytes()).await.unwrap();
        assert_eq!(
            new.is_some() as u8 + dup.is_some() as u8,
            1,
            "token {i}: one successor"
        );
    }
    // Exactly one successor per family, all committed.
    let Db::Sqlite(pools) = &db else {
        unreachable!()
    };
    let (tokens, families): (i64, i64) = pools
        .direct
        .run(|c| {
            c.query_row(
                "SELECT count(*), count(DISTINCT family_id) FROM refresh_tokens \
                 WHERE issued_at = 200",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .unwrap();
    assert_eq!((tokens, families), (N as i64, N as i64));
}

/// The purge deletes expired tokens a batch at a time, never a live one.
#[tokio::test]
async fn expired_tokens_are_purged_a_batch_at_a_time() {
    let (_dir, db, user) = sqlite().await;
    // 25 sessions whose tokens expire at 1000, one that lives on.
    for i in 0..25 {
        assert!(start(&db, user, &format!("old{i}"), format!("t{i}").as_bytes()).await);
    }
    assert!(rotate(&db, b"t0", 200, b"t0-next", 5_000, STRICT)
        .await
        .unwrap()
        .is_some());
    let mut deleted = Vec::new();
    loop {
        let n = purge_expired(&db, 2_000, 10).await.unwrap();
        deleted.push(n);
        if n < 10 {
            break;
        }
    }
    assert_eq!(deleted, [10, 10, 5]);
    assert!(by_hash(&db, b"t0-next").await.unwrap().is_some());
    assert!(by_hash(&db, b"t1").await.unwrap().is_none());
}
