//! A NUL byte in any text a request names (a login, a session id, a
//! search): a clear 4xx on both databases, never a 500 (PostgreSQL cannot
//! even compare such text, and its error went out as INTERNAL; the third
//! attack review).

use reqwest::Method;
use serde_json::json;

use crate::graphql::client::*;
use crate::helpers::*;

#[tokio::test]
async fn nul_bytes_in_logins_session_ids_and_searches_are_refused_not_500() {
    let app = spawn_app_with(unthrottled).await;
    app.sign_up_default("alice").await;
    app.create_staff("boss", PASSWORD).await;
    let (staff, _, _) = app.login("boss", PASSWORD).await;
    let (alice, _, _) = app.login("alice", PASSWORD).await;

    for login in ["alice\u{0}", "\u{0}", "al\u{0}ice@example.com"] {
        let body = app
            .graphql(
                TOKEN_AUTH,
                json!({ "username": login, "password": PASSWORD }),
                None,
            )
            .await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body:#}");
        let form = [
            ("grant_type", "password"),
            ("username", login),
            ("password", PASSWORD),
        ];
        let reply = app.rest_form("/api/token", &form).await;
        assert_eq!(reply.status, 400, "{:#}", reply.body);
        let reply = app
            .rest_json(
                Method::POST,
                "/login/",
                json!({ "username": login, "password": PASSWORD }),
                None,
            )
            .await;
        assert!((400..500).contains(&reply.status), "{:#}", reply.body);
        let reply = app
            .rest_json(
                Method::POST,
                "/user/obtain_token/",
                json!({ "email": login, "password": PASSWORD }),
                None,
            )
            .await;
        assert!((400..500).contains(&reply.status), "{:#}", reply.body);
    }

    for id in ["\u{0}", "AAAAAAAAAAAAAAAAAAAAA\u{0}"] {
        let body = app
            .graphql(
                "mutation ($id: ID!) { revokeSession(id: $id) { success } }",
                json!({ "id": id }),
                Some(&bearer(&alice)),
            )
            .await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body:#}");
    }
    let reply = app
        .send(app.rest(
            Method::DELETE,
            "/api/users/me/sessions/%00",
            Some(&bearer(&alice)),
        ))
        .await;
    assert_eq!(reply.status, 404, "{:#}", reply.body);

    let body = app
        .graphql(
            "query ($s: String) { users(search: $s) { id } }",
            json!({ "s": "ali\u{0}" }),
            Some(&bearer(&staff)),
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body:#}");
    let reply = app
        .rest_get("/api/users?search=ali%00", Some(&bearer(&staff)))
        .await;
    assert_eq!(reply.status, 422, "{:#}", reply.body);
    for path in ["/api/users/%00", "/api/users/1%00/sessions"] {
        let reply = app.rest_get(path, Some(&bearer(&staff))).await;
        assert_eq!(reply.status, 404, "{path}: {:#}", reply.body);
    }
}
