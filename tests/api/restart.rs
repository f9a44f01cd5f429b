//! Restarts: signing keys live in the database, so tokens outlive the process.

use serde_json::json;

use crate::graphql::client::*;
use crate::helpers::*;

#[tokio::test]
async fn tokens_issued_before_a_restart_still_work_after_it() {
    let first = spawn_app().await;
    first.sign_up_default("alice").await;
    let (token, refresh, payload) = first.login("alice", PASSWORD).await;
    let dir = first.stop().await;

    let second = spawn_app_in(dir, |_| {}).await;
    let me = second.me(Some(&bearer(&token))).await;
    assert_no_errors(&me);
    assert_eq!(me["data"]["me"]["username"], "alice");
    let verified = second.verify_token(&token).await;
    assert_no_errors(&verified);
    assert_eq!(verified["data"]["verifyToken"]["payload"], payload);
    let rotated = second
        .graphql(REFRESH_ROTATE, json!({ "refreshToken": refresh }), None)
        .await;
    assert_no_errors(&rotated);
    // And the user and password are still there.
    second.login("alice", PASSWORD).await;
}

#[tokio::test]
async fn a_server_shuts_down_promptly_when_told() {
    let app = spawn_app().await;
    assert_no_errors(&app.graphql("{ __typename }", json!({}), None).await);
    let started = std::time::Instant::now();
    let _dir = app.stop().await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}
