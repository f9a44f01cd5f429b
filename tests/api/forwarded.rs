//! The client's address behind a trusted proxy: every `X-Forwarded-For`
//! line is read, in order, as one list, walked from the right. A client
//! cannot pick its throttling address by sending its own line ahead of the
//! one its proxy appends.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;
use crate::raw;

/// A REST sign-up sent with these `X-Forwarded-For` lines, in this order.
async fn sign_up_through_proxy(app: &TestApp, name: &str, lines: &[&str]) -> reqwest::Response {
    let mut req = app.client.post(app.url("/api/users")).json(&json!({
        "username": name,
        "email": format!("{name}@example.com"),
        "password": PASSWORD,
    }));
    for line in lines {
        // `header` appends: each value is its own header line.
        req = req.header("x-forwarded-for", *line);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_forged_line_before_the_proxys_line_does_not_escape_the_per_address_limit() {
    // The server's peer is the test, at 127.0.0.1: the trusted proxy.
    let app = spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.throttle.sign_ups_per_address = 2;
    })
    .await;
    let mut statuses = Vec::new();
    for n in 1..=6 {
        // The client's forged line, then the line the proxy appended.
        let forged = format!("7.7.7.{n}");
        let resp = sign_up_through_proxy(&app, &format!("user{n}"), &[&forged, "1.2.3.4"]).await;
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [201, 201, 429, 429, 429, 429]);
    // Another client behind the same proxy is not affected.
    let other = sign_up_through_proxy(&app, "other", &["7.7.7.1", "5.6.7.8"]).await;
    assert_eq!(other.status(), 201);
}

#[tokio::test]
async fn the_rfc_7239_forwarded_header_is_not_believed() {
    let app = spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.throttle.sign_ups_per_address = 1;
    })
    .await;
    // The proxy appended 1.2.3.4; a `Forwarded` header (not managed by this
    // proxy, so possibly the client's) names others.
    let mut statuses = Vec::new();
    for n in 1..=2 {
        let resp = app
            .client
            .post(app.url("/api/users"))
            .header("forwarded", format!("for=7.7.7.{n}"))
            .header("x-forwarded-for", "1.2.3.4")
            .json(&json!({ "username": format!("f{n}"), "email": format!("f{n}@example.com"), "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [201, 429]);
}

#[tokio::test]
async fn garbage_and_huge_forwarded_headers_are_answered_quickly() {
    let app = spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.throttle.sign_ups_per_address = 1_000;
    })
    .await;
    // 20,000 trusted hops in one line (~200 KB), non-UTF-8 bytes, bidi
    // characters, ports and brackets: never a 5xx, and quickly.
    let hops = vec!["127.0.0.1"; 20_000].join(",");
    let cases: Vec<Vec<u8>> = vec![
        hops.into_bytes(),
        b"\xff\xfe, 1.2.3.4".to_vec(),
        "1.2.3.4, \u{202e}4.3.2.1".as_bytes().to_vec(),
        b"[2001:db8::1]:443, 1.2.3.4:5678".to_vec(),
        b",,,, ,".to_vec(),
    ];
    for (i, value) in cases.into_iter().enumerate() {
        let body = json!({ "username": format!("g{i}"), "email": format!("g{i}@example.com"), "password": PASSWORD })
            .to_string();
        let mut request = format!(
            "POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\nX-Forwarded-For: ",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(&value);
        request.extend_from_slice(b"\r\n\r\n");
        request.extend_from_slice(body.as_bytes());
        let started = std::time::Instant::now();
        let response = raw::exchange(&app.address, request, Duration::from_secs(10)).await;
        let status = raw::status(&response);
        assert_eq!(status, 201, "case {i}: {response}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "case {i} took {:?}",
            started.elapsed()
        );
    }
}
