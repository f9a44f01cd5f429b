//! A webhook receiver for the tests, in-process: enough HTTP/1.1 for
//! Gatehouse's client (a request head, a `Content-Length` body, one request
//! per connection), every request kept whole (method, path, headers, body)
//! with the status it was answered. It answers a chosen status (a 3xx with
//! a `Location`), answers slowly, or never; it can be stopped (the port
//! closed, open connections dropped: a receiver outage) and started again on
//! the same port, keeping what it has recorded.
//!
//! [`verify`] checks a request the Standard Webhooks way, written here from
//! the specification (not with Gatehouse's signer). Shared with the
//! PostgreSQL suite (`tests/postgres/webhooks.rs`).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long the waits below wait before failing the test.
pub const WAIT: Duration = Duration::from_secs(10);

/// How far a `webhook-timestamp` may be from the real clock.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names lowercased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status it was answered, `None` if it never was (a hanging
    /// receiver).
    pub answered: Option<u16>,
}

impl Request {
    /// The first header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `webhook-id`.
    #[track_caller]
    pub fn id(&self) -> &str {
        self.header("webhook-id")
            .unwrap_or_else(|| panic!("no webhook-id: {self:?}"))
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// Answered 2xx: delivered, as the sender sees it.
    pub fn delivered(&self) -> bool {
        self.answered.is_some_and(|s| (200..300).contains(&s))
    }

    /// The body checked with `secret` (see [`verify`]); panics if it fails.
    #[track_caller]
    pub fn verified(&self, secret: &str) -> Value {
        verify(secret, &self.headers, &self.body)
            .unwrap_or_else(|e| panic!("not verified: {e}: {self:?}"))
    }
}

/// A Standard Webhooks verification of `body` sent with `headers`, from the
/// specification: `webhook-id`, `webhook-timestamp` (Unix seconds, within
/// [`TOLERANCE_SECS`] of the real clock) and `webhook-signature` (space-
/// separated `v1,<base64>` entries; one must be the HMAC-SHA256, keyed with
/// the base64-decoded secret after `whsec_`, of `id.timestamp.body`).
/// Returns the body as JSON.
pub fn verify(secret: &str, headers: &[(String, String)], body: &[u8]) -> Result<Value, String> {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .ok_or(format!("no {name} header"))
    };
    let id = get("webhook-id")?;
    let timestamp = get("webhook-timestamp")?;
    let signatures = get("webhook-signature")?;
    let sent: i64 = timestamp
        .parse()
        .map_err(|_| format!("webhook-timestamp `{timestamp}` is not Unix seconds"))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    if (now - sent).abs() > TOLERANCE_SECS {
        return Err(format!(
            "webhook-timestamp {sent} is {}s from now",
            now - sent
        ));
    }
    let key = secret
        .strip_prefix("whsec_")
        .ok_or("the secret does not start with whsec_")?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(key)
        .map_err(|e| format!("the secret is not base64: {e}"))?;
    let mut signed = Vec::new();
    signed.extend_from_slice(format!("{id}.{timestamp}.").as_bytes());
    signed.extend_from_slice(body);
    let mut seen = 0;
    for entry in signatures.split(' ') {
        let Some(("v1", sig)) = entry.split_once(',') else {
            continue;
        };
        seen += 1;
        let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig) else {
            continue;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
        mac.update(&signed);
        // Constant time, as a receiver should compare.
        if mac.verify_slice(&sig).is_ok() {
            return serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"));
        }
    }
    Err(format!(
        "none of {seen} v1 signatures matches: {signatures}"
    ))
}

/// A fresh Standard Webhooks secret: `whsec_` and 32 random bytes.
pub fn new_secret() -> String {
    let mut raw = [0u8; 32];
    getrandom::getrandom(&mut raw).expect("random bytes");
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// How the receiver answers.
#[derive(Clone)]
struct Behaviour {
    status: u16,
    /// `Location` (with a 3xx).
    location: Option<String>,
    /// Never answer: keep the connection until the client goes.
    hang: bool,
    /// Wait this long before answering.
    delay: Duration,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            status: 200,
            location: None,
            hang: false,
            delay: Duration::ZERO,
        }
    }
}

type Store = Arc<Mutex<Vec<Request>>>;
type Shared = Arc<Mutex<Behaviour>>;

/// The receiver; stopped when dropped.
pub struct Receiver {
    pub port: u16,
    requests: Store,
    behaviour: Shared,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Receiver {
    /// A receiver on a free port, answering 200.
    pub async fn start() -> Self {
        let mut receiver = Self {
            port: 0,
            requests: Store::default(),
            behaviour: Shared::default(),
            running: None,
        };
        receiver.listen().await;
        receiver
    }

    /// `http://127.0.0.1:PORT/hook`, for `GATEHOUSE_WEBHOOK_URL`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Answers `status` from now on (and stops hanging).
    pub fn answer(&self, status: u16) {
        let mut b = self.behaviour.lock().expect("the behaviour");
        (b.status, b.location, b.hang) = (status, None, false);
    }

    /// Answers `status` (a 3xx) with `Location: location` from now on.
    pub fn redirect(&self, status: u16, location: &str) {
        let mut b = self.behaviour.lock().expect("the behaviour");
        (b.status, b.location, b.hang) = (status, Some(location.to_owned()), false);
    }

    /// Reads each request and never answers it (until the client goes).
    pub fn hang(&self) {
        self.behaviour.lock().expect("the behaviour").hang = true;
    }

    /// Takes `delay` before answering each request (the PostgreSQL suite).
    #[allow(dead_code)]
    pub fn slow(&self, delay: Duration) {
        self.behaviour.lock().expect("the behaviour").delay = delay;
    }

    /// Closes the port and drops every open connection; what was recorded
    /// stays. Waits until all of it is done.
    pub async fn stop(&mut self) {
        if let Some((tx, task)) = self.running.take() {
            let _ = tx.send(());
            let _ = task.await;
        }
    }

    /// Listens again on the same port (after [`Receiver::stop`]).
    pub async fn restart(&mut self) {
        self.stop().await;
        self.listen().await;
    }

    async fn listen(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let socket = TcpSocket::new_v4().expect("a socket");
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket
            .bind(addr)
            .unwrap_or_else(|e| panic!("the receiver binds {addr}: {e}"));
        let listener = socket.listen(64).expect("the receiver listens");
        self.port = listener.local_addr().expect("a local address").port();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(accept(
            listener,
            self.requests.clone(),
            self.behaviour.clone(),
            rx,
        ));
        self.running = Some((tx, task));
    }

    /// Everything recorded so far, in the order it arrived.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("the store").clone()
    }

    /// The requests answered 2xx.
    pub fn delivered(&self) -> Vec<Request> {
        let mut all = self.requests();
        all.retain(Request::delivered);
        all
    }

    /// Waits until at least `n` requests have arrived (panics after
    /// [`WAIT`]); returns them all.
    #[track_caller]
    pub fn wait_for(&self, n: usize) -> impl std::future::Future<Output = Vec<Request>> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            poll(WAIT, || Some(self.requests()).filter(|r| r.len() >= n))
                .await
                .unwrap_or_else(|| {
                    panic!(
                        "{caller}: expected {n} requests within {WAIT:?}, got {:#?}",
                        self.summary()
                    )
                })
        }
    }

    /// Waits until at least `n` requests have been answered 2xx (panics
    /// after [`WAIT`]); returns those.
    #[track_caller]
    pub fn wait_delivered(&self, n: usize) -> impl std::future::Future<Output = Vec<Request>> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            poll(WAIT, || Some(self.delivered()).filter(|r| r.len() >= n))
                .await
                .unwrap_or_else(|| {
                    panic!(
                        "{caller}: expected {n} deliveries within {WAIT:?}, got {:#?}",
                        self.summary()
                    )
                })
        }
    }

    /// Ids, types and answers, to show in a failure.
    pub fn summary(&self) -> Vec<(String, String, Option<u16>)> {
        self.requests()
            .iter()
            .map(|r| {
                let kind = serde_json::from_slice::<Value>(&r.body)
                    .ok()
                    .and_then(|v| v["type"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                let id = r.header("webhook-id").unwrap_or_default().to_owned();
                (id, kind, r.answered)
            })
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some((tx, task)) = self.running.take() {
            let _ = tx.send(());
            task.abort();
        }
    }
}

pub use crate::listen::poll;

async fn accept(
    listener: TcpListener,
    requests: Store,
    behaviour: Shared,
    stop: oneshot::Receiver<()>,
) {
    crate::listen::accept(listener, stop, |stream| {
        serve(stream, requests.clone(), behaviour.clone())
    })
    .await;
}

/// Largest head and body read (Gatehouse's are far smaller).
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1024 * 1024;

/// One request on `stream`, recorded and answered; the connection is then
/// closed (`Connection: close`).
async fn serve(stream: TcpStream, requests: Store, behaviour: Shared) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = Vec::new();
    let mut head_len = 0;
    let mut request_line = None;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        head_len += line.len();
        if head_len > MAX_HEAD {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        if text.is_empty() {
            break;
        }
        if request_line.is_none() {
            request_line = Some(text);
        } else if let Some((name, value)) = text.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let request_line = request_line.unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if length > MAX_BODY {
        return Ok(());
    }
    let mut body = vec![0; length];
    read.read_exact(&mut body).await?;

    let how = behaviour.lock().expect("the behaviour").clone();
    let answered = (!how.hang).then_some(how.status);
    requests.lock().expect("the store").push(Request {
        method,
        path,
        headers,
        body,
        answered,
    });
    if how.hang {
        // Until the client gives up (or the receiver stops).
        let mut rest = Vec::new();
        let _ = read.read_to_end(&mut rest).await;
        return Ok(());
    }
    tokio::time::sleep(how.delay).await;
    let mut answer = format!(
        "HTTP/1.1 {} Answer\r\ncontent-length: 2\r\ncontent-type: text/plain\r\nconnection: close\r\n",
        how.status
    );
    if let Some(location) = &how.location {
        answer.push_str(&format!("location: {location}\r\n"));
    }
    answer.push_str("\r\nok");
    write.write_all(answer.as_bytes()).await?;
    write.shutdown().await
}
