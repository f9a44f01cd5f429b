//! The two browser pages, Swagger UI at `/docs` and GraphiQL at
//! `GET /graphql`: a Content-Security-Policy that lets only their own
//! scripts run, never framed, never named in a `Referer`, GET and HEAD
//! only; and GraphiQL keeps nothing in the browser's storage. (The pages
//! working under these policies in a real browser: tests/browser/.)

use base64::Engine as _;
use reqwest::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_FRAME_OPTIONS};
use reqwest::Method;
use sha2::{Digest as _, Sha256};

use crate::helpers::*;

/// The text of every inline `<script>` of `html`.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<script") {
        let after = &rest[at..];
        let open = after.find('>').expect("the tag ends");
        let body = &after[open + 1..];
        let close = body.find("</script>").expect("the script ends");
        if !after[..open].contains(" src=") {
            found.push(&body[..close]);
        }
        rest = &body[close..];
    }
    found
}

fn directive<'a>(policy: &'a str, name: &str) -> Option<&'a str> {
    policy
        .split(';')
        .map(str::trim)
        .find(|d| d.split_whitespace().next() == Some(name))
}

#[tokio::test]
async fn swagger_ui_runs_only_its_own_scripts_and_cannot_be_framed() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    let html = resp.text().await.unwrap();
    let policy = headers
        .get(CONTENT_SECURITY_POLICY)
        .expect("a Content-Security-Policy")
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        directive(&policy, "frame-ancestors"),
        Some("frame-ancestors 'none'")
    );
    assert_eq!(
        directive(&policy, "default-src"),
        Some("default-src 'none'")
    );
    assert_eq!(
        directive(&policy, "connect-src"),
        Some("connect-src 'self'")
    );
    let scripts = directive(&policy, "script-src").expect("a script-src");
    assert!(
        !scripts.contains("'unsafe-inline'") && !scripts.contains("'unsafe-eval'"),
        "{policy}"
    );
    // Exactly the page's inline scripts are allowed, by their hashes.
    let inline = inline_scripts(&html);
    assert!(!inline.is_empty(), "Swagger UI's page has inline scripts");
    for script in &inline {
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script));
        assert!(
            scripts.contains(&format!("'sha256-{hash}'")),
            "a script of the page is not allowed by {scripts}"
        );
    }
    assert_eq!(
        scripts.matches("'sha256-").count(),
        inline.len(),
        "{scripts}"
    );
    assert_eq!(headers[X_FRAME_OPTIONS], "DENY");
    assert_eq!(headers[REFERRER_POLICY], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn the_pages_answer_only_get_and_head() {
    let app = spawn_app().await;
    for path in ["/docs", "/docs/"] {
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
            let resp = app
                .client
                .request(method.clone(), app.url(path))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 405, "{method} {path}");
            assert_eq!(resp.headers()["allow"], "GET, HEAD", "{method} {path}");
        }
    }
    // GraphiQL's page shares its path with the GraphQL endpoint.
    let head = app.client.head(app.url("/graphql")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let put = app.client.put(app.url("/graphql")).send().await.unwrap();
    assert_eq!(put.status(), 405);
    assert_eq!(put.headers()["allow"], "GET, HEAD, POST");
}

#[tokio::test]
async fn graphiql_is_never_framed_nor_named_in_a_referer() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let policy = resp.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert_eq!(
        directive(policy, "frame-ancestors"),
        Some("frame-ancestors 'none'")
    );
    assert_eq!(resp.headers()[X_FRAME_OPTIONS], "DENY");
    assert_eq!(resp.headers()[REFERRER_POLICY], "no-referrer");
}

/// GraphiQL's start-up script, as the page loads it.
async fn graphiql_init_script(app: &TestApp) -> String {
    let html = app
        .client
        .get(app.url("/graphql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = html
        .find("graphiql/init-")
        .expect("the page loads init-….js");
    let name = &html[at..];
    let name = &name[..name.find('"').expect("a quoted src")];
    let resp = app
        .client
        .get(app.url(&format!("/{name}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{name}");
    resp.text().await.unwrap()
}

#[tokio::test]
async fn graphiqls_examples_take_the_password_from_variables_and_nothing_is_stored() {
    let app = spawn_app().await;
    let init = graphiql_init_script(&app).await;
    // No password typed into a document: the examples use variables.
    let start = init
        .find("var defaultQuery = [")
        .expect("the default document");
    let document = &init[start..];
    let document = &document[..document.find("].join").expect("its end")];
    assert!(
        !document.contains("password: \""),
        "a password literal in the default document:\n{document}"
    );
    assert!(
        init.contains("tokenAuth(username: $username, password: $password)"),
        "{init}"
    );
    // Tabs, history and headers go to a storage that lives with the page, not localStorage.
    assert!(init.contains("storage: memoryStorage()"), "{init}");
    assert!(init.contains("shouldPersistHeaders: false"), "{init}");
}
