//! Two server processes on one PostgreSQL database behave as one service.

use futures_util::future::join_all;

use crate::support::{admin_url, code, fresh_database, Server, SERIAL};

#[tokio::test]
async fn two_instances_share_keys_accept_each_others_tokens_and_see_revocations_at_once() {
    let Some(admin) = admin_url("multi_instance") else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let url = fresh_database(&admin).await;

    // Started together: both migrate and look for a signing key at once.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start(&url, &[]));
        let b = s.spawn(|| Server::start(&url, &[]));
        (a.join().unwrap(), b.join().unwrap())
    });
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM signing_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(keys, 1, "the first start must generate exactly one key");

    assert!(a.sign_up("alice").await["data"]["createUser"]["user"]["id"].is_string());
    let (token_b, refresh_b) = b.login("alice").await;
    let me = a
        .graphql("{ me { username } }", Some(&token_b))
        .await
        .unwrap();
    assert_eq!(me["data"]["me"]["username"], "alice", "{me}");

    // A refresh token rotated on A is used on B.
    let rotate = |rt: &str| {
        format!(r#"mutation {{ refreshToken(refreshToken: "{rt}") {{ token refreshToken }} }}"#)
    };
    // Within the reuse interval (10 s) B lets it off in the same session,
    // as A would; ending that session on A ends B's pair at once.
    let r = a.graphql(&rotate(&refresh_b), None).await.unwrap();
    assert!(r["data"]["refreshToken"]["token"].is_string(), "{r}");
    let again = b.graphql(&rotate(&refresh_b), None).await.unwrap();
    let token_again = again["data"]["refreshToken"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("within the interval: {again}"))
        .to_owned();
    let revoke =
        format!(r#"mutation {{ revokeToken(refreshToken: "{refresh_b}") {{ revoked }} }}"#);
    let r = a.graphql(&revoke, None).await.unwrap();
    assert!(r["data"]["revokeToken"]["revoked"].is_number(), "{r}");
    let me = b
        .graphql("{ me { username } }", Some(&token_again))
        .await
        .unwrap();
    assert_eq!(code(&me), Some("TOKEN_INVALID"), "{me}");

    // Revoke-all on A ends B's view of the session at once.
    let (token_a, _) = a.login("alice").await;
    let (token_b2, _) = b.login("alice").await;
    let r = a
        .graphql("mutation { revokeAllTokens { revoked } }", Some(&token_a))
        .await
        .unwrap();
    assert!(r["data"]["revokeAllTokens"]["revoked"].is_number(), "{r}");
    let me = b
        .graphql("{ me { username } }", Some(&token_b2))
        .await
        .unwrap();
    assert_eq!(code(&me), Some("TOKEN_INVALID"), "{me}");

    // A restart keeps the key: the old tokens of a fresh login still verify.
    let (token, _) = a.login("alice").await;
    drop(a);
    let a2 = Server::start(&url, &[]);
    let me = a2
        .graphql("{ me { username } }", Some(&token))
        .await
        .unwrap();
    assert_eq!(me["data"]["me"]["username"], "alice", "{me}");
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM signing_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(keys, 1);
}

#[tokio::test]
async fn a_sign_up_race_across_instances_has_exactly_one_winner() {
    let Some(admin) = admin_url("multi_instance") else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let url = fresh_database(&admin).await;
    let a = Server::start(&url, &[]);
    let b = Server::start(&url, &[]);
    let attempts = (0..12).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        server.sign_up("racer")
    });
    let results = join_all(attempts).await;
    let won = results
        .iter()
        .filter(|r| r["data"]["createUser"]["user"].is_object())
        .count();
    let conflicts = results
        .iter()
        .filter(|r| code(r) == Some("CONFLICT"))
        .count();
    assert_eq!((won, conflicts), (1, 11), "{results:?}");
}

#[tokio::test]
async fn one_refresh_token_presented_twice_at_once_yields_at_most_one_new_pair() {
    let Some(admin) = admin_url("multi_instance") else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let url = fresh_database(&admin).await;
    // Strict single use: no reuse interval.
    let strict = [("GATEHOUSE_REFRESH_REUSE_INTERVAL_SECS", "0")];
    let a = Server::start(&url, &strict);
    let b = Server::start(&url, &strict);
    a.sign_up("carol").await;
    for _ in 0..5 {
        let (_, rt) = a.login("carol").await;
        let q = format!(
            r#"mutation {{ refreshToken(refreshToken: "{rt}") {{ token refreshToken }} }}"#
        );
        let (x, y) = tokio::join!(a.graphql(&q, None), b.graphql(&q, None));
        let (x, y) = (x.unwrap(), y.unwrap());
        let ok = [&x, &y]
            .iter()
            .filter(|r| r["data"]["refreshToken"].is_object())
            .count();
        assert!(ok <= 1, "two new pairs from one refresh token: {x} {y}");
        for r in [&x, &y] {
            if !r["data"]["refreshToken"].is_object() {
                assert_eq!(code(r), Some("TOKEN_REUSED"), "{r}");
            }
        }
    }
}

/// Two tabs behind two instances refreshing with one token at once, within
/// the reuse interval: both get a working pair, in one session.
#[tokio::test]
async fn one_refresh_token_presented_twice_at_once_within_the_interval_gives_two_pairs() {
    let Some(admin) = admin_url("multi_instance") else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let url = fresh_database(&admin).await;
    let a = Server::start(&url, &[]);
    let b = Server::start(&url, &[]);
    a.sign_up("dora").await;
    for _ in 0..3 {
        let (_, rt) = a.login("dora").await;
        let q = format!(
            r#"mutation {{ refreshToken(refreshToken: "{rt}") {{ token refreshToken }} }}"#
        );
        let (x, y) = tokio::join!(a.graphql(&q, None), b.graphql(&q, None));
        let (x, y) = (x.unwrap(), y.unwrap());
        let mut sessions = Vec::new();
        for r in [&x, &y] {
            let token = r["data"]["refreshToken"]["token"]
                .as_str()
                .unwrap_or_else(|| panic!("both tabs get a pair: {r}"));
            let list = b
                .graphql("{ mySessions { id current } }", Some(token))
                .await
                .unwrap();
            let current = list["data"]["mySessions"]
                .as_array()
                .unwrap_or_else(|| panic!("{list}"))
                .iter()
                .find(|s| s["current"] == true)
                .unwrap_or_else(|| panic!("{list}"))["id"]
                .clone();
            sessions.push(current);
        }
        assert_eq!(sessions[0], sessions[1], "one session");
    }
}
