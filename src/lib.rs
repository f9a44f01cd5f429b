//! Gatehouse: sign-up, login and token service for apps that speak GraphQL and REST.
//!
//! The binary (`src/main.rs`) is a thin CLI over this library, so the tests
//! can build and run the same application in-process.

pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod django;
pub mod error;
pub mod event_kind;
pub mod graphql;
/// A JSON body's shape and repeated keys, checked before either face decodes it.
pub mod json_shape;
/// The listening socket: connection cap and read deadlines for slow clients.
pub mod listener;
pub mod mail;
pub mod metrics;
/// The context of one request (caller, client address, user agent, id), for both faces.
pub mod request;
pub mod rest;
pub mod service;

/// The current time as Unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
