//! Sign-up (`createUser`, and the older spelling `userCreate`).

use serde_json::json;
use tokio::task::JoinSet;

use crate::helpers::*;

#[tokio::test]
async fn create_user_returns_the_new_active_non_staff_user() {
    let app = spawn_app().await;
    let before = now();
    let body = app
        .create_user("alice", "alice@example.com", PASSWORD, None)
        .await;
    assert_no_errors(&body);
    let user = &body["data"]["createUser"]["user"];
    assert!(
        user["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{body:#}"
    );
    assert_eq!(user["username"], "alice");
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["firstName"], "");
    assert_eq!(user["lastName"], "");
    assert_eq!(user["isActive"], true);
    assert_eq!(user["isStaff"], false);
    assert_eq!(user["isSuperuser"], false);
    assert!(user["lastLogin"].is_null(), "no login yet: {body:#}");
    assert!(
        user["dateJoined"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z')),
        "dateJoined is written in UTC: {body:#}"
    );
    let joined = rfc3339(&user["dateJoined"]);
    assert!(
        (before - 2..=now() + 2).contains(&joined),
        "dateJoined {joined} is about now"
    );
}

#[tokio::test]
async fn user_create_is_the_same_as_create_user() {
    let app = spawn_app().await;
    let body = app
        .graphql(
            USER_CREATE,
            json!({ "username": "bob", "email": "bob@example.com", "password": PASSWORD }),
            None,
        )
        .await;
    assert_no_errors(&body);
    let user = &body["data"]["userCreate"]["user"];
    assert_eq!(user["username"], "bob");
    assert_eq!(user["email"], "bob@example.com");
    assert_eq!(user["isActive"], true);
    assert_eq!(user["isStaff"], false);
    // The account works: the same login as createUser's.
    let (token, _, _) = app.login("bob", PASSWORD).await;
    let me = app.me(Some(&bearer(&token))).await;
    assert_no_errors(&me);
    assert_eq!(me["data"]["me"]["id"], user["id"]);
}

#[tokio::test]
async fn the_user_type_has_no_password_field() {
    let app = spawn_app().await;
    let body = app
        .graphql(
            "mutation { createUser(username: \"carol\", email: \"carol@example.com\", password: \"correct horse battery staple\") { user { id password } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(
        error_code(&body),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{body:#}"
    );
    assert!(
        body["data"].is_null(),
        "nothing runs when validation fails: {body:#}"
    );
    // And so no user was created: the name is still free.
    app.sign_up("carol", "carol@example.com", PASSWORD).await;
}

#[tokio::test]
async fn a_taken_username_is_a_conflict_on_username() {
    let app = spawn_app().await;
    app.sign_up("alice", "alice@example.com", PASSWORD).await;
    let body = app
        .create_user("alice", "other@example.com", PASSWORD, None)
        .await;
    assert_field_error(&body, "createUser", "CONFLICT", "username");
}

#[tokio::test]
async fn a_username_differing_only_in_case_is_a_conflict() {
    let app = spawn_app().await;
    app.sign_up("alice", "alice@example.com", PASSWORD).await;
    let body = app
        .create_user("ALICE", "other@example.com", PASSWORD, None)
        .await;
    assert_field_error(&body, "createUser", "CONFLICT", "username");
}

#[tokio::test]
async fn a_taken_email_is_a_conflict_on_email() {
    let app = spawn_app().await;
    app.sign_up("alice", "alice@example.com", PASSWORD).await;
    let body = app
        .create_user("alice2", "alice@example.com", PASSWORD, None)
        .await;
    assert_field_error(&body, "createUser", "CONFLICT", "email");
}

#[tokio::test]
async fn an_email_differing_only_in_case_is_a_conflict() {
    let app = spawn_app().await;
    app.sign_up("alice", "alice@example.com", PASSWORD).await;
    let body = app
        .graphql(
            USER_CREATE,
            json!({ "username": "alice2", "email": "Alice@Example.COM", "password": PASSWORD }),
            None,
        )
        .await;
    assert_field_error(&body, "userCreate", "CONFLICT", "email");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_ten_racing_sign_ups_with_one_username_exactly_one_succeeds() {
    let app = spawn_app().await;
    let mut set = JoinSet::new();
    for i in 0..10 {
        let client = app.client.clone();
        let url = app.url("/graphql");
        set.spawn(async move {
            let vars = json!({ "username": "racer", "email": format!("racer{i}@example.com"), "password": PASSWORD });
            let resp = client
                .post(url)
                .json(&json!({ "query": CREATE_USER, "variables": vars }))
                .send()
                .await
                .expect("the request is sent");
            assert_eq!(resp.status(), 200);
            resp.json::<serde_json::Value>().await.expect("a JSON body")
        });
    }
    let mut ok = 0;
    while let Some(body) = set.join_next().await {
        let body = body.expect("the task does not panic");
        if body["data"]["createUser"]["user"]["username"] == "racer" {
            assert_no_errors(&body);
            ok += 1;
        } else {
            assert_field_error(&body, "createUser", "CONFLICT", "username");
        }
    }
    assert_eq!(ok, 1, "exactly one sign-up wins");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_racing_sign_ups_with_one_email_in_different_cases_exactly_one_succeeds() {
    let app = spawn_app().await;
    let mut set = JoinSet::new();
    for (i, email) in [
        "same@example.com",
        "SAME@example.com",
        "Same@Example.com",
        "same@EXAMPLE.COM",
    ]
    .into_iter()
    .enumerate()
    {
        let client = app.client.clone();
        let url = app.url("/graphql");
        set.spawn(async move {
            let vars =
                json!({ "username": format!("user{i}"), "email": email, "password": PASSWORD });
            client
                .post(url)
                .json(&json!({ "query": CREATE_USER, "variables": vars }))
                .send()
                .await
                .expect("the request is sent")
                .json::<serde_json::Value>()
                .await
                .expect("a JSON body")
        });
    }
    let mut ok = 0;
    while let Some(body) = set.join_next().await {
        let body = body.expect("the task does not panic");
        if body["data"]["createUser"]["user"].is_object() {
            ok += 1;
        } else {
            assert_field_error(&body, "createUser", "CONFLICT", "email");
        }
    }
    assert_eq!(ok, 1, "exactly one sign-up wins");
}

#[tokio::test]
async fn a_username_with_surrounding_spaces_is_the_same_username() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let body = app
        .create_user("  Alice ", "other@example.com", PASSWORD, None)
        .await;
    assert_field_error(&body, "createUser", "CONFLICT", "username");
}

#[tokio::test]
async fn invalid_usernames_are_bad_user_input_on_username() {
    let app = spawn_app().await;
    for bad in ["", "has space", "semi;colon", "slash/", &"a".repeat(151)] {
        let body = app.create_user(bad, "ok@example.com", PASSWORD, None).await;
        assert_field_error(&body, "createUser", "BAD_USER_INPUT", "username");
    }
}

#[tokio::test]
async fn invalid_emails_are_bad_user_input_on_email() {
    let app = spawn_app().await;
    for bad in [
        "",
        "not-an-email",
        "@example.com",
        "alice@",
        "alice@example",
        "a b@example.com",
    ] {
        let body = app.create_user("alice", bad, PASSWORD, None).await;
        assert_field_error(&body, "createUser", "BAD_USER_INPUT", "email");
    }
}

#[tokio::test]
async fn a_short_password_is_bad_user_input_on_password() {
    let app = spawn_app().await;
    let body = app
        .create_user("alice", "alice@example.com", "1234567", None)
        .await;
    assert_field_error(&body, "createUser", "BAD_USER_INPUT", "password");
}

#[tokio::test]
async fn a_password_over_1024_bytes_is_bad_user_input_on_password() {
    let app = spawn_app().await;
    let body = app
        .create_user("alice", "alice@example.com", &"é".repeat(513), None)
        .await;
    assert_field_error(&body, "createUser", "BAD_USER_INPUT", "password");
}

#[tokio::test]
async fn a_password_equal_to_the_email_is_bad_user_input_on_password() {
    let app = spawn_app().await;
    let body = app
        .create_user("alice", "alice@example.com", "ALICE@example.com", None)
        .await;
    assert_field_error(&body, "createUser", "BAD_USER_INPUT", "password");
}

#[tokio::test]
async fn a_password_equal_to_the_username_is_bad_user_input_on_password() {
    let app = spawn_app().await;
    let body = app
        .create_user("alicealice", "alice@example.com", "AliceAlice", None)
        .await;
    assert_field_error(&body, "createUser", "BAD_USER_INPUT", "password");
    let body = app
        .graphql(
            USER_CREATE,
            json!({ "username": "bobbybobby", "email": "b@example.com", "password": "bobbybobby" }),
            None,
        )
        .await;
    assert_field_error(&body, "userCreate", "BAD_USER_INPUT", "password");
}

#[tokio::test]
async fn a_bad_authorization_header_does_not_block_sign_up() {
    let app = spawn_app().await;
    let body = app
        .create_user(
            "alice",
            "alice@example.com",
            PASSWORD,
            Some("Bearer garbage"),
        )
        .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["createUser"]["user"]["username"], "alice");
    let body = app
        .create_user("bob", "bob@example.com", PASSWORD, Some("Basic xyz"))
        .await;
    assert_no_errors(&body);
    assert_eq!(body["data"]["createUser"]["user"]["username"], "bob");
}

#[tokio::test]
async fn a_username_equal_to_another_users_email_is_refused_so_it_cannot_shadow_their_login() {
    let app = spawn_app().await;
    app.sign_up("victim", "victim@example.com", PASSWORD).await;
    let body = app
        .create_user("Victim@Example.com", "attacker@example.com", PASSWORD, None)
        .await;
    assert_field_error(&body, "createUser", "CONFLICT", "username");
    // The victim still logs in with their email.
    app.login("victim@example.com", PASSWORD).await;
}

#[tokio::test]
async fn an_email_equal_to_another_users_username_is_refused() {
    let app = spawn_app().await;
    app.sign_up("bob@example.com", "bob.other@example.com", PASSWORD)
        .await;
    let body = app
        .create_user("mallory", "BOB@example.com", PASSWORD, None)
        .await;
    assert_field_error(&body, "createUser", "CONFLICT", "email");
    // Nor can an existing user change their email to it.
    app.sign_up("mallory", "mallory@example.com", PASSWORD)
        .await;
    let (token, _, _) = app.login("mallory", PASSWORD).await;
    let body = app
        .graphql_as(
            &token,
            "mutation { updateMe(email: \"bob@example.com\") { user { email } } }",
            json!({}),
        )
        .await;
    assert_field_error(&body, "updateMe", "CONFLICT", "email");
}
