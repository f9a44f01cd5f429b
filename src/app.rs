//! The HTTP application: routes, middleware, and the server's life cycle.

mod rejected;

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use poem::http::StatusCode;
use poem::http::{header, HeaderValue, Method};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::Cors;
use poem::web::{Data, Json};
use poem::{get, handler, Endpoint, EndpointExt, IntoResponse, Request, Response, Route, Server};
use secrecy::ExposeSecret as _;
use tracing::Instrument as _;

use crate::config::Config;
use crate::graphql;
use crate::listener::GuardedAcceptor;
use crate::rest;
use crate::service::{Gatehouse, State};

/// Builds every route over the service.
pub fn routes(state: State) -> impl Endpoint {
    let schema = graphql::schema(state.clone());
    let observed = state.clone();
    let context = state.clone();
    let body_timeout = state.config().http.body_read_timeout;
    let max_body = state.config().max_body_bytes;
    let drf_prefix = state.config().django_rest_prefix.clone();
    let drf = state.config().django_rest.then_some(drf_prefix.as_str());
    let drf_413: Option<std::sync::Arc<str>> = drf.map(Into::into);
    let route = rest::mount(Route::new(), max_body, drf)
        .at(
            "/graphql",
            get(graphql::http::graphiql).post(graphql::http::post),
        )
        .nest("/graphiql", graphql::graphiql::assets())
        .at("/schema.graphql", get(graphql::http::sdl))
        .at("/.well-known/paseto-keys", get(paseto_keys))
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz));
    // With a metrics listener of its own, /metrics is served only there.
    let route = if state.config().metrics_addr.is_none() {
        route.at("/metrics", get(metrics))
    } else {
        route
    };
    route
        .around(move |next, req| declared_length_limit(next, req, max_body, drf_413.clone()))
        .with_if(
            !state.config().cors_origins.is_empty(),
            cors(&state.config().cors_origins),
        )
        .around(move |next, req| crate::request::attach(next, req, context.clone()))
        .data(state)
        .data(schema)
        .around(default_headers)
        .around(move |next, req| crate::listener::body_deadline(next, req, body_timeout))
        .around(move |next, req| log_request(next, req, observed.clone()))
}

/// The routes of the metrics listener (`GATEHOUSE_METRICS_ADDR`): `/metrics`
/// only.
pub fn metrics_routes(state: State) -> impl Endpoint {
    Route::new()
        .at("/metrics", get(metrics))
        .data(state)
        .around(default_headers)
}

/// Prometheus metrics; with `GATEHOUSE_METRICS_TOKEN` set, only for
/// `Authorization: Bearer <that token>`.
#[handler]
fn metrics(req: &Request, Data(state): Data<&State>) -> Response {
    if let Some(token) = &state.config().metrics_token {
        if !bearer_matches(req, token.expose_secret()) {
            return Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header(header::WWW_AUTHENTICATE, r#"Bearer realm="metrics""#)
                .content_type("text/plain; charset=utf-8")
                .body("The metrics need `Authorization: Bearer <GATEHOUSE_METRICS_TOKEN>`.\n");
        }
    }
    state
        .metrics()
        .render(&state.db().pool_stats(), state.hasher().slot_wait())
        .with_content_type("text/plain; version=0.0.4; charset=utf-8")
        .into_response()
}

/// Whether the request carries `Authorization: Bearer <expected>`, compared
/// in constant time.
fn bearer_matches(req: &Request, expected: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return false;
    };
    let value = value.as_bytes();
    let Some((scheme, token)) = value.split_at_checked(6) else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") || token.first() != Some(&b' ') {
        return false;
    }
    let token = token[1..].trim_ascii();
    // Lengths may differ; `ct_eq` on slices of unequal length is false
    // without looking at the bytes, which leaks only the length.
    bool::from(token.ct_eq(expected.as_bytes()))
}

/// The methods each path outside `/api` answers, for the `Allow` header of
/// a 405 (RFC 9110 section 15.5.6); `/api` sets its own.
fn allowed_methods(path: &str) -> Option<&'static str> {
    match path {
        "/graphql" => Some("GET, HEAD, POST"),
        "/schema.graphql"
        | "/.well-known/paseto-keys"
        | "/healthz"
        | "/readyz"
        | "/metrics"
        | "/api/openapi.json"
        | "/api/openapi.yaml"
        | "/docs"
        | "/docs/" => Some("GET, HEAD"),
        p if p.starts_with("/graphiql/") => Some("GET, HEAD"),
        _ => None,
    }
}

/// A request whose declared body (`Content-Length`) is over the limit gets
/// its 413 before any of the body is read: no `100 Continue` is sent to a
/// client that asked (`Expect: 100-continue`), and nothing is read. Bodies
/// without a declared length are limited while they are read.
async fn declared_length_limit<E: Endpoint>(
    next: E,
    req: Request,
    limit: usize,
    drf_prefix: Option<std::sync::Arc<str>>,
) -> poem::Result<Response> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_none_or(|n| n <= limit as u64) {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let path = req.uri().path();
    let message = format!("The request body must be at most {limit} bytes.");
    let drf = drf_prefix.is_some_and(|p| rest::drf::is_drf_path(&p, path));
    let resp = if drf {
        rest::drf_payload_too_large(limit)
    } else if path == "/api" || path.starts_with("/api/") {
        rest::payload_too_large(path, limit)
    } else if path == "/graphql" {
        // GraphQL's request-level error shape.
        Json(graphql::error::request_error_body(
            "PAYLOAD_TOO_LARGE",
            &message,
        ))
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
        .into_response()
    } else {
        Json(serde_json::json!({ "code": "PAYLOAD_TOO_LARGE", "message": message }))
            .with_status(StatusCode::PAYLOAD_TOO_LARGE)
            .into_response()
    };
    Ok(resp)
}

/// CORS for the configured origins only (never echo-any). Credentials are
/// bearer tokens in a header, not cookies, so none are allowed.
fn cors(origins: &[String]) -> Cors {
    Cors::new()
        .allow_origins(origins.iter().map(String::as_str))
        .allow_methods([Method::GET, Method::POST, Method::PATCH])
        .allow_headers(["authorization", "content-type"])
        .allow_credentials(false)
        .max_age(600)
}

/// Headers every response gets, errors (404, 405) included: responses are
/// not cached unless an endpoint says otherwise (most carry tokens or
/// personal data), never sniffed, and a 405 says what is allowed.
async fn default_headers<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    let mut resp = next.get_response(req).await;
    let headers = resp.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED
        && !resp.headers().contains_key(header::ALLOW)
    {
        if let Some(allow) = allowed_methods(&path) {
            resp.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
    }
    Ok(resp)
}

/// One log line per request: method, path (never the query string, which
/// could carry secrets), status, latency and request id (the client's
/// `X-Request-Id` when it is sane, else a new one; echoed back). Everything
/// logged while serving the request carries the id too. Also feeds metrics.
async fn log_request<E: Endpoint>(
    next: E,
    mut req: Request,
    state: State,
) -> poem::Result<Response> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let shown_path = escape_for_log(&path);
    let request_id = req
        .header("x-request-id")
        .filter(|id| is_sane_request_id(id))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    let span = tracing::info_span!("request", request_id = %request_id);
    req.extensions_mut()
        .insert(crate::request::RequestId(request_id.clone()));
    let mut resp = next.get_response(req).instrument(span.clone()).await;
    let status = resp.status();
    let took = started.elapsed();
    if let Ok(v) = poem::http::HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    state
        .metrics()
        .record_request(&method, &path, status.as_u16(), took);
    let latency_ms = took.as_secs_f64() * 1000.0;
    let _entered = span.enter();
    if status.is_server_error() {
        tracing::warn!(%method, path = %shown_path, status = status.as_u16(), latency_ms, "request");
    } else {
        tracing::info!(%method, path = %shown_path, status = status.as_u16(), latency_ms, "request");
    }
    Ok(resp)
}

/// A client-supplied string as a log shows it: printable ASCII as it is,
/// everything else (control characters, NEL U+0085, bidi overrides such as
/// U+202E, line separators, any other non-ASCII character) and the
/// backslash escaped as `\u{…}` / `\\`, so a path can neither break a log
/// line nor reorder how a terminal shows it.
pub fn escape_for_log(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii_graphic() => out.push(c),
            c => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A client-supplied request id is kept if it is short and plain.
fn is_sane_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

fn new_request_id() -> String {
    let mut raw = [0u8; 12];
    if getrandom::getrandom(&mut raw).is_err() {
        return "unknown".into();
    }
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

/// The public keys that verify access tokens now, for services that check
/// tokens offline (PASETO v4.public with the implicit assertion given here;
/// the key id is in each token's footer). Never a private key.
#[handler]
async fn paseto_keys(Data(state): Data<&State>) -> Response {
    // At most one re-read per `MIN_RELOAD_GAP`, whoever asks how often.
    if let Err(e) = state.keys().reload_if_due().await {
        e.log();
        return Json(serde_json::json!({ "code": e.code(), "message": e.message() }))
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .into_response();
    }
    let keys: Vec<_> = state
        .keys()
        .public_keys()
        .into_iter()
        .map(|(kid, paserk)| serde_json::json!({ "kid": kid, "paserk": paserk }))
        .collect();
    let body = serde_json::json!({
        "version": "v4",
        "purpose": "public",
        "implicit_assertion": String::from_utf8_lossy(crate::auth::tokens::ACCESS_PURPOSE),
        "keys": keys,
    });
    Json(body)
        .with_header("cache-control", "public, max-age=60")
        .into_response()
}

/// The process is up.
#[handler]
fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The database answers.
#[handler]
async fn readyz(Data(state): Data<&State>) -> Response {
    let answered = tokio::time::timeout(Duration::from_secs(2), state.db().ping()).await;
    if answered == Ok(true) {
        Json(serde_json::json!({ "status": "ready" })).into_response()
    } else {
        Json(serde_json::json!({ "status": "unavailable", "code": "SERVICE_UNAVAILABLE" }))
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .into_response()
    }
}

/// A started (bound, migrated) server, not yet serving.
pub struct Application {
    acceptor: rejected::ObservedAcceptor<GuardedAcceptor>,
    addr: SocketAddr,
    /// The metrics listener (`GATEHOUSE_METRICS_ADDR`), bound.
    metrics: Option<(GuardedAcceptor, SocketAddr)>,
    state: State,
}

/// Binds `addr` behind the connection cap and read deadlines; returns the
/// acceptor and the address actually bound.
async fn bind(
    addr: SocketAddr,
    limits: crate::config::HttpLimits,
) -> anyhow::Result<(GuardedAcceptor, SocketAddr)> {
    let acceptor = TcpListener::bind(addr)
        .into_acceptor()
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let acceptor = GuardedAcceptor::new(acceptor, limits);
    let bound = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("the listener has no address")?;
    Ok((acceptor, bound))
}

impl Application {
    /// Opens the database, migrates, loads keys and binds `config.addr`
    /// (port 0 picks a free port, as the tests do).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let addr = config.addr;
        let metrics_addr = config.metrics_addr;
        let state = Gatehouse::start(config).await?;
        let (acceptor, addr) = bind(addr, state.config().http).await?;
        let acceptor = rejected::ObservedAcceptor::new(acceptor, state.clone());
        let metrics_listener = match metrics_addr {
            Some(a) => Some(bind(a, state.config().http).await?),
            None => None,
        };
        Ok(Self {
            acceptor,
            addr,
            metrics: metrics_listener,
            state,
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The metrics listener's address actually bound, when there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, a)| *a)
    }

    /// The service behind the server (for the CLI and tests).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send) -> std::io::Result<()> {
        let purge = tokio::spawn(purge_expired_tokens(self.state.clone()));
        let reload = tokio::spawn(reload_keys(self.state.clone()));
        let throttle = tokio::spawn(purge_throttle(self.state.clone()));
        let state = self.state.clone();
        let grace = state.config().http.shutdown_grace;
        // The metrics listener stops with the main one: when `shutdown`
        // completes, or when the main server ends (the sender is dropped).
        let (stop, mut stopped) = tokio::sync::watch::channel(());
        let metrics_server = self.metrics.map(|(acceptor, _)| {
            let routes = metrics_routes(state.clone());
            tokio::spawn(async move {
                Server::new_with_acceptor(acceptor)
                    .run_with_graceful_shutdown(
                        routes,
                        async move {
                            let _ = stopped.changed().await;
                        },
                        Some(grace),
                    )
                    .await
            })
        });
        let shutdown = async move {
            shutdown.await;
            let _ = stop.send(());
        };
        let result = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(routes(self.state), shutdown, Some(grace))
            .await;
        if let Some(server) = metrics_server {
            if let Ok(Err(e)) = server.await {
                tracing::warn!(error = %e, "the metrics listener failed");
            }
        }
        purge.abort();
        reload.abort();
        throttle.abort();
        state.db().close().await;
        result
    }
}

/// Deletes refresh tokens a day after they expired, once an hour.
async fn purge_expired_tokens(state: State) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match state
            .purge_expired_refresh_tokens(state.now() - 86_400)
            .await
        {
            Ok(n) if n > 0 => tracing::info!(deleted = n, "purged expired refresh tokens"),
            Ok(_) => {}
            Err(e) => e.log(),
        }
    }
}

/// Deletes ended throttle windows (each distinct login name tried leaves a
/// row) as often as the shortest window, at most hourly.
async fn purge_throttle(state: State) {
    let t = state.config().throttle;
    let every = t.login_window.min(t.sign_up_window).clamp(1, 3600) as u64;
    let mut tick = tokio::time::interval(Duration::from_secs(every));
    loop {
        tick.tick().await;
        match state.purge_throttle().await {
            Ok(n) if n > 0 => tracing::debug!(deleted = n, "purged ended throttle windows"),
            Ok(_) => {}
            Err(e) => e.log(),
        }
    }
}

/// Re-reads the signing keys now and then, so a key rotated by another
/// process (`gatehouse keys rotate`) starts signing here too.
async fn reload_keys(state: State) {
    let mut tick = tokio::time::interval(state.config().key_reload_interval);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = state.keys().reload().await {
            e.log();
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
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
}
