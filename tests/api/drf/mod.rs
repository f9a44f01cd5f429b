//! The Django REST compatibility face (issue 13), with the REST tutorials'
//! own request bodies: seed 003's simplejwt views, seed 004's `user/` views,
//! the settings that move or remove the face, and its transport errors.

mod client;
mod mfa;
mod seed003;
mod seed004;
mod settings;
mod transport;
