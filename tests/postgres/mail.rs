//! Two server processes on one PostgreSQL database, one outbox: every mail
//! either queues goes out once, whichever instance's worker takes it.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::future::join_all;

use crate::smtp::Smtp;
use crate::support::{admin_url, code, fresh_database, Server, SERIAL};

const FROM: &str = "Gatehouse <noreply@gatehouse.test>";

#[tokio::test]
async fn two_instances_send_each_queued_mail_exactly_once() {
    let Some(admin) = admin_url("mail") else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let url = fresh_database(&admin).await;
    let smtp = Smtp::start().await;
    // A slow server: each worker is busy sending while the other polls.
    smtp.slow(Duration::from_millis(100));
    let smtp_url = smtp.url();
    let env = [
        ("GATEHOUSE_SMTP_URL", smtp_url.as_str()),
        ("GATEHOUSE_MAIL_FROM", FROM),
    ];
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start(&url, &env));
        let b = s.spawn(|| Server::start(&url, &env));
        (a.join().unwrap(), b.join().unwrap())
    });

    // Thirty sign-ups at once, half through each instance: thirty mails
    // queued, each instance's worker woken by its own and polling for the
    // other's.
    const USERS: usize = 30;
    let names: Vec<String> = (0..USERS).map(|i| format!("user{i}")).collect();
    let sign_ups = names.iter().enumerate().map(|(i, name)| {
        let server = if i % 2 == 0 { &a } else { &b };
        server.sign_up(name)
    });
    for (i, r) in join_all(sign_ups).await.iter().enumerate() {
        assert!(
            r["data"]["createUser"]["user"]["id"].is_string(),
            "user{i}: {r}"
        );
    }

    smtp.wait_for(USERS).await;
    // Both workers poll every second: a second sending would show by now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = smtp.mails();
    let mut per_recipient: BTreeMap<String, usize> = BTreeMap::new();
    for m in &mails {
        *per_recipient.entry(m.recipient().to_owned()).or_default() += 1;
        assert_eq!(m.subject(), "Confirm your email address");
        assert_eq!(m.from, "noreply@gatehouse.test");
    }
    let expected: BTreeMap<String, usize> = (0..USERS)
        .map(|i| (format!("user{i}@example.com"), 1))
        .collect();
    assert_eq!(per_recipient, expected, "each mail exactly once");
    let tokens: std::collections::BTreeSet<String> = mails.iter().map(|m| m.token()).collect();
    assert_eq!(tokens.len(), USERS, "a token of its own in each mail");

    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, attempts FROM mail_outbox ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), USERS);
    assert!(
        rows.iter()
            .all(|(status, attempts)| status == "sent" && *attempts == 1),
        "each claimed once and sent: {rows:?}"
    );

    // A link mailed by one instance's worker is followed on the other.
    let user0 = smtp.mails_to("user0@example.com")[0].token();
    let verify = |token: &str| {
        format!(
            r#"mutation {{ verifyAccount(token: "{token}") {{ success user {{ username emailVerified }} }} }}"#
        )
    };
    let r = b.graphql(&verify(&user0), None).await.unwrap();
    assert_eq!(
        r["data"]["verifyAccount"]["user"]["emailVerified"], true,
        "{r}"
    );
    let again = a.graphql(&verify(&user0), None).await.unwrap();
    assert_eq!(code(&again), Some("TOKEN_INVALID"), "{again}");
    // Both workers took part (each was woken by its own sign-ups).
    for server in [&a, &b] {
        let log = server.log();
        assert!(!log.contains("mail given up"), "{log}");
        assert!(log.contains("mail sent"), "this instance sent none:\n{log}");
    }
}
