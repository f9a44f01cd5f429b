//! Checking passwords: argon2id, and hashes imported from Django (see
//! `django::import`). A Django hash is verified on the password hashing threads
//! (the same slots as argon2, so hashing never runs on more threads than
//! there are slots), and replaced by argon2id on the first success.

use secrecy::{ExposeSecret as _, SecretString};

use crate::auth::password::Verdict;
use crate::django::hash;
use crate::error::Result;
use crate::service::Gatehouse;

impl Gatehouse {
    /// Checks `password` against the Django hash `stored`. On a match the
    /// verdict carries a fresh argon2id hash for the caller to store.
    pub(crate) async fn verify_django_hash(
        &self,
        password: &SecretString,
        stored: &str,
    ) -> Result<Verdict> {
        let (pw, stored) = (password.clone(), stored.to_owned());
        let matched = self
            .hasher
            .run_other(move || hash::verify(pw.expose_secret().as_bytes(), &stored))
            .await?;
        if !matched {
            return Ok(Verdict::Mismatch);
        }
        self.hasher.hash(password).await.map(Verdict::MatchRehashed)
    }
}
