//! The middleware every request goes through (besides the request context
//! and the body deadline): a request id and a log line, security and cache
//! headers, the `Allow` header of a 405, CORS, the 403 for a cross-site form
//! post, and the 413 for a declared body over the limit.

use std::sync::Arc;
use std::time::Instant;

use poem::http::{header, HeaderValue, Method, StatusCode};
use poem::middleware::Cors;
use poem::web::Json;
use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument as _;

use crate::graphql;
use crate::rest;
use crate::service::State;

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
        // The REST routes with a path parameter (poem answers the others'
        // `Allow` itself), read off the API's own metadata: a new route
        // needs no entry here.
        p => templated_allow(p),
    }
}

/// The methods of the REST route with path parameters that `path` is an
/// instance of: the template with the most literal segments wins
/// (`/api/users/me/sessions/{id}` over `/api/users/{id}/…`).
fn templated_allow(path: &str) -> Option<&'static str> {
    static TEMPLATES: std::sync::LazyLock<Vec<(Vec<String>, String)>> =
        std::sync::LazyLock::new(|| {
            crate::rest::spec::allowed_methods()
                .into_iter()
                .filter(|(p, _)| p.contains('{'))
                .map(|(p, methods)| {
                    let segments = p.trim_start_matches('/').split('/').map(String::from);
                    (segments.collect(), methods)
                })
                .collect()
        });
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    TEMPLATES
        .iter()
        .filter(|(t, _)| {
            t.len() == segments.len()
                && t.iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
        .max_by_key(|(t, _)| t.iter().filter(|s| !s.starts_with('{')).count())
        .map(|(_, methods)| methods.as_str())
}

/// A request whose declared body (`Content-Length`) is over the limit gets
/// its 413 before any of the body is read: no `100 Continue` is sent to a
/// client that asked (`Expect: 100-continue`), and nothing is read. Bodies
/// without a declared length are limited while they are read.
pub(super) async fn declared_length_limit<E: Endpoint>(
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

/// A form that a browser posted from another site is refused with 403, in
/// the path's error shape, before any work: no account is created and no
/// login tried on a visitor's behalf by a hostile page (bearer tokens are
/// never sent by a browser on its own, but sign-up and login need none).
///
/// Refused: a request with a body a browser sends without a CORS preflight
/// (see [`is_preflight_free_body`]) that says it comes from another site:
/// `Sec-Fetch-Site: cross-site` or `same-site`, or an `Origin` that is
/// neither this server's own (its host and port are the `Host` header's)
/// nor one of `GATEHOUSE_CORS_ORIGINS` (`trusted`, which pass whatever
/// `Sec-Fetch-Site` says), or `Origin: null` (a sandboxed page, a
/// redirect). Requests with neither header (curl, other servers, old
/// browsers' same-origin forms) and JSON bodies (which a browser sends
/// cross-site only after a preflight that CORS answers) pass. `/graphql`
/// refuses every body but JSON itself (415) and keeps its own answer.
pub(super) async fn cross_site_forms<E: Endpoint>(
    next: E,
    mut req: Request,
    trusted: Arc<[String]>,
    drf_prefix: Option<Arc<str>>,
) -> poem::Result<Response> {
    let path = req.uri().path();
    // Browser mode: an unlisted origin gets its 403 in the API's shape
    // here, before CORS answers it in poem's plain text.
    if path.starts_with("/api/session/") && req.method() != Method::OPTIONS && !is_same_origin(&req)
    {
        if let Err(refused) = rest::session_types::check_origin(&req, &trusted) {
            return Ok(refused.into_response());
        }
    }
    if path == "/graphql" || !is_cross_site_form(&req, &trusted) {
        // A browser sends `Origin` on its own pages' POSTs too (GraphiQL,
        // Swagger UI); the CORS layer would refuse the server's own origin
        // when it is not listed. A same-origin request needs no CORS.
        if is_same_origin(&req) {
            req.headers_mut().remove(header::ORIGIN);
        }
        return next.call(req).await.map(IntoResponse::into_response);
    }
    tracing::info!("cross-site form post refused");
    let drf = drf_prefix.is_some_and(|p| rest::drf::is_drf_path(&p, path));
    let resp = if drf {
        rest::drf_cross_site_refused()
    } else if path == "/api" || path.starts_with("/api/") {
        rest::cross_site_refused(path)
    } else {
        let message = "Cross-site form posts are refused.";
        Json(serde_json::json!({ "code": "FORBIDDEN", "message": message }))
            .with_status(StatusCode::FORBIDDEN)
            .into_response()
    };
    Ok(resp)
}

/// Whether `req` is a form a browser posted from another site (see
/// [`cross_site_forms`]); `trusted` are the CORS origins.
pub(super) fn is_cross_site_form(req: &Request, trusted: &[String]) -> bool {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || !is_preflight_free_body(req.headers().get(header::CONTENT_TYPE))
    {
        return false;
    }
    let headers = req.headers();
    let another_site = headers.get("sec-fetch-site").is_some_and(|v| {
        let v = v.as_bytes().trim_ascii();
        v.eq_ignore_ascii_case(b"cross-site") || v.eq_ignore_ascii_case(b"same-site")
    });
    let Some(origin) = headers.get(header::ORIGIN) else {
        return another_site;
    };
    let Ok(origin) = origin.to_str().map(str::trim) else {
        return true;
    };
    if origin != "null" && trusted.iter().any(|t| t.eq_ignore_ascii_case(origin)) {
        return false;
    }
    if another_site || origin == "null" {
        return true;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    !host.is_some_and(|host| is_own_origin(origin, host))
}

/// Whether the request's `Origin` is this server's own (see
/// [`is_own_origin`]).
fn is_same_origin(req: &Request) -> bool {
    let headers = req.headers();
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    matches!((origin, host), (Some(o), Some(h)) if is_own_origin(o.trim(), h))
}

/// Whether a body of this `Content-Type` goes cross-site without a CORS
/// preflight (the Fetch standard's CORS-safelisted types, as an HTML form
/// or `fetch(…, {mode: "no-cors"})` sends them): form-encoded, multipart,
/// plain text, or none at all (a `Blob` without a type).
pub(super) fn is_preflight_free_body(content_type: Option<&HeaderValue>) -> bool {
    let Some(content_type) = content_type else {
        return true;
    };
    let Ok(content_type) = content_type.to_str() else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "text/plain",
    ]
    .iter()
    .any(|t| essence.eq_ignore_ascii_case(t))
}

/// Whether `origin` (`scheme://host[:port]`) is the origin of a server
/// reached as `host` (the `Host` header's `host[:port]`); a default port
/// (80 for http, 443 for https) may be written or not on either side.
pub(super) fn is_own_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = if scheme.eq_ignore_ascii_case("http") {
        ":80"
    } else if scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else {
        return false;
    };
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return false;
    }
    let normal = |a: &str| {
        let a = a.trim().to_ascii_lowercase();
        match a.strip_suffix(default_port) {
            Some(bare) => bare.to_owned(),
            None => a,
        }
    };
    normal(authority) == normal(host)
}

/// CORS for the configured origins only (never echo-any). The methods are
/// those the faces answer with a body: `PUT` for the Django REST face's
/// `user/update/` and the admin operations, `DELETE` for sessions and
/// users. `X-Requested-With` is allowed for browser mode's CSRF header.
/// Credentials (the refresh cookie) are allowed here, and
/// [`default_headers`] takes the permission back everywhere but browser
/// mode's `/api/session/*`: the other endpoints take bearer tokens in a
/// header, never cookies.
pub(super) fn cors(origins: &[String]) -> Cors {
    Cors::new()
        .allow_origins(origins.iter().map(String::as_str))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers(["authorization", "content-type", "x-requested-with"])
        .allow_credentials(true)
        .max_age(600)
}

/// Headers every response gets, errors (404, 405) included: responses are
/// not cached unless an endpoint says otherwise (most carry tokens or
/// personal data), never sniffed, and a 405 says what is allowed. CORS
/// credentials are allowed only for browser mode (see [`cors`]): a listed
/// origin's page sends cookies nowhere else (preflights included).
pub(super) async fn default_headers<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    // A clone of the URI shares its bytes (no copy of the path).
    let uri = req.uri().clone();
    let path = uri.path();
    let mut resp = next.get_response(req).await;
    let headers = resp.headers_mut();
    if !path.starts_with("/api/session/") {
        headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // With CORS on, an answer depends on the request's `Origin`: a shared
    // cache must not hand one origin's answer to another.
    let varies = headers.get_all(header::VARY).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.to_ascii_lowercase().contains("origin"))
    });
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED
        && !resp.headers().contains_key(header::ALLOW)
    {
        if let Some(allow) = allowed_methods(path) {
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
pub(super) async fn log_request<E: Endpoint>(
    next: E,
    mut req: Request,
    state: State,
) -> poem::Result<Response> {
    let started = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let path = uri.path();
    let shown_path = escape_for_log(path);
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
    let config = state.config();
    let drf = config
        .django_rest
        .then_some(config.django_rest_prefix.as_str());
    let route = crate::metrics::route_label(path, drf);
    state
        .metrics()
        .record_request(&method, route, status.as_u16(), took);
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

/// A new request id: 96 random bits as 24 hex digits. The random bytes are
/// drawn from the OS a page at a time per thread (one getrandom(2) per 341
/// ids, not one per request).
pub(super) fn new_request_id() -> String {
    const ID_BYTES: usize = 12;
    const POOL: usize = 341 * ID_BYTES;
    thread_local! {
        static RANDOM: std::cell::RefCell<([u8; POOL], usize)> =
            const { std::cell::RefCell::new(([0; POOL], POOL)) };
    }
    let raw = RANDOM.with_borrow_mut(|(pool, used)| {
        if *used == POOL {
            getrandom::getrandom(pool).ok()?;
            *used = 0;
        }
        let mut raw = [0u8; ID_BYTES];
        raw.copy_from_slice(&pool[*used..*used + ID_BYTES]);
        *used += ID_BYTES;
        Some(raw)
    });
    let Some(raw) = raw else {
        return "unknown".into();
    };
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(2 * ID_BYTES);
    for b in raw {
        id.push(HEX[usize::from(b >> 4)] as char);
        id.push(HEX[usize::from(b & 0x0f)] as char);
    }
    id
}
