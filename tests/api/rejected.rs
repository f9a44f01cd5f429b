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

/// Every request's line reaches the log even when the log is read slowly
/// and the server is stopped right after the requests: the lines still
/// queued for the log thread are written before it exits, none torn.
#[tokio::test]
async fn a_slow_log_reader_still_gets_every_line_after_sigterm() {
    const REQUESTS: usize = 3000;
    let mut server = Server::start().await;
    let mut stderr = server.child.stderr.take().unwrap();
    // A collector that reads 4 KiB every 10 ms (about 400 KB/s; the
    // lines take well over a second to drain): the pipe fills, the log
    // thread waits on it, lines queue up behind.
    let reader = std::thread::spawn(move || {
        let mut log = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match stderr.read(&mut chunk) {
                Ok(0) | Err(_) => return String::from_utf8_lossy(&log).into_owned(),
                Ok(n) => log.extend_from_slice(&chunk[..n]),
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let mut requests = Vec::new();
    for i in 0..REQUESTS {
        let close = if i + 1 == REQUESTS {
            "Connection: close\r\n"
        } else {
            ""
        };
        requests.extend_from_slice(
            format!("GET /slow-log-probe HTTP/1.1\r\nHost: x\r\n{close}\r\n").as_bytes(),
        );
    }
    let answers = raw::exchange(&server.base, requests, Duration::from_secs(10)).await;
    assert_eq!(answers.matches("HTTP/1.1 404").count(), REQUESTS);
    terminate(&mut server.child);
    let log = reader.join().unwrap();
    let lines = log
        .lines()
        .filter(|l| l.contains("/slow-log-probe"))
        .count();
    assert_eq!(lines, REQUESTS, "lines lost after SIGTERM");
    assert!(
        log.ends_with('\n'),
        "a torn last line: {:?}",
        &log[log.len().saturating_sub(200)..]
    );
}
