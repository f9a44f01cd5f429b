//! An SMTP capture server for the tests, in-process: enough RFC 5321 for
//! lettre (greeting, EHLO/HELO advertising nothing, MAIL, RCPT, DATA with
//! dot-stuffing undone, RSET, NOOP, QUIT), every message kept whole. It can
//! be stopped (the port closed, open connections dropped: an SMTP outage)
//! and started again on the same port, keeping what it has captured.
//!
//! A [`Mail`] reads itself: its headers (`Subject`), its text and HTML
//! parts decoded (quoted-printable, base64) and the `ghl_` link token in
//! them. Shared with the PostgreSQL suite (`tests/postgres`).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long [`Smtp::wait_for`] waits before failing the test.
pub const WAIT: Duration = Duration::from_secs(10);

/// One message as it was handed over.
#[derive(Clone, Debug)]
pub struct Mail {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message (headers and body), CRLF line ends, dot-stuffing undone,
    /// without the terminating `.` line.
    pub data: String,
}

type Store = Arc<Mutex<Vec<Mail>>>;

/// How the server misbehaves: the reply to `RCPT TO` instead of 250, if
/// any (`Smtp::refuse`), and how long it takes to accept a message
/// (`Smtp::slow`).
#[derive(Default)]
struct Behaviour {
    refusal: Option<String>,
    accept_delay: Duration,
}

type Refusal = Arc<Mutex<Behaviour>>;

/// The capture server; stopped when dropped.
pub struct Smtp {
    pub port: u16,
    mails: Store,
    refusal: Refusal,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Smtp {
    /// A server on a free port.
    pub async fn start() -> Self {
        let mut smtp = Self {
            port: 0,
            mails: Store::default(),
            refusal: Refusal::default(),
            running: None,
        };
        smtp.listen().await;
        smtp
    }

    /// `smtp://127.0.0.1:PORT`, for `GATEHOUSE_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Closes the port and drops every open connection; what was captured
    /// stays. Waits until all of it is done.
    pub async fn stop(&mut self) {
        if let Some((tx, task)) = self.running.take() {
            let _ = tx.send(());
            let _ = task.await;
        }
    }

    /// Answers every `RCPT TO` with `reply` (e.g. `550 5.1.1 no such
    /// user`, `451 4.3.0 try later`), or, with `None`, accepts again.
    pub fn refuse(&self, reply: Option<&str>) {
        self.refusal.lock().expect("the behaviour").refusal = reply.map(str::to_owned);
    }

    /// Takes `delay` to accept each message (after its data, before the 250).
    pub fn slow(&self, delay: Duration) {
        self.refusal.lock().expect("the behaviour").accept_delay = delay;
    }

    /// Listens again on the same port (after [`Smtp::stop`]).
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
            .unwrap_or_else(|e| panic!("the capture server binds {addr}: {e}"));
        let listener = socket.listen(64).expect("the capture server listens");
        self.port = listener.local_addr().expect("a local address").port();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(accept(
            listener,
            self.mails.clone(),
            self.refusal.clone(),
            rx,
        ));
        self.running = Some((tx, task));
    }

    /// Everything captured so far, in the order it arrived.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("the store").clone()
    }

    /// What was captured for `recipient` (an envelope recipient).
    pub fn mails_to(&self, recipient: &str) -> Vec<Mail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(recipient)))
            .collect()
    }

    /// Waits until at least `n` messages have been captured (panics after
    /// [`WAIT`], showing what came); returns them all.
    #[track_caller]
    pub fn wait_for(&self, n: usize) -> impl std::future::Future<Output = Vec<Mail>> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            poll(WAIT, || Some(self.mails()).filter(|m| m.len() >= n))
                .await
                .unwrap_or_else(|| {
                    panic!(
                        "{caller}: expected {n} mails within {WAIT:?}, got {:#?}",
                        self.summary()
                    )
                })
        }
    }

    /// Recipients and subjects, to show in a failure.
    pub fn summary(&self) -> Vec<(Vec<String>, String)> {
        self.mails()
            .iter()
            .map(|m| (m.to.clone(), m.subject()))
            .collect()
    }
}

impl Drop for Smtp {
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
    mails: Store,
    refusal: Refusal,
    stop: oneshot::Receiver<()>,
) {
    crate::listen::accept(listener, stop, |stream| {
        converse(stream, mails.clone(), refusal.clone())
    })
    .await;
}

/// One SMTP conversation; returns when the client quits or goes.
async fn converse(stream: TcpStream, mails: Store, refusal: Refusal) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 capture.test ESMTP ready\r\n").await?;
    let (mut from, mut to): (Option<String>, Vec<String>) = (None, Vec::new());
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let refused = refusal.lock().expect("the behaviour").refusal.clone();
        let (verb, argument) = command.split_once(' ').unwrap_or((&command, ""));
        let reply = match verb.to_ascii_uppercase().as_str() {
            "RCPT" if refused.is_some() => refused.as_deref().unwrap_or_default(),
            "EHLO" | "HELO" => "250 capture.test",
            "MAIL" => match path(argument, "FROM:") {
                Some(sender) => {
                    (from, to) = (Some(sender), Vec::new());
                    "250 2.1.0 OK"
                }
                None => "501 5.5.4 MAIL FROM:<address>",
            },
            "RCPT" => match (from.is_some(), path(argument, "TO:")) {
                (false, _) => "503 5.5.1 MAIL first",
                (true, Some(recipient)) => {
                    to.push(recipient);
                    "250 2.1.5 OK"
                }
                (true, None) => "501 5.5.4 RCPT TO:<address>",
            },
            "DATA" if to.is_empty() => "503 5.5.1 RCPT first",
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let Some(data) = message(&mut read).await? else {
                    return Ok(());
                };
                let mail = Mail {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data,
                };
                let delay = refusal.lock().expect("the behaviour").accept_delay;
                tokio::time::sleep(delay).await;
                mails.lock().expect("the store").push(mail);
                "250 2.0.0 OK queued"
            }
            "RSET" => {
                (from, to) = (None, Vec::new());
                "250 2.0.0 OK"
            }
            "NOOP" => "250 2.0.0 OK",
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 not implemented",
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

/// The address in `FROM:<a@b> PARAMS` (or `TO:`), without the brackets.
fn path(argument: &str, prefix: &str) -> Option<String> {
    let head = argument.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = argument[prefix.len()..].trim_start();
    let address = match rest.strip_prefix('<') {
        Some(inner) => inner.split_once('>')?.0,
        None => rest.split_whitespace().next()?,
    };
    Some(address.to_owned())
}

/// The lines of a DATA section up to the lone `.`, unstuffed; `None` if the
/// client went away first.
async fn message(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<String>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(String::from_utf8_lossy(&data).into_owned()));
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
}

impl Mail {
    /// The header block and the body.
    fn split(&self) -> (&str, &str) {
        split(&self.data)
    }

    /// A top-level header, unfolded, encoded words decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        header(self.split().0, name).map(|v| decode_words(&v))
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The text/plain part, decoded.
    #[track_caller]
    pub fn text(&self) -> String {
        self.part("text/plain")
    }

    /// The text/html part, decoded.
    #[track_caller]
    pub fn html(&self) -> String {
        self.part("text/html")
    }

    /// The first part of type `mime` (searched through nested multiparts),
    /// its transfer encoding undone.
    #[track_caller]
    pub fn part(&self, mime: &str) -> String {
        let (headers, body) = self.split();
        find_part(headers, body, mime)
            .unwrap_or_else(|| panic!("no {mime} part in:\n{}", self.data))
    }

    /// The link tokens (`ghl_` and 43 base64url characters) in the text part.
    pub fn tokens(&self) -> Vec<String> {
        tokens(&self.text())
    }

    /// The one link token in the text part (panics unless there is exactly
    /// one), after checking the HTML part carries the same.
    #[track_caller]
    pub fn token(&self) -> String {
        let found = self.tokens();
        let [token] = &found[..] else {
            panic!(
                "expected one link token, found {found:?} in:\n{}",
                self.text()
            );
        };
        assert!(
            tokens(&unescape_html(&self.html())).contains(token),
            "the HTML part carries the text part's token:\n{}",
            self.html()
        );
        token.clone()
    }

    /// The word of the text part that holds the link token: the link
    /// (after checking the HTML part links to it too).
    #[track_caller]
    pub fn link(&self) -> String {
        let token = self.token();
        let text = self.text();
        let link = text
            .split_whitespace()
            .find(|w| w.contains(&token))
            .expect("the token is in the text")
            .trim_matches(|c: char| matches!(c, '<' | '>' | '(' | ')' | '"'))
            .to_owned();
        let html = unescape_html(&self.html());
        assert!(
            html.contains(&format!("href=\"{link}\"")),
            "the HTML part links to {link}:\n{html}"
        );
        link
    }

    /// The one envelope recipient (panics unless there is exactly one).
    #[track_caller]
    pub fn recipient(&self) -> &str {
        match &self.to[..] {
            [to] => to,
            _ => panic!("expected one recipient: {:?}", self.to),
        }
    }
}

/// Headers and body of a MIME entity (the body empty if there is none).
fn split(entity: &str) -> (&str, &str) {
    for separator in ["\r\n\r\n", "\n\n"] {
        if let Some(split) = entity.split_once(separator) {
            return split;
        }
    }
    (entity, "")
}

/// The header `name` in `headers`, continuation lines joined.
fn header(headers: &str, name: &str) -> Option<String> {
    let mut found: Option<String> = None;
    for line in headers.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some(value) = found.as_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if found.is_some() {
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            if key.trim().eq_ignore_ascii_case(name) {
                found = Some(value.trim().to_owned());
            }
        }
    }
    found
}

/// The parameter `name` of a header value (`multipart/alternative; boundary="x"`).
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (key, v) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn find_part(headers: &str, body: &str, mime: &str) -> Option<String> {
    let content_type = header(headers, "Content-Type").unwrap_or("text/plain".into());
    let lower = content_type.to_ascii_lowercase();
    if lower.starts_with("multipart/") {
        let boundary = format!("--{}", parameter(&content_type, "boundary")?);
        return body
            .split(boundary.as_str())
            .skip(1)
            .take_while(|p| !p.starts_with("--"))
            .find_map(|p| {
                let p = p.strip_prefix("\r\n").unwrap_or(p);
                let (h, b) = split(p);
                find_part(h, b, mime)
            });
    }
    if !lower.starts_with(mime) {
        return None;
    }
    let encoding = header(headers, "Content-Transfer-Encoding").unwrap_or_default();
    // The line break before the next boundary belongs to the boundary.
    let body = body.strip_suffix("\r\n").unwrap_or(body);
    Some(match encoding.to_ascii_lowercase().as_str() {
        "quoted-printable" => quoted_printable(body),
        "base64" => base64_text(body),
        _ => body.to_owned(),
    })
}

/// Undoes quoted-printable: `=\r\n` is a soft break, `=XX` a byte.
pub fn quoted_printable(encoded: &str) -> String {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' if bytes[i + 1..].starts_with(b"\n") => i += 2,
            b'=' if hex_byte(&bytes[i + 1..]).is_some() => {
                out.push(hex_byte(&bytes[i + 1..]).unwrap_or_default());
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_byte(two: &[u8]) -> Option<u8> {
    let hex = std::str::from_utf8(two.get(..2)?).ok()?;
    u8::from_str_radix(hex, 16).ok()
}

/// Base64 (line breaks ignored) decoded as UTF-8.
pub fn base64_text(encoded: &str) -> String {
    let compact: String = encoded.split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .unwrap_or_else(|e| panic!("not base64 ({e}): {encoded}"));
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); the
/// space between two of them goes.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let Some((decoded, len)) = encoded_word(&rest[start..]) else {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            after_word = false;
            continue;
        };
        let between = &rest[..start];
        if !(after_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        out.push_str(&decoded);
        rest = &rest[start + len..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s`: its text and its length.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let mut pieces = inner.splitn(3, '?');
    let (_charset, encoding, rest) = (pieces.next()?, pieces.next()?, pieces.next()?);
    let end = rest.find("?=")?;
    let text = &rest[..end];
    let len = 2 + inner.len() - rest.len() + end + 2;
    let decoded = match encoding {
        "b" | "B" => base64_text(text),
        "q" | "Q" => quoted_printable(&text.replace('_', " ")),
        _ => return None,
    };
    Some((decoded, len))
}

/// `html` with the character references an HTML escaper writes undone.
pub fn unescape_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every `ghl_` + 43 base64url characters in `text`.
pub fn tokens(text: &str) -> Vec<String> {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut found = Vec::new();
    for (at, _) in text.match_indices("ghl_") {
        let tail: String = text[at + 4..].chars().take_while(|c| is_b64(*c)).collect();
        let before = text[..at].chars().next_back();
        if tail.len() == 43 && !before.is_some_and(is_b64) {
            let token = format!("ghl_{tail}");
            if !found.contains(&token) {
                found.push(token);
            }
        }
    }
    found
}
