use super::*;
use crate::db::outbox::{self, NewMail};
use crate::db::users::{self, NewUser, ProfileChange};

async fn alice(db: &Db) -> User {
    users::insert(
        db,
        &NewUser {
            username: "alice",
            email: "alice@example.com",
            first_name: "",
            last_name: "",
            password_hash: "x",
            is_staff: false,
            is_superuser: false,
            email_verified: false,
            now: 100,
        },
        &Effects::default(),
    )
    .await
    .unwrap()
}

fn mail(to: &str) -> NewMail {
    NewMail {
        kind: "verify_email",
        recipient: to.into(),
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
    }
}

async fn issue_one(db: &Db, user: i64, hash: &[u8], purpose: Purpose, email: &str, now: i64) {
    let mails = [mail(email)];
    let effects = Effects {
        events: &[],
        token: Some(NewToken {
            hash,
            purpose,
            email,
            expires_at: now + 60,
        }),
        mails: &mails,
    };
    issue(db, user, None, &effects, now).await.unwrap();
}

#[tokio::test]
async fn a_token_is_used_once_and_its_change_and_mail_commit_with_it() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let u = alice(&db).await;
    issue_one(&db, u.id, b"h1", Purpose::Verify, "alice@example.com", 100).await;
    let row = find(&db, b"h1").await.unwrap().unwrap();
    assert_eq!((row.purpose.as_str(), row.user_id), ("verify", u.id));
    let notice = [mail("alice@example.com")];
    let user = consume(
        &db,
        &row,
        Use::Verify,
        &row.email,
        &Effects {
            mails: &notice,
            ..Default::default()
        },
        110,
    )
    .await
    .unwrap();
    assert!(user.email_verified);
    // The issue's mail and the notice are in the outbox.
    assert_eq!(outbox::records(&db).await.unwrap().len(), 2);
    let again = consume(
        &db,
        &row,
        Use::Verify,
        &row.email,
        &Effects {
            mails: &notice,
            ..Default::default()
        },
        111,
    )
    .await;
    assert!(matches!(again, Err(Error::TokenInvalid(_))), "{again:?}");
    assert_eq!(
        outbox::records(&db).await.unwrap().len(),
        2,
        "no second notice"
    );
}

#[tokio::test]
async fn of_many_racing_uses_of_one_token_exactly_one_wins() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let u = alice(&db).await;
    issue_one(&db, u.id, b"h1", Purpose::Reset, "alice@example.com", 100).await;
    let row = std::sync::Arc::new(find(&db, b"h1").await.unwrap().unwrap());
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (db, row) = (db.clone(), row.clone());
        tasks.push(tokio::spawn(async move {
            let what = Use::Reset {
                password_hash: "new",
            };
            consume(&db, &row, what, &row.email, &Effects::default(), 110)
                .await
                .is_ok()
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
    let stored = users::stored_by_id(&db, u.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, "new");
    assert_eq!(
        stored.user.token_version,
        u.token_version + 1,
        "sessions ended once"
    );
}

#[tokio::test]
async fn an_expired_superseded_or_moved_token_changes_nothing() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let u = alice(&db).await;
    issue_one(&db, u.id, b"old", Purpose::Verify, "alice@example.com", 100).await;
    issue_one(&db, u.id, b"new", Purpose::Verify, "alice@example.com", 101).await;
    let old = find(&db, b"old").await.unwrap().unwrap();
    assert!(
        old.superseded_at.is_some(),
        "a newer link replaces the older"
    );
    assert!(
        consume(&db, &old, Use::Verify, &old.email, &Effects::default(), 102)
            .await
            .is_err()
    );
    let new = find(&db, b"new").await.unwrap().unwrap();
    assert!(
        consume(&db, &new, Use::Verify, &new.email, &Effects::default(), 161)
            .await
            .is_err(),
        "expired at 161"
    );
    // The address changed since the link went out: it no longer verifies.
    issue_one(
        &db,
        u.id,
        b"third",
        Purpose::Verify,
        "alice@example.com",
        102,
    )
    .await;
    let change = ProfileChange {
        email: Some("alice@other.example"),
        ..ProfileChange::default()
    };
    users::update_profile(&db, u.id, 0, None, &change, true, &Effects::default(), 103)
        .await
        .unwrap();
    let third = find(&db, b"third").await.unwrap().unwrap();
    let moved = consume(
        &db,
        &third,
        Use::Verify,
        &third.email,
        &Effects::default(),
        104,
    )
    .await;
    assert!(matches!(moved, Err(Error::TokenInvalid(_))), "{moved:?}");
    let user = users::by_id(&db, u.id).await.unwrap().unwrap();
    assert!(!user.email_verified);
    // And the failed use left the token unused (the transaction rolled back).
    assert!(find(&db, b"third")
        .await
        .unwrap()
        .unwrap()
        .used_at
        .is_none());
}

#[tokio::test]
async fn an_email_change_to_an_address_taken_since_is_a_conflict() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let u = alice(&db).await;
    issue_one(
        &db,
        u.id,
        b"c",
        Purpose::EmailChange,
        "new@example.com",
        100,
    )
    .await;
    let row = find(&db, b"c").await.unwrap().unwrap();
    users::insert(
        &db,
        &NewUser {
            username: "bob",
            email: "NEW@example.com",
            first_name: "",
            last_name: "",
            password_hash: "x",
            is_staff: false,
            is_superuser: false,
            email_verified: false,
            now: 100,
        },
        &Effects::default(),
    )
    .await
    .unwrap();
    let taken = consume(
        &db,
        &row,
        Use::EmailChange,
        "alice@example.com",
        &Effects::default(),
        101,
    )
    .await;
    assert!(matches!(taken, Err(Error::Conflict { .. })), "{taken:?}");
    let user = users::by_id(&db, u.id).await.unwrap().unwrap();
    assert_eq!(user.email, "alice@example.com");
    assert!(find(&db, b"c").await.unwrap().unwrap().used_at.is_none());
}

/// A link asked for by a caller whose sessions ended meanwhile (a logout
/// or password change committed between the check of its token and the
/// write) is not stored; a profile change likewise.
#[tokio::test]
async fn nothing_is_written_for_a_session_that_has_ended() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let u = alice(&db).await;
    users::end_sessions(&db, u.id, 100, None, None, &Effects::default())
        .await
        .unwrap();
    let mails = [mail("new@example.com")];
    let effects = Effects {
        events: &[],
        token: Some(NewToken {
            hash: b"stale",
            purpose: Purpose::EmailChange,
            email: "new@example.com",
            expires_at: 200,
        }),
        mails: &mails,
    };
    let stale = issue(&db, u.id, Some(u.token_version), &effects, 101).await;
    assert!(matches!(stale, Err(Error::TokenInvalid(_))), "{stale:?}");
    assert!(find(&db, b"stale").await.unwrap().is_none());
    assert!(outbox::records(&db).await.unwrap().is_empty());
    issue(&db, u.id, Some(u.token_version + 1), &effects, 101)
        .await
        .unwrap();
    assert!(find(&db, b"stale").await.unwrap().is_some());

    let change = ProfileChange {
        first_name: Some("Eve"),
        ..ProfileChange::default()
    };
    let stale = users::update_profile(
        &db,
        u.id,
        u.token_version,
        None,
        &change,
        false,
        &Effects::default(),
        102,
    )
    .await;
    assert!(matches!(stale, Err(Error::TokenInvalid(_))), "{stale:?}");
    let user = users::by_id(&db, u.id).await.unwrap().unwrap();
    assert_eq!(user.first_name, "");
}

/// An address changed directly makes every unused link of the account
/// stale (an email-change link asked for before would move it again).
#[tokio::test]
async fn a_direct_address_change_makes_older_links_stale() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let u = alice(&db).await;
    issue_one(
        &db,
        u.id,
        b"move",
        Purpose::EmailChange,
        "n2@example.com",
        100,
    )
    .await;
    let change = ProfileChange {
        email: Some("drf@example.com"),
        ..ProfileChange::default()
    };
    users::update_profile(
        &db,
        u.id,
        u.token_version,
        None,
        &change,
        true,
        &Effects::default(),
        101,
    )
    .await
    .unwrap();
    assert!(find(&db, b"move")
        .await
        .unwrap()
        .unwrap()
        .superseded_at
        .is_some());
}
