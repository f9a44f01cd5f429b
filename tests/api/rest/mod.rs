//! What only the REST face does (`/api`, its OpenAPI document and Swagger
//! UI), beside its client and its [`Face`] adapter for the behaviours both
//! faces share (`both/`).
//!
//! [`Face`]: crate::both::face::Face

pub mod client;
pub mod face;

mod admin;
mod auth;
mod introspect;
mod me;
mod mfa;
mod openapi;
mod sessions;
mod sign_up;
mod token;
mod users;
