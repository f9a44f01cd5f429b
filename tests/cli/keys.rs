//! The `keys` subcommands: list, rotate, retire, generate, reseal, and a
//! supplied signing key.

use super::*;

#[test]
fn keys_list_rotate_and_retire_manage_the_signing_keys() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/g.db", dir.path().display());
    let env = [("DATABASE_URL", url.as_str())];
    let rotate = gatehouse(&["keys", "rotate"], &env, None);
    assert!(rotate.status.success(), "{}", text(&rotate.stderr));
    let first = text(&rotate.stdout)
        .trim()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    assert!(first.starts_with("k4.pid."), "{first}");
    let second = text(&gatehouse(&["keys", "rotate"], &env, None).stdout)
        .trim()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();

    let list = text(&gatehouse(&["keys", "list"], &env, None).stdout);
    assert!(list.contains(&first) && list.contains(&second), "{list}");
    assert!(list.contains("active, signing"), "{list}");
    assert!(!list.contains("k4.secret"), "{list}");

    let retire = gatehouse(&["keys", "retire", &first], &env, None);
    assert!(retire.status.success(), "{}", text(&retire.stderr));
    assert!(text(&gatehouse(&["keys", "list"], &env, None).stdout).contains("retired"));
    let last = gatehouse(&["keys", "retire", &second], &env, None);
    assert_eq!(last.status.code(), Some(1));
    assert!(
        text(&last.stderr).contains("only active key"),
        "{}",
        text(&last.stderr)
    );
}

#[test]
fn keys_generate_prints_a_secret_key_for_the_environment() {
    let out = gatehouse(&["keys", "generate"], &[], None);
    assert!(out.status.success());
    assert!(text(&out.stdout).trim().starts_with("k4.secret."));
}

/// The private keys in the database file, as stored.
fn stored_secret_keys(db: &std::path::Path) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT secret_key FROM signing_keys ORDER BY seq")
        .unwrap();
    let rows = stmt
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    rows
}

/// Issue 19, item 1: `keys reseal` seals the keys stored in the clear (read
/// back from the file), and moves them to a new encryption key given the
/// old one; a sealed database without its encryption key does not start
/// (exit 2, a message naming the setting, no panic).
#[test]
fn keys_reseal_seals_stored_keys_and_a_sealed_database_needs_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let url = format!("sqlite://{}", db.display());
    let first = gatehouse(&["keys", "rotate"], &[("DATABASE_URL", &url)], None);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(stored_secret_keys(&db)[0].len(), 64, "a clear key");

    let refused = gatehouse(&["keys", "reseal"], &[("DATABASE_URL", &url)], None);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));

    let kek = text(&gatehouse(&["keys", "generate-encryption-key"], &[], None).stdout);
    let kek = kek.trim();
    let with_kek = [
        ("DATABASE_URL", url.as_str()),
        ("GATEHOUSE_KEY_ENCRYPTION_KEY", kek),
    ];
    let out = gatehouse(&["keys", "reseal"], &with_kek, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 key(s) sealed"),
        "{}",
        text(&out.stdout)
    );
    let sealed = &stored_secret_keys(&db)[0];
    assert!(sealed.starts_with(b"ghsk\x01"), "{sealed:?}");
    // New keys are sealed too.
    assert!(gatehouse(&["keys", "rotate"], &with_kek, None)
        .status
        .success());
    assert!(stored_secret_keys(&db)
        .iter()
        .all(|k| k.starts_with(b"ghsk\x01")));
    let list = text(&gatehouse(&["keys", "list"], &with_kek, None).stdout);
    assert!(list.matches("sealed:").count() == 2, "{list}");

    // Without the encryption key: no start, and no clear key added.
    for args in [&["serve"][..], &["keys", "rotate"][..]] {
        let out = gatehouse(
            args,
            &[("DATABASE_URL", &url), ("GATEHOUSE_ADDR", "127.0.0.1:0")],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert!(err.contains("GATEHOUSE_KEY_ENCRYPTION_KEY"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(stored_secret_keys(&db).len(), 2);

    // A new encryption key: re-sealed with the old one given.
    let new_kek = text(&gatehouse(&["keys", "generate-encryption-key"], &[], None).stdout);
    let new_kek = new_kek.trim();
    let out = gatehouse(
        &["keys", "reseal"],
        &[
            ("DATABASE_URL", &url),
            ("GATEHOUSE_KEY_ENCRYPTION_KEY", new_kek),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "the old key is needed");
    let out = gatehouse(
        &["keys", "reseal"],
        &[
            ("DATABASE_URL", &url),
            ("GATEHOUSE_KEY_ENCRYPTION_KEY", new_kek),
            ("GATEHOUSE_KEY_ENCRYPTION_KEY_OLD", kek),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("2 key(s) sealed"),
        "{}",
        text(&out.stdout)
    );
    let (mut server, _) = serve_until_listening(
        &[
            ("DATABASE_URL", &url),
            ("GATEHOUSE_KEY_ENCRYPTION_KEY", new_kek),
        ],
        None,
    );
    let _ = server.kill();
    let _ = server.wait();
}

/// Issue 19, item 2: with a supplied signing key, `keys list` shows it as
/// the signer and the stored key as "active, not signing"; the stored key
/// may be retired although it is the only one, `keys retire-stored` retires
/// them all in one step, and `keys rotate` is refused (its key would never
/// sign).
#[test]
fn with_a_supplied_key_the_stored_keys_stop_signing_and_can_all_be_retired() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/g.db", dir.path().display());
    let last_word = |out: &Output| {
        text(&out.stdout)
            .trim()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    let stored = last_word(&gatehouse(
        &["keys", "rotate"],
        &[("DATABASE_URL", &url)],
        None,
    ));
    let secret = text(&gatehouse(&["keys", "generate"], &[], None).stdout);
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("GATEHOUSE_SIGNING_KEY", secret.trim()),
    ];

    let list = text(&gatehouse(&["keys", "list"], &env, None).stdout);
    let line = |kid: &str| {
        list.lines()
            .find(|l| l.contains(kid))
            .unwrap_or_else(|| panic!("{kid} not in\n{list}"))
            .to_owned()
    };
    assert!(line(&stored).ends_with("active, not signing"), "{list}");
    let supplied = list
        .lines()
        .find(|l| l.ends_with("supplied, signing"))
        .unwrap_or_else(|| panic!("no supplied key in\n{list}"));
    assert!(supplied.contains("k4.pid."), "{list}");
    assert!(!list.contains("k4.secret"), "{list}");

    let rotate = gatehouse(&["keys", "rotate"], &env, None);
    assert_eq!(rotate.status.code(), Some(1));
    assert!(
        text(&rotate.stderr).contains("supplied"),
        "{}",
        text(&rotate.stderr)
    );

    let retire = gatehouse(&["keys", "retire", &stored], &env, None);
    assert!(retire.status.success(), "{}", text(&retire.stderr));

    // Two more stored keys (made without the supplied key), then all at once.
    let more = [
        last_word(&gatehouse(
            &["keys", "rotate"],
            &[("DATABASE_URL", &url)],
            None,
        )),
        last_word(&gatehouse(
            &["keys", "rotate"],
            &[("DATABASE_URL", &url)],
            None,
        )),
    ];
    let refused = gatehouse(&["keys", "retire-stored"], &[("DATABASE_URL", &url)], None);
    assert_eq!(refused.status.code(), Some(2));
    let out = gatehouse(&["keys", "retire-stored"], &env, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for kid in &more {
        assert!(
            text(&out.stdout).contains(&format!("retired {kid}")),
            "{}",
            text(&out.stdout)
        );
    }
    let list = text(&gatehouse(&["keys", "list"], &env, None).stdout);
    assert_eq!(list.matches("retired").count(), 3, "{list}");
    assert!(!list.contains("active"), "{list}");
}
