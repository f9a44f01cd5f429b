//! Signing keys for access tokens: Ed25519 pairs kept in the database, so a
//! restart (or another instance) keeps issued tokens valid; or one supplied
//! by the deployment (environment or file), never stored.
//!
//! Rotation: `rotate` adds a generation; the newest non-retired key signs and
//! every non-retired key verifies. `retire` ends a key. The in-memory ring is
//! refreshed on an unknown key id and every few seconds; whether a token's key
//! is retired is checked exactly, in the same query that loads the caller.

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
    keys: RwLock<Keys>,
    last_reload: Mutex<Instant>,
}

/// Fewest seconds between two reloads caused by unknown key ids, so a flood
/// of tokens with made-up ids cannot become a flood of queries.
const MIN_RELOAD_GAP: Duration = Duration::from_secs(1);

impl KeyRing {
    /// Loads the keys, generating the first one if the database has none
    /// (safe when several processes start at once: one key wins).
    /// `external`, a PASERK `k4.secret.…` string, signs instead when given.
    pub async fn load(db: &Db, external: Option<&str>) -> anyhow::Result<Self> {
        let external = external.map(parse_external).transpose()?;
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
            add_generation(db, next).await?;
            rows = db::keys::all(db).await.map_err(to_anyhow)?;
        }
        let keys = build(&rows, external.as_ref())?;
        Ok(Self {
            db: db.clone(),
            external,
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

    /// Re-reads the keys from the database.
    pub async fn reload(&self) -> Result<()> {
        let rows = db::keys::all(&self.db).await?;
        match build(&rows, self.external.as_ref()) {
            Ok(keys) => *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys,
            Err(e) => tracing::error!(error = ?e, "signing keys could not be reloaded"),
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

/// Adds a new key generation; it signs from the next (re)load on. Returns its id.
pub async fn rotate(db: &Db) -> anyhow::Result<String> {
    // Another process may take the same generation number: try the next.
    for _ in 0..5 {
        let rows = db::keys::all(db).await.map_err(to_anyhow)?;
        let next = rows.last().map_or(1, |r| r.seq + 1);
        if let Some(kid) = add_generation(db, next).await? {
            return Ok(kid);
        }
    }
    anyhow::bail!("could not add a key generation: too much contention")
}

/// Stores a new key as generation `seq`: its id, or `None` when that
/// generation exists already (another process took the number).
async fn add_generation(db: &Db, seq: i64) -> anyhow::Result<Option<String>> {
    let kp = AsymmetricKeyPair::<V4>::generate().context("generating a signing key")?;
    let kid = kid_of(&kp.public);
    let inserted = db::keys::insert_generation(
        db,
        seq,
        &kid,
        kp.secret.as_bytes(),
        kp.public.as_bytes(),
        crate::now(),
    )
    .await
    .map_err(to_anyhow)?;
    Ok(inserted.then_some(kid))
}

/// Retires a key: tokens it signed stop verifying at once, everywhere.
/// Refuses to retire the last active key (rotate first).
pub async fn retire(db: &Db, kid: &str) -> anyhow::Result<()> {
    let rows = db::keys::all(db).await.map_err(to_anyhow)?;
    let active: Vec<_> = rows.iter().filter(|r| r.retired_at.is_none()).collect();
    if !rows.iter().any(|r| r.kid == kid) {
        anyhow::bail!("no key with id {kid}");
    }
    if !active.iter().any(|r| r.kid == kid) {
        anyhow::bail!("key {kid} is already retired");
    }
    if active.len() == 1 {
        anyhow::bail!("key {kid} is the only active key: run `gatehouse keys rotate` first");
    }
    db::keys::retire(db, kid, crate::now())
        .await
        .map_err(to_anyhow)?;
    Ok(())
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
    let secret = AsymmetricSecretKey::<V4>::try_from(paserk.trim()).map_err(|_| {
        anyhow::anyhow!("the supplied signing key is not a PASERK k4.secret string")
    })?;
    let public = AsymmetricPublicKey::<V4>::try_from(&secret)
        .map_err(|_| anyhow::anyhow!("the supplied signing key is malformed"))?;
    let kid = kid_of(&public);
    Ok(External {
        signing: Arc::new(SigningKey::new(kid, secret)?),
        public: Arc::new(public),
    })
}

fn build(rows: &[db::keys::KeyRow], external: Option<&External>) -> anyhow::Result<Keys> {
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
        (None, Some(row)) => {
            let secret = AsymmetricSecretKey::<V4>::from(&row.secret_key)
                .with_context(|| format!("stored secret key {} is malformed", row.kid))?;
            Arc::new(SigningKey::new(row.kid.clone(), secret)?)
        }
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
}
