//! Error messages never repeat a submitted value: a client that mixed up
//! its fields may have put a password in any of them.

use crate::helpers::*;

#[tokio::test]
async fn an_unsupported_grant_type_is_not_repeated() {
    let app = spawn_app().await;
    let secret = format!("hunter2-my-password-{}", "x".repeat(5000));
    let reply = app
        .rest_form("/api/token", &[("grant_type", &secret), ("username", "a")])
        .await;
    let body = reply.expect_oauth(400, "unsupported_grant_type");
    let text = body.to_string();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.len() < 500, "{} bytes", text.len());
}
