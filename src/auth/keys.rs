//! Signing keys for access tokens: Ed25519 pairs kept in the database, so a
//! restart (or another instance) keeps issued tokens valid.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use pasetors::footer::Footer;
use pasetors::keys::{AsymmetricKeyPair, AsymmetricPublicKey, AsymmetricSecretKey, Generate};
use pasetors::paserk::{FormatAsPaserk, Id};
use pasetors::version4::V4;

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

struct Keys {
    signing: Arc<SigningKey>,
    verifying: HashMap<String, Arc<AsymmetricPublicKey<V4>>>,
}

/// The keys in use: the newest non-retired key signs; every non-retired key
/// verifies. Unknown key ids trigger a (throttled) reload, so a key added by
/// another instance is picked up without a restart.
pub struct KeyRing {
    db: Db,
    keys: RwLock<Keys>,
    last_reload: Mutex<Instant>,
}

const RELOAD_INTERVAL: Duration = Duration::from_secs(1);

impl KeyRing {
    /// Loads the keys, generating the first one if the database has none.
    /// Safe when several processes start at once: one key wins.
    pub async fn load_or_create(db: &Db) -> anyhow::Result<Self> {
        let mut rows = db::keys::all(db).await.map_err(to_anyhow)?;
        if !rows.iter().any(|r| r.retired_at.is_none()) {
            let next = rows.last().map_or(1, |r| r.seq + 1);
            let kp = AsymmetricKeyPair::<V4>::generate().context("generating a signing key")?;
            let kid = kid_of(&kp.public);
            db::keys::insert_generation(
                db,
                next,
                &kid,
                kp.secret.as_bytes(),
                kp.public.as_bytes(),
                crate::now(),
            )
            .await
            .map_err(to_anyhow)?;
            rows = db::keys::all(db).await.map_err(to_anyhow)?;
        }
        let keys = build(&rows)?;
        Ok(Self {
            db: db.clone(),
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

    /// Re-reads the keys from the database.
    pub async fn reload(&self) -> Result<()> {
        let rows = db::keys::all(&self.db).await?;
        match build(&rows) {
            Ok(keys) => *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys,
            Err(e) => tracing::error!(error = ?e, "signing keys could not be reloaded"),
        }
        Ok(())
    }

    fn lookup(&self, kid: &str) -> Option<Arc<AsymmetricPublicKey<V4>>> {
        self.keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .verifying
            .get(kid)
            .cloned()
    }

    /// At most one reload per interval, so a flood of tokens with made-up key
    /// ids cannot turn into a flood of queries.
    fn may_reload(&self) -> bool {
        let mut last = self.last_reload.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() < RELOAD_INTERVAL {
            return false;
        }
        *last = Instant::now();
        true
    }
}

/// The PASERK id (`k4.pid.…`) of a public key.
pub fn kid_of(public: &AsymmetricPublicKey<V4>) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = Id::from(public).fmt(&mut s);
    s
}

fn build(rows: &[db::keys::KeyRow]) -> anyhow::Result<Keys> {
    let mut verifying = HashMap::new();
    let mut signing = None;
    for row in rows.iter().filter(|r| r.retired_at.is_none()) {
        let public = AsymmetricPublicKey::<V4>::from(&row.public_key)
            .with_context(|| format!("stored public key {} is malformed", row.kid))?;
        verifying.insert(row.kid.clone(), Arc::new(public));
        signing = Some(row);
    }
    let row = signing.context("no active signing key in the database")?;
    let secret = AsymmetricSecretKey::<V4>::from(&row.secret_key)
        .with_context(|| format!("stored secret key {} is malformed", row.kid))?;
    let mut footer = Footer::new();
    footer
        .parse_string(&format!("{{\"kid\":\"{}\"}}", row.kid))
        .context("building the token footer")?;
    let footer = footer
        .to_string()
        .context("building the token footer")?
        .into_bytes();
    Ok(Keys {
        signing: Arc::new(SigningKey {
            kid: row.kid.clone(),
            footer,
            secret,
        }),
        verifying,
    })
}

fn to_anyhow(e: crate::error::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}
