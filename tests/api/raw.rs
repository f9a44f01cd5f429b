//! Raw HTTP/1.1 over a plain socket, for what an HTTP client library will
//! not send (malformed heads, `Expect: 100-continue` without a body, header
//! lines in a chosen order, raw bytes in a path).

use std::time::Duration;

/// Sends `request` as it is, then reads until the server closes the
/// connection or is silent for `quiet`; returns everything it sent.
pub async fn exchange(address: &str, request: Vec<u8>, quiet: Duration) -> String {
    let addr = address.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read as _, Write as _};
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(quiet))
            .expect("a read timeout");
        // The server may answer and close before reading everything.
        let _ = stream.write_all(&request);
        let mut response = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&response).into_owned()
    })
    .await
    .expect("the socket task")
}

/// The status code of the first response in `raw`.
pub fn status(raw: &str) -> u16 {
    raw.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an HTTP status line: {raw:?}"))
}
