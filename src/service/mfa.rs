//! The second factor: turning TOTP on (a secret, then a first code) and
//! off, recovery codes, the code step of a login (`login_mfa`), and a
//! superuser's reset. Re-authentication and the freshness rule for
//! sensitive changes are in `reauth.rs`.
//!
//! A code is a guess like a password: every check is counted in the
//! account's login bucket first (`login_attempt`), and a right password
//! never takes back the count of a code still to come.

use crate::auth::tokens::Amr;
use crate::auth::{refresh, totp};
use crate::db::{mfa, users};
use crate::error::{Error, Field, Result};
use crate::metrics::Metrics;
use crate::service::admin::Actor;
use crate::service::events::EventKind;
use crate::service::throttle::account_bucket;
use crate::service::{AuthUser, Device, Gatehouse, Issued, User};

/// How long a login challenge lasts.
pub const CHALLENGE_TTL_SECS: i64 = 300;
/// Codes that may be tried with one challenge (each also counts in the
/// account's login bucket).
pub const CHALLENGE_ATTEMPTS: i64 = 5;
/// Longer than any code, however typed: refused before any work.
const MAX_CODE_BYTES: usize = 64;

/// A TOTP secret to enrol, in the forms an authenticator app takes.
pub struct TotpEnrolment {
    /// Base32, for typing in.
    pub secret: String,
    /// `otpauth://totp/…`.
    pub otpauth_uri: String,
    /// The URI as an SVG QR code in a `data:` URI.
    pub qr_code: String,
}

fn already_on() -> Error {
    Error::StateConflict("A second factor is already on: turn it off first.")
}

fn not_on() -> Error {
    Error::StateConflict("No second factor is on.")
}

fn nothing_pending() -> Error {
    Error::StateConflict("No enrolment is waiting for a code: start one first (`mfaTotpBegin`).")
}

fn wrong_code() -> Error {
    Error::bad_input(
        Field::Code,
        "The code is wrong, or was used already: enter the current code from the authenticator app, or an unused recovery code.",
    )
}

impl Gatehouse {
    /// Starts enrolment: a new secret (replacing one not yet confirmed),
    /// as a URI and a QR code. TOTP is on only once `mfa_totp_confirm`
    /// gets a code.
    ///
    /// Needs a recent authentication, as turning it on does: a stolen
    /// access token must not be enough to put the thief's phone on the
    /// account.
    pub async fn mfa_totp_begin(&self, me: &AuthUser) -> Result<TotpEnrolment> {
        if me.user.mfa_enabled {
            return Err(already_on());
        }
        self.require_recent_auth(me)?;
        let secret = totp::generate_secret()?;
        if !mfa::begin(&self.db, me.user.id, &secret, self.now()).await? {
            return Err(already_on());
        }
        let otpauth_uri = totp::otpauth_uri(&self.config.mfa_issuer, &me.user.username, &secret);
        Ok(TotpEnrolment {
            secret: totp::base32(&secret),
            qr_code: totp::qr_data_uri(&otpauth_uri)?,
            otpauth_uri,
        })
    }

    /// The pending enrolment's QR code as an SVG image (for pages, and
    /// Swagger UI, that show an image). CONFLICT when none is pending.
    pub async fn mfa_totp_qr_svg(&self, me: &AuthUser) -> Result<String> {
        if me.user.mfa_enabled {
            return Err(already_on());
        }
        self.require_recent_auth(me)?;
        let pending = match mfa::totp(&self.db, me.user.id).await? {
            Some(row) if row.confirmed_at.is_none() => row,
            _ => return Err(nothing_pending()),
        };
        let uri = totp::otpauth_uri(&self.config.mfa_issuer, &me.user.username, &pending.secret);
        totp::qr_svg(&uri)
    }

    /// Turns TOTP on with a current code for the pending secret; returns
    /// the recovery codes, shown this once (stored only as hashes).
    pub async fn mfa_totp_confirm(&self, me: &AuthUser, code: &str) -> Result<Vec<String>> {
        if me.user.mfa_enabled {
            return Err(already_on());
        }
        self.require_recent_auth(me)?;
        let attempt = self.code_attempt(me).await?;
        let pending = match mfa::totp(&self.db, me.user.id).await? {
            Some(row) if row.confirmed_at.is_none() => row,
            Some(_) => return Err(already_on()),
            None => return Err(nothing_pending()),
        };
        let now = self.now();
        let typed: String = code.chars().filter(|c| *c != ' ').collect();
        let step = totp::matching_step(&pending.secret, typed.trim(), now, pending.last_step)
            .ok_or_else(wrong_code)?;
        let (codes, hashes) = recovery_codes(me.user.id)?;
        // Every other session ends: its login had no second factor (a
        // thief who had the password keeps nothing).
        let keep = me.claims.session.as_deref().unwrap_or_default();
        let enabled = [self
            .event(EventKind::MfaEnabled, Some(me.user.id))
            .in_session(Some(keep))];
        if !mfa::confirm(
            &self.db,
            me.user.id,
            &pending.secret,
            (step, now),
            &hashes,
            keep,
            &enabled,
        )
        .await?
        {
            // Confirmed, replaced or the step used by a parallel request.
            return Err(wrong_code());
        }
        self.login_succeeded(attempt).await?;
        self.webhooks_queued();
        tracing::info!(user_id = me.user.id, "second factor turned on");
        Ok(codes)
    }

    /// New recovery codes for old ones (a recent authentication and a
    /// current code needed).
    pub async fn mfa_recovery_codes_regenerate(
        &self,
        me: &AuthUser,
        code: &str,
    ) -> Result<Vec<String>> {
        self.require_recent_auth(me)?;
        if !me.user.mfa_enabled {
            return Err(not_on());
        }
        self.recheck_code(me, code).await?;
        let (codes, hashes) = recovery_codes(me.user.id)?;
        let replaced = [self
            .event(EventKind::RecoveryCodesRegenerated, Some(me.user.id))
            .in_session(me.claims.session.as_deref())];
        if !mfa::replace_recovery_codes(&self.db, me.user.id, &hashes, self.now(), &replaced)
            .await?
        {
            return Err(not_on());
        }
        self.webhooks_queued();
        tracing::info!(user_id = me.user.id, "recovery codes replaced");
        Ok(codes)
    }

    /// Turns the second factor off (a recent authentication, the password
    /// and a code or recovery code needed).
    pub async fn mfa_totp_disable(
        &self,
        me: &AuthUser,
        code: &str,
        password: &secrecy::SecretString,
    ) -> Result<User> {
        self.require_recent_auth(me)?;
        if !me.user.mfa_enabled {
            return Err(not_on());
        }
        // The password's hit stays counted unless the code is right too
        // (which forgets the account's count).
        let _counted = self
            .check_own_password(me, password, Field::Password)
            .await?;
        self.recheck_code(me, code).await?;
        let disabled = [self
            .event(EventKind::MfaDisabled, Some(me.user.id))
            .in_session(me.claims.session.as_deref())];
        if !mfa::disable(&self.db, me.user.id, self.now(), false, &disabled).await? {
            return Err(not_on());
        }
        self.webhooks_queued();
        tracing::info!(user_id = me.user.id, "second factor turned off");
        users::by_id(&self.db, me.user.id)
            .await?
            .ok_or(Error::TokenInvalid("the user no longer exists"))
    }

    /// A superuser turns another user's second factor off (a lost phone
    /// and lost codes), and ends every session of theirs. Needs the
    /// superuser's recent authentication (with their own second factor
    /// when on), as turning one's own off does. Logged with who did it.
    /// The operator (the CLI's `users reset-mfa`) may reset anyone's,
    /// their own superuser account's included.
    ///
    /// `user` is the id as the face received it: who may act is settled
    /// before whether it names anyone (FORBIDDEN, then NOT_FOUND).
    pub async fn reset_user_mfa(&self, actor: Actor<'_>, user: &str) -> Result<User> {
        if let Actor::User(actor) = actor {
            if !(actor.user.is_superuser && actor.user.is_staff) {
                return Err(Error::Forbidden);
            }
            self.require_recent_auth(actor)?;
        }
        let user_id = super::admin::parse_user_id(user)?;
        if let Actor::User(actor) = actor {
            if actor.user.id == user_id {
                return Err(Error::ForbiddenBecause(
                    "Not on your own account: turn your second factor off with `mfaTotpDisable`.",
                ));
            }
        }
        if users::by_id(&self.db, user_id).await?.is_none() {
            return Err(Error::NotFound("user"));
        }
        let actor_id = match actor {
            Actor::User(a) => Some(a.user.id),
            Actor::Operator => None,
        };
        let reset = self
            .event(EventKind::MfaDisabled, Some(user_id))
            .with(serde_json::json!({ "reset": true }));
        let reset = match actor_id {
            Some(a) => reset.by(a),
            None => reset.with_operator(),
        };
        let was_on = mfa::disable(&self.db, user_id, self.now(), true, &[reset]).await?;
        self.webhooks_queued();
        tracing::warn!(
            actor_id,
            by = %actor,
            user_id,
            was_on,
            "second factor reset"
        );
        users::by_id(&self.db, user_id)
            .await?
            .ok_or(Error::NotFound("user"))
    }

    /// The answer to a right password on an account with a second factor:
    /// MFA_REQUIRED with a new challenge, bound to the user and their token
    /// version now (a password change or logout-all voids it).
    pub(crate) async fn mfa_challenge(&self, user: &User) -> Result<Error> {
        let (challenge, hash) = refresh::generate_prefixed(totp::CHALLENGE_PREFIX)?;
        let now = self.now();
        mfa::add_challenge(
            &self.db,
            &hash,
            user.id,
            user.token_version,
            now,
            now + CHALLENGE_TTL_SECS,
        )
        .await?;
        Ok(Error::MfaRequired { challenge })
    }

    /// The second step of a login: a challenge from MFA_REQUIRED and a
    /// code (or a recovery code, once). Starts a session like `login`.
    ///
    /// The try is counted on the challenge (at most `CHALLENGE_ATTEMPTS`)
    /// and in the account's and the address's login buckets before the
    /// code is checked; a wrong code is INVALID_CREDENTIALS.
    pub async fn login_mfa(
        &self,
        challenge: &str,
        code: &str,
        device: Device<'_>,
    ) -> Result<Issued> {
        if !refresh::has_shape(challenge, totp::CHALLENGE_PREFIX) {
            return Err(Error::TokenInvalid("malformed challenge"));
        }
        let hash = refresh::hash(challenge);
        let now = self.now();
        let Some(ch) =
            mfa::count_challenge_attempt(&self.db, &hash, now, CHALLENGE_ATTEMPTS).await?
        else {
            return Err(self.challenge_failure(&hash, now).await);
        };
        let bucket = account_bucket(Some(ch.user_id), "");
        let attempt = self
            .login_attempt_of(bucket, device.ip, Some(ch.user_id))
            .await?;
        let user = match users::by_id(&self.db, ch.user_id).await? {
            Some(u) if u.is_active && u.mfa_enabled && u.token_version == ch.token_version => u,
            _ => {
                return Err(Error::TokenInvalid(
                    "the challenge no longer holds: log in again",
                ))
            }
        };
        let Some(amr) = self.verify_second_factor(user.id, code, now).await? else {
            Metrics::inc(&self.metrics.logins_failed);
            self.login_failed(Some(user.id), "wrong_code").await;
            return Err(Error::InvalidCredentials);
        };
        if !mfa::use_challenge(&self.db, &hash, now).await? {
            return Err(Error::TokenInvalid("the challenge was used"));
        }
        self.login_succeeded(attempt).await?;
        Metrics::inc(&self.metrics.logins_succeeded);
        match self.issue_new_session(user, now, device, amr).await {
            Err(Error::TokenInvalid(_)) => Err(Error::InvalidCredentials),
            issued => issued,
        }
    }

    /// Why challenge `hash` could not be counted.
    async fn challenge_failure(&self, hash: &[u8], now: i64) -> Error {
        match mfa::challenge_state(&self.db, hash).await {
            Err(e) => e,
            Ok(None) => Error::TokenInvalid("unknown challenge"),
            Ok(Some(s)) if s.used_at.is_some() => Error::TokenInvalid("the challenge was used"),
            Ok(Some(s)) if s.expires_at <= now => Error::TokenExpired,
            Ok(Some(_)) => {
                Error::TokenInvalid("too many codes were tried with this challenge: log in again")
            }
        }
    }

    /// Checks a code of the caller's for a change of their own, counted
    /// like a password (BAD_USER_INPUT on `code` when wrong).
    pub(crate) async fn recheck_code(&self, me: &AuthUser, code: &str) -> Result<Amr> {
        let attempt = self.code_attempt(me).await?;
        match self
            .verify_second_factor(me.user.id, code, self.now())
            .await?
        {
            Some(amr) => {
                self.login_succeeded(attempt).await?;
                Ok(amr)
            }
            None => Err(wrong_code()),
        }
    }

    /// Counts a code about to be checked in the caller's login bucket.
    async fn code_attempt(&self, me: &AuthUser) -> Result<crate::service::throttle::LoginAttempt> {
        let bucket = account_bucket(Some(me.user.id), &me.user.username);
        self.login_attempt(bucket, None).await
    }

    /// Whether `code` is a current TOTP code of `user_id`'s (not used
    /// before) or one of their unused recovery codes, using it up: how the
    /// user authenticated, or `None`. Not counted here: callers count first.
    async fn verify_second_factor(
        &self,
        user_id: i64,
        code: &str,
        now: i64,
    ) -> Result<Option<Amr>> {
        if code.len() > MAX_CODE_BYTES {
            return Ok(None);
        }
        // As apps show it (`123 456`) or pasted with spaces around.
        let compact: String = code.chars().filter(|c| *c != ' ').collect();
        let code = compact.trim();
        if totp::is_totp_shaped(code) {
            let Some(row) = mfa::totp(&self.db, user_id).await? else {
                return Ok(None);
            };
            if row.confirmed_at.is_none() {
                return Ok(None);
            }
            let Some(step) = totp::matching_step(&row.secret, code, now, row.last_step) else {
                return Ok(None);
            };
            // Of parallel uses of one code, one goes on.
            return Ok(mfa::use_step(&self.db, user_id, step)
                .await?
                .then_some(Amr::PasswordOtp));
        }
        let Some(canonical) = totp::normalize_recovery_code(code) else {
            return Ok(None);
        };
        let hash = totp::recovery_hash(user_id, &canonical);
        let used = [self.event(EventKind::RecoveryCodeUsed, Some(user_id))];
        if !mfa::use_recovery_code(&self.db, user_id, &hash, now, &used).await? {
            return Ok(None);
        }
        self.webhooks_queued();
        tracing::info!(user_id, "recovery code used");
        Ok(Some(Amr::PasswordRecovery))
    }
}

/// New recovery codes and their hashes for `user_id`.
fn recovery_codes(user_id: i64) -> Result<(Vec<String>, Vec<[u8; 32]>)> {
    let codes = totp::generate_recovery_codes()?;
    let hashes = codes
        .iter()
        .map(|c| {
            let canonical = totp::normalize_recovery_code(c).ok_or_else(|| {
                Error::internal(anyhow::anyhow!("a generated code did not read back"))
            })?;
            Ok(totp::recovery_hash(user_id, &canonical))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((codes, hashes))
}
