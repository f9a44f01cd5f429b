//! PostgreSQL-only suites: several server processes on one database (one
//! outbox too: each mail sent once; one webhook outbox: each event
//! delivered once), and a database outage under load. They start the real `gatehouse` binary.
//!
//! Skipped (with a note on stderr) unless `GATEHOUSE_TEST_DATABASE_URL`
//! names a PostgreSQL server where the user may create databases, e.g.
//! `postgres://gatehouse:gatehouse@127.0.0.1:5432/postgres`. The outage test
//! also needs `GATEHOUSE_TEST_PG_CTL`, a command that takes `stop` or `start`
//! (e.g. `pg_ctlcluster 15 main`); `.ci/run` sets both.

/// The API suite's SMTP capture server.
/// The API suite's test servers' accept loop and polling.
#[path = "../api/listen.rs"]
#[allow(dead_code)]
mod listen;
mod mail;
mod multi_instance;
mod outage;
#[path = "../api/mail/smtp.rs"]
#[allow(dead_code)]
mod smtp;
mod support;
mod webhooks;
