//! The Django REST compatibility face: the paths, bodies and error shapes
//! of the REST tutorials' frontends, so that one written for seed 003
//! (djangorestframework-simplejwt's views at `login/`, `token/refresh/`,
//! `token/verify/`, `token/blacklist/`) or seed 004 (`user/create/`,
//! `user/obtain_token/`, `user/update/`) works against Gatehouse with only
//! its base URL changed. Every operation is one call into the same service
//! functions as GraphQL and `/api` (same rules, throttles and limits); only
//! the spelling differs.
//!
//! On by default (`GATEHOUSE_DJANGO_REST`), under `GATEHOUSE_DJANGO_REST_PREFIX`
//! (default `/`). Paths end in a slash as Django writes them; the same path
//! without it answers too.

mod errors;
mod simplejwt;
mod types;
mod users;

use std::collections::HashMap;
use std::sync::Arc;

use poem::http::Uri;
use poem::{EndpointExt as _, Request, Route};
use poem_openapi::{OpenApi as _, OpenApiService, Tags};

use super::guard::{self, Guard, Shape};

/// The tag of every operation of this face.
#[derive(Tags)]
pub enum DrfTags {
    /// The REST tutorials' endpoints (seed 003: djangorestframework-simplejwt's
    /// views; seed 004: a DRF app's `user/` views) with DRF's error shapes,
    /// over the same service as `/api`. Deliberate differences: tokens are
    /// PASETO v4.public, not JWTs (clients treat them as opaque); a refresh
    /// always rotates, and presenting a used refresh token again ends that
    /// session (simplejwt with `ROTATE_REFRESH_TOKENS` and
    /// `BLACKLIST_AFTER_ROTATION`, made stricter); every failed login looks
    /// the same. Off with `GATEHOUSE_DJANGO_REST=off`; moved with
    /// `GATEHOUSE_DJANGO_REST_PREFIX`.
    #[oai(rename = "Django REST compatibility")]
    DjangoRest,
}

/// Every operation of this face.
pub type Apis = (simplejwt::SimpleJwtApi, users::SeedUserApi);

/// The paths served, relative to the prefix.
pub const PATHS: [&str; 7] = [
    "login/",
    "token/refresh/",
    "token/verify/",
    "token/blacklist/",
    "user/create/",
    "user/obtain_token/",
    "user/update/",
];

/// The face's operations. poem-openapi routes and documents them without
/// their final slash and without the prefix: `mount` maps each request onto
/// that, and `spec::document` writes the paths as they are served.
pub fn api() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (simplejwt::SimpleJwtApi, users::SeedUserApi),
        "Gatehouse Django REST compatibility",
        env!("CARGO_PKG_VERSION"),
    )
}

/// A path as the spec documents it, from poem-openapi's `/login` to
/// `{prefix}login/`.
pub fn served_path(prefix: &str, path: &str) -> String {
    format!("{prefix}{}/", path.trim_start_matches('/'))
}

/// The methods each operation's path allows (for a 405's `Allow`).
fn allowed_methods() -> HashMap<String, String> {
    let mut allow: HashMap<String, Vec<String>> = HashMap::new();
    for meta in Apis::meta() {
        for path in meta.paths {
            let methods = allow.entry(path.path.to_owned()).or_default();
            methods.extend(path.operations.iter().map(|op| op.method.to_string()));
        }
    }
    allow
        .into_iter()
        .map(|(path, mut methods)| {
            methods.sort();
            (path, methods.join(", "))
        })
        .collect()
}

/// Whether `path` is one of this face's under `prefix` (with or without the
/// final slash).
pub fn is_drf_path(prefix: &str, path: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| {
        PATHS
            .iter()
            .any(|p| *p == rest || p.trim_end_matches('/') == rest)
    })
}

/// Maps a request for `{prefix}login/` (or `{prefix}login`) onto the
/// operation's own path, `/login`, keeping the query.
fn to_operation_path(req: &mut Request, prefix: &str) {
    let uri = req.uri();
    let rest = uri.path().strip_prefix(prefix).unwrap_or(uri.path());
    let path = format!("/{}", rest.trim_matches('/'));
    let target = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    if let Ok(uri) = target.parse::<Uri>() {
        *req.uri_mut() = uri;
    }
}

/// Adds this face's paths (each with and without its final slash) under
/// `prefix` to `route`, behind the same guard as `/api` (body limit, repeated
/// fields refused, transport errors in this face's shape).
pub fn mount(mut route: Route, prefix: &str, max_body_bytes: usize) -> Route {
    let guard = Arc::new(Guard {
        max_body_bytes,
        allow: allowed_methods(),
        shape: |_| Shape::Drf,
    });
    let owned: Arc<str> = prefix.into();
    let endpoint = Arc::new(api().around(move |ep, mut req| {
        let (guard, prefix) = (guard.clone(), owned.clone());
        async move {
            to_operation_path(&mut req, &prefix);
            guard::guard(ep, req, guard).await
        }
    }));
    for path in PATHS {
        let full = format!("{prefix}{path}");
        route = route
            .at(&full, endpoint.clone())
            .at(full.trim_end_matches('/'), endpoint.clone());
    }
    route
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_with_and_without_the_final_slash_under_the_prefix() {
        assert!(is_drf_path("/", "/login/"));
        assert!(is_drf_path("/", "/login"));
        assert!(is_drf_path("/api/v1/", "/api/v1/user/update"));
        assert!(!is_drf_path("/api/v1/", "/login/"));
        assert!(!is_drf_path("/", "/login//"));
        assert!(!is_drf_path("/", "/api/token"));
    }

    #[test]
    fn each_path_allows_the_methods_of_its_operations() {
        let allow = allowed_methods();
        assert_eq!(allow["/login"], "POST");
        assert_eq!(allow["/user/update"], "GET, PATCH, PUT");
        assert_eq!(allow.len(), PATHS.len());
    }

    #[test]
    fn requests_map_onto_the_operations_paths_and_keep_their_query() {
        for (prefix, path, expected) in [
            ("/", "/login/?a=1", "/login?a=1"),
            ("/", "/login", "/login"),
            ("/api/v1/", "/api/v1/user/update/", "/user/update"),
        ] {
            let mut req = Request::builder().uri(path.parse().unwrap()).finish();
            to_operation_path(&mut req, prefix);
            assert_eq!(req.uri().to_string(), expected, "{prefix} {path}");
        }
    }

    #[test]
    fn the_spec_writes_paths_as_served() {
        assert_eq!(served_path("/", "/login"), "/login/");
        assert_eq!(
            served_path("/api/v1/", "/user/update"),
            "/api/v1/user/update/"
        );
    }
}
