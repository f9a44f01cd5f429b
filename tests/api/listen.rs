//! What the tests' own servers share (the SMTP capture server in
//! `mail/smtp.rs`, the webhook receiver in `webhooks/receiver.rs`):
//! accepting connections until told to stop, and waiting for what they
//! record. Shared with the PostgreSQL suite (`tests/postgres`).

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

/// Serves each connection `listener` accepts with `serve`, until `stop`;
/// then closes the port and drops the connections still open (an outage,
/// as a client sees it).
pub async fn accept<F, Fut>(listener: TcpListener, mut stop: oneshot::Receiver<()>, serve: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(serve(stream));
                }
            }
            // Reaps finished connections (never ready when there are none).
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// Calls `check` every 20 ms until it gives something or `within` passes.
pub async fn poll<T>(within: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check() {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
