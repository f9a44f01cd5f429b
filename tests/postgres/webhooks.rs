//! Two server processes on one PostgreSQL database, one webhook outbox:
//! every event either writes is delivered once (by `webhook-id`),
//! whichever instance's worker claims it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures_util::future::join_all;

use crate::support::{admin_url, fresh_database, Server, SERIAL};

/// The API suite's webhook receiver and Standard Webhooks verification.
#[path = "../api/webhooks/receiver.rs"]
#[allow(dead_code)]
mod receiver;

use receiver::{new_secret, Receiver};

#[tokio::test]
async fn two_instances_deliver_each_event_exactly_once() {
    let Some(admin) = admin_url("webhooks") else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let url = fresh_database(&admin).await;
    let hooks = Receiver::start().await;
    // A slow receiver: each worker is busy delivering while the other polls.
    hooks.slow(Duration::from_millis(100));
    let secret = new_secret();
    let hook_url = hooks.url();
    let env = [
        ("GATEHOUSE_WEBHOOK_URL", hook_url.as_str()),
        ("GATEHOUSE_WEBHOOK_SECRET", secret.as_str()),
        ("GATEHOUSE_WEBHOOK_EVENTS", "sign_up"),
    ];
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start(&url, &env));
        let b = s.spawn(|| Server::start(&url, &env));
        (a.join().unwrap(), b.join().unwrap())
    });

    // Thirty sign-ups at once, half through each instance: thirty events,
    // each instance's worker woken by its own and polling for the other's.
    const USERS: usize = 30;
    let names: Vec<String> = (0..USERS).map(|i| format!("user{i}")).collect();
    let sign_ups = names.iter().enumerate().map(|(i, name)| {
        let server = if i % 2 == 0 { &a } else { &b };
        server.sign_up(name)
    });
    let mut ids = BTreeSet::new();
    for (i, r) in join_all(sign_ups).await.iter().enumerate() {
        let id = r["data"]["createUser"]["user"]["id"].as_str();
        ids.insert(id.unwrap_or_else(|| panic!("user{i}: {r}")).to_owned());
    }

    hooks.wait_delivered(USERS).await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let deadline = std::time::Instant::now() + receiver::WAIT;
    let rows = loop {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, attempts FROM webhook_outbox ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap();
        if rows.iter().all(|(status, _)| status != "pending") {
            break rows;
        }
        assert!(std::time::Instant::now() < deadline, "{rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(rows.len(), USERS);
    assert!(
        rows.iter()
            .all(|(status, attempts)| status == "sent" && *attempts == 1),
        "each claimed once and sent: {rows:?}"
    );
    // Both workers poll every second: a second delivery would show by now.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let requests = hooks.requests();
    let mut per_id: BTreeMap<String, usize> = BTreeMap::new();
    let mut about = BTreeSet::new();
    for r in &requests {
        *per_id.entry(r.id().to_owned()).or_default() += 1;
        let body = r.verified(&secret);
        assert_eq!(body["type"], "sign_up", "{body:#}");
        assert!(
            r.id().starts_with("evt_") && r.id().len() == 36,
            "{}",
            r.id()
        );
        assert_eq!(body["data"]["ipAddress"], "127.0.0.1", "{body:#}");
        assert!(body["data"]["requestId"].is_string(), "{body:#}");
        about.insert(body["data"]["userId"].as_str().unwrap().to_owned());
        assert!(
            receiver::verify(&new_secret(), &r.headers, &r.body).is_err(),
            "verified with another secret"
        );
    }
    assert_eq!(requests.len(), USERS, "{:#?}", hooks.summary());
    assert_eq!(per_id.len(), USERS, "an id of its own for each event");
    assert!(
        per_id.values().all(|n| *n == 1),
        "each exactly once: {per_id:?}"
    );
    assert_eq!(about, ids, "one event about each new user");

    // Both workers took part (each was woken by its own sign-ups).
    for server in [&a, &b] {
        let log = server.log();
        assert!(!log.contains("webhook given up"), "{log}");
        assert!(
            log.contains("webhook delivered"),
            "this instance delivered none:\n{log}"
        );
    }
}
