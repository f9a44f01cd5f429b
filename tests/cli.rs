//! The `gatehouse` command line: subcommands, exit codes and messages.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn gatehouse(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("GATEHOUSE_ADDR")
        .env("GATEHOUSE_ARGON2_MEMORY_KIB", "1024")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run gatehouse");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("gatehouse exits")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn help_lists_every_subcommand_and_the_exit_codes() {
    let out = gatehouse(&["--help"], &[], None);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for sub in ["serve", "migrate", "create-superuser", "print-schema"] {
        assert!(help.contains(sub), "{sub} missing from:\n{help}");
    }
    assert!(help.contains("Exit codes"), "{help}");
}

#[test]
fn an_unknown_subcommand_is_a_usage_error() {
    let out = gatehouse(&["frobnicate"], &[], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("frobnicate"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn print_schema_prints_the_committed_schema() {
    let out = gatehouse(&["print-schema"], &[], None);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        std::fs::read_to_string("schema.graphql").unwrap()
    );
}

#[test]
fn a_bad_address_names_the_setting_and_exits_2() {
    let out = gatehouse(&["serve"], &[("GATEHOUSE_ADDR", "not-an-address")], None);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("GATEHOUSE_ADDR") && err.contains("not-an-address"),
        "{err}"
    );
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let url = format!("sqlite://{}/g.db", dir.path().display());
    let out = gatehouse(
        &["serve"],
        &[("GATEHOUSE_ADDR", &addr), ("DATABASE_URL", &url)],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot listen on") && err.contains(&addr),
        "{err}"
    );
}

#[test]
fn an_unwritable_database_path_is_a_clear_error() {
    let out = gatehouse(
        &["migrate"],
        &[("DATABASE_URL", "sqlite:///proc/no-such-dir/g.db")],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot open the SQLite database at /proc/no-such-dir/g.db"),
        "{err}"
    );
}

#[test]
fn an_unknown_database_scheme_is_a_clear_error() {
    let out = gatehouse(
        &["migrate"],
        &[("DATABASE_URL", "mysql://localhost/x")],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("sqlite:// or postgres://"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn migrating_twice_is_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/g.db", dir.path().display());
    for _ in 0..2 {
        let out = gatehouse(&["migrate"], &[("DATABASE_URL", &url)], None);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
}

#[test]
fn create_superuser_reads_the_password_from_stdin_and_refuses_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/g.db", dir.path().display());
    let args = [
        "create-superuser",
        "--username",
        "root",
        "--email",
        "root@example.com",
    ];
    let password = "a long admin passphrase\n";
    let out = gatehouse(&args, &[("DATABASE_URL", &url)], Some(password));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("superuser root created"));
    // The password never appears in what the command prints.
    assert!(!text(&out.stdout).contains("passphrase") && !text(&out.stderr).contains("passphrase"));

    let again = gatehouse(&args, &[("DATABASE_URL", &url)], Some(password));
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );

    let weak = gatehouse(
        &[
            "create-superuser",
            "--username",
            "r2",
            "--email",
            "r2@example.com",
        ],
        &[("DATABASE_URL", &url)],
        Some("short\n"),
    );
    assert_eq!(weak.status.code(), Some(1));
    assert!(
        text(&weak.stderr).contains("at least 8"),
        "{}",
        text(&weak.stderr)
    );
}

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

#[test]
fn json_logs_have_one_line_per_request_with_method_route_status_latency_and_request_id() {
    use std::io::{BufRead as _, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/g.db", dir.path().display()),
        )
        .env("GATEHOUSE_ADDR", format!("127.0.0.1:{port}"))
        .env("GATEHOUSE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    // Wait for the listening line, then make one request.
    for line in lines.by_ref() {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).expect("every log line is JSON");
        if v["fields"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("listening")
        {
            break;
        }
    }
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-42\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
    assert!(response.contains("x-request-id: req-42"), "{response}");
    let mut found = None;
    for line in lines {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).expect("every log line is JSON");
        if v["fields"]["path"] == "/healthz" {
            found = Some(v);
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let v = found.expect("a request line");
    assert_eq!(v["fields"]["method"], "GET");
    assert_eq!(v["fields"]["status"], 200);
    assert!(v["fields"]["latency_ms"].is_number());
    assert_eq!(v["span"]["request_id"], "req-42", "{v}");
}

#[test]
fn an_unknown_log_format_is_a_configuration_error() {
    let out = gatehouse(&["serve"], &[("GATEHOUSE_LOG_FORMAT", "xml")], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("GATEHOUSE_LOG_FORMAT"));
}

#[test]
fn config_check_prints_the_effective_settings_from_file_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gatehouse.toml");
    std::fs::write(
        &file,
        "database_url = \"postgres://gh:hunter2@db/gh\"\naccess_token_ttl = 120\naddr = \"127.0.0.1:9000\"\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let out = gatehouse(
        &["--config", path, "config", "check"],
        &[("GATEHOUSE_ADDR", "127.0.0.1:9100")],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("GATEHOUSE_ACCESS_TOKEN_TTL = 120"),
        "{shown}"
    );
    assert!(
        shown.contains("GATEHOUSE_ADDR = 127.0.0.1:9100"),
        "the environment wins: {shown}"
    );
    assert!(
        shown.contains("postgres://gh:<redacted>@db/gh") && !shown.contains("hunter2"),
        "{shown}"
    );

    std::fs::write(&file, "access_token_ttl = 0\n").unwrap();
    let bad = gatehouse(&["--config", path, "config", "check"], &[], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("GATEHOUSE_ACCESS_TOKEN_TTL"),
        "{}",
        text(&bad.stderr)
    );
}

/// Starts `gatehouse serve` (under `umask` when given) on a free port and
/// waits for its listening line; returns the process and the log lines
/// before it. The caller kills the process.
fn serve_until_listening(
    env: &[(&str, &str)],
    umask: Option<&str>,
) -> (std::process::Child, Vec<String>) {
    use std::io::{BufRead as _, BufReader};
    let bin = env!("CARGO_BIN_EXE_gatehouse");
    let mut cmd = match umask {
        Some(mask) => {
            let mut sh = Command::new("sh");
            sh.args(["-c", &format!("umask {mask} && exec \"$0\" serve"), bin]);
            sh
        }
        None => {
            let mut c = Command::new(bin);
            c.arg("serve");
            c
        }
    };
    cmd.env_remove("DATABASE_URL")
        .env("GATEHOUSE_ADDR", "127.0.0.1:0")
        .env("GATEHOUSE_ARGON2_MEMORY_KIB", "1024")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut before = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.contains("listening") {
            return (child, before);
        }
        before.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start: {before:#?}");
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Issue 19, item 1: the database, its -wal and -shm files, and the key
/// files Gatehouse writes are the owner's alone, even under `umask 000`.
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
