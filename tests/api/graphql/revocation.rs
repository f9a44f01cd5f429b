//! What only GraphQL answers when sessions end: `revokeToken` and
//! `revokeAllTokens` say when, `changePassword` answers the user and a
//! payload as `tokenAuth` does.

use serde_json::json;

use super::client::*;
use crate::helpers::*;

#[tokio::test]
async fn revoke_token_and_revoke_all_tokens_answer_the_time_of_revocation() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, refresh, _) = app.login("alice", PASSWORD).await;
    // Another login: the first one's access token ends with its session.
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let before = now();
    let body = app
        .graphql(REVOKE_TOKEN, json!({ "refreshToken": refresh }), None)
        .await;
    assert_no_errors(&body);
    let revoked = body["data"]["revokeToken"]["revoked"]
        .as_i64()
        .expect("revoked is an integer");
    assert!(
        (before..=now()).contains(&revoked),
        "revoked {revoked} is the time of revocation"
    );
    let body = app.graphql(REVOKE_ALL, json!({}), Some(&jwt(&token))).await;
    assert_no_errors(&body);
    let revoked = body["data"]["revokeAllTokens"]["revoked"]
        .as_i64()
        .expect("an integer");
    assert!((before..=now()).contains(&revoked));
}

#[tokio::test]
async fn change_password_answers_the_user_and_a_payload_as_token_auth_does() {
    let app = spawn_app().await;
    let alice = app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let before = now();
    let body = app
        .graphql_as(
            &token,
            CHANGE_PASSWORD,
            json!({ "old": PASSWORD, "new": "a brand new passphrase" }),
        )
        .await;
    assert_no_errors(&body);
    let c = &body["data"]["changePassword"];
    assert_eq!(c["user"]["id"], alice.user["id"]);
    assert_eq!(c["payload"]["username"], "alice");
    let expires = c["refreshExpiresIn"].as_i64().expect("an integer");
    assert!((before + REFRESH_TTL..=now() + REFRESH_TTL).contains(&expires));
}
