//! Who can read `/metrics`: with `GATEHOUSE_METRICS_ADDR` it is served only
//! on that listener (not on the public one); with `GATEHOUSE_METRICS_TOKEN`
//! only to `Authorization: Bearer <token>`.

use std::time::Duration;

use gatehouse::app::Application;
use gatehouse::config::Config;
use secrecy::SecretString;

use crate::helpers::*;

const TOKEN: &str = "metrics-token-0123456789abcdef";

#[tokio::test]
async fn with_a_metrics_listener_metrics_are_served_only_there() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        database_url: format!("sqlite://{}/m.db", dir.path().display()),
        addr: "127.0.0.1:0".parse().unwrap(),
        metrics_addr: Some("127.0.0.1:0".parse().unwrap()),
        ..Config::default()
    };
    let app = Application::build(config).await.unwrap();
    let public = format!("http://{}", app.addr());
    let private = format!("http://{}", app.metrics_addr().expect("a metrics listener"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();

    // The public listener: everything but /metrics.
    let health = client
        .get(format!("{public}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let hidden = client
        .get(format!("{public}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);
    let hidden = hidden.text().await.unwrap();
    assert!(
        !hidden.contains("gatehouse_http_requests_total"),
        "{hidden}"
    );

    // The metrics listener: /metrics, counting the public listener's requests.
    let metrics = client
        .get(format!("{private}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(
            "gatehouse_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"
        ),
        "{text}"
    );
    // And nothing else.
    for path in ["/healthz", "/graphql", "/api/users/me", "/docs"] {
        let resp = client.get(format!("{private}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path} on the metrics listener");
    }

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("both listeners stop")
        .expect("the server task does not panic")
        .expect("the server stops cleanly");
}

#[tokio::test]
async fn with_a_metrics_token_metrics_need_it() {
    let app =
        spawn_app_with(|c| c.metrics_token = Some(SecretString::from(TOKEN.to_owned()))).await;
    for auth in [
        None,
        Some("Bearer wrong-token-0123456789abcdef".to_owned()),
        Some(format!("Basic {TOKEN}")),
        Some(format!("Bearer {TOKEN}x")),
    ] {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(a) = &auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401, "{auth:?}");
        assert!(resp.headers().contains_key("www-authenticate"), "{auth:?}");
        let body = resp.text().await.unwrap();
        assert!(!body.contains("gatehouse_"), "{auth:?}: {body}");
    }
    let resp = app
        .client
        .get(app.url("/metrics"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("gatehouse_http_requests_total"));
}

#[test]
fn the_metrics_settings_are_read_checked_and_the_token_redacted() {
    let c = Config::from_lookup(|k| match k {
        "GATEHOUSE_METRICS_ADDR" => Some("127.0.0.1:9100".into()),
        "GATEHOUSE_METRICS_TOKEN" => Some(TOKEN.into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(c.metrics_addr, Some("127.0.0.1:9100".parse().unwrap()));
    assert!(c.metrics_token.is_some());
    let described = c.describe();
    assert!(
        described.contains("GATEHOUSE_METRICS_ADDR = 127.0.0.1:9100"),
        "{described}"
    );
    assert!(!described.contains(TOKEN), "{described}");
    assert!(!format!("{c:?}").contains(TOKEN));
    for (name, bad) in [
        ("GATEHOUSE_METRICS_ADDR", "localhost"),
        ("GATEHOUSE_METRICS_TOKEN", "short"),
        ("GATEHOUSE_METRICS_TOKEN", "has spaces in it 0123456789"),
    ] {
        let err = Config::from_lookup(|k| (k == name).then(|| bad.to_owned())).unwrap_err();
        assert_eq!(err.name, name, "{bad}");
        if name == "GATEHOUSE_METRICS_TOKEN" {
            assert!(!err.to_string().contains(bad), "{err}");
        }
    }
}
