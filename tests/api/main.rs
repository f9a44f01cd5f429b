//! Black-box tests of Gatehouse over HTTP: each test spawns the real
//! application on a fresh SQLite file and talks GraphQL to it.

mod helpers;

mod authentication;
mod login;
mod profile;
mod refresh;
mod restart;
mod revocation;
mod sdl;
mod sign_up;
mod transport;
mod users;
mod verify_token;
