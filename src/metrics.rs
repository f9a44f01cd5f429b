//! Prometheus metrics, kept in atomics and rendered as text at `GET /metrics`.
//!
//! Hand-rolled rather than a metrics crate: a handful of counters and
//! histograms, with fixed label sets (routes are normalised to the known
//! paths, so a scanner cannot blow up cardinality).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency buckets.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// A histogram with fixed buckets.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Sum in microseconds.
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.counts[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, le) in BUCKETS.iter().enumerate() {
            let n = self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {n}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// Every metric the service keeps.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, &'static str, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, std::sync::Arc<Histogram>>>,
    pub logins_succeeded: AtomicU64,
    pub logins_failed: AtomicU64,
    pub logins_throttled: AtomicU64,
    pub tokens_issued: AtomicU64,
    pub tokens_refreshed: AtomicU64,
    pub tokens_revoked: AtomicU64,
    pub refresh_reuse_detected: AtomicU64,
    pub sign_ups: AtomicU64,
    /// Mail sending attempts by kind and result (`sent`, `retry`, `failed`).
    mails: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// Mail in the outbox not yet sent, as the delivery worker last counted.
    pub mail_queue_depth: AtomicU64,
    /// Webhook delivery attempts by result (`sent`, `retry`, `failed`).
    webhooks: Mutex<BTreeMap<&'static str, u64>>,
    /// Webhook deliveries not yet made, as the worker last counted.
    pub webhook_queue_depth: AtomicU64,
    /// How long each delivery attempt took (the receiver's answer included).
    pub webhook_latency: Histogram,
}

/// The paths metrics are labelled with (besides `/docs`, `/graphiql` and the
/// Django REST face's); anything else is "other".
const ROUTES: &[&str] = &[
    "/graphql",
    "/schema.graphql",
    "/healthz",
    "/readyz",
    "/metrics",
    "/.well-known/paseto-keys",
    "/api/token",
    "/api/token/introspect",
    "/api/token/revoke",
    "/api/users",
    "/api/users/me",
    "/api/users/me/password",
    "/api/users/me/logout-all",
    "/api/users/me/events",
    "/api/events",
    "/api/session/login",
    "/api/session/refresh",
    "/api/session/logout",
    "/api/openapi.json",
    "/api/openapi.yaml",
];

/// The label for a request path; `drf_prefix` is the Django REST face's
/// prefix when the face is on. The face's paths are labelled as written
/// relative to its prefix (`login/`, `user/update/`, with or without the
/// final slash), whatever the prefix.
pub fn route_label(path: &str, drf_prefix: Option<&str>) -> &'static str {
    if let Some(r) = ROUTES.iter().find(|r| **r == path) {
        return r;
    }
    let drf = drf_prefix.and_then(|prefix| path.strip_prefix(prefix));
    if let Some(r) = drf.and_then(|rest| {
        crate::rest::drf::PATHS
            .iter()
            .find(|p| **p == rest || p.trim_end_matches('/') == rest)
    }) {
        return r;
    }
    if path == "/docs" || path.starts_with("/docs/") {
        return "/docs";
    }
    if path.starts_with("/graphiql/") {
        return "/graphiql";
    }
    "other"
}

fn method_label(m: &poem::http::Method) -> &'static str {
    match m.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PATCH" => "PATCH",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "HEAD" => "HEAD",
        _ => "other",
    }
}

impl Metrics {
    /// Counts a request answered with `status`; `route` is its
    /// [`route_label`].
    pub fn record_request(
        &self,
        method: &poem::http::Method,
        route: &'static str,
        status: u16,
        took: Duration,
    ) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((route, method_label(method), status)).or_default() += 1;
        }
        let h = match self.latency.lock() {
            Ok(mut m) => m.entry(route).or_default().clone(),
            Err(_) => return,
        };
        h.observe(took);
    }

    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition; `pools` are (name, size, idle),
    /// `hash_wait` the password hasher's slot waits.
    /// Counts one attempt at sending a mail of `kind` that ended in `result`.
    pub fn mail(&self, kind: &'static str, result: &'static str) {
        if let Ok(mut m) = self.mails.lock() {
            *m.entry((kind, result)).or_default() += 1;
        }
    }

    /// Counts one webhook delivery attempt that ended in `result`.
    pub fn webhook(&self, result: &'static str) {
        if let Ok(mut m) = self.webhooks.lock() {
            *m.entry(result).or_default() += 1;
        }
    }

    pub fn render(&self, pools: &[(&str, u32, usize)], hash_wait: &Histogram) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP gatehouse_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE gatehouse_http_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((route, method, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "gatehouse_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP gatehouse_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE gatehouse_http_request_duration_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            for (route, h) in m.iter() {
                h.render(
                    &mut out,
                    "gatehouse_http_request_duration_seconds",
                    &format!("route=\"{route}\""),
                );
            }
        }
        let counters: [(&str, &AtomicU64); 8] = [
            (
                "gatehouse_logins_total{result=\"succeeded\"}",
                &self.logins_succeeded,
            ),
            (
                "gatehouse_logins_total{result=\"failed\"}",
                &self.logins_failed,
            ),
            (
                "gatehouse_logins_total{result=\"throttled\"}",
                &self.logins_throttled,
            ),
            (
                "gatehouse_tokens_total{event=\"issued\"}",
                &self.tokens_issued,
            ),
            (
                "gatehouse_tokens_total{event=\"refreshed\"}",
                &self.tokens_refreshed,
            ),
            (
                "gatehouse_tokens_total{event=\"revoked\"}",
                &self.tokens_revoked,
            ),
            (
                "gatehouse_refresh_token_reuse_total",
                &self.refresh_reuse_detected,
            ),
            ("gatehouse_sign_ups_total", &self.sign_ups),
        ];
        let mut typed = std::collections::BTreeSet::new();
        for (name, v) in counters {
            let family = name.split('{').next().unwrap_or(name);
            if typed.insert(family) {
                let help = match family {
                    "gatehouse_logins_total" => "Password logins by result.",
                    "gatehouse_tokens_total" => "Access tokens issued by login, refreshed, and refresh-token families revoked.",
                    "gatehouse_refresh_token_reuse_total" => "Used refresh tokens presented again (their families were revoked).",
                    _ => "Accounts created.",
                };
                let _ = writeln!(out, "# HELP {family} {help}\n# TYPE {family} counter");
            }
            let _ = writeln!(out, "{name} {}", v.load(Ordering::Relaxed));
        }
        out.push_str("# HELP gatehouse_mails_total Attempts at sending mail by kind and result (sent, retry: failed and will be tried again, failed: given up).\n");
        out.push_str("# TYPE gatehouse_mails_total counter\n");
        if let Ok(m) = self.mails.lock() {
            for ((kind, result), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "gatehouse_mails_total{{kind=\"{kind}\",result=\"{result}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP gatehouse_mail_queue_depth Mail waiting in the outbox to be sent.\n");
        out.push_str("# TYPE gatehouse_mail_queue_depth gauge\n");
        let depth = self.mail_queue_depth.load(Ordering::Relaxed);
        let _ = writeln!(out, "gatehouse_mail_queue_depth {depth}");
        out.push_str("# HELP gatehouse_webhooks_total Webhook delivery attempts by result (sent, retry: failed and will be tried again, failed: given up).\n");
        out.push_str("# TYPE gatehouse_webhooks_total counter\n");
        if let Ok(m) = self.webhooks.lock() {
            for (result, n) in m.iter() {
                let _ = writeln!(out, "gatehouse_webhooks_total{{result=\"{result}\"}} {n}");
            }
        }
        out.push_str(
            "# HELP gatehouse_webhook_queue_depth Webhook deliveries waiting to be made.\n",
        );
        out.push_str("# TYPE gatehouse_webhook_queue_depth gauge\n");
        let depth = self.webhook_queue_depth.load(Ordering::Relaxed);
        let _ = writeln!(out, "gatehouse_webhook_queue_depth {depth}");
        out.push_str("# HELP gatehouse_webhook_delivery_seconds How long one webhook delivery attempt took.\n");
        out.push_str("# TYPE gatehouse_webhook_delivery_seconds histogram\n");
        self.webhook_latency
            .render(&mut out, "gatehouse_webhook_delivery_seconds", "");
        out.push_str("# HELP gatehouse_password_hash_wait_seconds Time spent waiting for a password-hashing slot.\n");
        out.push_str("# TYPE gatehouse_password_hash_wait_seconds histogram\n");
        hash_wait.render(&mut out, "gatehouse_password_hash_wait_seconds", "");
        out.push_str("# HELP gatehouse_db_pool_connections Database pool connections by state.\n");
        out.push_str("# TYPE gatehouse_db_pool_connections gauge\n");
        for (pool, size, idle) in pools {
            let busy = (*size as usize).saturating_sub(*idle);
            let _ = writeln!(
                out,
                "gatehouse_db_pool_connections{{pool=\"{pool}\",state=\"idle\"}} {idle}"
            );
            let _ = writeln!(
                out,
                "gatehouse_db_pool_connections{{pool=\"{pool}\",state=\"in_use\"}} {busy}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_paths_share_one_label() {
        assert_eq!(route_label("/api/users/me", None), "/api/users/me");
        assert_eq!(route_label("/docs/swagger-ui.css", None), "/docs");
        assert_eq!(route_label("/wp-admin/../etc/passwd", None), "other");
        assert_eq!(route_label("/wp-admin/../etc/passwd", Some("/")), "other");
    }

    #[test]
    fn the_django_rest_paths_are_labelled_relative_to_their_prefix_when_served() {
        assert_eq!(route_label("/login/", Some("/")), "login/");
        assert_eq!(route_label("/login", Some("/")), "login/");
        assert_eq!(route_label("/user/update/", Some("/")), "user/update/");
        assert_eq!(
            route_label("/api/v1/token/refresh", Some("/api/v1/")),
            "token/refresh/"
        );
        assert_eq!(route_label("/api/token", Some("/")), "/api/token");
        // The face off, or the path outside its prefix: as any other path.
        assert_eq!(route_label("/login/", None), "other");
        assert_eq!(route_label("/login/", Some("/api/v1/")), "other");
        assert_eq!(route_label("/login//", Some("/")), "other");
        assert_eq!(route_label("/user/", Some("/")), "other");
    }

    #[test]
    fn the_text_format_has_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record_request(
            &poem::http::Method::POST,
            "/graphql",
            200,
            Duration::from_millis(3),
        );
        m.record_request(
            &poem::http::Method::POST,
            "/graphql",
            200,
            Duration::from_millis(30),
        );
        Metrics::inc(&m.logins_failed);
        let text = m.render(&[("read", 4, 3)], &Histogram::default());
        assert!(text.contains("gatehouse_http_requests_total{route=\"/graphql\",method=\"POST\",status=\"200\"} 2"), "{text}");
        assert!(
            text.contains(
                "gatehouse_http_request_duration_seconds_bucket{route=\"/graphql\",le=\"0.005\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "gatehouse_http_request_duration_seconds_bucket{route=\"/graphql\",le=\"+Inf\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains("gatehouse_logins_total{result=\"failed\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("gatehouse_db_pool_connections{pool=\"read\",state=\"in_use\"} 1"),
            "{text}"
        );
    }
}
