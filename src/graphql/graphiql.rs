//! GraphiQL at `GET /graphql`, working offline: the page is ours, and React,
//! ReactDOM and GraphiQL (pinned UMD builds vendored in `graphiql/`, see its
//! README) are compiled into the binary and served under `/graphiql/`.
//!
//! The page loads nothing from elsewhere and its start-up script is a file
//! too, so the page carries a strict Content-Security-Policy (no inline or
//! third-party scripts, requests only to this origin).

use std::sync::LazyLock;

use poem::http::{header, StatusCode};
use poem::web::Path;
use poem::{get, handler, Response, Route};

/// The Content-Security-Policy of the page: scripts, styles, fonts and
/// requests from this origin only. Inline styles (GraphiQL and CodeMirror
/// set them) and `data:` images and fonts (GraphiQL's CSS embeds its fonts
/// and icons) are the only allowances.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    base-uri 'none'; frame-ancestors 'none'";

/// Served files never change under one URL: vendored ones carry their
/// version in the name, ours a hash of the content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

pub const GRAPHIQL_JS: &str = "graphiql-3.9.0.min.js";
pub const GRAPHIQL_CSS: &str = "graphiql-3.9.0.min.css";
pub const REACT_JS: &str = "react-18.3.1.production.min.js";
pub const REACT_DOM_JS: &str = "react-dom-18.3.1.production.min.js";

const INIT: &[u8] = include_bytes!("graphiql/init.js");

/// The vendored files: name, content type, content.
const VENDORED: &[(&str, &str, &[u8])] = &[
    (
        GRAPHIQL_JS,
        JS,
        include_bytes!("graphiql/graphiql-3.9.0.min.js"),
    ),
    (
        GRAPHIQL_CSS,
        CSS,
        include_bytes!("graphiql/graphiql-3.9.0.min.css"),
    ),
    (
        REACT_JS,
        JS,
        include_bytes!("graphiql/react-18.3.1.production.min.js"),
    ),
    (
        REACT_DOM_JS,
        JS,
        include_bytes!("graphiql/react-dom-18.3.1.production.min.js"),
    ),
];

/// FNV-1a, at compile time: names `init.js` after its content, so a changed
/// script gets a new URL despite the year-long caching.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// `init-<hash>.js`: the script that starts GraphiQL.
static INIT_NAME: LazyLock<String> = LazyLock::new(|| format!("init-{:016x}.js", fnv1a(INIT)));

/// The page. Asset URLs are relative (`graphiql/…` next to `graphql`), so the
/// page also works behind a proxy that serves Gatehouse under a path prefix.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse GraphiQL</title>
<link rel="stylesheet" href="graphiql/{GRAPHIQL_CSS}">
<style>html, body {{ margin: 0; height: 100%; overflow: hidden; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript. Without it, POST GraphQL requests as JSON to this URL; the schema is at schema.graphql.</noscript>
<script src="graphiql/{REACT_JS}"></script>
<script src="graphiql/{REACT_DOM_JS}"></script>
<script src="graphiql/{GRAPHIQL_JS}"></script>
<script src="graphiql/{init}"></script>
</body>
</html>
"#,
        init = INIT_NAME.as_str(),
    )
});

/// The GraphiQL page, with its Content-Security-Policy; never framed
/// (`frame-ancestors 'none'`, and `X-Frame-Options` for older browsers) and
/// never named in a `Referer` (its URL may be private). Not cached (the
/// application's default), so a new release's asset names are picked up.
pub fn page() -> Response {
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::REFERRER_POLICY, "no-referrer")
        .body(PAGE.as_str())
}

/// The routes of the assets, to nest under `/graphiql`.
pub fn assets() -> Route {
    Route::new().at("/:file", get(asset))
}

/// One asset by name, or 404.
#[handler]
fn asset(Path(file): Path<String>) -> Response {
    let found = if file == *INIT_NAME {
        Some((JS, INIT))
    } else {
        VENDORED
            .iter()
            .find(|(name, _, _)| *name == file)
            .map(|(_, content_type, body)| (*content_type, *body))
    };
    match found {
        Some((content_type, body)) => Response::builder()
            .content_type(content_type)
            .header(header::CACHE_CONTROL, IMMUTABLE)
            .body(body),
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .content_type("text/plain; charset=utf-8")
            .body("Not found."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_every_asset_and_nothing_else() {
        for (name, _, _) in VENDORED {
            assert!(PAGE.contains(&format!("\"graphiql/{name}\"")), "{name}");
        }
        assert!(PAGE.contains(&format!("\"graphiql/{}\"", *INIT_NAME)));
        assert!(!PAGE.contains("http://") && !PAGE.contains("https://"));
    }

    #[test]
    fn init_is_named_after_its_content() {
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
        assert!(INIT_NAME.starts_with("init-") && INIT_NAME.len() == "init-.js".len() + 16);
    }
}
