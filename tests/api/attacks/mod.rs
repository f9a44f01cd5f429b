//! Attacks replayed as an attacker would try them (issue 11): requests that
//! cost more than their size, limits outrun by parallel requests, look-alike
//! names, slow clients. Each test failed on the code before its fix.

mod documents;
mod echo;
mod limits;
mod mail_links;
mod nul_bytes;
mod session_races;
mod sessions;
mod shutdown;
mod slow_clients;
mod stall;
mod throttle_locks;
