//! argon2id password hashing, off the async runtime and bounded in concurrency.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::config::Argon2Config;
use crate::error::{Error, Result};
use crate::metrics::Histogram;

/// Hashes and verifies passwords. Each hash holds `memory_kib` of memory, so
/// at most `concurrency` run at once, on blocking threads so the request path
/// never waits behind them.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    slots: Arc<Semaphore>,
    /// A hash of a random password, verified against when the user is
    /// unknown so that the answer takes as long as for a wrong password.
    dummy: Arc<str>,
    /// How long calls waited for a hashing slot (for `/metrics`).
    slot_wait: Arc<Histogram>,
}

/// The outcome of checking a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Wrong password (or no such user).
    Mismatch,
    /// Right password; the stored hash uses the current parameters.
    Match,
    /// Right password; here is a fresh hash with the current parameters.
    MatchRehashed(String),
}

impl Hasher {
    pub fn new(cfg: Argon2Config, concurrency: usize) -> anyhow::Result<Self> {
        let params = Params::new(cfg.memory_kib, cfg.iterations, cfg.parallelism, None)
            .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let mut random = [0u8; 32];
        getrandom::getrandom(&mut random)?;
        let dummy_password = base64_std(&random);
        let dummy = hash_blocking(&params, dummy_password.as_bytes())
            .map_err(|e| anyhow::anyhow!("argon2 self-test failed: {e:?}"))?;
        Ok(Self {
            params,
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy: dummy.into(),
            slot_wait: Arc::default(),
        })
    }

    /// How long calls have waited for a hashing slot.
    pub fn slot_wait(&self) -> &Histogram {
        &self.slot_wait
    }

    /// Hashes a new password (PHC string with algorithm, parameters and salt).
    pub async fn hash(&self, password: &SecretString) -> Result<String> {
        let params = self.params.clone();
        let password = password.clone();
        self.run(move || hash_blocking(&params, password.expose_secret().as_bytes()))
            .await?
    }

    /// Checks `password` against `stored`, or against the dummy hash when
    /// there is no stored hash (unknown user), doing the same work either way.
    pub async fn verify(&self, password: &SecretString, stored: Option<&str>) -> Result<Verdict> {
        let known = stored.is_some();
        let stored: String = stored
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy.to_string());
        let params = self.params.clone();
        let password = password.clone();
        let verdict = self
            .run(move || verify_blocking(&params, password.expose_secret().as_bytes(), &stored))
            .await??;
        Ok(if known { verdict } else { Verdict::Mismatch })
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let queued = std::time::Instant::now();
        let _slot = self.slots.acquire().await.map_err(Error::internal)?;
        self.slot_wait.observe(queued.elapsed());
        // Keep the caller's span so the hash is attributed to its request.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(f))
            .await
            .map_err(Error::internal)
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_blocking(params: &Params, password: &[u8]) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2(params)
        .hash_password(password, &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(anyhow::anyhow!("argon2 hashing failed: {e}")))
}

fn verify_blocking(params: &Params, password: &[u8], stored: &str) -> Result<Verdict> {
    let parsed = match PasswordHash::new(stored) {
        Ok(p) => p,
        Err(e) => {
            // A corrupt stored hash must not tell the client anything, but the
            // operator needs to know.
            tracing::error!(error = %e, "stored password hash cannot be parsed");
            return Ok(Verdict::Mismatch);
        }
    };
    // Verification uses the parameters recorded in the stored hash.
    if argon2(params).verify_password(password, &parsed).is_err() {
        return Ok(Verdict::Mismatch);
    }
    if is_current(params, &parsed) {
        Ok(Verdict::Match)
    } else {
        hash_blocking(params, password).map(Verdict::MatchRehashed)
    }
}

/// Whether a stored hash uses argon2id, version 0x13 and the configured costs.
fn is_current(params: &Params, parsed: &PasswordHash<'_>) -> bool {
    if parsed.algorithm != Algorithm::Argon2id.ident() || parsed.version != Some(0x13) {
        return false;
    }
    match Params::try_from(parsed) {
        Ok(p) => {
            p.m_cost() == params.m_cost()
                && p.t_cost() == params.t_cost()
                && p.p_cost() == params.p_cost()
        }
        Err(_) => false,
    }
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Argon2Config {
        Argon2Config {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[tokio::test]
    async fn a_hash_is_argon2id_with_the_configured_costs_and_never_the_password() {
        let h = Hasher::new(cheap(), 1).unwrap();
        let hash = h.hash(&secret("correct horse")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert!(!hash.contains("correct horse"));
    }

    #[tokio::test]
    async fn the_right_password_matches_and_a_wrong_one_does_not() {
        let h = Hasher::new(cheap(), 1).unwrap();
        let hash = h.hash(&secret("correct horse")).await.unwrap();
        assert_eq!(
            h.verify(&secret("correct horse"), Some(&hash))
                .await
                .unwrap(),
            Verdict::Match
        );
        assert_eq!(
            h.verify(&secret("wrong horse"), Some(&hash)).await.unwrap(),
            Verdict::Mismatch
        );
    }

    #[tokio::test]
    async fn an_unknown_user_never_matches_even_with_the_dummy_password() {
        let h = Hasher::new(cheap(), 1).unwrap();
        assert_eq!(
            h.verify(&secret(""), None).await.unwrap(),
            Verdict::Mismatch
        );
    }

    #[tokio::test]
    async fn a_hash_with_outdated_costs_is_rehashed_on_a_match() {
        let old = Hasher::new(cheap(), 1).unwrap();
        let hash = old.hash(&secret("correct horse")).await.unwrap();
        let new = Hasher::new(
            Argon2Config {
                memory_kib: 128,
                ..cheap()
            },
            1,
        )
        .unwrap();
        match new
            .verify(&secret("correct horse"), Some(&hash))
            .await
            .unwrap()
        {
            Verdict::MatchRehashed(fresh) => {
                assert!(
                    fresh.starts_with("$argon2id$v=19$m=128,t=1,p=1$"),
                    "{fresh}"
                );
                assert_eq!(
                    new.verify(&secret("correct horse"), Some(&fresh))
                        .await
                        .unwrap(),
                    Verdict::Match
                );
            }
            other => panic!("expected a rehash, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_is_a_mismatch_not_an_error() {
        let h = Hasher::new(cheap(), 1).unwrap();
        assert_eq!(
            h.verify(&secret("x"), Some("not a hash")).await.unwrap(),
            Verdict::Mismatch
        );
    }
}
