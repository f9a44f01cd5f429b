//! Tests of the signing keys: starting on an empty database, reloading,
//! sealing and opening, rotating, retiring and re-sealing.

use std::time::Instant;

use super::ring::MIN_RELOAD_GAP;
use super::*;
use crate::db;
use crate::service::events::Recorder;

fn kek() -> EncryptionKey {
    EncryptionKey::parse(&EncryptionKey::generate().unwrap()).unwrap()
}

fn kek_text() -> (String, EncryptionKey) {
    let text = EncryptionKey::generate().unwrap();
    let key = EncryptionKey::parse(&text).unwrap();
    (text, key)
}

/// Processes (here: tasks) starting together on an empty database, some
/// of them reading the table only after another has inserted its key,
/// must end up with exactly one key, all signing with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn starts_at_once_on_an_empty_database_make_exactly_one_key() {
    for _ in 0..10 {
        let (_dir, db) = crate::db::scratch_sqlite().await;
        let starts: Vec<_> = (0..8)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move { KeyRing::load(&db, None).await.unwrap() })
            })
            .collect();
        let mut signing = Vec::new();
        for s in starts {
            signing.push(s.await.unwrap().signing().kid.clone());
        }
        assert_eq!(db::keys::all(&db).await.unwrap().len(), 1);
        assert!(signing.windows(2).all(|w| w[0] == w[1]), "{signing:?}");
    }
}

/// Anonymous callers of `/.well-known/paseto-keys` share one re-read
/// per gap: a burst of them is not a burst of queries.
#[tokio::test]
async fn reloads_on_request_are_at_most_one_per_gap() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let ring = KeyRing::load(&db, None).await.unwrap();
    *ring.last_reload.lock().unwrap() = Instant::now() - MIN_RELOAD_GAP;
    assert!(ring.reload_if_due().await.unwrap());
    for _ in 0..100 {
        assert!(!ring.reload_if_due().await.unwrap());
    }
}

/// With every key retired, a start adds the next generation, once.
#[tokio::test]
async fn a_start_with_every_key_retired_adds_one_generation() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let first = KeyRing::load(&db, None)
        .await
        .unwrap()
        .signing()
        .kid
        .clone();
    db::keys::retire(&db, &first, crate::now(), &[])
        .await
        .unwrap();
    let ring = KeyRing::load(&db, None).await.unwrap();
    let rows = db::keys::all(&db).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].seq, 2);
    assert_eq!(ring.signing().kid, rows[1].kid);
}

#[test]
fn encryption_keys_are_32_bytes_of_base64url_and_errors_never_echo_them() {
    let (text, key) = kek_text();
    assert_eq!(text.len(), 43);
    assert_eq!(
        EncryptionKey::parse(&format!(" {text}=\n")).unwrap().id,
        key.id
    );
    for bad in [
        "",
        "short",
        &text[..42],
        &format!("{text}AA"),
        &text.replace(|c: char| c.is_ascii_alphabetic(), "+"),
    ] {
        // A fixed message: never the value given.
        assert_eq!(
            EncryptionKey::parse(bad).unwrap_err(),
            EncryptionKey::FORMAT
        );
    }
    assert!(!format!("{key:?}").contains(&text));
    assert_ne!(kek().id, key.id);
}

/// The sealed form: version prefix, the encryption key's id, nothing of
/// the secret in it; it opens only for the key id it was sealed for.
#[test]
fn a_sealed_key_carries_its_format_and_opens_only_for_its_own_key_id() {
    let kp = AsymmetricKeyPair::<V4>::generate().unwrap();
    let kid = kid_of(&kp.public);
    let secret = kp.secret.as_bytes();
    let sealing = Sealing::new(Some(kek()), None);
    let sealed = sealing.seal(&kid, secret).unwrap();
    assert_eq!(sealed.len(), SEALED_LEN);
    assert!(sealed.starts_with(b"ghsk\x01"));
    assert_eq!(
        Stored::of(&sealed),
        Stored::Sealed(sealing.current().unwrap().id)
    );
    assert!(!sealed
        .windows(16)
        .any(|w| secret[..32].windows(16).any(|s| s == w)));
    assert_eq!(&*sealing.open(&kid, &sealed).unwrap(), secret);
    // Two seals of one key differ (random nonces).
    assert_ne!(sealing.seal(&kid, secret).unwrap(), sealed);

    // Moved to another row: does not open.
    let e = sealing.open("k4.pid.other", &sealed).unwrap_err();
    assert!(
        is_config_error(&e) && e.to_string().contains("copied"),
        "{e}"
    );
    // One bit changed: does not open.
    let mut tampered = sealed.clone();
    tampered[SEALED_LEN - 20] ^= 1;
    assert!(sealing.open(&kid, &tampered).is_err());
    // No encryption key, or another one: named, not a panic.
    let e = Sealing::clear().open(&kid, &sealed).unwrap_err();
    assert!(
        e.to_string().contains("GATEHOUSE_KEY_ENCRYPTION_KEY"),
        "{e}"
    );
    let other = Sealing::new(Some(kek()), None);
    let e = other.open(&kid, &sealed).unwrap_err();
    assert!(
        e.to_string().contains("not under the configured one"),
        "{e}"
    );
    // As the old key, it still opens.
    let Sealing { current, .. } = sealing;
    let rolled = Sealing {
        current: other.current.clone(),
        old: current,
    };
    assert_eq!(&*rolled.open(&kid, &sealed).unwrap(), secret);
    // Clear keys open as they are; anything else is malformed.
    assert_eq!(&*Sealing::clear().open(&kid, secret).unwrap(), secret);
    assert!(Sealing::clear().open(&kid, b"junk").is_err());
}

/// A stored key's form needs both the sealed length and the prefix; the
/// forms print as `keys list` shows them, with the encryption key's id (16
/// hex digits of its hash, never the key).
#[test]
fn stored_forms_are_told_apart_by_length_and_prefix_and_print_their_key_id() {
    let mut clear_with_prefix = b"ghsk\x01".to_vec();
    clear_with_prefix.resize(64, 0);
    assert_eq!(Stored::of(&clear_with_prefix), Stored::Clear);
    assert_eq!(Stored::of(&[0u8; SEALED_LEN]), Stored::Malformed);
    assert_eq!(Stored::of(&[0u8; 63]), Stored::Malformed);

    let (text, key) = kek_text();
    let id = key.id_hex();
    assert_eq!(id.len(), 16);
    assert!(id
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_ne!(id, kek().id_hex());
    assert_eq!(EncryptionKey::parse(&text).unwrap().id_hex(), id);
    let debug = format!("{key:?}");
    assert!(
        debug.starts_with("EncryptionKey") && debug.contains(&id),
        "{debug}"
    );

    let kp = AsymmetricKeyPair::<V4>::generate().unwrap();
    let sealing = Sealing::new(Some(key), None);
    let sealed = sealing
        .seal(&kid_of(&kp.public), kp.secret.as_bytes())
        .unwrap();
    assert_eq!(Stored::of(&sealed).to_string(), format!("sealed:{id}"));
    assert_eq!(Stored::of(kp.secret.as_bytes()).to_string(), "clear");
    assert_eq!(Stored::Malformed.to_string(), "malformed");
}

/// A signing key's debug output names its id, never the key; a public
/// key's PASERK form; which errors are the configuration's (exit 2).
#[test]
fn signing_keys_print_their_id_and_config_errors_are_told_apart() {
    let kp = AsymmetricKeyPair::<V4>::generate().unwrap();
    let kid = kid_of(&kp.public);
    let mut secret = String::new();
    kp.secret.fmt(&mut secret).unwrap();
    let key = SigningKey::new(kid.clone(), kp.secret).unwrap();
    let debug = format!("{key:?}");
    assert!(
        debug.starts_with("SigningKey") && debug.contains(&kid),
        "{debug}"
    );
    assert!(
        !debug.contains(&secret["k4.secret.".len()..][..20]),
        "{debug}"
    );

    let public = paserk_public(&kp.public);
    assert!(
        public.starts_with("k4.public.") && public.len() == 53,
        "{public}"
    );
    let other = AsymmetricKeyPair::<V4>::generate().unwrap();
    assert_ne!(paserk_public(&other.public), public);

    assert!(is_config_error(&config_error("bad key")));
    assert!(is_config_error(
        &config_error("bad key").context("starting")
    ));
    assert!(!is_config_error(&anyhow::anyhow!("database is down")));
}

/// What re-sealing leaves alone: a key already stored as the sealing would
/// store it now (in the clear without an encryption key, sealed under the
/// current one with it).
#[test]
fn a_key_is_current_when_stored_as_the_sealing_would_store_it() {
    let kp = AsymmetricKeyPair::<V4>::generate().unwrap();
    let kid = kid_of(&kp.public);
    let clear = kp.secret.as_bytes();
    let sealing = Sealing::new(Some(kek()), None);
    let sealed = sealing.seal(&kid, clear).unwrap();
    let other = Sealing::new(Some(kek()), None).seal(&kid, clear).unwrap();
    assert!(Sealing::clear().is_current(clear));
    assert!(!Sealing::clear().is_current(&sealed));
    assert!(sealing.is_current(&sealed));
    assert!(!sealing.is_current(clear));
    assert!(!sealing.is_current(&other));
    assert!(!sealing.is_current(b"junk"));
    assert!(!Sealing::clear().is_current(b"junk"));
}

/// The configuration's encryption keys: the current one seals, the old one
/// only opens, a bad value is a configuration error that does not echo it.
#[test]
fn sealing_follows_the_configured_encryption_keys() {
    let (current, current_key) = kek_text();
    let (old, old_key) = kek_text();
    let config = crate::config::Config {
        key_encryption_key: Some(current.into()),
        key_encryption_key_old: Some(old.into()),
        ..Default::default()
    };
    let sealing = Sealing::from_config(&config).unwrap();
    assert_eq!(sealing.current().unwrap().id, current_key.id);
    assert_eq!(sealing.old.as_ref().unwrap().id, old_key.id);
    let none = Sealing::from_config(&Default::default()).unwrap();
    assert!(none.current().is_none() && none.old.is_none());
    let bad = crate::config::Config {
        key_encryption_key: Some("not-a-key-secret-value".to_owned().into()),
        ..Default::default()
    };
    let e = Sealing::from_config(&bad).unwrap_err();
    assert!(is_config_error(&e), "{e}");
    assert!(
        e.to_string().contains("GATEHOUSE_KEY_ENCRYPTION_KEY"),
        "{e}"
    );
    assert!(!e.to_string().contains("not-a-key-secret-value"), "{e}");
}

/// A database holding sealed keys and no encryption key configured: a
/// clear error at start, and no clear key added beside the sealed ones.
#[tokio::test]
async fn sealed_keys_without_the_encryption_key_stop_the_start_with_a_clear_error() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let sealing = Sealing::new(Some(kek()), None);
    let kid = rotate(&db, &sealing, &Recorder::default()).await.unwrap();
    let stored = &db::keys::all(&db).await.unwrap()[0].secret_key;
    assert!(matches!(Stored::of(stored), Stored::Sealed(_)));

    let e = KeyRing::load(&db, None).await.err().unwrap();
    assert!(is_config_error(&e), "{e:#}");
    assert!(format!("{e:#}").contains(&kid), "{e:#}");
    let e = rotate(&db, &Sealing::clear(), &Recorder::default())
        .await
        .unwrap_err();
    assert!(is_config_error(&e), "{e:#}");
    assert_eq!(db::keys::all(&db).await.unwrap().len(), 1);
    let e = KeyRing::load_with(&db, None, Sealing::new(Some(kek()), None), 300)
        .await
        .err()
        .unwrap();
    assert!(
        format!("{e}").contains("not under the configured one"),
        "{e}"
    );
    let ring = KeyRing::load_with(&db, None, sealing, 300).await.unwrap();
    assert_eq!(ring.signing().kid, kid);
}

/// `reseal`: clear keys get sealed, keys under the old encryption key
/// move to the new one, and the key ids (so issued tokens) stay.
#[tokio::test]
async fn reseal_seals_clear_keys_and_moves_keys_to_a_new_encryption_key() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let first = rotate(&db, &Sealing::clear(), &Recorder::default())
        .await
        .unwrap();
    let second = rotate(&db, &Sealing::clear(), &Recorder::default())
        .await
        .unwrap();
    db::keys::retire(&db, &first, crate::now(), &[])
        .await
        .unwrap();
    let (a_text, a) = kek_text();
    let a_id = a.id;
    let done = reseal(&db, &Sealing::new(Some(a), None)).await.unwrap();
    assert_eq!(done.sealed, vec![first.clone(), second.clone()]);
    for row in db::keys::all(&db).await.unwrap() {
        assert_eq!(Stored::of(&row.secret_key), Stored::Sealed(a_id));
    }
    // Again: nothing to do.
    let a = EncryptionKey::parse(&a_text).unwrap();
    let again = reseal(&db, &Sealing::new(Some(a), None)).await.unwrap();
    assert_eq!((again.sealed.len(), again.unchanged), (0, 2));

    // A new encryption key without the old one: refused (the active key
    // does not open), nothing written.
    let (b_text, b) = kek_text();
    let b_id = b.id;
    assert!(reseal(&db, &Sealing::new(Some(b), None)).await.is_err());
    assert!(db::keys::all(&db)
        .await
        .unwrap()
        .iter()
        .all(|r| Stored::of(&r.secret_key) == Stored::Sealed(a_id)));
    // With the old one given: moved.
    let rolled = Sealing::new(
        Some(EncryptionKey::parse(&b_text).unwrap()),
        Some(EncryptionKey::parse(&a_text).unwrap()),
    );
    let done = reseal(&db, &rolled).await.unwrap();
    assert_eq!(done.sealed.len(), 2);
    for row in db::keys::all(&db).await.unwrap() {
        assert_eq!(Stored::of(&row.secret_key), Stored::Sealed(b_id));
    }
    let only_new = Sealing::new(Some(EncryptionKey::parse(&b_text).unwrap()), None);
    let ring = KeyRing::load_with(&db, None, only_new, 300).await.unwrap();
    assert_eq!(ring.signing().kid, second);
    // Without an encryption key there is nothing to seal with.
    assert!(is_config_error(
        &reseal(&db, &Sealing::clear()).await.unwrap_err()
    ));
}

/// A retired key sealed under an encryption key nobody gives any more
/// does not block re-sealing the others.
#[tokio::test]
async fn reseal_skips_retired_keys_it_cannot_open() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let lost = rotate(&db, &Sealing::new(Some(kek()), None), &Recorder::default())
        .await
        .unwrap();
    db::keys::retire(&db, &lost, crate::now(), &[])
        .await
        .unwrap();
    let b = Sealing::new(Some(kek()), None);
    rotate(&db, &b, &Recorder::default()).await.unwrap();
    let done = reseal(&db, &b).await.unwrap();
    assert_eq!((done.sealed.len(), done.unchanged), (0, 1));
    assert_eq!(done.skipped, vec![lost]);
}

/// With a supplied key, stored keys only verify: any of them, the last
/// one too, may be retired, and `retire_stored` retires them all.
#[tokio::test]
async fn with_a_supplied_key_every_stored_key_can_be_retired() {
    let (_dir, db) = crate::db::scratch_sqlite().await;
    let stored = rotate(&db, &Sealing::clear(), &Recorder::default())
        .await
        .unwrap();
    let supplied = generate_paserk_secret().unwrap();
    let ring = KeyRing::load(&db, Some(&supplied)).await.unwrap();
    assert_eq!(ring.signing().kid, external_kid(&supplied).unwrap());
    assert!(ring.lookup(&stored).is_some());

    let e = retire(&db, &stored, false, &Recorder::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("only active key"), "{e}");
    retire(&db, &stored, true, &Recorder::default())
        .await
        .unwrap();
    ring.reload().await.unwrap();
    assert!(ring.lookup(&stored).is_none());

    let more = [
        rotate(&db, &Sealing::clear(), &Recorder::default())
            .await
            .unwrap(),
        rotate(&db, &Sealing::clear(), &Recorder::default())
            .await
            .unwrap(),
    ];
    assert!(is_config_error(
        &retire_stored(&db, false, &Recorder::default())
            .await
            .unwrap_err()
    ));
    assert_eq!(
        retire_stored(&db, true, &Recorder::default())
            .await
            .unwrap(),
        more
    );
    assert!(db::keys::all(&db)
        .await
        .unwrap()
        .iter()
        .all(|r| r.retired_at.is_some()));
    assert!(retire_stored(&db, true, &Recorder::default())
        .await
        .unwrap()
        .is_empty());
}
