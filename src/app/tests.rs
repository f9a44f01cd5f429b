//! Tests of the routes' helpers: paths escaped for the log, the metrics token.

use super::*;

#[test]
fn paths_are_logged_with_everything_but_printable_ascii_escaped() {
    assert_eq!(escape_for_log("/api/users/me"), "/api/users/me");
    assert_eq!(
        escape_for_log("/a\u{202e}b\u{85}c\nd\\e\u{2028}é"),
        "/a\\u{202e}b\\u{0085}c\\u{000a}d\\\\e\\u{2028}\\u{00e9}"
    );
}

#[test]
fn a_metrics_token_is_matched_exactly_as_a_bearer_token() {
    let with = |auth: &str| {
        Request::builder()
            .header(header::AUTHORIZATION, auth)
            .finish()
    };
    let token = "0123456789abcdef";
    assert!(bearer_matches(&with("Bearer 0123456789abcdef"), token));
    assert!(bearer_matches(&with("bearer 0123456789abcdef"), token));
    for wrong in [
        "Bearer 0123456789abcdeF",
        "Bearer 0123456789abcdef0",
        "Bearer",
        "Basic 0123456789abcdef",
        "Bearer0123456789abcdef",
    ] {
        assert!(!bearer_matches(&with(wrong), token), "{wrong}");
    }
    assert!(!bearer_matches(&Request::default(), token));
}
