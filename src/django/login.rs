//! Logging in with a Django hash: verified off the async runtime, and
//! replaced by argon2id on the first success.

use std::sync::OnceLock;

use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::Semaphore;

use super::hash;
use crate::auth::password::Verdict;
use crate::error::{Error, Result};
use crate::service::Gatehouse;

impl Gatehouse {
    /// Checks `password` against the Django hash `stored`. On a match the
    /// verdict carries a fresh argon2id hash for the caller to store.
    pub(crate) async fn verify_django_hash(
        &self,
        password: &SecretString,
        stored: &str,
    ) -> Result<Verdict> {
        // At most as many PBKDF2 runs at once as argon2 hashes: each is
        // ~0.3 s of CPU at Django's default cost.
        let slots = SLOTS.get_or_init(|| Semaphore::new(self.config.hash_concurrency.max(1)));
        let matched = {
            let _slot = slots
                .acquire()
                .await
                .map_err(|e| Error::internal(anyhow::anyhow!("Django hash slots: {e}")))?;
            let (pw, stored) = (password.clone(), stored.to_owned());
            tokio::task::spawn_blocking(move || {
                hash::verify(pw.expose_secret().as_bytes(), &stored)
            })
            .await
            .map_err(|e| Error::internal(anyhow::anyhow!("Django hash check failed: {e}")))?
        };
        if !matched {
            return Ok(Verdict::Mismatch);
        }
        self.hasher.hash(password).await.map(Verdict::MatchRehashed)
    }
}

static SLOTS: OnceLock<Semaphore> = OnceLock::new();
