//! What only the GraphQL face does (`POST /graphql`, GraphiQL at
//! `GET /graphql`, `/schema.graphql`), beside its client and its [`Face`]
//! adapter for the behaviours both faces share (`both/`).
//!
//! [`Face`]: crate::both::face::Face

pub mod client;
pub mod face;

mod graphiql;
mod limits;
mod login;
mod me;
mod refresh;
mod revocation;
mod sdl;
mod sign_up;
mod transport;
mod verify_token;
