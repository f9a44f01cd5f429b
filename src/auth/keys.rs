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

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead as _, Payload};
use chacha20poly1305::{KeyInit as _, XChaCha20Poly1305, XNonce};
use pasetors::footer::Footer;
use pasetors::keys::{AsymmetricKeyPair, AsymmetricPublicKey, AsymmetricSecretKey, Generate};
use pasetors::paserk::{FormatAsPaserk, Id};
use pasetors::version4::V4;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret as _, SecretBox};
use sha2::{Digest as _, Sha256};

use crate::config::Config;
use crate::db::{self, Db};
use crate::error::Result;

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

// ---------------------------------------------------------------------------
// Keys at rest
// ---------------------------------------------------------------------------

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
    id: [u8; KEK_ID_LEN],
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
    current: Option<Arc<EncryptionKey>>,
    old: Option<Arc<EncryptionKey>>,
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
    /// (a [`KeyConfigError`]) says which encryption key would open it.
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
    fn is_current(&self, stored: &[u8]) -> bool {
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

/// The secret key stored in `row`, opened and checked against its public key.
fn open_row(sealing: &Sealing, row: &db::keys::KeyRow) -> anyhow::Result<AsymmetricSecretKey<V4>> {
    let raw = sealing.open(&row.kid, &row.secret_key)?;
    let secret = AsymmetricSecretKey::<V4>::from(&raw)
        .map_err(|_| config_error(format!("the stored private key {} is malformed", row.kid)))?;
    if raw.get(32..) != Some(row.public_key.as_slice()) {
        return Err(config_error(format!(
            "the stored private key {} does not match its public key",
            row.kid
        )));
    }
    Ok(secret)
}

// ---------------------------------------------------------------------------
// The key ring
// ---------------------------------------------------------------------------

/// A key supplied by the deployment instead of the database.
struct External {
    signing: Arc<SigningKey>,
    public: Arc<AsymmetricPublicKey<V4>>,
}

struct Keys {
    signing: Arc<SigningKey>,
    verifying: HashMap<String, Arc<AsymmetricPublicKey<V4>>>,
}

/// The keys in use.
pub struct KeyRing {
    db: Db,
    external: Option<External>,
    sealing: Sealing,
    /// `GATEHOUSE_ACCESS_TOKEN_TTL` in seconds: no token verifies that was
    /// issued to live longer (see `tokens::verify`).
    access_ttl: i64,
    keys: RwLock<Keys>,
    last_reload: Mutex<Instant>,
}

/// Fewest seconds between two reloads caused by unknown key ids, so a flood
/// of tokens with made-up ids cannot become a flood of queries.
const MIN_RELOAD_GAP: Duration = Duration::from_secs(1);

impl KeyRing {
    /// Loads the keys as `config` says: the supplied signing key if any, the
    /// encryption keys, the access-token lifetime. Fails with a
    /// [`KeyConfigError`] when a key that may sign cannot be opened.
    pub async fn start(db: &Db, config: &Config) -> anyhow::Result<Self> {
        let external = config
            .signing_key
            .as_ref()
            .map(|k| parse_external(k.expose_secret()))
            .transpose()?;
        let sealing = Sealing::from_config(config)?;
        let ttl = i64::try_from(config.access_token_ttl.as_secs()).unwrap_or(i64::MAX);
        Self::load_with(db, external, sealing, ttl).await
    }

    /// Loads the keys, generating the first one if the database has none
    /// (safe when several processes start at once: one key wins).
    /// `external`, a PASERK `k4.secret.…` string, signs instead when given.
    /// Keys are stored in the clear and the access-token lifetime is the
    /// default one; [`KeyRing::start`] takes them from the configuration.
    pub async fn load(db: &Db, external: Option<&str>) -> anyhow::Result<Self> {
        let external = external.map(parse_external).transpose()?;
        let ttl = Config::default().access_token_ttl.as_secs() as i64;
        Self::load_with(db, external, Sealing::clear(), ttl).await
    }

    async fn load_with(
        db: &Db,
        external: Option<External>,
        sealing: Sealing,
        access_ttl: i64,
    ) -> anyhow::Result<Self> {
        let mut rows = db::keys::all(db).await.map_err(to_anyhow)?;
        if external.is_none() && !rows.iter().any(|r| r.retired_at.is_none()) {
            // No active key (a first start, or every key retired): add the
            // generation after the ones just read. Processes starting
            // together all saw the same rows and so compete for the same
            // generation number: exactly one inserts, and every one of them
            // then reads that key back. (`rotate` would instead move on to
            // the next number, and a process that read the table before
            // another's insert would add a second key.)
            let next = rows.last().map_or(1, |r| r.seq + 1);
            add_generation(db, &rows, &sealing, next).await?;
            rows = db::keys::all(db).await.map_err(to_anyhow)?;
        }
        if external.is_none() {
            // Every active key may come to sign (when a newer one is
            // retired): each must open now, not at some later reload.
            for row in rows.iter().filter(|r| r.retired_at.is_none()) {
                open_row(&sealing, row)?;
            }
        }
        log_storage(&rows, &sealing, external.is_some());
        let keys = build(&rows, external.as_ref(), &sealing, None)?;
        Ok(Self {
            db: db.clone(),
            external,
            sealing,
            access_ttl,
            keys: RwLock::new(keys),
            last_reload: Mutex::new(Instant::now()),
        })
    }

    /// The key to sign new tokens with.
    pub fn signing(&self) -> Arc<SigningKey> {
        self.keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .signing
            .clone()
    }

    /// Whether `kid` is the deployment-supplied key (not in the database).
    pub fn is_external(&self, kid: &str) -> bool {
        self.external.as_ref().is_some_and(|e| e.signing.kid == kid)
    }

    /// The configured access-token lifetime, seconds.
    pub fn access_ttl(&self) -> i64 {
        self.access_ttl
    }

    /// The public key with this id, if it is known and not retired.
    pub async fn verifying(&self, kid: &str) -> Result<Option<Arc<AsymmetricPublicKey<V4>>>> {
        if let Some(k) = self.lookup(kid) {
            return Ok(Some(k));
        }
        if !self.may_reload() {
            return Ok(None);
        }
        self.reload().await?;
        Ok(self.lookup(kid))
    }

    /// Re-reads the keys unless that was done less than `MIN_RELOAD_GAP`
    /// ago (for anonymous requests such as `/.well-known/paseto-keys`, which
    /// must not turn into a query each). Says whether it re-read them.
    pub async fn reload_if_due(&self) -> Result<bool> {
        if !self.may_reload() {
            return Ok(false);
        }
        self.reload().await?;
        Ok(true)
    }

    /// Re-reads the keys from the database. A key that cannot be used (one
    /// sealed under an encryption key this process does not have) is logged
    /// and the keys in use are kept.
    pub async fn reload(&self) -> Result<()> {
        let rows = db::keys::all(&self.db).await?;
        let previous = self.signing();
        match build(&rows, self.external.as_ref(), &self.sealing, Some(previous)) {
            Ok(keys) => *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys,
            Err(e) => tracing::error!(error = %e, "signing keys could not be reloaded"),
        }
        Ok(())
    }

    /// The public keys that verify tokens now, as (kid, PASERK `k4.public.…`).
    pub fn public_keys(&self) -> Vec<(String, String)> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<(String, String)> = keys
            .verifying
            .iter()
            .map(|(kid, pk)| (kid.clone(), paserk_public(pk)))
            .collect();
        out.sort();
        out
    }

    fn lookup(&self, kid: &str) -> Option<Arc<AsymmetricPublicKey<V4>>> {
        self.keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .verifying
            .get(kid)
            .cloned()
    }

    fn may_reload(&self) -> bool {
        let mut last = self.last_reload.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() < MIN_RELOAD_GAP {
            return false;
        }
        *last = Instant::now();
        true
    }
}

/// Says at start what an operator should do about the stored keys.
fn log_storage(rows: &[db::keys::KeyRow], sealing: &Sealing, external: bool) {
    let active = rows.iter().filter(|r| r.retired_at.is_none()).count();
    if external && active > 0 {
        tracing::warn!(
            keys = active,
            "a signing key is supplied (GATEHOUSE_SIGNING_KEY), and keys in the database still \
             verify the tokens they signed: once those have expired (GATEHOUSE_ACCESS_TOKEN_TTL), \
             run `gatehouse keys retire-stored`"
        );
    }
    let clear = rows
        .iter()
        .filter(|r| Stored::of(&r.secret_key) == Stored::Clear)
        .count();
    match sealing.current() {
        None if clear > 0 => tracing::warn!(
            keys = clear,
            "GATEHOUSE_KEY_ENCRYPTION_KEY is not set: private signing keys in the database are \
             stored in the clear"
        ),
        None => {}
        Some(_) => {
            let stale = rows
                .iter()
                .filter(|r| !sealing.is_current(&r.secret_key))
                .count();
            if stale > 0 {
                tracing::warn!(
                    keys = stale,
                    "some private signing keys are not sealed under GATEHOUSE_KEY_ENCRYPTION_KEY: \
                     run `gatehouse keys reseal`"
                );
            }
        }
    }
}

/// Adds a new key generation; it signs from the next (re)load on. Returns
/// its id. The private key is sealed under the current encryption key, if
/// any; with none, on a database that holds sealed keys, nothing is added.
pub async fn rotate(db: &Db, sealing: &Sealing) -> anyhow::Result<String> {
    // Another process may take the same generation number: try the next.
    for _ in 0..5 {
        let rows = db::keys::all(db).await.map_err(to_anyhow)?;
        let next = rows.last().map_or(1, |r| r.seq + 1);
        if let Some(kid) = add_generation(db, &rows, sealing, next).await? {
            return Ok(kid);
        }
    }
    anyhow::bail!("could not add a key generation: too much contention")
}

/// Stores a new key as generation `seq`: its id, or `None` when that
/// generation exists already (another process took the number).
async fn add_generation(
    db: &Db,
    rows: &[db::keys::KeyRow],
    sealing: &Sealing,
    seq: i64,
) -> anyhow::Result<Option<String>> {
    if sealing.current().is_none()
        && rows
            .iter()
            .any(|r| matches!(Stored::of(&r.secret_key), Stored::Sealed(_)))
    {
        return Err(config_error(
            "the database holds sealed private keys, but GATEHOUSE_KEY_ENCRYPTION_KEY (or \
             GATEHOUSE_KEY_ENCRYPTION_KEY_FILE) is not set: a new key would be stored in the clear",
        ));
    }
    let kp = AsymmetricKeyPair::<V4>::generate().context("generating a signing key")?;
    let kid = kid_of(&kp.public);
    let stored = sealing.seal(&kid, kp.secret.as_bytes())?;
    let stored = Zeroizing::new(stored);
    let inserted =
        db::keys::insert_generation(db, seq, &kid, &stored, kp.public.as_bytes(), crate::now())
            .await
            .map_err(to_anyhow)?;
    Ok(inserted.then_some(kid))
}

/// Retires a key: tokens it signed stop verifying at once, everywhere.
/// Refuses to retire the last active key (rotate first), unless a supplied
/// key signs (`external_signs`): then every stored key may go.
pub async fn retire(db: &Db, kid: &str, external_signs: bool) -> anyhow::Result<()> {
    let rows = db::keys::all(db).await.map_err(to_anyhow)?;
    let active: Vec<_> = rows.iter().filter(|r| r.retired_at.is_none()).collect();
    if !rows.iter().any(|r| r.kid == kid) {
        anyhow::bail!("no key with id {kid} in the database");
    }
    if !active.iter().any(|r| r.kid == kid) {
        anyhow::bail!("key {kid} is already retired");
    }
    if active.len() == 1 && !external_signs {
        anyhow::bail!("key {kid} is the only active key: run `gatehouse keys rotate` first");
    }
    db::keys::retire(db, kid, crate::now())
        .await
        .map_err(to_anyhow)?;
    Ok(())
}

/// Retires every key in the database, for a deployment that has moved to a
/// supplied key (`external_signs` must be true: otherwise nothing would be
/// left to sign with). Returns the ids retired.
pub async fn retire_stored(db: &Db, external_signs: bool) -> anyhow::Result<Vec<String>> {
    if !external_signs {
        return Err(config_error(
            "no signing key is supplied (GATEHOUSE_SIGNING_KEY or GATEHOUSE_SIGNING_KEY_FILE): \
             retiring every stored key would leave none to sign with",
        ));
    }
    db::keys::retire_all(db, crate::now())
        .await
        .map_err(to_anyhow)
}

/// What `reseal` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Keys sealed (from the clear, or from the old encryption key).
    pub sealed: Vec<String>,
    /// Keys that were sealed under the current encryption key already.
    pub unchanged: usize,
    /// Retired keys that did not open (sealed under an encryption key not
    /// given), left as they are: they never sign or verify again.
    pub skipped: Vec<String>,
}

/// Seals every stored private key (retired ones too) under the current
/// encryption key: clear keys, and keys sealed under the old one. Opens
/// every key before writing any, so an active key that cannot be opened
/// (sealed under an encryption key not given) changes nothing; a retired
/// one is skipped and reported.
pub async fn reseal(db: &Db, sealing: &Sealing) -> anyhow::Result<Resealed> {
    if sealing.current().is_none() {
        return Err(config_error(
            "GATEHOUSE_KEY_ENCRYPTION_KEY (or GATEHOUSE_KEY_ENCRYPTION_KEY_FILE) is not set: \
             there is no key to seal with (`gatehouse keys generate-encryption-key` makes one)",
        ));
    }
    let rows = db::keys::all(db).await.map_err(to_anyhow)?;
    let mut report = Resealed::default();
    let mut todo = Vec::new();
    for row in &rows {
        if sealing.is_current(&row.secret_key) {
            report.unchanged += 1;
            continue;
        }
        let secret = match sealing.open(&row.kid, &row.secret_key) {
            Ok(secret) => secret,
            Err(_) if row.retired_at.is_some() => {
                report.skipped.push(row.kid.clone());
                continue;
            }
            Err(e) => return Err(e),
        };
        let sealed = Zeroizing::new(sealing.seal(&row.kid, &secret)?);
        // Never write what would not open again.
        anyhow::ensure!(
            *sealing.open(&row.kid, &sealed)? == *secret,
            "sealing key {} did not round-trip",
            row.kid
        );
        todo.push((row, sealed));
    }
    for (row, sealed) in todo {
        let replaced = db::keys::replace_secret(db, &row.kid, &row.secret_key, &sealed)
            .await
            .map_err(to_anyhow)?;
        if replaced {
            report.sealed.push(row.kid.clone());
        } else {
            // Changed meanwhile (another `reseal`): leave it to that one.
            report.unchanged += 1;
        }
    }
    Ok(report)
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

fn parse_external(paserk: &str) -> anyhow::Result<External> {
    let secret = AsymmetricSecretKey::<V4>::try_from(paserk.trim())
        .map_err(|_| config_error("the supplied signing key is not a PASERK k4.secret string"))?;
    let public = AsymmetricPublicKey::<V4>::try_from(&secret)
        .map_err(|_| config_error("the supplied signing key is malformed"))?;
    let kid = kid_of(&public);
    Ok(External {
        signing: Arc::new(SigningKey::new(kid, secret)?),
        public: Arc::new(public),
    })
}

/// The keys in use from the stored `rows`: a supplied key signs when there
/// is one, else the newest active stored key (kept from `previous` when it
/// is the same, so a reload does not open it again).
fn build(
    rows: &[db::keys::KeyRow],
    external: Option<&External>,
    sealing: &Sealing,
    previous: Option<Arc<SigningKey>>,
) -> anyhow::Result<Keys> {
    let mut verifying = HashMap::new();
    let mut newest = None;
    for row in rows.iter().filter(|r| r.retired_at.is_none()) {
        let public = AsymmetricPublicKey::<V4>::from(&row.public_key)
            .with_context(|| format!("stored public key {} is malformed", row.kid))?;
        verifying.insert(row.kid.clone(), Arc::new(public));
        newest = Some(row);
    }
    let signing = match (external, newest) {
        (Some(e), _) => {
            verifying.insert(e.signing.kid.clone(), e.public.clone());
            e.signing.clone()
        }
        (None, Some(row)) => match previous {
            Some(p) if p.kid == row.kid => p,
            _ => Arc::new(SigningKey::new(row.kid.clone(), open_row(sealing, row)?)?),
        },
        (None, None) => anyhow::bail!("no active signing key in the database"),
    };
    Ok(Keys { signing, verifying })
}

fn to_anyhow(e: crate::error::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek() -> EncryptionKey {
        EncryptionKey::parse(&EncryptionKey::generate().unwrap()).unwrap()
    }

    fn kek_text() -> (String, EncryptionKey) {
        let text = EncryptionKey::generate().unwrap();
        let key = EncryptionKey::parse(&text).unwrap();
        (text, key)
    }

    /// Processes (here: tasks) starting together on an empty database, some
    /// of them reading the table only after another has inserted its key,
    /// must end up with exactly one key, all signing with it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn starts_at_once_on_an_empty_database_make_exactly_one_key() {
        for _ in 0..10 {
            let (_dir, db) = crate::db::scratch_sqlite().await;
            let starts: Vec<_> = (0..8)
                .map(|_| {
                    let db = db.clone();
                    tokio::spawn(async move { KeyRing::load(&db, None).await.unwrap() })
                })
                .collect();
            let mut signing = Vec::new();
            for s in starts {
                signing.push(s.await.unwrap().signing().kid.clone());
            }
            assert_eq!(db::keys::all(&db).await.unwrap().len(), 1);
            assert!(signing.windows(2).all(|w| w[0] == w[1]), "{signing:?}");
        }
    }

    /// Anonymous callers of `/.well-known/paseto-keys` share one re-read
    /// per gap: a burst of them is not a burst of queries.
    #[tokio::test]
    async fn reloads_on_request_are_at_most_one_per_gap() {
        let (_dir, db) = crate::db::scratch_sqlite().await;
        let ring = KeyRing::load(&db, None).await.unwrap();
        *ring.last_reload.lock().unwrap() = Instant::now() - MIN_RELOAD_GAP;
        assert!(ring.reload_if_due().await.unwrap());
        for _ in 0..100 {
            assert!(!ring.reload_if_due().await.unwrap());
        }
    }

    /// With every key retired, a start adds the next generation, once.
    #[tokio::test]
    async fn a_start_with_every_key_retired_adds_one_generation() {
        let (_dir, db) = crate::db::scratch_sqlite().await;
        let first = KeyRing::load(&db, None)
            .await
            .unwrap()
            .signing()
            .kid
            .clone();
        db::keys::retire(&db, &first, crate::now()).await.unwrap();
        let ring = KeyRing::load(&db, None).await.unwrap();
        let rows = db::keys::all(&db).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].seq, 2);
        assert_eq!(ring.signing().kid, rows[1].kid);
    }

    #[test]
    fn encryption_keys_are_32_bytes_of_base64url_and_errors_never_echo_them() {
        let (text, key) = kek_text();
        assert_eq!(text.len(), 43);
        assert_eq!(
            EncryptionKey::parse(&format!(" {text}=\n")).unwrap().id,
            key.id
        );
        for bad in [
            "",
            "short",
            &text[..42],
            &format!("{text}AA"),
            &text.replace(|c: char| c.is_ascii_alphabetic(), "+"),
        ] {
            // A fixed message: never the value given.
            assert_eq!(
                EncryptionKey::parse(bad).unwrap_err(),
                EncryptionKey::FORMAT
            );
        }
        assert!(!format!("{key:?}").contains(&text));
        assert_ne!(kek().id, key.id);
    }

    /// The sealed form: version prefix, the encryption key's id, nothing of
    /// the secret in it; it opens only for the key id it was sealed for.
    #[test]
    fn a_sealed_key_carries_its_format_and_opens_only_for_its_own_key_id() {
        let kp = AsymmetricKeyPair::<V4>::generate().unwrap();
        let kid = kid_of(&kp.public);
        let secret = kp.secret.as_bytes();
        let sealing = Sealing::new(Some(kek()), None);
        let sealed = sealing.seal(&kid, secret).unwrap();
        assert_eq!(sealed.len(), SEALED_LEN);
        assert!(sealed.starts_with(b"ghsk\x01"));
        assert_eq!(
            Stored::of(&sealed),
            Stored::Sealed(sealing.current().unwrap().id)
        );
        assert!(!sealed
            .windows(16)
            .any(|w| secret[..32].windows(16).any(|s| s == w)));
        assert_eq!(&*sealing.open(&kid, &sealed).unwrap(), secret);
        // Two seals of one key differ (random nonces).
        assert_ne!(sealing.seal(&kid, secret).unwrap(), sealed);

        // Moved to another row: does not open.
        let e = sealing.open("k4.pid.other", &sealed).unwrap_err();
        assert!(
            is_config_error(&e) && e.to_string().contains("copied"),
            "{e}"
        );
        // One bit changed: does not open.
        let mut tampered = sealed.clone();
        tampered[SEALED_LEN - 20] ^= 1;
        assert!(sealing.open(&kid, &tampered).is_err());
        // No encryption key, or another one: named, not a panic.
        let e = Sealing::clear().open(&kid, &sealed).unwrap_err();
        assert!(
            e.to_string().contains("GATEHOUSE_KEY_ENCRYPTION_KEY"),
            "{e}"
        );
        let other = Sealing::new(Some(kek()), None);
        let e = other.open(&kid, &sealed).unwrap_err();
        assert!(
            e.to_string().contains("not under the configured one"),
            "{e}"
        );
        // As the old key, it still opens.
        let Sealing { current, .. } = sealing;
        let rolled = Sealing {
            current: other.current.clone(),
            old: current,
        };
        assert_eq!(&*rolled.open(&kid, &sealed).unwrap(), secret);
        // Clear keys open as they are; anything else is malformed.
        assert_eq!(&*Sealing::clear().open(&kid, secret).unwrap(), secret);
        assert!(Sealing::clear().open(&kid, b"junk").is_err());
    }

    /// A database holding sealed keys and no encryption key configured: a
    /// clear error at start, and no clear key added beside the sealed ones.
    #[tokio::test]
    async fn sealed_keys_without_the_encryption_key_stop_the_start_with_a_clear_error() {
        let (_dir, db) = crate::db::scratch_sqlite().await;
        let sealing = Sealing::new(Some(kek()), None);
        let kid = rotate(&db, &sealing).await.unwrap();
        let stored = &db::keys::all(&db).await.unwrap()[0].secret_key;
        assert!(matches!(Stored::of(stored), Stored::Sealed(_)));

        let e = KeyRing::load(&db, None).await.err().unwrap();
        assert!(is_config_error(&e), "{e:#}");
        assert!(format!("{e:#}").contains(&kid), "{e:#}");
        let e = rotate(&db, &Sealing::clear()).await.unwrap_err();
        assert!(is_config_error(&e), "{e:#}");
        assert_eq!(db::keys::all(&db).await.unwrap().len(), 1);
        let e = KeyRing::load_with(&db, None, Sealing::new(Some(kek()), None), 300)
            .await
            .err()
            .unwrap();
        assert!(
            format!("{e}").contains("not under the configured one"),
            "{e}"
        );
        let ring = KeyRing::load_with(&db, None, sealing, 300).await.unwrap();
        assert_eq!(ring.signing().kid, kid);
    }

    /// `reseal`: clear keys get sealed, keys under the old encryption key
    /// move to the new one, and the key ids (so issued tokens) stay.
    #[tokio::test]
    async fn reseal_seals_clear_keys_and_moves_keys_to_a_new_encryption_key() {
        let (_dir, db) = crate::db::scratch_sqlite().await;
        let first = rotate(&db, &Sealing::clear()).await.unwrap();
        let second = rotate(&db, &Sealing::clear()).await.unwrap();
        db::keys::retire(&db, &first, crate::now()).await.unwrap();
        let (a_text, a) = kek_text();
        let a_id = a.id;
        let done = reseal(&db, &Sealing::new(Some(a), None)).await.unwrap();
        assert_eq!(done.sealed, vec![first.clone(), second.clone()]);
        for row in db::keys::all(&db).await.unwrap() {
            assert_eq!(Stored::of(&row.secret_key), Stored::Sealed(a_id));
        }
        // Again: nothing to do.
        let a = EncryptionKey::parse(&a_text).unwrap();
        let again = reseal(&db, &Sealing::new(Some(a), None)).await.unwrap();
        assert_eq!((again.sealed.len(), again.unchanged), (0, 2));

        // A new encryption key without the old one: refused (the active key
        // does not open), nothing written.
        let (b_text, b) = kek_text();
        let b_id = b.id;
        assert!(reseal(&db, &Sealing::new(Some(b), None)).await.is_err());
        assert!(db::keys::all(&db)
            .await
            .unwrap()
            .iter()
            .all(|r| Stored::of(&r.secret_key) == Stored::Sealed(a_id)));
        // With the old one given: moved.
        let rolled = Sealing::new(
            Some(EncryptionKey::parse(&b_text).unwrap()),
            Some(EncryptionKey::parse(&a_text).unwrap()),
        );
        let done = reseal(&db, &rolled).await.unwrap();
        assert_eq!(done.sealed.len(), 2);
        for row in db::keys::all(&db).await.unwrap() {
            assert_eq!(Stored::of(&row.secret_key), Stored::Sealed(b_id));
        }
        let only_new = Sealing::new(Some(EncryptionKey::parse(&b_text).unwrap()), None);
        let ring = KeyRing::load_with(&db, None, only_new, 300).await.unwrap();
        assert_eq!(ring.signing().kid, second);
        // Without an encryption key there is nothing to seal with.
        assert!(is_config_error(
            &reseal(&db, &Sealing::clear()).await.unwrap_err()
        ));
    }

    /// A retired key sealed under an encryption key nobody gives any more
    /// does not block re-sealing the others.
    #[tokio::test]
    async fn reseal_skips_retired_keys_it_cannot_open() {
        let (_dir, db) = crate::db::scratch_sqlite().await;
        let lost = rotate(&db, &Sealing::new(Some(kek()), None)).await.unwrap();
        db::keys::retire(&db, &lost, crate::now()).await.unwrap();
        let b = Sealing::new(Some(kek()), None);
        rotate(&db, &b).await.unwrap();
        let done = reseal(&db, &b).await.unwrap();
        assert_eq!((done.sealed.len(), done.unchanged), (0, 1));
        assert_eq!(done.skipped, vec![lost]);
    }

    /// With a supplied key, stored keys only verify: any of them, the last
    /// one too, may be retired, and `retire_stored` retires them all.
    #[tokio::test]
    async fn with_a_supplied_key_every_stored_key_can_be_retired() {
        let (_dir, db) = crate::db::scratch_sqlite().await;
        let stored = rotate(&db, &Sealing::clear()).await.unwrap();
        let supplied = generate_paserk_secret().unwrap();
        let ring = KeyRing::load(&db, Some(&supplied)).await.unwrap();
        assert_eq!(ring.signing().kid, external_kid(&supplied).unwrap());
        assert!(ring.lookup(&stored).is_some());

        let e = retire(&db, &stored, false).await.unwrap_err();
        assert!(e.to_string().contains("only active key"), "{e}");
        retire(&db, &stored, true).await.unwrap();
        ring.reload().await.unwrap();
        assert!(ring.lookup(&stored).is_none());

        let more = [
            rotate(&db, &Sealing::clear()).await.unwrap(),
            rotate(&db, &Sealing::clear()).await.unwrap(),
        ];
        assert!(is_config_error(
            &retire_stored(&db, false).await.unwrap_err()
        ));
        assert_eq!(retire_stored(&db, true).await.unwrap(), more);
        assert!(db::keys::all(&db)
            .await
            .unwrap()
            .iter()
            .all(|r| r.retired_at.is_some()));
        assert!(retire_stored(&db, true).await.unwrap().is_empty());
    }
}
