//! Signing keys for access tokens: Ed25519 pairs kept in the database, so a
//! restart (or another instance) keeps issued tokens valid; or one supplied
//! by the deployment (environment or file), never stored.
//!
//! Rotation: `rotate` adds a generation; the newest non-retired key signs and
//! every non-retired key verifies. `retire` ends a key. The in-memory ring is
//! refreshed on an unknown key id and every few seconds; whether a token's key
//! is retired is checked exactly, in the same query that loads the caller.
//!
//! With a supplied key, the supplied key alone signs. Keys in the database
//! keep verifying the tokens they signed until they are retired (a rollover);
//! any of them may be retired, and `retire_stored` retires them all.
//!
//! Keys at rest: with a key-encryption key configured
//! (`GATEHOUSE_KEY_ENCRYPTION_KEY`), the private keys stored in the database
//! are sealed with XChaCha20-Poly1305 under it, the key id bound as
//! associated data (see [`Sealing`] for the format); without one they are
//! stored in the clear. `reseal` seals them (again) under the configured key.
//!
//! Here: the signing key, key ids and PASERK forms, and the error for key
//! settings. The ring of keys in use is in `keys/ring.rs`, keys at rest in
//! `keys/seal.rs`, and rotating, retiring and re-sealing in `keys/rotation.rs`.

mod ring;
mod rotation;
mod seal;

use anyhow::Context as _;
use pasetors::footer::Footer;
use pasetors::keys::{AsymmetricKeyPair, AsymmetricPublicKey, AsymmetricSecretKey, Generate};
use pasetors::paserk::{FormatAsPaserk, Id};
use pasetors::version4::V4;

use ring::parse_external;
pub use ring::KeyRing;
pub use rotation::{reseal, retire, retire_stored, rotate, Resealed};
pub use seal::{EncryptionKey, Sealing, Stored, SEALED_LEN};

/// The key new tokens are signed with, and the footer naming it.
pub struct SigningKey {
    pub kid: String,
    pub footer: Vec<u8>,
    pub secret: AsymmetricSecretKey<V4>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn new(kid: String, secret: AsymmetricSecretKey<V4>) -> anyhow::Result<Self> {
        let mut footer = Footer::new();
        footer
            .parse_string(&format!("{{\"kid\":\"{kid}\"}}"))
            .context("building the token footer")?;
        let footer = footer
            .to_string()
            .context("building the token footer")?
            .into_bytes();
        Ok(Self {
            kid,
            footer,
            secret,
        })
    }
}

/// A problem with the key settings or with what they must open (a sealed
/// key and no encryption key, the wrong encryption key, a damaged key): the
/// command line exits 2 on it, as on any invalid configuration. Its message
/// names settings and key ids, never key material.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyConfigError(String);

fn config_error(message: impl Into<String>) -> anyhow::Error {
    KeyConfigError(message.into()).into()
}

/// Whether `e` (or an error it wraps) is a [`KeyConfigError`].
pub fn is_config_error(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<KeyConfigError>())
}

/// A new secret key as a PASERK `k4.secret.…` string, for deployments that
/// supply their own key.
pub fn generate_paserk_secret() -> anyhow::Result<String> {
    let kp = AsymmetricKeyPair::<V4>::generate().context("generating a signing key")?;
    let mut s = String::new();
    kp.secret
        .fmt(&mut s)
        .map_err(|_| anyhow::anyhow!("formatting the key"))?;
    Ok(s)
}

/// The key id of a supplied secret key (PASERK `k4.secret.…`).
pub fn external_kid(paserk: &str) -> anyhow::Result<String> {
    Ok(parse_external(paserk)?.signing.kid.clone())
}

/// The PASERK id (`k4.pid.…`) of a public key.
pub fn kid_of(public: &AsymmetricPublicKey<V4>) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = Id::from(public).fmt(&mut s);
    s
}

/// The PASERK form (`k4.public.…`) of a public key.
pub fn paserk_public(public: &AsymmetricPublicKey<V4>) -> String {
    let mut s = String::new();
    let _ = public.fmt(&mut s);
    s
}

fn to_anyhow(e: crate::error::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

#[cfg(test)]
mod tests;
