//! Transport hygiene on every face: no caching of responses that carry
//! tokens, nosniff everywhere, repeated parameters and forms that are not
//! UTF-8 refused, submitted values never echoed, 413 before `100 Continue`.
//! (CORS and cross-site forms: `csrf.rs`.)

use reqwest::Method;
use serde_json::json;

use crate::graphql::client::*;
use crate::helpers::*;

/// The value of the header `name`, if there is one.
fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn token_bearing_responses_are_never_cached_and_never_sniffed() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let login = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": TOKEN_AUTH, "variables": { "username": "alice", "password": PASSWORD } }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.headers().get("cache-control").unwrap(), "no-store");
    assert_eq!(
        login.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    let token = app
        .client
        .post(app.url("/api/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    assert_eq!(token.headers().get("cache-control").unwrap(), "no-store");
    assert_eq!(
        token.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    let me = app
        .client
        .get(app.url("/api/users/me"))
        .header("authorization", "Bearer nonsense")
        .send()
        .await
        .unwrap();
    assert_eq!(me.headers().get("cache-control").unwrap(), "no-store");
}

#[tokio::test]
async fn a_repeated_parameter_is_refused_alike_in_json_and_form_token_requests() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    // Form: serde would refuse it; JSON: a parser keeps the last one.
    let form = app
        .client
        .post(app.url("/api/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=password&username=alice&password=wrong&password={}",
            PASSWORD.replace(' ', "+")
        ))
        .send()
        .await
        .unwrap();
    let json = app
        .client
        .post(app.url("/api/token"))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"grant_type": "password", "username": "alice", "password": "wrong", "password": "{PASSWORD}"}}"#
        ))
        .send()
        .await
        .unwrap();
    let mut bodies = Vec::new();
    for resp in [form, json] {
        assert_eq!(resp.status(), 400);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{body:#}");
        bodies.push(body);
    }
    assert_eq!(bodies[0], bodies[1], "the same answer for both encodings");
    assert!(
        bodies[0]["error_description"]
            .as_str()
            .unwrap()
            .contains("`password` is repeated"),
        "{:#}",
        bodies[0]
    );
    // Escaped spellings of one key are one key; other endpoints refuse too.
    let escaped = app
        .client
        .post(app.url("/api/token/introspect"))
        .header("content-type", "application/json")
        .body(r#"{"token": "a", "tok\u0065n": "b"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(escaped.status(), 400);
    let sign_up = app
        .client
        .post(app.url("/api/users"))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"username": "bob", "email": "bob@example.com", "password": "{PASSWORD}", "username": "root"}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_up.status(), 400);
    let body: serde_json::Value = sign_up.json().await.unwrap();
    assert_eq!(body["code"], "BAD_REQUEST", "{body:#}");
}

#[tokio::test]
async fn parse_errors_never_repeat_the_submitted_value() {
    let app = spawn_app().await;
    const SECRET: &str = "Sekrit-Value-42";
    let json_bodies = [
        (
            "/api/token",
            json!({ "grant_type": "password", "username": "a", "password": [SECRET] }),
        ),
        (
            "/api/token",
            json!({ "grant_type": "password", "username": "a", "password": { "p": SECRET } }),
        ),
        (
            "/api/token",
            json!({ "grant_type": [SECRET], "username": "a", "password": "b" }),
        ),
        ("/api/token", json!(SECRET)),
        ("/api/token", json!([SECRET])),
        ("/api/token/introspect", json!({ "token": [SECRET] })),
        ("/api/token/revoke", json!(SECRET)),
        (
            "/api/users",
            json!({ "username": "a", "email": "a@example.com", "password": [SECRET] }),
        ),
        // An unknown field is named only when its name is plain.
        (
            "/api/users",
            json!({ "username": "a", "email": "a@example.com", "password": "x", format!("p@ss {SECRET}"): 1 }),
        ),
        ("/api/users", json!(SECRET)),
    ];
    for (path, body) in json_bodies {
        let resp = app
            .client
            .post(app.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 400, "{path} {body}: {text}");
        assert!(!text.contains(SECRET), "{path} {body} echoed: {text}");
    }
    let forms = [
        format!("grant_type=password&username=a&password={SECRET}&password={SECRET}"),
        format!("grant_type={SECRET}&grant_type=x"),
        format!("username={SECRET}"),
    ];
    for form in forms {
        let resp = app
            .client
            .post(app.url("/api/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone())
            .send()
            .await
            .unwrap();
        let text = resp.text().await.unwrap();
        assert!(!text.contains(SECRET), "{form} echoed: {text}");
    }
    // GraphQL: a variable of the wrong type.
    for value in [json!([SECRET]), json!({ "p": SECRET }), json!(12345)] {
        let body = app
            .graphql(
                "mutation ($p: String!) { tokenAuth(username: \"a\", password: $p) { token } }",
                json!({ "p": value }),
                None,
            )
            .await;
        assert!(!body.to_string().contains(SECRET), "echoed: {body}");
        assert!(!body.to_string().contains("12345"), "echoed: {body}");
    }
}

#[tokio::test]
async fn not_found_is_nosniff_and_method_not_allowed_says_what_is_allowed() {
    let app = spawn_app().await;
    for path in ["/no/such/path", "/api/nothing", "/graphiql/nothing.js"] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        assert_eq!(
            header(&resp, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(resp.headers()["cache-control"], "no-store", "{path}");
    }
    for (method, path, allow) in [
        (Method::POST, "/healthz", "GET, HEAD"),
        (Method::POST, "/readyz", "GET, HEAD"),
        (Method::DELETE, "/metrics", "GET, HEAD"),
        (Method::POST, "/schema.graphql", "GET, HEAD"),
        (Method::POST, "/.well-known/paseto-keys", "GET, HEAD"),
        (Method::POST, "/api/openapi.json", "GET, HEAD"),
        (Method::PUT, "/api/openapi.yaml", "GET, HEAD"),
        (Method::POST, "/graphiql/graphiql-3.9.0.min.js", "GET, HEAD"),
        (Method::DELETE, "/graphql", "GET, HEAD, POST"),
        (Method::PUT, "/api/users/me", "DELETE, GET, PATCH"),
        // Routes with a path parameter (schemathesis found them without).
        (Method::TRACE, "/api/users/me/sessions/abc", "DELETE"),
        (Method::TRACE, "/api/users/7", "DELETE, GET"),
        (Method::POST, "/api/users/7/active", "PUT"),
        (Method::GET, "/api/users/7/staff", "PUT"),
        (Method::GET, "/api/users/7/logout-all", "POST"),
        (Method::POST, "/api/users/7/sessions", "GET"),
        (Method::TRACE, "/api/users/0/mfa", "DELETE"),
    ] {
        let resp = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405, "{method} {path}");
        assert_eq!(header(&resp, "allow"), Some(allow), "{method} {path}");
        assert_eq!(
            header(&resp, "x-content-type-options"),
            Some("nosniff"),
            "{method} {path}"
        );
    }
}

/// GraphQL's request decoding answers what is wrong, never the value sent
/// (serde's own messages quote it: `invalid type: string "…"`).
#[tokio::test]
async fn graphql_request_errors_never_repeat_a_submitted_value() {
    let app = crate::helpers::spawn_app().await;
    for body in [
        r#"{"query":"{__typename}","variables":"SECRET-VALUE-1"}"#,
        r#"{"query":"{__typename}","operationName":["SECRET-VALUE-1"]}"#,
        r#"{"query":"{__typename}","extensions":"SECRET-VALUE-1"}"#,
        r#"{"query":"{__typename}","variables":{"a":1},"x":"SECRET-VALUE-1"} trailing"#,
        r#"{"query":"SECRET-VALUE-1" "#,
        r#""SECRET-VALUE-1""#,
    ] {
        let resp = app
            .client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 400, "{body}: {text}");
        assert!(text.contains("BAD_REQUEST"), "{body}: {text}");
        assert!(!text.contains("SECRET-VALUE"), "{body}: {text}");
    }
}

#[tokio::test]
async fn every_route_says_nosniff() {
    let app = spawn_app().await;
    for path in ["/graphql", "/schema.graphql", "/healthz", "/readyz"] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            header(&resp, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_declared_body_over_the_limit_gets_413_before_100_continue() {
    let app = spawn_app().await;
    for (path, content_type) in [
        ("/graphql", "application/json"),
        ("/api/token", "application/x-www-form-urlencoded"),
        ("/api/users", "application/json"),
    ] {
        // The head only: a client that asks for 100 Continue waits for it
        // before sending its body.
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n\
             Content-Length: 10000000\r\nExpect: 100-continue\r\n\r\n"
        );
        let response = crate::raw::exchange(
            &app.address,
            head.into_bytes(),
            std::time::Duration::from_secs(3),
        )
        .await;
        assert!(
            response.starts_with("HTTP/1.1 413"),
            "{path}: expected a 413 first, got {response:?}"
        );
        assert!(!response.contains("100 Continue"), "{path}: {response:?}");
        let body = &response[response.find("\r\n\r\n").map_or(0, |i| i + 4)..];
        assert!(
            body.contains("PAYLOAD_TOO_LARGE") || body.contains("invalid_request"),
            "{path}: {body}"
        );
    }
    // Within the limit, the client is told to go on.
    let head = "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                Content-Length: 26\r\nExpect: 100-continue\r\n\r\n";
    let response = crate::raw::exchange(
        &app.address,
        head.as_bytes().to_vec(),
        std::time::Duration::from_secs(1),
    )
    .await;
    assert!(
        response.starts_with("HTTP/1.1 100 Continue"),
        "{response:?}"
    );
}

/// serde's own messages quote the value they could not read (`invalid type:
/// string "…"`); no face repeats it.
#[tokio::test]
async fn serde_messages_never_repeat_the_submitted_value() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let (access, _) = app.drf_pair("alice", PASSWORD).await;
    const SECRET: &str = "Hunter2-Secret-Pass";
    for (method, path, body) in [
        (
            Method::PUT,
            "/user/update/",
            format!(r#"user={{"password":"{SECRET}"}}"#),
        ),
        (Method::PATCH, "/user/update/", format!("user={SECRET}")),
        (Method::POST, "/api/token", format!("grant_type={SECRET}")),
    ] {
        let req = app.rest(method.clone(), path, Some(&bearer(&access)));
        let reply = app.send(req.header("content-type", FORM).body(body)).await;
        assert_eq!(reply.status, 400, "{method} {path}: {:#}", reply.body);
        assert!(!reply.body.to_string().contains(SECRET), "{:#}", reply.body);
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

/// A form's bytes are percent-decoded as UTF-8 or refused: `caf%E9` is not
/// `caf%FF`, nor the U+FFFD a lossy decoder makes of both.
#[tokio::test]
async fn a_form_that_is_not_utf8_is_refused_in_each_paths_shape() {
    let app = spawn_app().await;
    let password = "correct horse caf\u{fffd}";
    app.rest_sign_up("alice", "alice@example.com", password)
        .await
        .expect(201);
    let form = |path: &str, body: &str| {
        let req = app
            .rest(Method::POST, path, None)
            .header("content-type", FORM);
        app.send(req.body(body.to_owned()))
    };
    let grant = "grant_type=password&username=alice&password=correct+horse+caf";
    for byte in ["%E9", "%FF"] {
        let reply = form("/api/token", &format!("{grant}{byte}")).await;
        let said = reply.expect_oauth(400, "invalid_request")["error_description"].to_string();
        assert!(said.contains("`password` is not valid UTF-8"), "{said}");
    }
    let sign_up = "email=bob%40example.com&password=caf%E9+caf%E9+caf%E9";
    let reply = form("/user/create/", sign_up).await;
    assert!(reply.expect(400)["detail"].to_string().contains("UTF-8"));
    let sign_up = sign_up.replace("%E9", "%C3%A9");
    form("/user/create/", &sign_up).await.expect(201);
    form("/api/token", &format!("{grant}%EF%BF%BD"))
        .await
        .expect(200);
}
