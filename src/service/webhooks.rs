//! Webhooks: auth events POSTed to `GATEHOUSE_WEBHOOK_URL`, signed the
//! Standard Webhooks way (<https://www.standardwebhooks.com>), so receivers
//! verify them with its libraries. Deliveries are written with their event
//! (`db::events`); every instance's worker claims due ones with a lease,
//! as the mail outbox's does, and sends each at least once: retried with
//! backoff and jitter, failed after `GATEHOUSE_WEBHOOK_MAX_ATTEMPTS`.

use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::events::{self, Delivery, EventRow};
use crate::error::Result;
use crate::service::events::AuthEvent;
use crate::service::Gatehouse;

/// Deliveries one pass of the worker claims at most.
const BATCH: i64 = 20;
/// The first retry's delay; it doubles with each failure up to an hour,
/// each delay drawn within ±20% (receivers that were down are not hit by
/// every instance's backlog at the same second).
const FIRST_BACKOFF_SECS: i64 = 30;
const MAX_BACKOFF_SECS: i64 = 3600;

/// The delay before the next try after `attempts` failed ones; `jitter` in
/// [0, 1) places it within ±20% of the doubling's.
pub(crate) fn backoff(attempts: i64, jitter: f64) -> i64 {
    let base = super::mail::backoff_from(FIRST_BACKOFF_SECS, MAX_BACKOFF_SECS, attempts) as f64;
    (base * (0.8 + 0.4 * jitter.clamp(0.0, 1.0))).round() as i64
}

/// How long a claimed batch stays its worker's: three times an attempt's
/// timeout (the batch's deliveries go at once), so no other worker takes a
/// delivery this one is still making; one whose worker died (a shutdown
/// mid-send) is due again after it.
pub fn lease_secs(timeout: std::time::Duration) -> i64 {
    (i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX / 4) + 1) * 3
}

fn jitter() -> f64 {
    let mut b = [0u8; 2];
    getrandom::getrandom(&mut b).map_or(0.5, |()| f64::from(u16::from_le_bytes(b)) / 65536.0)
}

/// A Standard Webhooks signer: the secret's bytes (`whsec_` and base64).
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(<redacted>)")
    }
}

impl Signer {
    /// From `whsec_<base64>` (checked by the settings).
    pub fn new(secret: &str) -> Option<Self> {
        let b64 = secret
            .trim()
            .strip_prefix("whsec_")
            .unwrap_or(secret.trim());
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .map(|key| Self { key })
    }

    /// The `webhook-signature` header for message `id` sent at `timestamp`
    /// (Unix seconds) with `body`: `v1,` and the base64 HMAC-SHA256 of
    /// `id.timestamp.body`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        format!("v1,{sig}")
    }
}

/// The message id of an event's deliveries: the same on every try and to
/// every URL, so a receiver drops duplicates by it; random, so two
/// databases (or one restored from a backup) never send the same id for
/// different events.
pub fn message_id(e: &EventRow) -> String {
    format!("evt_{}", e.uid)
}

/// What a receiver is sent for `e`: `{"type", "timestamp", "data"}`, the
/// data the event's fields as the API names them. Built from the stored
/// row alone, so every try sends the same bytes.
pub fn payload(e: &EventRow) -> Vec<u8> {
    let event = AuthEvent::from(e.clone());
    serde_json::json!({
        "type": event.kind,
        "timestamp": event.created_at_rfc3339(),
        "data": event.to_json(),
    })
    .to_string()
    .into_bytes()
}

/// The HTTP client deliveries go through: no redirects (only the
/// configured URLs are called), no proxies from the environment, a
/// deadline per attempt.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("Gatehouse-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client without custom TLS roots builds")
}

impl Gatehouse {
    /// Tells this instance's webhook workers (one per URL) that deliveries
    /// are due.
    pub(crate) fn webhooks_queued(&self) {
        if !self.config.webhooks.urls.is_empty() {
            self.webhooks_due.notify_waiters();
        }
    }

    /// Gives up the deliveries queued for URLs no longer configured (the
    /// operator removed a receiver): they are never sent. Run when the
    /// workers start; instances sharing a database share these settings.
    pub async fn give_up_unconfigured_webhooks(&self) -> Result<u64> {
        events::give_up_except(
            &self.db,
            &self.config.webhooks.urls,
            "the URL is no longer in GATEHOUSE_WEBHOOK_URL",
        )
        .await
    }

    /// Waits until deliveries may be due: queued here, or `poll` elapsed.
    pub async fn webhooks_wait(&self, poll: Duration) {
        let _ = tokio::time::timeout(poll, self.webhooks_due.notified()).await;
    }

    /// Makes the deliveries due to every configured URL (one URL after
    /// another); how many went through. The server runs one worker per URL
    /// instead (`deliver_webhooks_to`).
    pub async fn deliver_webhooks(&self) -> Result<usize> {
        let mut sent = 0;
        for url in &self.config.webhooks.urls {
            sent += self.deliver_webhooks_to(url).await?;
        }
        Ok(sent)
    }

    /// Makes the deliveries due to `url`, a batch at a time, until none
    /// is; how many went through. Each URL has its own queue and worker: a
    /// receiver that hangs or fails delays only its own deliveries.
    pub async fn deliver_webhooks_to(&self, url: &str) -> Result<usize> {
        let Some(signer) = &self.webhook_signer else {
            return Ok(0);
        };
        let lease = lease_secs(self.config.webhooks.timeout);
        let mut sent = 0;
        loop {
            let now = self.now();
            let batch = events::claim(&self.db, url, now, now + lease, BATCH).await?;
            if batch.is_empty() {
                break;
            }
            // A batch's deliveries go at once, each within the timeout.
            let done =
                futures_util::future::join_all(batch.iter().map(|d| self.deliver_one(signer, d)))
                    .await;
            for one in done {
                sent += usize::from(one?);
            }
        }
        self.count_webhook_queue().await?;
        Ok(sent)
    }

    /// Sets `gatehouse_webhook_queue_depth` (after each pass, and every few
    /// seconds by the server: a backlog shows while it builds, even when
    /// every receiver hangs; not after every batch, which would count a
    /// large backlog again for every 20 sent).
    pub async fn count_webhook_queue(&self) -> Result<()> {
        let depth = events::depth(&self.db).await?;
        self.metrics.webhook_queue_depth.store(
            u64::try_from(depth).unwrap_or(0),
            std::sync::atomic::Ordering::Relaxed,
        );
        Ok(())
    }

    async fn deliver_one(&self, signer: &Signer, d: &Delivery) -> Result<bool> {
        let id = message_id(&d.event);
        let body = payload(&d.event);
        // The receiver checks this against its own clock: the real one.
        let timestamp = crate::now();
        let started = Instant::now();
        let sent = self
            .webhook_client
            .post(&d.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signer.sign(&id, timestamp, &body))
            .body(body)
            .send()
            .await;
        self.metrics.webhook_latency.observe(started.elapsed());
        let outcome = match sent {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("the receiver answered {}", r.status().as_u16())),
            // Without the URL (the operator knows it; it may carry a token
            // in its query).
            Err(e) => Err(describe(&e.without_url())),
        };
        let (event, attempts) = (d.event.id, d.attempts);
        match outcome {
            Ok(()) => {
                events::mark_sent(&self.db, d.id, self.now()).await?;
                self.metrics.webhook("sent");
                tracing::info!(delivery = d.id, event, attempts, "webhook delivered");
                Ok(true)
            }
            Err(error) if attempts >= self.config.webhooks.max_attempts => {
                events::mark_failed(&self.db, d.id, &error).await?;
                self.metrics.webhook("failed");
                tracing::error!(delivery = d.id, event, attempts, %error, "webhook given up");
                Ok(false)
            }
            Err(error) => {
                let next = self.now() + backoff(attempts, jitter());
                events::mark_retry(&self.db, d.id, next, &error).await?;
                self.metrics.webhook("retry");
                tracing::warn!(delivery = d.id, event, attempts, %error, "webhook not delivered; will retry");
                Ok(false)
            }
        }
    }
}

/// An HTTP failure in a few words, with its cause.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    match std::error::Error::source(e) {
        Some(cause) => format!("{what}: {cause}"),
        None => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks reference libraries' test vector.
    #[test]
    fn signs_like_the_reference_implementation() {
        let s = Signer::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            s.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn the_backoff_doubles_within_its_jitter() {
        assert_eq!(backoff(1, 0.5), 30);
        assert_eq!(backoff(1, 0.0), 24);
        assert_eq!(backoff(1, 0.999_999), 36);
        assert_eq!(backoff(2, 0.5), 60);
        assert_eq!(backoff(100, 0.5), 3600);
        assert!(backoff(100, 1.0) <= 4320);
    }

    #[test]
    fn the_payload_is_the_events_fields() {
        let row = EventRow {
            id: 7,
            uid: "0f".repeat(16),
            kind: "login_failed".into(),
            user_id: Some(3),
            actor_id: None,
            session_id: None,
            ip_address: Some("192.0.2.1".into()),
            user_agent: None,
            request_id: Some("r".into()),
            created_at: 1_700_000_000,
            details: r#"{"reason":"wrong_password"}"#.into(),
        };
        let v: serde_json::Value = serde_json::from_slice(&payload(&row)).unwrap();
        assert_eq!(v["type"], "login_failed");
        assert_eq!(v["timestamp"], "2023-11-14T22:13:20Z");
        assert_eq!(v["data"]["userId"], "3");
        assert_eq!(v["data"]["details"]["reason"], "wrong_password");
        assert_eq!(payload(&row), payload(&row));
    }
}
