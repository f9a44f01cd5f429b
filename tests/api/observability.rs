//! Health checks, request ids and Prometheus metrics.

use serde_json::json;

use crate::graphql::client::*;
use crate::helpers::*;

#[tokio::test]
async fn health_and_readiness_checks_answer_200() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn a_sane_request_id_is_echoed_and_a_missing_one_is_generated() {
    let app = spawn_app().await;
    let given = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-abc_123")
        .send()
        .await
        .unwrap();
    assert_eq!(
        given.headers().get("x-request-id").unwrap(),
        "trace-abc_123"
    );
    let generated = app.client.get(app.url("/healthz")).send().await.unwrap();
    let id = generated
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 24, "{id}");
    let insane = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "x".repeat(300))
        .send()
        .await
        .unwrap();
    assert_ne!(
        insane.headers().get("x-request-id").unwrap(),
        &"x".repeat(300)
    );
}

#[tokio::test]
async fn metrics_count_requests_logins_tokens_and_pool_use() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (_, refresh, _) = app.login("alice", PASSWORD).await;
    let bad = app
        .graphql(
            TOKEN_AUTH,
            json!({ "username": "alice", "password": "wrong one here" }),
            None,
        )
        .await;
    assert_error(&bad, "tokenAuth", "INVALID_CREDENTIALS");
    assert_no_errors(&app.rotate(&refresh).await);
    app.past_reuse_interval();
    assert_error(&app.rotate(&refresh).await, "refreshToken", "TOKEN_REUSED");
    app.client
        .get(app.url("/no/such/path"))
        .send()
        .await
        .unwrap();

    let resp = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = resp.text().await.unwrap();
    for line in [
        "gatehouse_logins_total{result=\"succeeded\"} 1",
        "gatehouse_logins_total{result=\"failed\"} 1",
        "gatehouse_tokens_total{event=\"issued\"} 1",
        "gatehouse_tokens_total{event=\"refreshed\"} 1",
        "gatehouse_refresh_token_reuse_total 1",
        "gatehouse_sign_ups_total 1",
        "route=\"/graphql\",method=\"POST\",status=\"200\"",
        "route=\"other\",method=\"GET\",status=\"404\"",
        "gatehouse_http_request_duration_seconds_bucket{route=\"/graphql\",le=\"+Inf\"}",
        // Two logins and a sign-up each waited (if only briefly) for a slot.
        "gatehouse_password_hash_wait_seconds_count 3",
        // sqlite_read and sqlite_write, or postgres.
        "gatehouse_db_pool_connections{pool=\"",
        ",state=\"idle\"}",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    assert!(!text.contains("/no/such/path"));
}

/// The Django REST face's paths are counted under their own labels (as
/// written relative to the face's prefix), not with the 404s as "other".
#[tokio::test]
async fn metrics_label_the_django_rest_paths() {
    for prefix in ["/", "/api/v1/"] {
        let app = spawn_app_with(|c| c.django_rest_prefix = prefix.into()).await;
        let bad = json!({ "username": "nobody", "password": "wrong one here" });
        for path in ["login/", "login"] {
            let resp = app
                .client
                .post(app.url(&format!("{prefix}{path}")))
                .json(&bad)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 401, "{prefix}{path}");
        }
        let resp = app
            .client
            .get(app.url(&format!("{prefix}user/update/")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
        let text = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for line in [
            "gatehouse_http_requests_total{route=\"login/\",method=\"POST\",status=\"401\"} 2",
            "gatehouse_http_requests_total{route=\"user/update/\",method=\"GET\",status=\"401\"} 1",
            "gatehouse_http_request_duration_seconds_count{route=\"login/\"} 2",
        ] {
            assert!(
                text.contains(line),
                "{prefix}: missing `{line}` in:\n{text}"
            );
        }
        assert!(!text.contains("route=\"other\""), "{prefix}:\n{text}");
    }
}
