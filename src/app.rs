//! The HTTP application: routes, middleware, and the server's life cycle.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use poem::http::Method;
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::{Cors, SetHeader};
use poem::web::{Data, Json};
use poem::{get, handler, Endpoint, EndpointExt, IntoResponse, Request, Response, Route, Server};
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
    let body_timeout = state.config.http.body_read_timeout;
    rest::mount(Route::new(), state.config.max_body_bytes)
        .at(
            "/graphql",
            get(graphql::http::graphiql).post(graphql::http::post),
        )
        .nest("/graphiql", graphql::graphiql::assets())
        .at("/schema.graphql", get(graphql::http::sdl))
        .at("/.well-known/paseto-keys", get(paseto_keys))
        .at("/healthz", get(healthz))
        .at("/metrics", get(metrics))
        .at("/readyz", get(readyz))
        .with_if(
            !state.config.cors_origins.is_empty(),
            cors(&state.config.cors_origins),
        )
        .data(state)
        .data(schema)
        .with(SetHeader::new().overriding("x-content-type-options", "nosniff"))
        .around(no_store_by_default)
        .around(move |next, req| crate::listener::body_deadline(next, req, body_timeout))
        .around(move |next, req| log_request(next, req, observed.clone()))
}

/// Prometheus metrics.
#[handler]
fn metrics(Data(state): Data<&State>) -> impl IntoResponse {
    state
        .metrics
        .render(&state.db.pool_stats(), state.hasher.slot_wait())
        .with_content_type("text/plain; version=0.0.4; charset=utf-8")
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

/// Responses are not cached unless an endpoint says otherwise: most carry
/// tokens or personal data.
async fn no_store_by_default<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let mut resp = next.get_response(req).await;
    if !resp
        .headers()
        .contains_key(poem::http::header::CACHE_CONTROL)
    {
        resp.headers_mut().insert(
            poem::http::header::CACHE_CONTROL,
            poem::http::HeaderValue::from_static("no-store"),
        );
    }
    Ok(resp)
}

/// One log line per request: method, path (never the query string, which
/// could carry secrets), status, latency and request id (the client's
/// `X-Request-Id` when it is sane, else a new one; echoed back). Everything
/// logged while serving the request carries the id too. Also feeds metrics.
async fn log_request<E: Endpoint>(next: E, req: Request, state: State) -> poem::Result<Response> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let request_id = req
        .header("x-request-id")
        .filter(|id| is_sane_request_id(id))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    let span = tracing::info_span!("request", request_id = %request_id);
    let mut resp = next.get_response(req).instrument(span.clone()).await;
    let status = resp.status();
    let took = started.elapsed();
    if let Ok(v) = poem::http::HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    state
        .metrics
        .record_request(&method, &path, status.as_u16(), took);
    let latency_ms = took.as_secs_f64() * 1000.0;
    let _entered = span.enter();
    if status.is_server_error() {
        tracing::warn!(%method, %path, status = status.as_u16(), latency_ms, "request");
    } else {
        tracing::info!(%method, %path, status = status.as_u16(), latency_ms, "request");
    }
    Ok(resp)
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
    if let Err(e) = state.keys.reload_if_due().await {
        e.log();
        return Json(serde_json::json!({ "code": e.code(), "message": e.message() }))
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .into_response();
    }
    let keys: Vec<_> = state
        .keys
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
    let answered = tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await;
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
    acceptor: GuardedAcceptor,
    addr: SocketAddr,
    state: State,
}

impl Application {
    /// Opens the database, migrates, loads keys and binds `config.addr`
    /// (port 0 picks a free port, as the tests do).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let addr = config.addr;
        let state = Gatehouse::start(config).await?;
        let acceptor = TcpListener::bind(addr)
            .into_acceptor()
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let acceptor = GuardedAcceptor::new(acceptor, state.config.http);
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .context("the listener has no address")?;
        Ok(Self {
            acceptor,
            addr,
            state,
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
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
        let grace = state.config.http.shutdown_grace;
        let result = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(routes(self.state), shutdown, Some(grace))
            .await;
        purge.abort();
        reload.abort();
        throttle.abort();
        state.db.close().await;
        result
    }
}

/// Deletes refresh tokens a day after they expired, once an hour.
async fn purge_expired_tokens(state: State) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match crate::db::refresh_tokens::purge_expired(&state.db, crate::now() - 86_400).await {
            Ok(n) if n > 0 => tracing::info!(deleted = n, "purged expired refresh tokens"),
            Ok(_) => {}
            Err(e) => e.log(),
        }
    }
}

/// Deletes ended throttle windows (each distinct login name tried leaves a
/// row) as often as the shortest window, at most hourly.
async fn purge_throttle(state: State) {
    let t = state.config.throttle;
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
    let mut tick = tokio::time::interval(state.config.key_reload_interval);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = state.keys.reload().await {
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
