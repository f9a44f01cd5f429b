//! Swagger UI at `GET /docs`: poem-openapi's bundled page (it works offline),
//! served with a strict Content-Security-Policy.
//!
//! The page is one HTML document with two inline scripts (Swagger UI's
//! bundle and the few lines that start it with the embedded spec) and an
//! inline style sheet. The policy allows exactly those scripts, by their
//! SHA-256 hashes, computed from the page at start-up; no other script can
//! run, the page talks only to its own origin ("Try it out"), and it may
//! not be framed (clickjacking) nor name itself in a `Referer`.

use std::sync::LazyLock;

use base64::Engine as _;
use poem::http::header;
use poem::{get, handler, Response, Route};
use sha2::{Digest as _, Sha256};

/// The page and its policy, built once.
struct Page {
    html: String,
    policy: String,
}

static PAGE: LazyLock<Page> = LazyLock::new(|| {
    let html = super::api().swagger_ui_html();
    let policy = content_security_policy(&html);
    Page { html, policy }
});

/// The routes to nest under `/docs`: the page, for GET and HEAD only.
pub fn routes() -> Route {
    // Built now, not at the first request.
    LazyLock::force(&PAGE);
    Route::new().at("/", get(page))
}

#[handler]
fn page() -> Response {
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, PAGE.policy.as_str())
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::REFERRER_POLICY, "no-referrer")
        .body(PAGE.html.as_str())
}

/// The policy for `html`: its inline scripts by hash; styles inline
/// (Swagger UI sets style attributes as it renders); images and fonts from
/// this origin or `data:` URLs; requests to this origin only.
pub fn content_security_policy(html: &str) -> String {
    let hashes: Vec<String> = inline_scripts(html)
        .into_iter()
        .map(|script| format!("'sha256-{}'", script_hash(script)))
        .collect();
    format!(
        "default-src 'none'; script-src {}; style-src 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        hashes.join(" ")
    )
}

/// The text of every inline `<script>` element (one without `src`).
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            scripts.push(&body[..close]);
        }
        rest = &body[close + "</script>".len()..];
    }
    scripts
}

/// A CSP source hash: base64 of the SHA-256 of the script's text, after
/// the newline normalisation an HTML parser applies (CR LF and CR become LF).
fn script_hash(script: &str) -> String {
    let mut hasher = Sha256::new();
    if script.contains('\r') {
        hasher.update(script.replace("\r\n", "\n").replace('\r', "\n").as_bytes());
    } else {
        hasher.update(script.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_found_and_external_ones_skipped() {
        let html = "<script charset=\"UTF-8\">a()</script><script src=\"x.js\"></script>\n\
                    <script>\n  b()\n</script>";
        assert_eq!(inline_scripts(html), vec!["a()", "\n  b()\n"]);
    }

    #[test]
    fn the_hash_is_the_one_browsers_compute() {
        // `echo -n 'alert(1)' | openssl sha256 -binary | base64`
        assert_eq!(
            script_hash("alert(1)"),
            "bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI="
        );
        assert_eq!(script_hash("a\r\nb"), script_hash("a\nb"));
    }

    #[test]
    fn the_policy_allows_exactly_the_pages_two_scripts() {
        let policy = &PAGE.policy;
        assert_eq!(policy.matches("'sha256-").count(), 2, "{policy}");
        assert!(!policy.contains("'unsafe-eval'"), "{policy}");
        let scripts = policy
            .split(';')
            .find(|d| d.trim_start().starts_with("script-src"))
            .unwrap_or_default();
        assert!(!scripts.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    }
}
