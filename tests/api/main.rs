//! Black-box tests of Gatehouse over HTTP: each test spawns the real
//! application on a fresh SQLite file and talks GraphQL to it.

mod helpers;
mod raw;

mod abuse;
mod attacks;
mod authentication;
mod keys;
mod login;
mod observability;
mod profile;
mod refresh;
mod restart;
mod revocation;
mod sdl;
mod sign_up;
mod transport;
mod users;
mod verify_token;

// Proxies, refused heads and logs, who reads the metrics, the browser pages.
mod forwarded;
mod metrics_access;
mod pages;
mod rejected;

// The REST face.
mod hygiene;
mod rest_auth;
mod rest_cross_face;
mod rest_helpers;
mod rest_introspect;
mod rest_me;
mod rest_openapi;
mod rest_sign_up;
mod rest_token;
mod rest_users_list;

// GraphiQL's page and its assets.
mod graphiql;
