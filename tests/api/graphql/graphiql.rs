//! GraphiQL works offline: the page at `GET /graphql` and everything it loads
//! come from Gatehouse itself, with a strict Content-Security-Policy. (The
//! real-browser walk through the page is tests/browser/graphiql.mjs.)

use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};

use crate::helpers::*;

/// The values of every `src="…"` and `href="…"` attribute in `html`.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["src=", "href="] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            let quote = rest.chars().next().expect("an attribute value");
            assert!(quote == '"' || quote == '\'', "unquoted {attr} in {html}");
            let end = rest[1..].find(quote).expect("a closing quote") + 1;
            found.push(rest[1..end].to_owned());
            rest = &rest[end..];
        }
    }
    found
}

/// `reference` resolved against the page's URL, `{address}/graphql`.
fn resolve(app: &TestApp, reference: &str) -> String {
    if reference.starts_with("http://") || reference.starts_with("https://") {
        reference.to_owned()
    } else if let Some(absolute) = reference.strip_prefix('/') {
        app.url(&format!("/{absolute}"))
    } else {
        app.url(&format!("/{reference}"))
    }
}

async fn page(app: &TestApp) -> (reqwest::header::HeaderMap, String) {
    let resp = app.client.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    (headers, resp.text().await.unwrap())
}

#[tokio::test]
async fn get_graphql_serves_graphiql() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let ct = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/html"), "content type {ct}");
    let html = resp.text().await.unwrap();
    assert!(html.to_lowercase().contains("<html"), "an HTML page");
    assert!(
        html.contains("graphiql") || html.contains("GraphiQL"),
        "the GraphiQL page"
    );
}

#[tokio::test]
async fn the_page_and_every_asset_it_loads_are_served_locally() {
    let app = spawn_app().await;
    let (headers, html) = page(&app).await;
    assert!(headers[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));

    let refs = references(&html);
    let scripts: Vec<_> = refs.iter().filter(|r| r.ends_with(".js")).collect();
    let styles: Vec<_> = refs.iter().filter(|r| r.ends_with(".css")).collect();
    // React, ReactDOM, GraphiQL and the start-up script; GraphiQL's styles.
    assert_eq!(scripts.len(), 4, "scripts in {html}");
    assert_eq!(styles.len(), 1, "stylesheets in {html}");
    assert_eq!(refs.len(), 5, "nothing else is loaded: {refs:?}");

    for reference in &refs {
        let url = resolve(&app, reference);
        assert!(
            url.starts_with(&format!("{}/", app.address)),
            "{reference} is not on the page's origin"
        );
        let resp = app.client.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{url}");
        let ct = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        let expected = if reference.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(ct.starts_with(expected), "{url}: content type {ct}");
        assert_eq!(
            resp.headers()[CACHE_CONTROL],
            "public, max-age=31536000, immutable",
            "{url}"
        );
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff", "{url}");
        let body = resp.bytes().await.unwrap();
        assert!(body.len() > 100, "{url} has content");
        // No asset pulls in more from a CDN.
        let text = String::from_utf8_lossy(&body);
        for cdn in ["unpkg.com", "cdn.jsdelivr.net", "cdnjs.cloudflare.com"] {
            assert!(!text.contains(cdn), "{url} mentions {cdn}");
        }
    }
}

#[tokio::test]
async fn the_page_names_no_other_origin() {
    let app = spawn_app().await;
    let (_, html) = page(&app).await;
    let mut rest = html.as_str();
    while let Some(at) = rest.find("://") {
        let before = &rest[..at];
        let scheme_start = before
            .rfind(|c: char| !c.is_ascii_alphanumeric())
            .map_or(0, |i| i + 1);
        let url: String = rest[scheme_start..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !"\"'<>)".contains(*c))
            .collect();
        assert!(
            url.starts_with(&format!("{}/", app.address)),
            "the page names another origin: {url}"
        );
        rest = &rest[at + 3..];
    }
}

#[tokio::test]
async fn the_page_has_a_strict_content_security_policy() {
    let app = spawn_app().await;
    let (headers, html) = page(&app).await;
    let csp = headers
        .get(CONTENT_SECURITY_POLICY)
        .expect("a Content-Security-Policy header")
        .to_str()
        .unwrap();
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    assert!(directives.contains(&"default-src 'self'"), "{csp}");
    assert!(
        directives
            .iter()
            .all(|d| !d.starts_with("script-src") || d == &"script-src 'self'"),
        "scripts from this origin only: {csp}"
    );
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    assert!(!csp.contains('*'), "{csp}");
    // Which means no inline script: every <script> has a src.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=").count(),
        "inline scripts in {html}"
    );
    // The page itself is not cached (the next release renames its assets).
    assert_eq!(headers[CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn unknown_assets_are_not_found() {
    let app = spawn_app().await;
    for path in [
        "/graphiql/nope.js",
        "/graphiql/init.js",
        "/graphiql/",
        "/graphiql/..%2FCargo.toml",
    ] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
}
