//! Keys at rest: the key-encryption key, how a stored private key is
//! written (in the clear or sealed), and sealing and opening them.

use std::sync::Arc;

use anyhow::Context as _;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead as _, Payload};
use chacha20poly1305::{KeyInit as _, XChaCha20Poly1305, XNonce};
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret as _, SecretBox};
use sha2::{Digest as _, Sha256};

use super::config_error;
use crate::config::Config;

/// Bytes in a key-encryption key.
const KEK_LEN: usize = 32;
/// Bytes of a key-encryption key's id (a hash of it) kept in sealed blobs.
const KEK_ID_LEN: usize = 8;
/// Marks a sealed private key: magic and format version.
const SEALED_MAGIC: &[u8; 5] = b"ghsk\x01";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// An Ed25519 secret key as pasetors stores it (seed, then public key).
const SECRET_LEN: usize = 64;
const SEALED_HEADER_LEN: usize = SEALED_MAGIC.len() + KEK_ID_LEN;
/// A sealed key's length: header, nonce, ciphertext and tag.
pub const SEALED_LEN: usize = SEALED_HEADER_LEN + NONCE_LEN + SECRET_LEN + TAG_LEN;

/// A key-encryption key (`GATEHOUSE_KEY_ENCRYPTION_KEY`): 32 random bytes,
/// written as unpadded base64url (43 characters). Its id, the first 8 bytes
/// of a SHA-256 of it, is stored with what it seals, so a key sealed under
/// another encryption key is named as such rather than failing obscurely.
pub struct EncryptionKey {
    key: SecretBox<[u8; KEK_LEN]>,
    pub(super) id: [u8; KEK_ID_LEN],
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("id", &self.id_hex())
            .finish_non_exhaustive()
    }
}

impl EncryptionKey {
    /// What a valid key looks like (for error messages, which never repeat the value).
    pub const FORMAT: &'static str = "expected 32 bytes in unpadded base64url (43 characters), as `gatehouse keys generate-encryption-key` prints";

    /// Reads a key in its written form; the error says what was expected,
    /// never what was given.
    pub fn parse(text: &str) -> std::result::Result<Self, &'static str> {
        let text = text.trim().trim_end_matches('=');
        let raw = Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| Self::FORMAT)?,
        );
        if raw.len() != KEK_LEN {
            return Err(Self::FORMAT);
        }
        let mut key = Box::new([0u8; KEK_LEN]);
        key.copy_from_slice(&raw);
        let id = kek_id(&key);
        Ok(Self {
            key: SecretBox::new(key),
            id,
        })
    }

    /// A new key in its written form.
    pub fn generate() -> anyhow::Result<String> {
        let mut raw = Zeroizing::new([0u8; KEK_LEN]);
        getrandom::getrandom(&mut *raw).context("reading random bytes")?;
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(*raw))
    }

    /// The key's id in hex (16 characters): safe to show.
    pub fn id_hex(&self) -> String {
        hex(&self.id)
    }

    fn cipher(&self) -> anyhow::Result<XChaCha20Poly1305> {
        XChaCha20Poly1305::new_from_slice(self.key.expose_secret())
            .map_err(|_| anyhow::anyhow!("the key-encryption key has the wrong length"))
    }
}

fn kek_id(key: &[u8; KEK_LEN]) -> [u8; KEK_ID_LEN] {
    let digest = Sha256::new()
        .chain_update(b"gatehouse key-encryption-key id v1\0")
        .chain_update(key)
        .finalize();
    let mut id = [0u8; KEK_ID_LEN];
    id.copy_from_slice(&digest[..KEK_ID_LEN]);
    id
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How a private key is stored in the `secret_key` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// The raw 64-byte Ed25519 secret key (no encryption key configured, or
    /// stored before one was).
    Clear,
    /// Sealed under the encryption key with this id.
    Sealed([u8; KEK_ID_LEN]),
    /// Neither: damaged.
    Malformed,
}

impl Stored {
    /// Tells the forms apart: a sealed key starts with `ghsk\x01` and is
    /// `SEALED_LEN` bytes; a clear one is exactly 64 bytes.
    pub fn of(stored: &[u8]) -> Self {
        if stored.len() == SEALED_LEN && stored.starts_with(SEALED_MAGIC) {
            let mut id = [0u8; KEK_ID_LEN];
            id.copy_from_slice(&stored[SEALED_MAGIC.len()..SEALED_HEADER_LEN]);
            Stored::Sealed(id)
        } else if stored.len() == SECRET_LEN {
            Stored::Clear
        } else {
            Stored::Malformed
        }
    }
}

impl std::fmt::Display for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stored::Clear => f.write_str("clear"),
            Stored::Sealed(id) => write!(f, "sealed:{}", hex(id)),
            Stored::Malformed => f.write_str("malformed"),
        }
    }
}

/// How private keys are kept in the database: sealed under the configured
/// key-encryption key, or in the clear when there is none. A previous
/// encryption key (`GATEHOUSE_KEY_ENCRYPTION_KEY_OLD`) only opens.
///
/// A sealed key is `ghsk` `0x01` (format version), the encryption key's
/// 8-byte id, a random 24-byte nonce, and the XChaCha20-Poly1305 encryption
/// of the 64-byte secret key with its 16-byte tag; the associated data are
/// the first 13 bytes (magic, version, id) followed by the key id
/// (`k4.pid.…`), so a sealed key copied into another row does not open.
#[derive(Clone, Debug, Default)]
pub struct Sealing {
    pub(super) current: Option<Arc<EncryptionKey>>,
    pub(super) old: Option<Arc<EncryptionKey>>,
}

impl Sealing {
    /// Keys stored in the clear (no encryption key).
    pub fn clear() -> Self {
        Self::default()
    }

    /// Sealing under `current`; `old` still opens what it sealed.
    pub fn new(current: Option<EncryptionKey>, old: Option<EncryptionKey>) -> Self {
        Self {
            current: current.map(Arc::new),
            old: old.map(Arc::new),
        }
    }

    /// The encryption keys the configuration names.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let parse = |name: &str, v: &Option<secrecy::SecretString>| {
            v.as_ref()
                .map(|s| {
                    EncryptionKey::parse(s.expose_secret())
                        .map_err(|e| config_error(format!("invalid value for {name}: {e}")))
                })
                .transpose()
        };
        Ok(Self::new(
            parse("GATEHOUSE_KEY_ENCRYPTION_KEY", &config.key_encryption_key)?,
            parse(
                "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD",
                &config.key_encryption_key_old,
            )?,
        ))
    }

    /// The encryption key new keys are sealed under, if any.
    pub fn current(&self) -> Option<&EncryptionKey> {
        self.current.as_deref()
    }

    /// A private key as it is to be stored: sealed under the current
    /// encryption key, or as it is when there is none.
    pub fn seal(&self, kid: &str, secret: &[u8]) -> anyhow::Result<Vec<u8>> {
        let Some(kek) = &self.current else {
            return Ok(secret.to_vec());
        };
        anyhow::ensure!(secret.len() == SECRET_LEN, "a secret key is 64 bytes");
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce).context("reading random bytes")?;
        let mut out = Vec::with_capacity(SEALED_LEN);
        out.extend_from_slice(SEALED_MAGIC);
        out.extend_from_slice(&kek.id);
        out.extend_from_slice(&nonce);
        let aad = associated_data(&out[..SEALED_HEADER_LEN], kid);
        let sealed = kek
            .cipher()?
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing key {kid} failed"))?;
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The 64-byte secret key stored for `kid`, opened if sealed. The error
    /// (a [`KeyConfigError`](super::KeyConfigError)) says which encryption key would open it.
    pub fn open(&self, kid: &str, stored: &[u8]) -> anyhow::Result<Zeroizing<Vec<u8>>> {
        match Stored::of(stored) {
            Stored::Clear => Ok(Zeroizing::new(stored.to_vec())),
            Stored::Malformed => Err(config_error(format!(
                "the stored private key {kid} is malformed (neither a 64-byte key nor a sealed one)"
            ))),
            Stored::Sealed(id) => {
                let kek = [&self.current, &self.old]
                    .into_iter()
                    .flatten()
                    .find(|k| k.id == id)
                    .ok_or_else(|| self.no_key_for(kid, &id))?;
                let (header, rest) = stored.split_at(SEALED_HEADER_LEN);
                let (nonce, sealed) = rest.split_at(NONCE_LEN);
                let mut n = [0u8; NONCE_LEN];
                n.copy_from_slice(nonce);
                let aad = associated_data(header, kid);
                let secret = kek
                    .cipher()?
                    .decrypt(
                        &XNonce::from(n),
                        Payload {
                            msg: sealed,
                            aad: &aad,
                        },
                    )
                    .map_err(|_| {
                        config_error(format!(
                            "the sealed private key {kid} does not open under encryption key {}: \
                             it was altered, or copied from another key's row",
                            kek.id_hex()
                        ))
                    })?;
                Ok(Zeroizing::new(secret))
            }
        }
    }

    fn no_key_for(&self, kid: &str, id: &[u8; KEK_ID_LEN]) -> anyhow::Error {
        let id = hex(id);
        match &self.current {
            None => config_error(format!(
                "the private key {kid} is sealed (encryption key {id}), but \
                 GATEHOUSE_KEY_ENCRYPTION_KEY (or GATEHOUSE_KEY_ENCRYPTION_KEY_FILE) is not set: \
                 set it to that key"
            )),
            Some(current) => config_error(format!(
                "the private key {kid} is sealed under encryption key {id}, not under the \
                 configured one ({}): set GATEHOUSE_KEY_ENCRYPTION_KEY to that key, or, while \
                 re-sealing, GATEHOUSE_KEY_ENCRYPTION_KEY_OLD",
                current.id_hex()
            )),
        }
    }

    /// Whether a key stored so is as this sealing would store it now.
    pub(super) fn is_current(&self, stored: &[u8]) -> bool {
        match (Stored::of(stored), &self.current) {
            (Stored::Sealed(id), Some(kek)) => id == kek.id,
            (Stored::Clear, None) => true,
            _ => false,
        }
    }
}

fn associated_data(header: &[u8], kid: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len() + kid.len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(kid.as_bytes());
    aad
}
