//! Black-box tests of Gatehouse over HTTP: each test spawns the real
//! application on a fresh database (SQLite, or PostgreSQL when
//! GATEHOUSE_TEST_DATABASE_URL is set) and talks to it as a client would.
//!
//! - `both/`: the behaviours both faces share, written once against a
//!   `Face` and run on each (`both::sign_up::graphql::…`, `…::rest::…`).
//! - `graphql/`, `rest/`: what only one face does, with that face's client;
//!   `drf/`: the Django REST compatibility face, with the tutorials' bodies.
//! - `mail/`: the account lifecycle by email (issue 14) against an SMTP
//!   capture server (`mail/smtp.rs`): each flow on both faces, delivery.
//! - The files here: what is no face's own (throttling by address, hygiene,
//!   keys, metrics, pages, restarts); `attacks/`: attacks replayed.

mod helpers;
mod listen;
mod raw;

#[macro_use]
mod both;
mod drf;
mod events;
mod graphql;
mod mail;
mod rest;
mod session;
mod webhooks;

mod abuse;
mod attacks;
mod cors;
mod csrf;
mod forwarded;
mod hygiene;
mod keys;
mod metrics_access;
mod observability;
mod pages;
mod rejected;
mod restart;
