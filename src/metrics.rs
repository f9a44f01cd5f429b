//! Prometheus metrics, kept in atomics and rendered as text at `GET /metrics`.
//!
//! Hand-rolled rather than a metrics crate: a handful of counters and
//! histograms, with fixed label sets (routes are normalised to the known
//! paths, so a scanner cannot blow up cardinality). Counting a request takes
//! no lock and allocates nothing: each (route, method, status) has its own
//! atomic counter in one table, each route its own histogram (statuses
//! outside the table's list, which no endpoint answers, go to a locked map).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

/// Upper bounds (seconds) of the latency buckets.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// A histogram with fixed buckets. Each observation adds to one bucket
/// (the first whose bound it is within); the text format's cumulative
/// counts are summed when rendered.
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
        if let Some(i) = BUCKETS.iter().position(|le| secs <= *le) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, le) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        // Read after the buckets: never less than the last bucket's count
        // when observations land while rendering.
        let count = self.count.load(Ordering::Relaxed).max(cumulative);
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

/// The statuses counted without a lock (every status an endpoint answers,
/// and those hyper and poem answer themselves); any other goes to
/// [`Metrics::other_statuses`].
const STATUSES: [u16; 24] = [
    200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 405, 406, 408, 409, 410, 413, 415, 422, 429,
    431, 500, 502, 503, 504,
];

/// The method labels.
const METHODS: [&str; 8] = [
    "GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD", "other",
];

/// A route label: an index into [`labels`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route(usize);

impl Route {
    /// Paths that are no route (and requests refused before routing).
    pub fn other() -> Self {
        Route(labels().len() - 1)
    }

    /// The label as `/metrics` shows it.
    pub fn label(self) -> &'static str {
        labels()[self.0]
    }
}

/// Every route label: [`ROUTES`], the Django REST face's paths, `/docs`,
/// `/graphiql`, and `other` last.
fn labels() -> &'static [&'static str] {
    static LABELS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let mut all: Vec<&'static str> = ROUTES.to_vec();
        all.extend(crate::rest::drf::PATHS);
        all.extend(["/docs", "/graphiql", "other"]);
        all
    });
    &LABELS
}

/// Every metric the service keeps.
pub struct Metrics {
    /// Requests by route, method and status (`STATUSES`' index), in one
    /// table: `[route][method][status]`.
    requests: Box<[AtomicU64]>,
    /// Requests whose status is not in `STATUSES`.
    other_statuses: Mutex<BTreeMap<(usize, usize, u16), u64>>,
    /// Latency by route.
    latency: Box<[Histogram]>,
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

impl Default for Metrics {
    fn default() -> Self {
        let routes = labels().len();
        Self {
            requests: (0..routes * METHODS.len() * STATUSES.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            other_statuses: Mutex::default(),
            latency: (0..routes).map(|_| Histogram::default()).collect(),
            logins_succeeded: AtomicU64::default(),
            logins_failed: AtomicU64::default(),
            logins_throttled: AtomicU64::default(),
            tokens_issued: AtomicU64::default(),
            tokens_refreshed: AtomicU64::default(),
            tokens_revoked: AtomicU64::default(),
            refresh_reuse_detected: AtomicU64::default(),
            sign_ups: AtomicU64::default(),
            mails: Mutex::default(),
            mail_queue_depth: AtomicU64::default(),
            webhooks: Mutex::default(),
            webhook_queue_depth: AtomicU64::default(),
            webhook_latency: Histogram::default(),
        }
    }
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

/// The route of a request path; `drf_prefix` is the Django REST face's
/// prefix when the face is on. The face's paths are labelled as written
/// relative to its prefix (`login/`, `user/update/`, with or without the
/// final slash), whatever the prefix.
pub fn route_label(path: &str, drf_prefix: Option<&str>) -> Route {
    let all = labels();
    if let Some(i) = ROUTES.iter().position(|r| *r == path) {
        return Route(i);
    }
    let drf = drf_prefix.and_then(|prefix| path.strip_prefix(prefix));
    if let Some(i) = drf.and_then(|rest| {
        crate::rest::drf::PATHS
            .iter()
            .position(|p| *p == rest || p.trim_end_matches('/') == rest)
    }) {
        return Route(ROUTES.len() + i);
    }
    let named = |label: &str| {
        Route(
            all.iter()
                .position(|l| *l == label)
                .unwrap_or(all.len() - 1),
        )
    };
    if path == "/docs" || path.starts_with("/docs/") {
        return named("/docs");
    }
    if path.starts_with("/graphiql/") {
        return named("/graphiql");
    }
    Route::other()
}

fn method_index(m: &poem::http::Method) -> usize {
    let m = m.as_str();
    METHODS[..METHODS.len() - 1]
        .iter()
        .position(|known| *known == m)
        .unwrap_or(METHODS.len() - 1)
}

impl Metrics {
    /// Counts a request answered with `status`; `route` is its
    /// [`route_label`].
    pub fn record_request(
        &self,
        method: &poem::http::Method,
        route: Route,
        status: u16,
        took: Duration,
    ) {
        let method = method_index(method);
        match STATUSES.iter().position(|s| *s == status) {
            Some(s) => {
                let i = (route.0 * METHODS.len() + method) * STATUSES.len() + s;
                self.requests[i].fetch_add(1, Ordering::Relaxed);
            }
            None => {
                if let Ok(mut m) = self.other_statuses.lock() {
                    *m.entry((route.0, method, status)).or_default() += 1;
                }
            }
        }
        self.latency[route.0].observe(took);
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
        // Sorted by label, method and status, as before the table.
        let mut counted: BTreeMap<(&str, &str, u16), u64> = BTreeMap::new();
        for (i, n) in self.requests.iter().enumerate() {
            let n = n.load(Ordering::Relaxed);
            if n > 0 {
                let status = STATUSES[i % STATUSES.len()];
                let method = METHODS[i / STATUSES.len() % METHODS.len()];
                let route = labels()[i / STATUSES.len() / METHODS.len()];
                counted.insert((route, method, status), n);
            }
        }
        if let Ok(m) = self.other_statuses.lock() {
            for ((route, method, status), n) in m.iter() {
                counted.insert((labels()[*route], METHODS[*method], *status), *n);
            }
        }
        for ((route, method, status), n) in counted {
            let _ = writeln!(
                out,
                "gatehouse_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP gatehouse_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE gatehouse_http_request_duration_seconds histogram\n");
        let mut routes: Vec<(&str, &Histogram)> = labels()
            .iter()
            .zip(self.latency.iter())
            .filter(|(_, h)| h.count.load(Ordering::Relaxed) > 0)
            .map(|(l, h)| (*l, h))
            .collect();
        routes.sort_by_key(|(l, _)| *l);
        for (route, h) in routes {
            h.render(
                &mut out,
                "gatehouse_http_request_duration_seconds",
                &format!("route=\"{route}\""),
            );
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
        assert_eq!(route_label("/api/users/me", None).label(), "/api/users/me");
        assert_eq!(route_label("/docs/swagger-ui.css", None).label(), "/docs");
        assert_eq!(
            route_label("/wp-admin/../etc/passwd", None).label(),
            "other"
        );
        assert_eq!(
            route_label("/wp-admin/../etc/passwd", Some("/")).label(),
            "other"
        );
    }

    #[test]
    fn the_django_rest_paths_are_labelled_relative_to_their_prefix_when_served() {
        assert_eq!(route_label("/login/", Some("/")).label(), "login/");
        assert_eq!(route_label("/login", Some("/")).label(), "login/");
        assert_eq!(
            route_label("/user/update/", Some("/")).label(),
            "user/update/"
        );
        assert_eq!(
            route_label("/api/v1/token/refresh", Some("/api/v1/")).label(),
            "token/refresh/"
        );
        assert_eq!(route_label("/api/token", Some("/")).label(), "/api/token");
        // The face off, or the path outside its prefix: as any other path.
        assert_eq!(route_label("/login/", None).label(), "other");
        assert_eq!(route_label("/login/", Some("/api/v1/")).label(), "other");
        assert_eq!(route_label("/login//", Some("/")).label(), "other");
        assert_eq!(route_label("/user/", Some("/")).label(), "other");
    }

    #[test]
    fn every_route_status_and_method_has_its_own_count() {
        let m = Metrics::default();
        let get = poem::http::Method::GET;
        let other_method = poem::http::Method::from_bytes(b"PROPFIND").unwrap();
        let took = Duration::from_millis(1);
        m.record_request(&get, route_label("/healthz", None), 200, took);
        m.record_request(&get, route_label("/healthz", None), 200, took);
        m.record_request(&get, route_label("/healthz", None), 503, took);
        m.record_request(&get, route_label("/readyz", None), 200, took);
        // A status outside the table's list, and a method outside the labels.
        m.record_request(&get, route_label("/nowhere", None), 418, took);
        m.record_request(&other_method, Route::other(), 400, took);
        let text = m.render(&[], &Histogram::default());
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("gatehouse_http_requests_total{"))
            .collect();
        assert_eq!(
            lines,
            [
                r#"gatehouse_http_requests_total{route="/healthz",method="GET",status="200"} 2"#,
                r#"gatehouse_http_requests_total{route="/healthz",method="GET",status="503"} 1"#,
                r#"gatehouse_http_requests_total{route="/readyz",method="GET",status="200"} 1"#,
                r#"gatehouse_http_requests_total{route="other",method="GET",status="418"} 1"#,
                r#"gatehouse_http_requests_total{route="other",method="other",status="400"} 1"#,
            ]
        );
        assert!(
            text.contains("gatehouse_http_request_duration_seconds_count{route=\"/healthz\"} 3")
        );
        assert!(text.contains("gatehouse_http_request_duration_seconds_count{route=\"other\"} 2"));
    }

    #[test]
    fn route_labels_are_distinct() {
        let all = labels();
        let distinct: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), all.len(), "{all:?}");
        assert_eq!(Route::other().label(), "other");
    }

    #[test]
    fn the_text_format_has_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record_request(
            &poem::http::Method::POST,
            route_label("/graphql", None),
            200,
            Duration::from_millis(3),
        );
        m.record_request(
            &poem::http::Method::POST,
            route_label("/graphql", None),
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
