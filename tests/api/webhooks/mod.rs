//! Webhook delivery, black-box: a receiver started by the test.
//!
//! The app under test POSTs its auth events to `receiver.rs`, which records
//! every request; each is checked with an independent Standard Webhooks
//! verification (and, with `GATEHOUSE_TEST_PYTHON`, with the reference
//! Python library: `tests/webhooks/verify.py`). `delivery.rs`: what arrives
//! and how it is signed; `failures.rs`: receivers down, refusing,
//! redirecting or hanging, the last attempt, a restart mid-queue.

pub mod receiver;

mod delivery;
mod failures;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use gatehouse::config::Config;
use gatehouse::db::events::{self, DeliveryRecord};
use secrecy::SecretString;
use serde_json::Value;

use crate::helpers::*;
use crate::rest::client::Reply;
pub use receiver::{new_secret, verify, Receiver, Request, WAIT};

/// Points `config`'s webhooks at `receivers`, signed with `secret`.
pub fn hooks_to(config: &mut Config, receivers: &[&Receiver], secret: &str) {
    config.webhooks.urls = receivers.iter().map(|r| r.url()).collect();
    config.webhooks.secret = Some(SecretString::from(secret.to_owned()));
}

/// An app sending every event to `receivers`, signed with a fresh secret;
/// `configure` may change the rest. Returns the app and the secret.
pub async fn hooked_app(
    receivers: &[&Receiver],
    configure: impl FnOnce(&mut Config),
) -> (TestApp, String) {
    let secret = new_secret();
    let app = spawn_app_with(|c| {
        hooks_to(c, receivers, &secret);
        configure(c);
    })
    .await;
    (app, secret)
}

/// Checks one request as a receiver would and what it says: a POST of
/// JSON to the configured path, signed with `secret` (and not verified by
/// another secret), its id the event's, an event of `kind` about `user`
/// from the test's address, with a request id. Returns the body.
#[track_caller]
pub fn check_event(req: &Request, secret: &str, kind: &str, user: &str) -> Value {
    let body = req.verified(secret);
    assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/hook"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    let other = new_secret();
    assert!(
        verify(&other, &req.headers, &req.body).is_err(),
        "verified with another secret: {req:?}"
    );
    let data = &body["data"];
    assert_eq!(body["type"], kind, "{body:#}");
    assert_eq!(data["type"], kind, "{body:#}");
    assert!(data["id"].is_string(), "data.id is a string: {body:#}");
    let uid = req.id().strip_prefix("evt_").expect("evt_…");
    assert!(
        uid.len() == 32 && uid.bytes().all(|b| b.is_ascii_hexdigit()),
        "a random id: {}",
        req.id()
    );
    assert_eq!(data["userId"], user, "{body:#}");
    assert_eq!(data["ipAddress"], "127.0.0.1", "{body:#}");
    assert!(
        data["requestId"].as_str().is_some_and(|r| !r.is_empty()),
        "{body:#}"
    );
    let at = body["timestamp"].as_str().expect("a timestamp");
    assert_eq!(data["createdAt"], at, "{body:#}");
    unix_time(at);
    body
}

/// How many requests arrived with each `webhook-id`.
pub fn per_id(requests: &[Request]) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for r in requests {
        *ids.entry(r.id().to_owned()).or_default() += 1;
    }
    ids
}

/// Asserts each `webhook-id` in `requests` came once; returns the ids.
#[track_caller]
pub fn once_each(requests: &[Request]) -> Vec<String> {
    let ids = per_id(requests);
    assert!(
        ids.values().all(|n| *n == 1),
        "an id delivered more than once: {ids:?}"
    );
    ids.into_keys().collect()
}

/// The `x-request-id` the app answered `reply` with.
#[track_caller]
pub fn request_id(reply: &Reply) -> String {
    reply
        .header("x-request-id")
        .expect("an x-request-id header")
        .to_owned()
}

impl TestApp {
    /// Every webhook delivery record, oldest first.
    pub async fn deliveries(&self) -> Vec<DeliveryRecord> {
        events::deliveries(self.state.db())
            .await
            .expect("the deliveries are read")
    }

    /// Waits (up to [`WAIT`]) until there are `n` delivery records and
    /// none is pending any more (no further attempt can be made); returns
    /// them.
    #[track_caller]
    pub fn settled(&self, n: usize) -> impl std::future::Future<Output = Vec<DeliveryRecord>> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            let deadline = Instant::now() + WAIT;
            loop {
                let rows = self.deliveries().await;
                if rows.len() == n && rows.iter().all(|r| r.status != "pending") {
                    return rows;
                }
                if Instant::now() >= deadline {
                    panic!("{caller}: expected {n} settled deliveries: {rows:#?}");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    /// `gatehouse_webhooks_total{result}` as `/metrics` shows it.
    pub async fn webhooks_counted(&self, result: &str) -> u64 {
        self.metric(&format!("gatehouse_webhooks_total{{result=\"{result}\"}}"))
            .await
    }

    /// The value of the sample `name` (with its labels) on `/metrics`; 0
    /// when it is absent.
    pub async fn metric(&self, name: &str) -> u64 {
        let metrics = self.client.get(self.url("/metrics")).send().await;
        let metrics = metrics.expect("/metrics").text().await.expect("a body");
        let prefix = format!("{name} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map_or(0, |n| n.parse().expect("a count"))
    }

    /// Waits (up to [`WAIT`]) until the sample `name` on `/metrics` is
    /// `value` (a gauge the worker sets at the end of its pass).
    #[track_caller]
    pub fn metric_reaches<'a>(
        &'a self,
        name: &'a str,
        value: u64,
    ) -> impl std::future::Future<Output = ()> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let deadline = Instant::now() + WAIT;
            loop {
                let now = self.metric(name).await;
                if now == value {
                    return;
                }
                if Instant::now() >= deadline {
                    panic!("{caller}: {name} is {now}, not {value}");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    /// Waits (up to [`WAIT`]) until `n` delivery attempts have ended in
    /// `result` (counted after the record says so).
    #[track_caller]
    pub fn webhook_attempts_ended<'a>(
        &'a self,
        result: &'a str,
        n: u64,
    ) -> impl std::future::Future<Output = ()> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let deadline = Instant::now() + WAIT;
            loop {
                let counted = self.webhooks_counted(result).await;
                assert!(
                    counted <= n,
                    "{caller}: {counted} attempts ended in {result}, expected {n}: {:#?}",
                    self.deliveries().await
                );
                if counted == n {
                    return;
                }
                if Instant::now() >= deadline {
                    panic!(
                        "{caller}: {n} webhook attempts ending in {result} not counted ({counted}): {:#?}",
                        self.deliveries().await
                    );
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}
