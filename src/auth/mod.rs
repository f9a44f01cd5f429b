//! Credentials: password hashing, access and refresh tokens, signing keys,
//! and reading the caller's token from a request.

pub mod client;
pub mod header;
pub mod keys;
pub mod link_token;
pub mod password;
pub mod refresh;
pub mod tokens;
pub mod totp;
