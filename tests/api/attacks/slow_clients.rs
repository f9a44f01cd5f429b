//! Slow and greedy clients: sockets that trickle a request a byte at a time,
//! bodies that never finish, idle keep-alives, more sockets than the cap.
//! None of them may keep `/healthz` from answering, and each is cut off
//! after its deadline (README, "Timeouts and connection limits").

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::*;

/// Reads until the server closes the connection (or errs); how long it took
/// and what came back.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(
            limit.saturating_sub(started.elapsed()),
            stream.read(&mut buf),
        )
        .await
        {
            Err(_) => panic!("the connection was still open after {limit:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return (started.elapsed(), got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// The header, body and idle deadlines these tests configure: short, so the
/// suite does not wait on them, and well above a loaded machine's scheduling
/// noise.
const DEADLINE: Duration = Duration::from_millis(400);

fn host_port(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_crowd_is_cut_off_and_healthz_keeps_answering() {
    let app = spawn_app_with(|c| {
        c.http.header_read_timeout = DEADLINE;
        c.http.max_connections = 20;
    })
    .await;
    let addr = host_port(&app);
    // Sixty sockets (three times the cap), each sending its head a byte every
    // 100 ms: a head of 40 bytes would take 4 s, ten deadlines.
    let trickles: Vec<_> = (0..60)
        .map(|_| {
            let addr = addr.clone();
            tokio::spawn(async move {
                let Ok(mut s) = TcpStream::connect(&addr).await else {
                    return Duration::ZERO;
                };
                let started = Instant::now();
                for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n".iter() {
                    if s.write_all(&[*b]).await.is_err() {
                        return started.elapsed();
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let (took, _) = until_closed(&mut s, Duration::from_secs(30)).await;
                started.elapsed().max(took)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Healthz gets through: the crowd's slots free up as each is cut off.
    let started = Instant::now();
    let resp = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz answers");
    assert_eq!(resp.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "healthz took {:?}",
        started.elapsed()
    );
    for t in trickles {
        let held = t.await.unwrap();
        assert!(
            held < Duration::from_millis(3500),
            "a trickling socket was held {held:?}: three waves of its 400 ms header deadline take 1.2 s"
        );
    }
}

#[tokio::test]
async fn the_body_deadline_answers_before_the_trickle_ends() {
    let app = spawn_app_with(|c| c.http.body_read_timeout = DEADLINE).await;
    let mut s = TcpStream::connect(host_port(&app)).await.unwrap();
    s.write_all(
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 200\r\n\r\n{",
    )
    .await
    .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 512];
    let mut answer = Vec::new();
    // Keep trickling a byte every 100 ms (the body would take 20 s) while
    // watching for the answer.
    while started.elapsed() < Duration::from_secs(10) {
        tokio::select! {
            read = s.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => { answer.extend_from_slice(&buf[..n]); break; }
            },
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                if s.write_all(b" ").await.is_err() { break; }
            }
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the trickled body held the request for {:?}",
        started.elapsed()
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(|c| c.http.idle_timeout = DEADLINE).await;
    let mut s = TcpStream::connect(host_port(&app)).await.unwrap();
    let (took, _) = until_closed(&mut s, Duration::from_secs(10)).await;
    assert!(
        took >= DEADLINE - Duration::from_millis(50),
        "closed after {took:?}"
    );
    // And after a response, the keep-alive wait is bounded the same way.
    let mut s = TcpStream::connect(host_port(&app)).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (took, answer) = until_closed(&mut s, Duration::from_secs(10)).await;
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    assert!(took < Duration::from_secs(3), "held {took:?}");
}

/// Blank lines before a request line never end a head (the attack review
/// held every slot with `\r\n` every 8 s): they are cut at the deadline.
#[tokio::test]
async fn blank_lines_sent_forever_are_cut_off_at_the_header_deadline() {
    let app = spawn_app_with(|c| c.http.header_read_timeout = DEADLINE).await;
    let mut s = TcpStream::connect(host_port(&app)).await.unwrap();
    let started = Instant::now();
    loop {
        if s.write_all(b"\r\n").await.is_err() {
            break;
        }
        let mut buf = [0u8; 64];
        match tokio::time::timeout(Duration::from_millis(100), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            _ => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "blank lines held the connection for {:?}",
            started.elapsed()
        );
    }
}

/// HTTP/2 with prior knowledge is refused at its preface: its PING frames
/// would otherwise keep a connection past every deadline.
#[tokio::test]
async fn an_http2_prior_knowledge_connection_is_refused() {
    let app = spawn_app().await;
    let mut s = TcpStream::connect(host_port(&app)).await.unwrap();
    s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let (took, _) = until_closed(&mut s, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(2), "held {took:?}");
}

/// The second attack review held every slot by pipelining requests for a
/// large page and never reading the answers: the server's writes waited
/// forever. Waiting for the client to read may add up to the idle timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_its_answers_is_cut_off() {
    let app = spawn_app_with(|c| c.http.idle_timeout = DEADLINE).await;
    let page = app
        .client
        .get(app.url("/docs"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .len();
    let mut s = TcpStream::connect(host_port(&app)).await.unwrap();
    let requests = "GET /docs HTTP/1.1\r\nHost: x\r\n\r\n".repeat(8);
    s.write_all(requests.as_bytes()).await.unwrap();
    // Four times the budget: past it, whatever the client reads.
    tokio::time::sleep(4 * DEADLINE).await;
    let (_, got) = until_closed(&mut s, Duration::from_secs(20)).await;
    assert!(
        got.len() < 8 * page,
        "all {} bytes of 8 answers were held for a client that did not read",
        got.len()
    );
}
