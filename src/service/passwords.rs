//! Checking passwords: argon2id, and hashes imported from Django (see
//! `django::import`). A Django hash is verified on the password hashing threads
//! (the same slots as argon2, so hashing never runs on more threads than
//! there are slots), and replaced by argon2id on the first success.

use secrecy::{ExposeSecret as _, SecretString};

use crate::auth::password::Verdict;
use crate::db::users;
use crate::django::hash;
use crate::error::{Error, Field, Result};
use crate::service::throttle::LoginAttempt;
use crate::service::{AuthUser, Gatehouse};

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

    /// Checks the caller's own password before a sensitive change (a new
    /// password, a new address, deleting the account). It is a password
    /// guess like a login's: counted in the account's login bucket first,
    /// so a stolen access token cannot be used to try passwords
    /// unthrottled; a right password takes its hit back. A wrong one is
    /// BAD_USER_INPUT on `field` ("Your password was entered incorrectly.").
    pub(crate) async fn recheck_password(
        &self,
        me: &AuthUser,
        password: &SecretString,
        field: Field,
    ) -> Result<()> {
        let attempt = self.check_own_password(me, password, field).await?;
        self.login_succeeded(attempt).await
    }

    /// `recheck_password` without taking the hit back: for a change that
    /// needs a code too (`mfa`), the count stays until the code is right,
    /// so a right password never clears the guesses at a code.
    pub(crate) async fn check_own_password(
        &self,
        me: &AuthUser,
        password: &SecretString,
        field: Field,
    ) -> Result<LoginAttempt> {
        let bucket = super::throttle::account_bucket(Some(me.user.id), &me.user.username);
        let attempt = self.login_attempt(bucket, None).await?;
        let stored = users::stored_by_id(&self.db, me.user.id)
            .await?
            .ok_or(Error::TokenInvalid("the user no longer exists"))?;
        let verdict = self
            .hasher
            .verify(password, Some(&stored.password_hash))
            .await?;
        if verdict == Verdict::Mismatch {
            return Err(Error::bad_input(
                field,
                format!("Your {} was entered incorrectly.", field.noun()),
            ));
        }
        Ok(attempt)
    }
}
