//! What reaches the logs and metrics from requests the application never
//! sees or should not show as they are: heads that hyper refuses itself
//! (400, 431) are logged and counted; a path's bidi and NEL characters are
//! escaped in the text log. Runs the real binary, reading what it prints.

use std::io::Read as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::raw;

/// The binary on a fresh SQLite file, logging text at `info`.
struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/g.db", dir.path().display()),
            )
            .env("GATEHOUSE_ADDR", format!("127.0.0.1:{port}"))
            .env("GATEHOUSE_LOG_FORMAT", "text")
            .env("RUST_LOG", "info")
            .env_remove("GATEHOUSE_METRICS_ADDR")
            .env_remove("GATEHOUSE_METRICS_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self {
            child,
            base,
            _dir: dir,
        }
    }

    /// Stops the server as an operator does (SIGTERM: it writes out the
    /// log lines still queued) and returns what it wrote to stderr.
    fn stop(mut self) -> String {
        terminate(&mut self.child);
        let mut log = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut log);
        }
        log
    }
}

#[tokio::test]
async fn heads_hyper_refuses_are_logged_and_counted() {
    let server = Server::start().await;
    // Too many header lines: hyper answers 431 itself.
    let mut many = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for i in 0..200 {
        many.push_str(&format!("X-Filler-{i}: {i}\r\n"));
    }
    many.push_str("\r\n");
    let response = raw::exchange(&server.base, many.into_bytes(), Duration::from_secs(5)).await;
    assert_eq!(raw::status(&response), 431, "{response}");
    // A request line that does not parse: 400.
    let response = raw::exchange(
        &server.base,
        b"GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(raw::status(&response), 400, "{response}");

    let metrics = reqwest::get(format!("{}/metrics", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let log = server.stop();
    for status in [431, 400] {
        let series =
            format!("gatehouse_http_requests_total{{route=\"other\",method=\"other\",status=\"{status}\"}} 1");
        assert!(
            metrics.contains(&series),
            "missing `{series}` in:\n{metrics}"
        );
        assert!(
            log.lines().any(|l| l.contains("refused by the HTTP parser")
                && l.contains(&format!("status={status}"))),
            "no log line for the {status}:\n{log}"
        );
    }
}

#[tokio::test]
async fn a_paths_bidi_and_nel_characters_are_escaped_in_the_text_log() {
    let server = Server::start().await;
    // U+202E (right-to-left override) and U+0085 (next line), raw in the path.
    let mut request = b"GET /probe-".to_vec();
    request.extend_from_slice("\u{202e}gnp.exe\u{85}forged-line".as_bytes());
    request.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let response = raw::exchange(&server.base, request, Duration::from_secs(5)).await;
    assert_eq!(raw::status(&response), 404, "{response}");
    let log = server.stop();
    let line = log
        .lines()
        .find(|l| l.contains("/probe-"))
        .unwrap_or_else(|| panic!("no log line for the request:\n{log}"));
    assert!(
        !line.contains('\u{202e}') && !line.contains('\u{85}'),
        "raw characters in: {line:?}"
    );
    assert!(
        line.contains(r"/probe-\u{202e}gnp.exe\u{0085}forged-line"),
        "not escaped as expected: {line:?}"
    );
}

/// SIGTERM, then up to 10 s for the process to end (SIGKILL after that).
/// A killed server would lose the log lines its log thread had not yet
/// written.
fn terminate(child: &mut std::process::Child) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}
