//! Tests of the routes' helpers: paths escaped for the log, the metrics
//! token, what a cross-site form post is.

use super::middleware::{is_cross_site_form, is_own_origin, is_preflight_free_body};
use super::*;
use poem::http::{HeaderValue, Method};

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

fn post(headers: &[(&str, &str)]) -> Request {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri_str("/login/")
        .header(header::HOST, "auth.example:8443");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.finish()
}

#[test]
fn only_bodies_a_browser_sends_without_a_preflight_are_checked() {
    let ct = |v: &'static str| Some(HeaderValue::from_static(v));
    assert!(is_preflight_free_body(None));
    for simple in [
        "application/x-www-form-urlencoded",
        "Multipart/Form-Data; boundary=x",
        " text/plain;charset=UTF-8",
    ] {
        assert!(is_preflight_free_body(ct(simple).as_ref()), "{simple}");
    }
    for other in [
        "application/json",
        "text/plain+json",
        "application/csp-report",
    ] {
        assert!(!is_preflight_free_body(ct(other).as_ref()), "{other}");
    }
}

#[test]
fn an_origin_is_this_servers_when_its_host_and_port_are_the_hosts() {
    assert!(is_own_origin(
        "https://auth.example:8443",
        "auth.example:8443"
    ));
    assert!(is_own_origin("https://Auth.Example", "auth.example:443"));
    assert!(is_own_origin("http://auth.example:80", "auth.example"));
    assert!(is_own_origin("http://[::1]:8080", "[::1]:8080"));
    for (origin, host) in [
        ("https://auth.example", "auth.example:80"),
        ("https://auth.example:8443", "auth.example"),
        ("https://auth.example.evil.example", "auth.example"),
        ("https://evil.example@auth.example", "auth.example"),
        ("https://auth.example/", "auth.example"),
        ("ftp://auth.example", "auth.example"),
        ("auth.example", "auth.example"),
        ("https://", ""),
        ("null", "null"),
    ] {
        assert!(!is_own_origin(origin, host), "{origin} at {host}");
    }
}

#[test]
fn a_form_from_another_site_is_told_from_one_from_here() {
    let trusted = ["https://app.example".to_owned()];
    let form = ("content-type", "application/x-www-form-urlencoded");
    let own = ("origin", "https://auth.example:8443");
    for refused in [
        &[form, ("origin", "https://evil.example")][..],
        &[form, ("origin", "null")],
        &[form, ("sec-fetch-site", "cross-site")],
        &[form, ("sec-fetch-site", "Same-Site")],
        &[form, own, ("sec-fetch-site", "cross-site")],
        &[("origin", "https://evil.example")],
        &[
            ("content-type", "text/plain"),
            ("origin", "https://evil.example"),
        ],
    ] {
        assert!(is_cross_site_form(&post(refused), &trusted), "{refused:?}");
    }
    for passed in [
        &[form][..],
        &[form, own],
        &[form, own, ("sec-fetch-site", "same-origin")],
        &[form, ("sec-fetch-site", "none")],
        &[
            form,
            ("origin", "https://app.example"),
            ("sec-fetch-site", "cross-site"),
        ],
        &[form, ("origin", "https://APP.example")],
        &[
            ("content-type", "application/json"),
            ("origin", "https://evil.example"),
        ],
    ] {
        assert!(!is_cross_site_form(&post(passed), &trusted), "{passed:?}");
    }
    let get = Request::builder()
        .uri_str("/login/")
        .header("origin", "https://evil.example")
        .finish();
    assert!(!is_cross_site_form(&get, &trusted));
}

#[test]
fn request_ids_are_random_hex_and_do_not_repeat() {
    // More than one thread's page of random bytes (341 ids).
    let ids: Vec<String> = (0..2000).map(|_| new_request_id()).collect();
    for id in &ids {
        assert_eq!(id.len(), 24, "{id}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{id}"
        );
    }
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len());
}
