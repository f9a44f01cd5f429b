//! The key ring: the keys that sign and verify now, loaded from the
//! database (or supplied), re-read on an unknown key id and every few
//! seconds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use pasetors::keys::{AsymmetricPublicKey, AsymmetricSecretKey};
use pasetors::version4::V4;
use secrecy::ExposeSecret as _;

use super::rotation::add_generation;
use super::seal::{Sealing, Stored};
use super::{config_error, kid_of, paserk_public, to_anyhow, SigningKey};
use crate::config::Config;
use crate::db::{self, Db};
use crate::error::Result;

/// A key supplied by the deployment instead of the database.
pub(super) struct External {
    pub(super) signing: Arc<SigningKey>,
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
    pub(super) last_reload: Mutex<Instant>,
}

/// Fewest seconds between two reloads caused by unknown key ids, so a flood
/// of tokens with made-up ids cannot become a flood of queries.
pub(super) const MIN_RELOAD_GAP: Duration = Duration::from_secs(1);

impl KeyRing {
    /// Loads the keys as `config` says: the supplied signing key if any, the
    /// encryption keys, the access-token lifetime. Fails with a
    /// [`KeyConfigError`](super::KeyConfigError) when a key that may sign cannot be opened.
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

    pub(super) async fn load_with(
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
            // The first key: provisioning, no rotation to record.
            add_generation(db, &rows, &sealing, next, &|_| None).await?;
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

    pub(super) fn lookup(&self, kid: &str) -> Option<Arc<AsymmetricPublicKey<V4>>> {
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

pub(super) fn parse_external(paserk: &str) -> anyhow::Result<External> {
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
