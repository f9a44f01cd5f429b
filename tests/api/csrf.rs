//! Forms that a browser posts from another site: refused with 403 before
//! any work, in each path's error shape, whether CORS is on or not (CORS
//! itself: `cors.rs`).

use reqwest::{Method, RequestBuilder};
use serde_json::json;

use crate::helpers::*;

pub(crate) const EVIL: &str = "https://evil.example";
pub(crate) const APP: &str = "https://app.example";
const FORM: &str = "application/x-www-form-urlencoded";

/// A POST of `body` as `content_type` to `path`, with extra `headers`.
fn post(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> RequestBuilder {
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req
}

fn sign_up_form(email: &str) -> String {
    format!(
        "email={}&password={}",
        email.replace('@', "%40"),
        PASSWORD.replace(' ', "+")
    )
}

fn login_form(username: &str) -> String {
    format!(
        "username={username}&password={}",
        PASSWORD.replace(' ', "+")
    )
}

fn token_form(username: &str) -> String {
    format!("grant_type=password&{}", login_form(username))
}

#[tokio::test]
async fn cross_site_form_posts_are_refused_in_each_paths_shape() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let boundary = "XyZbOuNdArY";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\n\
         password\r\n--{boundary}--\r\n"
    );
    let multipart_type = format!("multipart/form-data; boundary={boundary}");
    let from_evil = [("origin", EVIL)];
    let drf = "drf";
    let oauth = "oauth";
    let problem = "problem";
    for (path, content_type, body, headers, shape) in [
        (
            "/user/create/",
            FORM,
            sign_up_form("csrf1@example.com"),
            &from_evil[..],
            drf,
        ),
        ("/login/", FORM, login_form("alice"), &from_evil, drf),
        (
            "/user/obtain_token/",
            FORM,
            "email=alice%40example.com&password=x".to_owned(),
            &from_evil,
            drf,
        ),
        ("/api/token", FORM, token_form("alice"), &from_evil, oauth),
        (
            "/api/token",
            multipart_type.as_str(),
            multipart.clone(),
            &from_evil,
            oauth,
        ),
        (
            "/api/users",
            "text/plain;charset=UTF-8",
            json!({ "username": "csrf2", "email": "csrf2@example.com", "password": PASSWORD })
                .to_string(),
            &from_evil,
            problem,
        ),
        // A sandboxed page or a redirect says `null`.
        (
            "/user/create/",
            FORM,
            sign_up_form("csrf1@example.com"),
            &[("origin", "null")],
            drf,
        ),
        // No Origin, but the browser says where the request comes from.
        (
            "/api/token",
            FORM,
            token_form("alice"),
            &[("sec-fetch-site", "cross-site")],
            oauth,
        ),
        // A sibling subdomain is another site's page all the same.
        (
            "/login/",
            FORM,
            login_form("alice"),
            &[
                ("sec-fetch-site", "same-site"),
                ("origin", "https://x.127.0.0.1"),
            ],
            drf,
        ),
        // A look-alike of this server's own origin.
        (
            "/login/",
            "text/plain",
            login_form("alice"),
            &[("origin", &format!("{}.evil.example", app.address))],
            drf,
        ),
    ] {
        let what = format!("{path} {content_type} {headers:?}");
        let reply = app
            .send(post(&app, path, content_type, &body, headers))
            .await;
        let body = reply.expect(403);
        match shape {
            "drf" => {
                let detail = body["detail"].as_str().unwrap_or_default();
                assert!(detail.starts_with("CSRF Failed: "), "{what}: {body:#}");
                assert_eq!(body.as_object().unwrap().len(), 1, "{what}: {body:#}");
            }
            "oauth" => {
                reply.expect_oauth(403, "invalid_request");
            }
            _ => {
                reply.expect_error(403, "FORBIDDEN");
            }
        }
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{what}");
        assert!(!body.to_string().contains("evil"), "{what}: {body:#}");
    }
    // Nothing was created, no login counted: the same account can be made
    // now, and alice's account is not throttled.
    let created = app
        .send(post(
            &app,
            "/user/create/",
            FORM,
            &sign_up_form("csrf1@example.com"),
            &[],
        ))
        .await;
    created.expect(201);
    let m = app.state.metrics().render(&[], &Default::default());
    assert!(
        m.contains("gatehouse_logins_total{result=\"failed\"} 0"),
        "{m}"
    );
    assert!(m.contains("gatehouse_sign_ups_total 2"), "{m}");
}

/// This server's own pages, clients that are not browsers, the configured
/// origins and JSON bodies post as before.
#[tokio::test]
async fn same_origin_trusted_origin_and_non_browser_posts_still_work() {
    let app = spawn_app().await;
    app.rest_sign_up_default("alice").await;
    let own = app.address.clone();
    let with_port_80 = [
        ("origin", "http://gatehouse.example"),
        ("host", "gatehouse.example:80"),
    ];
    for (what, headers) in [
        ("no origin (curl, a server)", &[][..]),
        ("this server's origin", &[("origin", own.as_str())][..]),
        (
            "this server's origin, as a browser says it",
            &[("origin", own.as_str()), ("sec-fetch-site", "same-origin")],
        ),
        ("the default port written or not", &with_port_80),
        ("a typed address", &[("sec-fetch-site", "none")]),
    ] {
        let reply = app
            .send(post(
                &app,
                "/api/token",
                FORM,
                &token_form("alice"),
                headers,
            ))
            .await;
        assert_eq!(reply.status, 200, "{what}: {:#}", reply.body);
        let reply = app
            .send(post(&app, "/login/", FORM, &login_form("alice"), headers))
            .await;
        assert_eq!(reply.status, 200, "{what}: {:#}", reply.body);
    }
    // JSON needs a preflight from another site, which CORS answers; the
    // form check leaves it alone. So do reads.
    let json = app
        .send(
            app.rest(Method::POST, "/login/", None)
                .header("origin", EVIL)
                .json(&json!({ "username": "alice", "password": PASSWORD })),
        )
        .await;
    assert_eq!(json.status, 200, "{:#}", json.body);
    let read = app
        .send(
            app.rest(Method::GET, "/healthz", None)
                .header("origin", EVIL),
        )
        .await;
    assert_eq!(read.status, 200);

    // A configured origin posts forms, whatever Sec-Fetch-Site says, and
    // reads the answer (CORS) as before.
    let app = spawn_app_with(|c| c.cors_origins = vec![APP.into()]).await;
    app.rest_sign_up_default("alice").await;
    let headers = [("origin", APP), ("sec-fetch-site", "cross-site")];
    for (path, form, status) in [
        ("/api/token", token_form("alice"), 200),
        ("/user/create/", sign_up_form("bob@example.com"), 201),
    ] {
        let reply = app.send(post(&app, path, FORM, &form, &headers)).await;
        assert_eq!(reply.status, status, "{path}: {:#}", reply.body);
        assert_eq!(reply.header("access-control-allow-origin"), Some(APP));
    }
}

/// With CORS on, a form from an origin not listed gets the same 403 (not
/// the CORS layer's plain text); under a prefix inside `/api`, the Django
/// REST face keeps its own shape.
#[tokio::test]
async fn with_cors_on_or_under_a_prefix_the_refusal_keeps_its_shape() {
    for (configure, path) in [
        (
            (|c: &mut gatehouse::config::Config| c.cors_origins = vec![APP.into()])
                as fn(&mut gatehouse::config::Config),
            "/user/create/",
        ),
        (
            |c| c.django_rest_prefix = "/api/v1/".into(),
            "/api/v1/user/create",
        ),
    ] {
        let app = spawn_app_with(configure).await;
        let form = sign_up_form("csrf3@example.com");
        let reply = app
            .send(post(&app, path, FORM, &form, &[("origin", EVIL)]))
            .await;
        let detail = reply.expect(403)["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with("CSRF Failed: "), "{:#}", reply.body);
    }
}

/// GraphQL refuses every body but JSON itself, as before: its own 415.
#[tokio::test]
async fn graphql_keeps_refusing_forms_itself() {
    let app = spawn_app().await;
    for content_type in [FORM, "text/plain"] {
        let resp = post(
            &app,
            "/graphql",
            content_type,
            r#"{"query":"{ __typename }"}"#,
            &[("origin", EVIL), ("sec-fetch-site", "cross-site")],
        )
        .send()
        .await
        .unwrap();
        assert_eq!(resp.status(), 415, "{content_type}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNSUPPORTED_MEDIA_TYPE",
            "{body:#}"
        );
    }
}
