//! PostgreSQL stopped and restarted under a steady stream of sign-ups.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{admin_url, code, fresh_database, Server, SERIAL};

fn pg_ctl(action: &str) {
    let ctl = std::env::var("GATEHOUSE_TEST_PG_CTL").expect("GATEHOUSE_TEST_PG_CTL");
    let mut parts = ctl.split_whitespace();
    let program = parts.next().expect("a command");
    let status = Command::new(program)
        .args(parts)
        .arg(action)
        .status()
        .expect("run the PostgreSQL control command");
    assert!(status.success(), "`{ctl} {action}` failed");
}

#[derive(Default)]
struct Tally {
    acknowledged: BTreeSet<String>,
    unavailable: usize,
    other: Vec<String>,
    slowest: Duration,
}

async fn sign_ups(server: &Server, tally: &mut Tally, next: &mut usize, for_how_long: Duration) {
    let until = Instant::now() + for_how_long;
    while Instant::now() < until {
        let name = format!("user{next}");
        *next += 1;
        let started = Instant::now();
        let r = server.sign_up(&name).await;
        tally.slowest = tally.slowest.max(started.elapsed());
        if r["data"]["createUser"]["user"].is_object() {
            tally.acknowledged.insert(name);
        } else if code(&r) == Some("SERVICE_UNAVAILABLE") {
            tally.unavailable += 1;
        } else {
            tally.other.push(r.to_string());
        }
    }
}

#[tokio::test]
async fn while_postgres_is_down_requests_fail_fast_and_clearly_and_nothing_acknowledged_is_lost() {
    let Some(admin) = admin_url("outage") else {
        return;
    };
    if std::env::var("GATEHOUSE_TEST_PG_CTL").is_err() {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"note: PostgreSQL outage test SKIPPED: set GATEHOUSE_TEST_PG_CTL (e.g. `pg_ctlcluster 15 main`).\n",
        );
        return;
    }
    let _serial = SERIAL.lock().await;
    let url = fresh_database(&admin).await;
    let mut server = Server::start(&url, &[("GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS", "500")]);
    let mut tally = Tally::default();
    let mut next = 0;

    sign_ups(&server, &mut tally, &mut next, Duration::from_secs(2)).await;
    let before = tally.acknowledged.len();
    assert!(
        before > 0,
        "no sign-up succeeded before the outage: {:?}",
        tally.other
    );

    pg_ctl("stop");
    let outage = async {
        let mut t = Tally::default();
        let mut n = next;
        sign_ups(&server, &mut t, &mut n, Duration::from_secs(3)).await;
        let ready = server.status("/readyz").await.unwrap();
        (t, n, ready)
    }
    .await;
    pg_ctl("start");
    let (down, n, ready_while_down) = outage;
    next = n;
    tally.acknowledged.extend(down.acknowledged.iter().cloned());
    assert!(
        down.unavailable > 0,
        "no SERVICE_UNAVAILABLE while down: {:?}",
        down.other
    );
    assert!(
        down.other.is_empty(),
        "unclear errors while down: {:?}",
        down.other
    );
    assert!(
        down.slowest < Duration::from_secs(5),
        "a request took {:?} while the database was down",
        down.slowest
    );
    assert_eq!(ready_while_down, 503);
    assert!(server.alive(), "the process died:\n{}", server.log());

    // Recovery without a restart.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut t = Tally::default();
        sign_ups(&server, &mut t, &mut next, Duration::from_millis(500)).await;
        tally.acknowledged.extend(t.acknowledged.iter().cloned());
        if !t.acknowledged.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no recovery after PostgreSQL came back: {:?}",
            t.other
        );
    }
    assert_eq!(server.status("/readyz").await.unwrap(), 200);
    assert!(server.alive());
    assert!(!server.log().contains("panicked"), "{}", server.log());

    // Every acknowledged sign-up is in the database.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let stored: BTreeSet<String> = sqlx::query_scalar("SELECT username FROM users")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let lost: Vec<_> = tally.acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged sign-ups lost: {lost:?}");
    assert!(tally.acknowledged.len() > before);
}
