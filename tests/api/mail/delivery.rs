//! Delivery through the outbox: a mail is never lost when the SMTP server
//! or the process is down (it goes out once they are back), is retried with
//! a backoff, is given up after the last attempt, and is counted.

use std::time::{Duration, Instant};

use super::*;
use crate::both::face::*;
use crate::graphql::face::Graphql;

/// The first retry's delay.
const BACKOFF: i64 = 30;

#[tokio::test]
async fn mail_queued_while_smtp_is_down_goes_out_once_it_is_back() {
    let mut smtp = Smtp::start().await;
    smtp.stop().await;
    let app = spawn_app_with(|c| send_to(c, &smtp)).await;

    let started = Instant::now();
    Graphql::signed_up(&app, "alice").await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the API answers without the SMTP server: {:?}",
        started.elapsed()
    );
    // The worker tried, failed, and will try again.
    app.attempts_ended("verify_email", "retry", 1).await;
    let row = app.outbox_row(|r| r.recipient == "alice@example.com").await;
    assert_eq!(
        (row.kind.as_str(), row.status.as_str()),
        ("verify_email", "pending")
    );
    assert_eq!(row.attempts, 1, "{row:#?}");
    assert!(row.last_error.is_some(), "{row:#?}");

    // Back up, but the retry is not due yet.
    smtp.restart().await;
    assert_eq!(app.state.deliver_due().await.expect("a pass"), 0);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(smtp.mails().is_empty(), "{:#?}", smtp.summary());

    app.state.clock().advance(BACKOFF + 1);
    let mail = smtp.first("alice@example.com", VERIFY_SUBJECT).await;
    assert_mail(&mail, "alice@example.com", VERIFY_SUBJECT);
    let row = app
        .outbox_row(|r| r.id == row.id && r.status == "sent")
        .await;
    assert_eq!(row.attempts, 2, "{row:#?}");
    assert_eq!(row.last_error, None);
    Graphql::verify_account(&app, &mail.token())
        .await
        .expect("the late link works");

    app.settle().await;
    assert_eq!(smtp.mails().len(), 1, "sent once: {:#?}", smtp.summary());
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    for line in [
        r#"gatehouse_mails_total{kind="verify_email",result="retry"} 1"#,
        r#"gatehouse_mails_total{kind="verify_email",result="sent"} 1"#,
        "gatehouse_mail_queue_depth 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in:\n{metrics}");
    }
}

#[tokio::test]
async fn retries_back_off_and_a_mail_is_given_up_after_the_last_attempt() {
    let mut smtp = Smtp::start().await;
    smtp.stop().await;
    let app = spawn_app_with(|c| {
        send_to(c, &smtp);
        c.mail.max_attempts = 3;
    })
    .await;
    Graphql::signed_up(&app, "alice").await;
    app.attempts_ended("verify_email", "retry", 1).await;
    // 30 s, then 60 s: the second retry is not due 30 s after the first.
    app.state.clock().advance(BACKOFF + 1);
    app.state.deliver_due().await.expect("a pass");
    app.attempts_ended("verify_email", "retry", 2).await;
    assert_eq!(app.outbox().await[0].status, "pending");
    app.state.clock().advance(BACKOFF + 1);
    app.state.deliver_due().await.expect("a pass");
    assert_eq!(app.outbox().await[0].attempts, 2);
    app.state.clock().advance(BACKOFF);
    app.state.deliver_due().await.expect("a pass");
    app.attempts_ended("verify_email", "failed", 1).await;
    let row = app.outbox_row(|r| r.status == "failed").await;
    assert_eq!(row.attempts, 3, "{row:#?}");
    assert!(row.last_error.is_some());

    // Given up: not sent when the server returns.
    smtp.restart().await;
    app.state.clock().advance(24 * 3600);
    app.settle().await;
    assert!(smtp.mails().is_empty(), "{:#?}", smtp.summary());
    assert_eq!(app.outbox().await[0].status, "failed");
}

#[tokio::test]
async fn nothing_is_lost_across_a_restart_while_smtp_is_down() {
    let mut smtp = Smtp::start().await;
    smtp.stop().await;
    let first = spawn_app_with(|c| send_to(c, &smtp)).await;
    Graphql::signed_up(&first, "alice").await;
    Graphql::send_password_reset_email(&first, "alice@example.com")
        .await
        .expect("accepted");
    first.attempts_ended("reset_password", "retry", 1).await;
    let dir = first.stop().await;

    smtp.restart().await;
    let second = spawn_app_in(dir, |c| send_to(c, &smtp)).await;
    second.state.clock().advance(BACKOFF + 1);
    let verify = smtp
        .first("alice@example.com", VERIFY_SUBJECT)
        .await
        .token();
    let reset = smtp.first("alice@example.com", RESET_SUBJECT).await.token();
    Graphql::verify_account(&second, &verify)
        .await
        .expect("verified");
    Graphql::password_reset(&second, &reset, NEW_PASSWORD)
        .await
        .expect("reset");
    second.settle().await;
    let rows = second.outbox().await;
    assert!(
        rows.iter().all(|r| r.status == "sent"),
        "every mail sent: {rows:#?}"
    );
    // The two links and the reset's notice, each once.
    assert_eq!(smtp.mails().len(), 3, "{:#?}", smtp.summary());
}

#[tokio::test]
async fn with_no_smtp_server_mail_is_written_to_the_log_and_marked_sent() {
    let app = spawn_app().await;
    Graphql::signed_up(&app, "alice").await;
    let row = app.outbox_row(|r| r.status == "sent").await;
    assert_eq!(
        (row.kind.as_str(), row.recipient.as_str()),
        ("verify_email", "alice@example.com")
    );
    assert_eq!(row.attempts, 1);
}

#[tokio::test]
async fn a_permanent_refusal_fails_a_mail_at_once_and_a_temporary_one_is_retried() {
    let (app, smtp) = mail_app(|_| {}).await;
    smtp.refuse(Some("550 5.1.1 no such mailbox here"));
    Graphql::signed_up(&app, "alice").await;
    app.attempts_ended("verify_email", "failed", 1).await;
    let row = app.outbox_row(|r| r.recipient == "alice@example.com").await;
    assert_eq!(
        (row.status.as_str(), row.attempts),
        ("failed", 1),
        "{row:#?}"
    );
    let error = row.last_error.unwrap_or_default();
    assert!(error.contains("no such mailbox here"), "{error}");

    smtp.refuse(Some("451 4.3.0 try again later"));
    Graphql::signed_up(&app, "bob").await;
    app.attempts_ended("verify_email", "retry", 1).await;
    let row = app.outbox_row(|r| r.recipient == "bob@example.com").await;
    assert_eq!(
        (row.status.as_str(), row.attempts),
        ("pending", 1),
        "{row:#?}"
    );
    let error = row.last_error.unwrap_or_default();
    assert!(error.contains("try again later"), "{error}");

    smtp.refuse(None);
    app.state.clock().advance(BACKOFF + 1);
    let mail = smtp.first("bob@example.com", VERIFY_SUBJECT).await;
    assert_mail(&mail, "bob@example.com", VERIFY_SUBJECT);
    app.settle().await;
    assert_eq!(
        smtp.mails().len(),
        1,
        "alice's mail was given up: {:#?}",
        smtp.summary()
    );
}
