//! What the database keeps of a link: its token only as a SHA-256 hash,
//! and the mail that carried it only until it is sent.

use sha2::{Digest as _, Sha256};

use super::*;
use crate::both::face::*;
use crate::graphql::face::Graphql;

/// The rows `sql` reads from the test app's database, straight (the
/// service has no such query): one column, text or bytes.
async fn column<T>(app: &TestApp, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    T: Send + Unpin,
{
    let marker = app.db_dir.path().join("postgres-url");
    match std::fs::read_to_string(marker) {
        Ok(url) => {
            let pool = sqlx::PgPool::connect(&url)
                .await
                .expect("the test database");
            let rows = sqlx::query_scalar(sql).fetch_all(&pool).await.expect(sql);
            pool.close().await;
            rows
        }
        Err(_) => {
            let url = format!("sqlite://{}/test.db", app.db_dir.path().display());
            let pool = sqlx::SqlitePool::connect(&url)
                .await
                .expect("the test database");
            let rows = sqlx::query_scalar(sql).fetch_all(&pool).await.expect(sql);
            pool.close().await;
            rows
        }
    }
}

#[tokio::test]
async fn a_token_is_stored_as_a_hash_and_its_mail_only_until_sent() {
    let mut smtp = Smtp::start().await;
    smtp.stop().await;
    let app = spawn_app_with(|c| send_to(c, &smtp)).await;
    Graphql::signed_up(&app, "alice").await;
    app.attempts_ended("verify_email", "retry", 1).await;
    // Waiting to go out, the mail holds its link.
    let bodies: Vec<String> = column(&app, "SELECT body_text FROM mail_outbox").await;
    assert!(bodies[0].contains("ghl_"), "{bodies:?}");

    smtp.restart().await;
    app.state.clock().advance(31);
    let token = smtp
        .first("alice@example.com", VERIFY_SUBJECT)
        .await
        .token();
    app.outbox_row(|r| r.status == "sent").await;

    let hashes: Vec<Vec<u8>> = column(&app, "SELECT token_hash FROM email_tokens").await;
    let expected = Sha256::digest(token.as_bytes()).to_vec();
    assert_eq!(hashes, [expected], "the hash, and only it");
    let texts: Vec<String> = column(
        &app,
        "SELECT body_text || body_html || subject || recipient FROM mail_outbox",
    )
    .await;
    for text in &texts {
        assert!(!text.contains(&token) && !text.contains("ghl_"), "{text}");
    }
    let bodies: Vec<String> = column(&app, "SELECT body_text || body_html FROM mail_outbox").await;
    assert_eq!(bodies, [""], "a sent mail's bodies are dropped");
}

on_both_faces! {
    #[tokio::test]
    async fn a_refused_token_is_not_echoed_in_the_answer<F: Face>() {
        let (app, smtp) = mail_app(|_| {}).await;
        F::signed_up(&app, "alice").await;
        let token = smtp
            .first("alice@example.com", VERIFY_SUBJECT)
            .await
            .token();
        let wrong = tampered(&token);
        let refused = F::verify_account(&app, &wrong)
            .await
            .refused(Code::TokenInvalid);
        assert!(
            !refused.shown.to_string().contains(&wrong),
            "{:#}",
            refused.shown
        );
    }
}
