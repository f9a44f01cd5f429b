//! Tests of the guarded connection: finding the end of a head, the header,
//! idle and write deadlines, and HTTP/2's preface refused.

use super::*;

#[test]
fn the_end_of_a_head_is_found_across_reads_and_line_ending_styles() {
    let mut e = EndOfHead::default();
    assert!(!e.feed(b"GET / HTTP/1.1\r\nHost: x\r"));
    assert!(!e.feed(b"\n"));
    assert!(!e.feed(b"\r"));
    assert!(e.feed(b"\n"));
    assert!(EndOfHead::default().feed(b"GET / HTTP/1.1\nHost: x\n\n"));
    assert!(!EndOfHead::default().feed(b"GET / HTTP/1.1\r\nA: b\r\nC: d\r\n"));
}

#[test]
fn blank_lines_before_a_request_end_no_head() {
    let mut e = EndOfHead::default();
    assert!(!e.feed(b"\r\n\r\n\r\n\n\n"));
    assert!(!e.feed(b"GET / HTTP/1.1\r\n"));
    assert!(e.feed(b"\r\n"));
}

fn limits() -> HttpLimits {
    HttpLimits {
        header_read_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(30),
        ..HttpLimits::default()
    }
}

async fn guarded() -> (Guarded<tokio::io::DuplexStream>, tokio::io::DuplexStream) {
    let (server, client) = tokio::io::duplex(1024);
    let permit = Arc::new(Semaphore::new(1)).acquire_owned().await.unwrap();
    (Guarded::new(server, permit, limits()), client)
}

#[tokio::test(start_paused = true)]
async fn a_head_trickled_past_its_deadline_is_cut_off() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (mut server, mut client) = guarded().await;
    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 64];
        loop {
            match server.read(&mut buf).await {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(e.kind()),
            }
        }
    });
    for b in b"GET / HTTP/1.1\r\nHost: a\r\n".iter() {
        client.write_all(&[*b]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        if reader.is_finished() {
            break;
        }
    }
    assert_eq!(reader.await.unwrap(), Err(io::ErrorKind::TimedOut));
}

async fn read_until_error(server: &mut Guarded<tokio::io::DuplexStream>) -> io::ErrorKind {
    use tokio::io::AsyncReadExt as _;
    let mut buf = [0u8; 64];
    loop {
        match server.read(&mut buf).await {
            Ok(0) => return io::ErrorKind::UnexpectedEof,
            Ok(_) => {}
            Err(e) => return e.kind(),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn blank_lines_sent_forever_are_cut_off_at_the_header_deadline() {
    use tokio::io::AsyncWriteExt as _;
    let (mut server, mut client) = guarded().await;
    let reader = tokio::spawn(async move { read_until_error(&mut server).await });
    for _ in 0..100 {
        if reader.is_finished() {
            break;
        }
        let _ = client.write_all(b"\r\n").await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(reader.await.unwrap(), io::ErrorKind::TimedOut);
}

#[tokio::test(start_paused = true)]
async fn an_http2_preface_is_refused_even_a_byte_at_a_time() {
    use tokio::io::AsyncWriteExt as _;
    let (mut server, mut client) = guarded().await;
    let reader = tokio::spawn(async move { read_until_error(&mut server).await });
    for b in b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" {
        let _ = client.write_all(&[*b]).await;
        tokio::task::yield_now().await;
    }
    assert_eq!(reader.await.unwrap(), io::ErrorKind::InvalidData);
    // A request that merely starts like it is served.
    let (mut server, mut client) = guarded().await;
    client
        .write_all(b"PRIVATE / HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    use tokio::io::AsyncReadExt as _;
    assert_eq!(server.read(&mut buf).await.unwrap(), 22);
    assert_eq!(server.phase, Phase::Busy);
}

#[tokio::test(start_paused = true)]
async fn a_client_that_does_not_read_its_answers_is_cut_off() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (server, mut client) = tokio::io::duplex(64);
    let permit = Arc::new(Semaphore::new(1)).acquire_owned().await.unwrap();
    let mut server = Guarded::new(server, permit, limits());
    client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 64];
    assert!(server.read(&mut buf).await.unwrap() > 0);
    // The answer never drains: the write fails after the idle timeout
    // (30 s here), not never.
    let started = Instant::now();
    let err = server.write_all(&[b'x'; 4096]).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert!(started.elapsed() >= Duration::from_secs(30));
    // A client that reads, however slowly, is not cut off within that.
    let (server, mut client) = tokio::io::duplex(64);
    let permit = Arc::new(Semaphore::new(1)).acquire_owned().await.unwrap();
    let mut server = Guarded::new(server, permit, limits());
    let reader = tokio::spawn(async move {
        let mut got = 0;
        let mut buf = [0u8; 64];
        while got < 4096 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            got += client.read(&mut buf).await.unwrap();
        }
    });
    server.write_all(&[b'x'; 4096]).await.unwrap();
    reader.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_whole_head_then_a_slow_handler_is_not_cut_off() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (mut server, mut client) = guarded().await;
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let n = server.read(&mut buf).await.unwrap();
    assert!(n > 0);
    assert_eq!(server.phase, Phase::Busy);
    // The handler takes a minute; a read waiting meanwhile is not cut.
    let waiting = tokio::time::timeout(Duration::from_secs(60), server.read(&mut buf)).await;
    assert!(waiting.is_err(), "still waiting, no error: {waiting:?}");
    server.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
    assert_eq!(server.phase, Phase::Idle);
    // Idle past the keep-alive deadline: closed.
    let idle = server.read(&mut buf).await;
    assert_eq!(idle.unwrap_err().kind(), io::ErrorKind::TimedOut);
}

#[tokio::test(start_paused = true)]
async fn a_keep_alive_connection_gets_the_whole_idle_time_after_each_answer() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (mut server, mut client) = guarded().await;
    let mut buf = [0u8; 64];
    for _ in 0..3 {
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .await
            .unwrap();
        assert!(server.read(&mut buf).await.unwrap() > 0);
        assert_eq!(server.phase, Phase::Busy);
        server.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        let mut answer = [0u8; 19];
        client.read_exact(&mut answer).await.unwrap();
        // Idle for longer than the header deadline (5 s), within the idle
        // one (30 s): the timer set for the head fires and is moved on, the
        // connection stays.
        let idle = tokio::time::timeout(Duration::from_secs(20), server.read(&mut buf)).await;
        assert!(idle.is_err(), "still open after 20 s idle: {idle:?}");
    }
    // The next request's head is still cut at its own deadline...
    client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let started = Instant::now();
    assert_eq!(read_until_error(&mut server).await, io::ErrorKind::TimedOut);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(6),
        "{took:?}"
    );
    // ... and an idle connection at the idle deadline counted from its
    // last answer, not earlier.
    let (mut server, mut client) = guarded().await;
    client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    assert!(server.read(&mut buf).await.unwrap() > 0);
    server.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
    let answered = Instant::now();
    assert_eq!(read_until_error(&mut server).await, io::ErrorKind::TimedOut);
    let took = answered.elapsed();
    assert!(
        took >= Duration::from_secs(30) && took < Duration::from_secs(31),
        "{took:?}"
    );
}
