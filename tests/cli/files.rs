//! The files Gatehouse writes are private whatever the umask, and `config
//! check` and start-up warn about ones others can read.

use super::*;

#[cfg(unix)]
#[test]
fn the_database_its_wal_and_shm_and_written_keys_are_private_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let url = format!("sqlite://{}", db.display());
    let (mut server, _) = serve_until_listening(&[("DATABASE_URL", &url)], Some("000"));
    let files = [
        db.clone(),
        dir.path().join("g.db-wal"),
        dir.path().join("g.db-shm"),
    ];
    let modes: Vec<u32> = files.iter().map(|f| mode(f)).collect();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(modes, [0o600; 3], "{files:?}");

    for (sub, file) in [
        ("generate", "signing.key"),
        ("generate-encryption-key", "kek"),
    ] {
        let path = dir.path().join(file);
        let path = path.to_str().unwrap();
        let out = Command::new("sh")
            .args([
                "-c",
                "umask 000 && exec \"$0\" keys \"$1\" --out \"$2\"",
                env!("CARGO_BIN_EXE_gatehouse"),
                sub,
                path,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(mode(std::path::Path::new(path)), 0o600, "{sub}");
        let key = std::fs::read_to_string(path).unwrap();
        assert!(
            !text(&out.stdout).contains(key.trim()),
            "the key is not printed"
        );
        // Never overwritten.
        let again = gatehouse(&["keys", sub, "--out", path], &[], None);
        assert_eq!(again.status.code(), Some(1));
        assert_eq!(std::fs::read_to_string(path).unwrap(), key);
    }
    let kek = std::fs::read_to_string(dir.path().join("kek")).unwrap();
    assert_eq!(kek.trim().len(), 43);
}

/// Issue 19, item 1: `config check` and start-up warn when the database or a
/// key file is open to others, and `config check` says when the stored keys
/// are in the clear.
#[cfg(unix)]
#[test]
fn config_check_and_start_up_warn_about_key_files_others_can_read() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let url = format!("sqlite://{}", db.display());
    assert!(gatehouse(&["migrate"], &[("DATABASE_URL", &url)], None)
        .status
        .success());
    let key_file = dir.path().join("signing.key");
    let out = gatehouse(
        &["keys", "generate", "--out", key_file.to_str().unwrap()],
        &[],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("GATEHOUSE_SIGNING_KEY_FILE", key_file.to_str().unwrap()),
    ];

    // Private files: only the note about keys in the clear.
    let out = gatehouse(&["config", "check"], &env, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(!err.contains("chmod"), "{err}");
    assert!(err.contains("stored in the clear"), "{err}");
    assert!(text(&out.stdout).contains(
        "GATEHOUSE_KEY_ENCRYPTION_KEY = (none: private keys in the database are stored in the clear)"
    ));

    for f in [&db, &key_file] {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let out = gatehouse(&["config", "check"], &env, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    for f in [&db, &key_file] {
        assert!(
            err.contains(&format!("{} ", f.display())) && err.contains("mode 0644"),
            "{} not named in:\n{err}",
            f.display()
        );
    }
    let (mut server, logs) = serve_until_listening(&env, None);
    let _ = server.kill();
    let _ = server.wait();
    let logs = logs.join("\n");
    for f in [&db, &key_file] {
        assert!(
            logs.contains(&format!("{} ", f.display())) && logs.contains("WARN"),
            "{} not named in:\n{logs}",
            f.display()
        );
    }

    // With an encryption key set, no note about keys in the clear.
    let kek = text(&gatehouse(&["keys", "generate-encryption-key"], &[], None).stdout);
    let out = gatehouse(
        &["config", "check"],
        &[("GATEHOUSE_KEY_ENCRYPTION_KEY", kek.trim())],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("in the clear"));
    assert!(!text(&out.stdout).contains(kek.trim()));
    assert!(text(&out.stdout).contains("GATEHOUSE_KEY_ENCRYPTION_KEY = <redacted>"));
}
