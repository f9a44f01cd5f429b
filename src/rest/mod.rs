//! The REST face: an OpenAPI-documented API (poem-openapi) over the same
//! service functions as GraphQL, Swagger UI at `/docs`, and the spec at
//! `/api/openapi.json` and `/api/openapi.yaml` (committed as `openapi.json`).

pub mod account;
pub mod account_types;
pub mod admin;
pub mod auth;
pub mod docs;
pub mod drf;
pub mod error;
pub mod events;
mod guard;
pub mod mfa;
pub mod oauth;
pub mod session;
pub mod session_types;
pub mod sessions;
pub mod spec;
pub mod text;
pub mod token;
pub mod token_types;
pub mod user_types;
pub mod users;

use std::sync::Arc;

use poem::endpoint::make_sync;
use poem::{get, EndpointExt as _, IntoResponse as _, Response, Route};
use poem_openapi::{OpenApiService, ServerObject, Tags};

use account::AccountApi;
use admin::AdminApi;
use events::EventsApi;
use mfa::MfaApi;
use session::SessionApi;
use sessions::SessionsApi;
use token::TokenApi;
use users::UsersApi;

/// The groups of operations in Swagger UI.
#[derive(Tags)]
pub enum ApiTags {
    /// Log in, refresh, introspect and revoke tokens (OAuth 2.0 shapes).
    Tokens,
    /// Sign up, the caller's account (its deletion and export too), and
    /// staff administration of users.
    Users,
    /// Confirm an address, recover a password, change the address: by
    /// links mailed to the address.
    Account,
    /// Browser mode: log in, refresh and log out with the refresh token in
    /// an HttpOnly cookie, out of reach of the page's scripts.
    Sessions,
}

const DESCRIPTION: &str = "\
Sign-up, login and tokens for apps that speak REST. The same service also \
speaks GraphQL at `/graphql`, and the two faces share everything: an access \
token from either works on both, a refresh token rotated on one is used on \
the other, and a logout-all on one ends sessions on both.

**Getting started.** `POST /api/users` with a JSON username, email and \
password; then `POST /api/token` with `grant_type=password` (form-encoded or \
JSON) to get an access token and a refresh token; send the access token as \
`Authorization: Bearer <token>` (or `JWT <token>`). When it expires (5 \
minutes by default) exchange the refresh token at `POST /api/token` with \
`grant_type=refresh_token`.

**Browser mode.** A web page can keep the refresh token out of its \
scripts' reach: `POST /api/session/login` answers the access token and \
sets the refresh token as an HttpOnly, Secure, SameSite=Strict cookie \
(`__Secure-gatehouse_refresh`, `Path=/api/session`); `POST \
/api/session/refresh` rotates it, `POST /api/session/logout` ends the \
login. Each needs an `X-Requested-With` header, and from another origin \
that origin must be in `GATEHOUSE_CORS_ORIGINS`.

**Token lifetimes.** `expires_in` and `refresh_expires_in` are seconds from \
now, in RFC 6749's style. GraphQL's `refreshExpiresIn` is instead an absolute \
Unix time, as django-graphql-jwt returns it.

**Errors.** The `/api/token*` endpoints answer errors as OAuth 2.0 does: \
`{\"error\": \"invalid_grant\", \"error_description\": \"...\"}`. Every other \
endpoint answers `{\"code\": \"...\", \"message\": \"...\", \"fields\": {...}}`, \
with the same codes as GraphQL's `extensions.code`; `fields` (for 409 and \
422) gives a message per input field. A 401 carries an RFC 6750 \
`WWW-Authenticate` challenge. Bodies are limited to `GATEHOUSE_MAX_BODY_BYTES` \
(64 KiB by default).";

/// Every operation of the REST face.
pub type Apis = (
    TokenApi,
    UsersApi,
    SessionsApi,
    AdminApi,
    AccountApi,
    SessionApi,
    MfaApi,
    EventsApi,
);

/// The API with its metadata. Builds without a running service, so the CLI
/// can print the spec.
pub fn api() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            TokenApi,
            UsersApi,
            SessionsApi,
            AdminApi,
            AccountApi,
            SessionApi,
            MfaApi,
            EventsApi,
        ),
        "Gatehouse REST API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(DESCRIPTION)
    // Relative, so the spec is the same whatever address the server has.
    .server(ServerObject::new("/").description("This server"))
    .url_prefix("/api")
}

/// The spec as served with the default settings at `/api/openapi.json`, and
/// committed as `openapi.json`.
pub fn spec_json() -> String {
    spec::json(&spec::document(Some("/")))
}

/// The 413 for a request under `/api` whose declared `Content-Length` is
/// over the limit, in that endpoint's error shape.
pub fn payload_too_large(path: &str, limit: usize) -> Response {
    guard::payload_too_large(guard::api_shape(path), limit)
}

/// The same 413 in the Django REST compatibility face's shape.
pub fn drf_payload_too_large(limit: usize) -> Response {
    guard::payload_too_large(guard::Shape::Drf, limit)
}

/// The 403 for a cross-site form post to a path under `/api`, in that
/// endpoint's error shape (OAuth's `invalid_request` on the token endpoints).
pub fn cross_site_refused(path: &str) -> Response {
    guard::cross_site_refused(guard::api_shape(path))
}

/// The same 403 in the Django REST compatibility face's shape (`{"detail":
/// "CSRF Failed: …"}`).
pub fn drf_cross_site_refused() -> Response {
    guard::cross_site_refused(guard::Shape::Drf)
}

/// Adds the REST API, its spec and Swagger UI to `route`, and the Django REST
/// compatibility face under `drf_prefix` if given. `max_body_bytes` bounds
/// every request body of both.
pub fn mount(route: Route, max_body_bytes: usize, drf_prefix: Option<&str>) -> Route {
    let doc = spec::document(drf_prefix);
    let json = spec::json(&doc);
    let yaml = spec::yaml(&doc);
    let guard = Arc::new(guard::Guard {
        max_body_bytes,
        allow: spec::allowed_methods(),
        shape: guard::api_shape,
    });
    let api = api();
    let route = match drf_prefix {
        Some(prefix) => drf::mount(route, prefix, max_body_bytes),
        None => route,
    };
    route
        .at(
            "/api/openapi.json",
            get(make_sync(move |_| {
                json.clone().with_content_type("application/json")
            })),
        )
        .at(
            "/api/openapi.yaml",
            get(make_sync(move |_| {
                yaml.clone().with_content_type("application/yaml")
            })),
        )
        .nest("/docs", docs::routes())
        .nest(
            "/api",
            api.around(move |ep, req| guard::guard(ep, req, guard.clone())),
        )
}
