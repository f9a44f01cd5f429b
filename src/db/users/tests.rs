//! Tests of the `users` table: keys, clashes, rekeying, and the direct
//! (calling-thread) reads matching sqlx's.

use super::*;
use crate::error::{Error, Field};

#[test]
fn keys_fold_case_width_and_compatibility_forms_but_not_scripts() {
    assert_eq!(key(" Admin "), "admin");
    assert_eq!(key("ＡＤＭＩＮ"), "admin");
    assert_eq!(key("ａｄｍｉｎ@ｅｘａｍｐｌｅ.com"), "admin@example.com");
    assert_eq!(key("ﬁle"), "file");
    assert_eq!(key("Straße"), "straße");
    assert_ne!(key("\u{430}dmin"), key("admin"));
    assert_eq!(key("Bob@XN--BCHER-KVA.de"), key("bob@bücher.de"));
    assert_eq!(key("xn--nothing"), "xn--nothing");
    // Greek final sigma, however it was typed, is one letter.
    for same in ["οδοσ", "ΟΔΟσ", "Οδοσ", "οδος"] {
        assert_eq!(key(same), key("ΟΔΟΣ"), "{same}");
    }
}

/// The rule "a username is nobody's email and the other way round" is
/// the database's (`login_keys`), not only a SELECT before the write: a
/// write that skipped or raced the SELECT is refused too.
#[tokio::test]
async fn a_name_that_is_another_users_login_of_the_other_kind_is_refused_by_the_database() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let user = |username: &'static str, email: &'static str| NewUser {
        first_name: "",
        last_name: "",
        username,
        email,
        password_hash: "x",
        is_staff: false,
        is_superuser: false,
        email_verified: false,
        now: 0,
    };
    let a = insert(&db, &user("alice", "x@y.z"), &Default::default())
        .await
        .unwrap();
    let clash = insert(&db, &user("X@Y.Z", "other@y.z"), &Default::default()).await;
    assert!(
        matches!(
            clash,
            Err(Error::Conflict {
                field: Field::Username
            })
        ),
        "{clash:?}"
    );
    let clash = insert(&db, &user("bob", "ALICE"), &Default::default()).await;
    assert!(
        matches!(
            clash,
            Err(Error::Conflict {
                field: Field::Email
            })
        ),
        "{clash:?}"
    );
    // One's own username as one's email is fine.
    let c = insert(&db, &user("c@y.z", "c@y.z"), &Default::default())
        .await
        .unwrap();
    let change = |email| ProfileChange {
        email: Some(email),
        first_name: None,
        last_name: None,
    };
    let clash = update_profile(
        &db,
        c.id,
        0,
        None,
        &change("alice"),
        true,
        &Default::default(),
        0,
    )
    .await;
    assert!(
        matches!(
            clash,
            Err(Error::Conflict {
                field: Field::Email
            })
        ),
        "{clash:?}"
    );
    // A's old email is free once A changes it, and not before.
    assert!(update_profile(
        &db,
        c.id,
        0,
        None,
        &change("X@y.z"),
        true,
        &Default::default(),
        0
    )
    .await
    .is_err());
    update_profile(
        &db,
        a.id,
        0,
        None,
        &change("new@y.z"),
        true,
        &Default::default(),
        0,
    )
    .await
    .unwrap();
    update_profile(
        &db,
        c.id,
        0,
        None,
        &change("X@y.z"),
        true,
        &Default::default(),
        0,
    )
    .await
    .unwrap();
    let imported = ImportedUser {
        username: "new@y.z",
        email: "",
        password_hash: "x",
        first_name: "",
        last_name: "",
        is_active: true,
        is_staff: false,
        is_superuser: false,
        date_joined: 0,
        last_login: None,
    };
    assert_eq!(insert_imported(&db, &imported).await.unwrap(), None);
}

#[tokio::test]
async fn rekey_brings_old_keys_up_to_nfkc_and_leaves_clashes_alone() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let Db::Sqlite(pools) = &db else {
        unreachable!()
    };
    for (name, old_key) in [
        ("ｂｏｂ", "ｂｏｂ"),
        ("ａｌｉｃｅ", "ａｌｉｃｅ"),
        ("alice", "alice"),
    ] {
        sqlx::query(
            "INSERT INTO users (username, username_key, password_hash, date_joined) \
             VALUES ($1, $2, 'x', 0)",
        )
        .bind(name)
        .bind(old_key)
        .execute(&pools.write)
        .await
        .unwrap();
    }
    rekey(&db).await.unwrap();
    assert_eq!(
        by_login(&db, "BOB").await.unwrap().unwrap().user.username,
        "ｂｏｂ"
    );
    // Fullwidth alice would clash with alice: left as it was.
    assert_eq!(
        by_login(&db, "alice").await.unwrap().unwrap().user.username,
        "alice"
    );
    let left: String =
        sqlx::query_scalar("SELECT username_key FROM users WHERE username = 'ａｌｉｃｅ'")
            .fetch_one(&pools.write)
            .await
            .unwrap();
    assert_eq!(left, "ａｌｉｃｅ");
}

fn same(a: &User, b: &User) -> bool {
    (
        a.id,
        &a.username,
        &a.email,
        &a.first_name,
        &a.last_name,
        a.is_active,
        a.is_staff,
        a.is_superuser,
        a.date_joined,
        a.last_login,
        a.token_version,
    ) == (
        b.id,
        &b.username,
        &b.email,
        &b.first_name,
        &b.last_name,
        b.is_active,
        b.is_staff,
        b.is_superuser,
        b.date_joined,
        b.last_login,
        b.token_version,
    )
}

/// The hot lookup runs on the calling thread on SQLite (`db::direct`):
/// it must decode the row exactly as sqlx does and see every write
/// acknowledged before it, or a revoked token or a deactivated user
/// would get through.
#[tokio::test]
async fn the_direct_lookup_matches_sqlx_and_sees_every_write() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let kid = "k4.pid.test";
    crate::db::keys::insert_generation(&db, 1, kid, b"secret", b"public", 1, &[])
        .await
        .unwrap();
    let u = insert(
        &db,
        &NewUser {
            first_name: "",
            last_name: "",
            username: "Alice",
            email: "alice@example.com",
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            is_staff: true,
            is_superuser: false,
            email_verified: true,
            now: 1_800_000_000,
        },
        &Default::default(),
    )
    .await
    .unwrap();
    record_login(&db, u.id, 1_800_000_100, None).await.unwrap();

    crate::db::sessions::start(
        &db,
        &crate::db::sessions::NewSession {
            events: &[],
            id: "s1",
            user_id: u.id,
            now: 1_800_000_100,
            expires_at: 1_900_000_000,
            user_agent: "",
            ip_address: "",
            token_hash: b"h1",
            amr: "pwd",
            token_version: u.token_version,
        },
    )
    .await
    .unwrap();
    let got = by_id_with_key(&db, u.id, kid, Some("s1"))
        .await
        .unwrap()
        .unwrap();
    let direct = got.user;
    let through_sqlx = by_id(&db, u.id).await.unwrap().unwrap();
    assert!(
        same(&direct, &through_sqlx),
        "{direct:?} != {through_sqlx:?}"
    );
    assert_eq!(direct.last_login, Some(1_800_000_100));
    assert!(got.key_active);
    assert!(got.session_live);
    for other in [None, Some("s2")] {
        let got = by_id_with_key(&db, u.id, kid, other)
            .await
            .unwrap()
            .unwrap();
        assert!(!got.session_live, "{other:?}");
    }

    end_sessions(&db, u.id, 1_800_000_150, None, None, &Default::default())
        .await
        .unwrap();
    set_active(&db, u.id, false).await.unwrap();
    let after = by_id_with_key(&db, u.id, kid, Some("s1"))
        .await
        .unwrap()
        .unwrap();
    assert!(!after.user.is_active);
    assert_eq!(after.user.token_version, direct.token_version + 1);
    assert!(!after.session_live, "an ended session must be seen at once");

    crate::db::keys::retire(&db, kid, 1_800_000_200, &[])
        .await
        .unwrap();
    let got = by_id_with_key(&db, u.id, kid, None).await.unwrap().unwrap();
    assert!(!got.key_active, "a retired key must be seen at once");
    let other = by_id_with_key(&db, u.id, "k4.pid.unknown", None)
        .await
        .unwrap()
        .unwrap();
    assert!(!other.key_active);
    assert!(by_id_with_key(&db, u.id + 1, kid, None)
        .await
        .unwrap()
        .is_none());
}
