//! The HTTP application: routes, middleware, and the server's life cycle.
//!
//! Here: the routes and the small endpoints (`/metrics`, `/healthz`,
//! `/readyz`, `/.well-known/paseto-keys`). The middleware is in
//! `app/middleware.rs`, the life cycle in `app/server.rs`, and the log line
//! for requests hyper refuses itself in `app/rejected.rs`.

mod middleware;
mod rejected;
mod server;

use std::time::Duration;

use poem::http::{header, StatusCode};
use poem::web::{Data, Json};
use poem::{get, handler, Endpoint, EndpointExt, IntoResponse, Request, Response, Route};
use secrecy::ExposeSecret as _;

use crate::graphql;
use crate::rest;
use crate::service::State;

pub use middleware::escape_for_log;
use middleware::{
    cors, cross_site_forms, declared_length_limit, default_headers, log_request, new_request_id,
};
pub use server::{shutdown_signal, Application};

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
    let drf_403 = drf_413.clone();
    let trusted: std::sync::Arc<[String]> = state.config().cors_origins.clone().into();
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
        // Before CORS: a cross-site form post gets its 403 in the path's
        // shape whether CORS is on or not.
        .around(move |next, req| cross_site_forms(next, req, trusted.clone(), drf_403.clone()))
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

/// The process is up (a fixed body: a liveness probe costs no allocation
/// or serialisation).
#[handler]
fn healthz() -> Response {
    Response::builder()
        .content_type("application/json; charset=utf-8")
        .body(r#"{"status":"ok"}"#)
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

#[cfg(test)]
mod tests;
