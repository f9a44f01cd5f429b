//! `events tail`: the auth events as JSON lines, filtered by type and user;
//! key rotations and operator actions are events too; `--follow` prints
//! events written after it started.

use std::io::{BufRead as _, BufReader};
use std::time::{Duration, Instant};

use super::*;

fn lines(out: &Output) -> Vec<serde_json::Value> {
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn events_tail_prints_json_lines_filtered_by_type_and_user() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/g.db", dir.path().display());
    let env = [("DATABASE_URL", url.as_str())];
    let run = |args: &[&str]| gatehouse(args, &env, None);
    let out = gatehouse(
        &[
            "create-superuser",
            "--username",
            "root",
            "--email",
            "root@example.com",
        ],
        &env,
        Some("a long admin passphrase\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rotated = run(&["keys", "rotate"]);
    assert!(rotated.status.success(), "{}", text(&rotated.stderr));
    let kid = text(&rotated.stdout)
        .trim()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();

    let all = lines(&run(&["events", "tail"]));
    let kinds: Vec<&str> = all.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds[..2], ["sign_up", "key_rotated"], "{all:#?}");
    assert_eq!(all[0]["details"]["via"], "operator");
    assert_eq!(all[0]["ipAddress"], serde_json::Value::Null);
    assert_eq!(all[1]["details"]["kid"], kid.as_str());
    assert!(!text(&run(&["events", "tail"]).stdout).contains("k4.secret"));

    let only = lines(&run(&["events", "tail", "--type", "key_rotated"]));
    assert_eq!(only.len(), 1);
    let by_user = lines(&run(&["events", "tail", "--user", "root"]));
    assert!(
        by_user.iter().all(|e| e["userId"] == all[0]["userId"]),
        "{by_user:#?}"
    );
    assert!(!by_user.is_empty());
    let last = lines(&run(&["events", "tail", "-n", "1"]));
    assert_eq!(last, all[all.len() - 1..]);

    // Usage errors exit 2; an unknown user is a refusal (1).
    let bad = run(&["events", "tail", "--type", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("no event type"),
        "{}",
        text(&bad.stderr)
    );
    assert_eq!(
        run(&["events", "tail", "-n", "100000"]).status.code(),
        Some(2)
    );
    let nobody = run(&["events", "tail", "--user", "nobody"]);
    assert_eq!(nobody.status.code(), Some(1), "{}", text(&nobody.stderr));
    // An id is taken as it is: a deleted user's events can be read.
    let id = all[0]["userId"].as_str().unwrap();
    let by_id = lines(&run(&["events", "tail", "--user", id]));
    assert_eq!(by_id, by_user);
    assert!(lines(&run(&["events", "tail", "--user", "999999"])).is_empty());
}

#[test]
fn events_tail_follow_prints_new_events_as_they_come() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/g.db", dir.path().display());
    let env = [("DATABASE_URL", url.as_str())];
    let mut follow = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["events", "tail", "--follow"])
        .env_remove("GATEHOUSE_ADDR")
        .env("DATABASE_URL", &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run gatehouse");
    let stdout = follow.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // The follower has the database open; write an event after it started.
    std::thread::sleep(Duration::from_millis(1500));
    let rotated = gatehouse(&["keys", "rotate"], &env, None);
    assert!(rotated.status.success(), "{}", text(&rotated.stderr));
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push(line);
            break;
        }
    }
    let _ = follow.kill();
    let _ = follow.wait();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let e: serde_json::Value = serde_json::from_str(&seen[0]).unwrap();
    assert_eq!(e["type"], "key_rotated");
}

/// A reader that stops early (`events tail | head -1`) ends the command
/// quietly, not with a panic about a broken pipe.
#[test]
fn events_tail_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/g.db", dir.path().display());
    let env = [("DATABASE_URL", url.as_str())];
    for _ in 0..3 {
        let rotated = gatehouse(&["keys", "rotate"], &env, None);
        assert!(rotated.status.success(), "{}", text(&rotated.stderr));
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["events", "tail"])
        .env_remove("GATEHOUSE_ADDR")
        .env("DATABASE_URL", &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gatehouse");
    // Nobody reads: the pipe is closed before the first line is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("gatehouse exits");
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
}
