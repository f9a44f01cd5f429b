//! When delivery fails: a receiver down, answering 5xx or a redirect, or
//! never answering; the last attempt; Gatehouse restarted mid-queue. No
//! event is lost and none is delivered twice (by `webhook-id`); retries
//! are made due by advancing the service clock, not by waiting.

use std::time::Duration;

use super::*;

/// Past the first retry's delay (30 s, ±20%).
const FIRST_RETRY: i64 = 40;
/// Past the second's (60 s, ±20%).
const SECOND_RETRY: i64 = 80;

async fn sign_up(app: &TestApp, name: &str) -> String {
    app.rest_sign_up_default(name).await["id"]
        .as_i64()
        .expect("an integer id")
        .to_string()
}

/// The one delivery record to `url`.
async fn record_of(app: &TestApp, url: &str) -> DeliveryRecord {
    let mut rows = app.deliveries().await;
    rows.retain(|r| r.url == url);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    rows.remove(0)
}

#[tokio::test]
async fn events_written_while_the_receiver_is_down_arrive_once_when_it_is_back() {
    let mut receiver = Receiver::start().await;
    receiver.stop().await;
    let (app, secret) = hooked_app(&[&receiver], |_| {}).await;

    let mut users = Vec::new();
    for name in ["alice", "bob", "carol"] {
        users.push(sign_up(&app, name).await);
    }
    // Each tried at once and refused (the port is closed); tried again,
    // still down, when the retry comes due.
    app.webhook_attempts_ended("retry", 3).await;
    let rows = app.deliveries().await;
    assert!(
        rows.iter().all(|r| r.status == "pending"
            && r.attempts == 1
            && r.last_error
                .as_deref()
                .is_some_and(|e| e.contains("could not connect"))),
        "{rows:#?}"
    );
    app.metric_reaches("gatehouse_webhook_queue_depth", 3).await;
    app.state.clock().advance(FIRST_RETRY);
    app.webhook_attempts_ended("retry", 6).await;

    // Back up; the next retry is not due yet.
    receiver.restart().await;
    assert_eq!(app.state.deliver_webhooks().await.expect("a pass"), 0);
    assert!(receiver.requests().is_empty());

    app.state.clock().advance(SECOND_RETRY);
    receiver.wait_delivered(3).await;
    let rows = app.settled(3).await;
    assert!(
        rows.iter()
            .all(|r| r.status == "sent" && r.attempts == 3 && r.last_error.is_none()),
        "{rows:#?}"
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3, "{:#?}", receiver.summary());
    assert_eq!(once_each(&requests).len(), 3);
    let mut about: Vec<String> = requests
        .iter()
        .map(|r| r.json()["data"]["userId"].as_str().unwrap().to_owned())
        .collect();
    for (req, user) in requests.iter().zip(&about) {
        check_event(req, &secret, "sign_up", user);
    }
    about.sort();
    users.sort();
    assert_eq!(about, users, "one sign-up each");
    assert_eq!(app.webhooks_counted("sent").await, 3);
    assert_eq!(app.webhooks_counted("failed").await, 0);
    app.metric_reaches("gatehouse_webhook_queue_depth", 0).await;
}

#[tokio::test]
async fn a_5xx_is_retried_with_the_same_message() {
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let (app, secret) = hooked_app(&[&receiver], |_| {}).await;
    let alice = sign_up(&app, "alice").await;

    app.webhook_attempts_ended("retry", 1).await;
    let row = record_of(&app, &receiver.url()).await;
    assert_eq!((row.status.as_str(), row.attempts), ("pending", 1));
    assert_eq!(
        row.last_error.as_deref(),
        Some("the receiver answered 500"),
        "{row:#?}"
    );
    assert_eq!(receiver.requests().len(), 1);

    receiver.answer(200);
    app.state.clock().advance(FIRST_RETRY);
    let delivered = receiver.wait_delivered(1).await;
    let rows = app.settled(1).await;
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("sent", 2));
    assert_eq!(rows[0].last_error, None);

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2, "{:#?}", receiver.summary());
    assert_eq!(requests[0].answered, Some(500));
    // The retry is the same message: its id and body, signed again.
    assert_eq!(requests[1].id(), requests[0].id());
    assert_eq!(requests[1].body, requests[0].body);
    for req in &requests {
        check_event(req, &secret, "sign_up", &alice);
    }
    assert_eq!(
        per_id(&delivered).values().copied().collect::<Vec<_>>(),
        [1]
    );
    assert_eq!(app.webhooks_counted("sent").await, 1);
    assert_eq!(app.webhooks_counted("retry").await, 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_counts_as_a_failure() {
    let elsewhere = Receiver::start().await;
    let receiver = Receiver::start().await;
    // 307 keeps the method and body: a client that followed it would POST
    // the event to `elsewhere`.
    receiver.redirect(307, &elsewhere.url());
    let (app, secret) = hooked_app(&[&receiver], |_| {}).await;
    let alice = sign_up(&app, "alice").await;

    app.webhook_attempts_ended("retry", 1).await;
    let row = record_of(&app, &receiver.url()).await;
    assert_eq!((row.status.as_str(), row.attempts), ("pending", 1));
    assert_eq!(
        row.last_error.as_deref(),
        Some("the receiver answered 307"),
        "{row:#?}"
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    check_event(&requests[0], &secret, "sign_up", &alice);
    assert!(
        elsewhere.requests().is_empty(),
        "the redirect was followed: {:#?}",
        elsewhere.summary()
    );

    // A permanent one too, on the retry.
    receiver.redirect(308, &elsewhere.url());
    app.state.clock().advance(FIRST_RETRY);
    app.webhook_attempts_ended("retry", 2).await;
    let row = record_of(&app, &receiver.url()).await;
    assert_eq!((row.status.as_str(), row.attempts), ("pending", 2));
    assert_eq!(row.last_error.as_deref(), Some("the receiver answered 308"));
    assert_eq!(receiver.requests().len(), 2);
    assert!(elsewhere.requests().is_empty());
    assert_eq!(app.webhooks_counted("sent").await, 0);
}

#[tokio::test]
async fn after_the_last_attempt_the_delivery_is_failed_and_counted() {
    let receiver = Receiver::start().await;
    receiver.answer(503);
    let (app, secret) = hooked_app(&[&receiver], |c| c.webhooks.max_attempts = 3).await;
    let alice = sign_up(&app, "alice").await;

    app.webhook_attempts_ended("retry", 1).await;
    app.state.clock().advance(FIRST_RETRY);
    app.webhook_attempts_ended("retry", 2).await;
    app.state.clock().advance(SECOND_RETRY);
    app.webhook_attempts_ended("failed", 1).await;

    let rows = app.settled(1).await;
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("failed", 3));
    assert_eq!(
        rows[0].last_error.as_deref(),
        Some("the receiver answered 503")
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3, "{:#?}", receiver.summary());
    for req in &requests {
        check_event(req, &secret, "sign_up", &alice);
    }
    assert_eq!(per_id(&requests).len(), 1, "one message, tried three times");

    // Given up for good: nothing is due however long one waits, even once
    // the receiver would take it.
    receiver.answer(200);
    app.state.clock().advance(100_000);
    assert_eq!(app.state.deliver_webhooks().await.expect("a pass"), 0);
    assert_eq!(receiver.requests().len(), 3);
    assert_eq!(app.deliveries().await[0].status, "failed");

    assert_eq!(app.webhooks_counted("failed").await, 1);
    assert_eq!(app.webhooks_counted("retry").await, 2);
    assert_eq!(app.webhooks_counted("sent").await, 0);
    app.metric_reaches("gatehouse_webhook_queue_depth", 0).await;
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l == r#"gatehouse_webhooks_total{result="failed"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn nothing_is_lost_when_gatehouse_restarts_mid_queue() {
    // Long enough that the hanging attempt below is still hanging when the
    // server stops; the lease a claim takes follows from it.
    const TIMEOUT: u64 = 30;
    let lease = gatehouse::service::webhooks_lease_secs(Duration::from_secs(TIMEOUT));
    let mut receiver = Receiver::start().await;
    receiver.stop().await;
    let secret = new_secret();
    let url = receiver.url();
    let configure = |c: &mut Config| {
        c.webhooks.urls = vec![url.clone()];
        c.webhooks.secret = Some(SecretString::from(secret.clone()));
        c.webhooks.timeout = Duration::from_secs(TIMEOUT);
        // The worker, stuck on the hanging receiver, is not waited for long.
        c.http.shutdown_grace = Duration::from_secs(1);
    };
    let first = spawn_app_with(configure).await;

    // Alice's event: refused (the receiver is down), due again later.
    let alice = sign_up(&first, "alice").await;
    first.webhook_attempts_ended("retry", 1).await;
    // The receiver comes back but never answers: the retry hangs, claimed.
    receiver.hang();
    receiver.restart().await;
    first.state.clock().advance(FIRST_RETRY);
    receiver.wait_for(1).await;
    // Bob's event is written while the worker is stuck: never tried.
    let bob = sign_up(&first, "bob").await;
    let rows = first.deliveries().await;
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(rows.iter().all(|r| r.status == "pending"), "{rows:#?}");
    assert_eq!(
        rows.iter().map(|r| r.attempts).collect::<Vec<_>>(),
        [2, 0],
        "alice's in flight, bob's not tried: {rows:#?}"
    );

    // Stopped mid-delivery, with a queue.
    let started = std::time::Instant::now();
    let dir = first.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the hanging delivery held the shutdown: {:?}",
        started.elapsed()
    );
    receiver.stop().await;
    receiver.answer(200);
    receiver.restart().await;

    let second = spawn_app_in(dir, configure).await;
    // Its clock where the first one's was (moved on for alice's retry).
    second.state.clock().advance(FIRST_RETRY);
    // Bob's was never tried: it is due at once.
    let delivered = receiver.wait_delivered(1).await;
    assert_eq!(delivered[0].json()["data"]["userId"], bob.as_str());
    // Alice's is leased to the stopped instance until the lease ends.
    second.state.clock().advance(lease + 60);
    receiver.wait_delivered(2).await;
    let rows = second.settled(2).await;
    assert!(rows.iter().all(|r| r.status == "sent"), "{rows:#?}");
    assert_eq!(
        rows.iter().map(|r| r.attempts).collect::<Vec<_>>(),
        [3, 1],
        "{rows:#?}"
    );

    let delivered = receiver.delivered();
    assert_eq!(delivered.len(), 2, "{:#?}", receiver.summary());
    assert_eq!(once_each(&delivered).len(), 2);
    for req in &delivered {
        let user = req.json()["data"]["userId"].as_str().unwrap().to_owned();
        assert!(user == alice || user == bob, "{user}");
        check_event(req, &secret, "sign_up", &user);
    }
    // The hanging attempt was alice's message: the same id again.
    let all = receiver.requests();
    let unanswered: Vec<&Request> = all.iter().filter(|r| r.answered.is_none()).collect();
    assert_eq!(unanswered.len(), 1, "{:#?}", receiver.summary());
    let alice_req = delivered
        .iter()
        .find(|r| r.json()["data"]["userId"] == alice.as_str())
        .unwrap();
    assert_eq!(unanswered[0].id(), alice_req.id());
    assert_eq!(unanswered[0].body, alice_req.body);
}

#[tokio::test]
async fn a_receiver_that_never_answers_does_not_hold_up_the_others() {
    let hanging = Receiver::start().await;
    hanging.hang();
    let healthy = Receiver::start().await;
    let (app, secret) = hooked_app(&[&hanging, &healthy], |c| {
        c.webhooks.timeout = Duration::from_secs(1);
    })
    .await;

    let alice = sign_up(&app, "alice").await;
    app.rest_login("alice", PASSWORD).await;
    // Each attempt at the hanging one ends after a second; the healthy
    // one gets both events within the wait (10 s), which the default
    // timeout (10 s an attempt) would not have allowed.
    let delivered = healthy.wait_delivered(2).await;
    assert_eq!(once_each(&delivered).len(), 2);
    for req in &delivered {
        let kind = req.json()["type"].as_str().unwrap().to_owned();
        check_event(req, &secret, &kind, &alice);
    }

    // The hanging receiver's deliveries timed out and wait for a retry.
    app.webhook_attempts_ended("retry", 2).await;
    let rows: Vec<DeliveryRecord> = app
        .deliveries()
        .await
        .into_iter()
        .filter(|r| r.url == hanging.url())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(
        rows.iter().all(|r| r.status == "pending"
            && r.attempts == 1
            && r.last_error
                .as_deref()
                .is_some_and(|e| e.starts_with("timed out"))),
        "{rows:#?}"
    );
    assert_eq!(hanging.requests().len(), 2, "{:#?}", hanging.summary());
    assert!(hanging.delivered().is_empty());
}

/// Each URL has its own worker: with one receiver hanging for the whole
/// timeout, a burst of events reaches the healthy one in less than one
/// timeout (a worker shared by both URLs would wait out the timeout with
/// every batch that holds a delivery to the hanging one).
#[tokio::test]
async fn a_hanging_receiver_delays_only_its_own_deliveries() {
    let hanging = Receiver::start().await;
    hanging.hang();
    let healthy = Receiver::start().await;
    let (app, _secret) = hooked_app(&[&hanging, &healthy], |c| {
        c.webhooks.timeout = Duration::from_secs(4);
        unthrottled(c);
    })
    .await;
    const EVENTS: usize = 30;
    for i in 0..EVENTS {
        sign_up(&app, &format!("user{i}")).await;
    }
    let all = crate::listen::poll(Duration::from_millis(3_000), || {
        Some(healthy.delivered()).filter(|d| d.len() >= EVENTS)
    })
    .await;
    assert!(
        all.is_some(),
        "{} of {EVENTS} delivered to the healthy receiver within 3 s",
        healthy.delivered().len()
    );
    assert!(hanging.delivered().is_empty());
}

/// Deliveries queued for a URL the operator has since removed are given
/// up at the next start, never sent there; the URL configured now gets
/// the new events.
#[tokio::test]
async fn a_url_removed_from_the_settings_is_never_called_again() {
    let mut old = Receiver::start().await;
    old.stop().await;
    let new = Receiver::start().await;
    let secret = new_secret();
    let (old_url, new_url) = (old.url(), new.url());
    let first = spawn_app_with(|c| {
        c.webhooks.urls = vec![old_url.clone()];
        c.webhooks.secret = Some(SecretString::from(secret.clone()));
    })
    .await;
    sign_up(&first, "alice").await;
    first.webhook_attempts_ended("retry", 1).await;
    let dir = first.stop().await;
    old.restart().await;

    let second = spawn_app_in(dir, |c| {
        c.webhooks.urls = vec![new_url.clone()];
        c.webhooks.secret = Some(SecretString::from(secret.clone()));
    })
    .await;
    second.state.clock().advance(FIRST_RETRY);
    let bob = sign_up(&second, "bob").await;
    let delivered = new.wait_delivered(1).await;
    check_event(&delivered[0], &secret, "sign_up", &bob);
    let rows = second.settled(2).await;
    let old_row = rows
        .iter()
        .find(|r| r.url == old_url)
        .expect("the old delivery");
    assert_eq!(old_row.status, "failed", "{rows:#?}");
    assert!(
        old_row.last_error.as_deref().unwrap().contains("no longer"),
        "{rows:#?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(old.requests().is_empty(), "{:#?}", old.summary());
}

/// The queue's depth shows a backlog while it builds, even when the one
/// receiver hangs (no batch ends before the timeout).
#[tokio::test]
async fn the_queue_depth_shows_a_backlog_behind_a_hanging_receiver() {
    let hanging = Receiver::start().await;
    hanging.hang();
    let (app, _secret) = hooked_app(&[&hanging], |c| {
        c.webhooks.timeout = Duration::from_secs(60);
        unthrottled(c);
    })
    .await;
    sign_up(&app, "first").await;
    hanging.wait_for(1).await;
    // The worker now waits on the first delivery for a minute.
    for i in 0..4 {
        sign_up(&app, &format!("user{i}")).await;
    }
    app.metric_reaches("gatehouse_webhook_queue_depth", 5).await;
}
