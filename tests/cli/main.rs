//! The `gatehouse` command line: subcommands, exit codes and messages;
//! `keys.rs`: the `keys` subcommands; `users.rs`: the `users` subcommands;
//! `files.rs`: the modes of the files
//! Gatehouse writes, and the warnings about ones others can read.

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
mod events;
mod files;
mod keys;
mod mail;
mod users;
