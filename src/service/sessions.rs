//! Logins and tokens: password login, refresh (rotation and keep-alive),
//! verification, revocation.

use std::net::IpAddr;

use secrecy::SecretString;

use crate::auth::password::Verdict;
use crate::auth::refresh;
use crate::auth::tokens::{self, AccessClaims, Amr};
use crate::db::email_tokens::Effects;
use crate::db::sessions::{self, NewSession};
use crate::db::{refresh_tokens, users};
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::service::events::EventKind;
use crate::service::validate::MAX_PASSWORD_BYTES;
use crate::service::{AuthUser, Gatehouse, StoredUser, User};

/// Tokens handed to a client.
pub struct Issued {
    pub user: User,
    pub token: String,
    pub claims: AccessClaims,
    /// Absent in keep-alive mode, which issues no refresh token.
    pub refresh_token: Option<String>,
    /// Absolute Unix time at which refreshing stops working.
    pub refresh_expires_at: i64,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("user", &self.user)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish_non_exhaustive()
    }
}

/// When and how the user of a session last proved who they are: access
/// tokens carry it (`authTime`, `amr`).
#[derive(Clone, Copy, Debug)]
pub struct Authn {
    pub time: i64,
    pub amr: Amr,
}

impl Authn {
    /// As the claims of `me`'s token say.
    pub fn of(me: &AuthUser) -> Self {
        Self {
            time: me.claims.auth_time,
            amr: me.claims.amr,
        }
    }
}

/// Where a login comes from, as its session records it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Device<'a> {
    /// The client's address (see `auth::client`).
    pub ip: Option<IpAddr>,
    /// The `User-Agent` header.
    pub user_agent: Option<&'a str>,
}

impl Gatehouse {
    fn access_ttl(&self) -> i64 {
        self.config.access_token_ttl.as_secs() as i64
    }

    fn refresh_ttl(&self) -> i64 {
        self.config.refresh_token_ttl.as_secs() as i64
    }

    /// Signs an access token for `user` in the login `session`, never
    /// living past `not_after`.
    pub(crate) fn access_token(
        &self,
        user: &User,
        session: &str,
        (orig_iat, now, not_after): (i64, i64, i64),
        auth: Authn,
    ) -> Result<(String, AccessClaims)> {
        let signing = self.keys.signing();
        let claims = AccessClaims {
            user_id: user.id,
            username: user.username.clone(),
            issued_at: now,
            not_before: now,
            expires_at: (now + self.access_ttl()).min(not_after),
            orig_iat,
            jti: refresh::family_id()?,
            version: user.token_version,
            session: Some(session.to_owned()),
            kid: signing.kid.clone(),
            auth_time: auth.time,
            amr: auth.amr,
        };
        let token = tokens::sign(&signing, &claims)?;
        Ok((token, claims))
    }

    /// A fresh access token and a refresh token starting a new session,
    /// authenticated now by `amr`.
    pub(crate) async fn issue_new_session(
        &self,
        user: User,
        now: i64,
        device: Device<'_>,
        amr: Amr,
    ) -> Result<Issued> {
        let refresh_expires_at = now + self.refresh_ttl();
        let family = refresh::family_id()?;
        let auth = Authn { time: now, amr };
        let (token, claims) = self.access_token(&user, &family, (now, now, i64::MAX), auth)?;
        let (refresh_token, hash) = refresh::generate()?;
        let started = [self
            .event(EventKind::LoginSucceeded, Some(user.id))
            .in_session(Some(&family))
            .with(serde_json::json!({ "amr": amr.stored() }))];
        let stored = sessions::start(
            &self.db,
            &NewSession {
                id: &family,
                user_id: user.id,
                now,
                expires_at: refresh_expires_at,
                user_agent: &super::session_list::user_agent(device.user_agent),
                ip_address: &device
                    .ip
                    .map(super::session_list::network)
                    .unwrap_or_default(),
                token_hash: &hash,
                amr: amr.stored(),
                token_version: user.token_version,
                events: &started,
            },
        )
        .await?;
        self.webhooks_queued();
        if !stored {
            return Err(Error::TokenInvalid(
                "the account's sessions were ended while this one was created",
            ));
        }
        Metrics::inc(&self.metrics.tokens_issued);
        Ok(Issued {
            user,
            token,
            claims,
            refresh_token: Some(refresh_token),
            refresh_expires_at,
        })
    }

    /// New tokens in the caller's session `session` after its other
    /// sessions were ended (a password change): the session goes on with a
    /// fresh pair. TOKEN_INVALID if it has ended meanwhile: a password
    /// change never starts a session of its own.
    pub(crate) async fn resume_session(
        &self,
        user: User,
        session: Option<&str>,
        now: i64,
        auth: Authn,
    ) -> Result<Issued> {
        let session = session.ok_or(Error::TokenInvalid("the token belongs to no session"))?;
        let refresh_expires_at = now + self.refresh_ttl();
        let (refresh_token, hash) = refresh::generate()?;
        let resumed = sessions::resume(
            &self.db,
            session,
            user.id,
            user.token_version,
            &hash,
            now,
            refresh_expires_at,
        )
        .await?;
        if !resumed {
            return Err(Error::TokenInvalid("the session has ended"));
        }
        let (token, claims) = self.access_token(&user, session, (now, now, i64::MAX), auth)?;
        Metrics::inc(&self.metrics.tokens_issued);
        Ok(Issued {
            user,
            token,
            claims,
            refresh_token: Some(refresh_token),
            refresh_expires_at,
        })
    }

    /// Password login by username or email. Every failure (unknown user,
    /// wrong password, inactive account) is the same INVALID_CREDENTIALS after
    /// the same work.
    ///
    /// The attempt is counted against the account and the client's address
    /// first; over either limit the answer is RATE_LIMITED and no password
    /// is checked, however many attempts run at once.
    pub async fn login(
        &self,
        login: &str,
        password: &SecretString,
        device: Device<'_>,
    ) -> Result<Issued> {
        use secrecy::ExposeSecret as _;
        let client = device.ip;
        // No name is that long or holds a NUL (which PostgreSQL cannot
        // even compare): refused before any lookup or count.
        if password.expose_secret().len() > MAX_PASSWORD_BYTES
            || login.len() > 1024
            || login.contains('\0')
        {
            return Err(Error::InvalidCredentials);
        }
        let user = users::by_login(&self.db, login).await?;
        let bucket = super::throttle::account_bucket(user.as_ref().map(|u| u.user.id), login);
        let user_id = user.as_ref().map(|u| u.user.id);
        let attempt = self.login_attempt_of(bucket, client, user_id).await?;
        match self.check_password(user, password).await? {
            Ok(user) if user.mfa_enabled => {
                // The address gets its hit back, but the account's count
                // stays until a code is given (`login_mfa`): a password
                // alone never clears the guesses at a code.
                self.password_step_passed(attempt).await?;
                if self.config.mail.require_verified_email && !user.email_verified {
                    self.login_failed(Some(user.id), "email_not_verified").await;
                    return Err(Error::EmailNotVerified);
                }
                let required = self.mfa_challenge(&user).await?;
                self.record(self.event(EventKind::MfaRequired, Some(user.id)))
                    .await;
                Err(required)
            }
            Ok(user) => {
                self.login_succeeded(attempt).await?;
                // Only once the password is right: the answer tells nothing
                // about the address to someone who does not know it.
                if self.config.mail.require_verified_email && !user.email_verified {
                    self.login_failed(Some(user.id), "email_not_verified").await;
                    return Err(Error::EmailNotVerified);
                }
                Metrics::inc(&self.metrics.logins_succeeded);
                // A password change that committed after the old password
                // was checked: that password no longer logs in.
                match self
                    .issue_new_session(user, self.now(), device, Amr::Password)
                    .await
                {
                    Err(Error::TokenInvalid(_)) => Err(Error::InvalidCredentials),
                    issued => issued,
                }
            }
            Err(reason) => {
                Metrics::inc(&self.metrics.logins_failed);
                self.login_failed(user_id, reason).await;
                Err(Error::InvalidCredentials)
            }
        }
    }

    /// Records a refused login (`reason`: `unknown_user`, `wrong_password`,
    /// `inactive`, `throttled`, …) of `user_id`, if the login named an
    /// account. The name tried is not kept: people type passwords into it.
    pub(crate) async fn login_failed(&self, user_id: Option<i64>, reason: &'static str) {
        let reason = match (user_id, reason) {
            (None, "wrong_password") => "unknown_user",
            (_, reason) => reason,
        };
        self.record(
            self.event(EventKind::LoginFailed, user_id)
                .with(serde_json::json!({ "reason": reason })),
        )
        .await;
    }

    /// `user` if it is active and `password` is its password, recording the
    /// login (and a rehash); else why not (`wrong_password`, `inactive`),
    /// after the same work as for a real user.
    async fn check_password(
        &self,
        user: Option<StoredUser>,
        password: &SecretString,
    ) -> Result<std::result::Result<User, &'static str>> {
        let stored = user.as_ref().map(|u| u.password_hash.as_str());
        let verdict = match stored {
            // Imported from Django: a match brings an argon2id hash to store.
            Some(h) if crate::django::is_django_hash(h) => {
                self.verify_django_hash(password, h).await?
            }
            _ => self.hasher.verify(password, stored).await?,
        };
        let user = user.map(|u| u.user);
        let (mut user, rehashed) = match (user, verdict) {
            (Some(u), Verdict::Match | Verdict::MatchRehashed(_)) if !u.is_active => {
                return Ok(Err("inactive"))
            }
            (Some(u), Verdict::Match) => (u, None),
            (Some(u), Verdict::MatchRehashed(h)) => (u, Some(h)),
            _ => return Ok(Err("wrong_password")),
        };
        let now = self.now();
        users::record_login(&self.db, user.id, now, rehashed.as_deref()).await?;
        user.last_login = Some(now);
        Ok(Ok(user))
    }

    /// Checks an access token and the user behind it: active, the token
    /// not revoked by a later revoke-all or password change, and its
    /// session not ended (one query, or a direct read on SQLite).
    pub async fn authenticate(&self, token: &str) -> Result<AuthUser> {
        let claims = tokens::verify(&self.keys, &self.verified_tokens, token, self.now()).await?;
        let found = users::by_id_with_key(
            &self.db,
            claims.user_id,
            &claims.kid,
            claims.session.as_deref(),
        )
        .await?
        .ok_or(Error::TokenInvalid("the user no longer exists"))?;
        if !found.key_active && !self.keys.is_external(&claims.kid) {
            return Err(Error::TokenInvalid("unknown or retired signing key"));
        }
        let user = found.user;
        if !user.is_active {
            return Err(Error::TokenInvalid("the user is inactive"));
        }
        if user.token_version != claims.version {
            return Err(Error::TokenInvalid("the token has been revoked"));
        }
        if !found.session_live {
            return Err(Error::TokenInvalid("the session has ended"));
        }
        Ok(AuthUser { user, claims })
    }

    /// Keep-alive refresh with an access token: a new access token with the
    /// same `origIat`; the window never extends past `origIat` + refresh lifetime.
    pub async fn refresh_keep_alive(&self, token: &str) -> Result<Issued> {
        let me = self.authenticate(token).await?;
        let now = self.now();
        let window_end = me.claims.orig_iat.saturating_add(self.refresh_ttl());
        if window_end <= now {
            return Err(Error::TokenExpired);
        }
        // The login must go on (`authenticate` checked it too; this also
        // records the use).
        let session = me
            .claims
            .session
            .as_deref()
            .ok_or(Error::TokenInvalid("the token belongs to no session"))?;
        if !sessions::touch(&self.db, session, now).await? {
            return Err(Error::TokenInvalid("the session has ended"));
        }
        let (token, claims) = self.access_token(
            &me.user,
            session,
            (me.claims.orig_iat, now, window_end),
            Authn::of(&me),
        )?;
        Metrics::inc(&self.metrics.tokens_refreshed);
        Ok(Issued {
            user: me.user,
            token,
            claims,
            refresh_token: None,
            refresh_expires_at: window_end,
        })
    }

    /// Rotates a refresh token: the one given becomes used and a new pair is
    /// returned. Presenting a used token again revokes its whole session,
    /// unless it was first used within the reuse interval
    /// (`GATEHOUSE_REFRESH_REUSE_INTERVAL_SECS`): two tabs that refresh with
    /// the same token at once both get a pair in the same session.
    pub async fn refresh_rotate(&self, presented: &str) -> Result<Issued> {
        if !refresh::looks_valid(presented) {
            return Err(Error::TokenInvalid("malformed refresh token"));
        }
        let now = self.now();
        let old_hash = refresh::hash(presented);
        let (new_token, new_hash) = refresh::generate()?;
        let refresh_expires_at = now + self.refresh_ttl();
        // Times are whole seconds: a use in the second `now - interval`
        // counts, so the interval is never shorter than configured (it may
        // be up to a second longer). 0: no use is tolerated.
        let interval = self.config.refresh_reuse_interval_secs as i64;
        let reuse_after = match interval {
            0 => i64::MAX,
            n => now.saturating_sub(n),
        };
        let rotated = refresh_tokens::rotate(
            &self.db,
            &old_hash,
            now,
            &new_hash,
            refresh_expires_at,
            reuse_after,
        )
        .await?;
        let Some(row) = rotated else {
            return Err(self.refresh_failure(&old_hash, now).await);
        };
        let user = match users::by_id(&self.db, row.user_id).await? {
            Some(u) if u.is_active => u,
            _ => {
                let ended = self
                    .event(EventKind::SessionRevoked, None)
                    .in_session(Some(&row.family_id))
                    .with(serde_json::json!({ "reason": "inactive" }));
                sessions::end(&self.db, &row.family_id, None, now, &[ended]).await?;
                return Err(Error::TokenInvalid("the user is inactive"));
            }
        };
        // A revoke-all or password change committed after the rotation: it
        // revoked the new token too, and an access token signed with the
        // version read now would outlive it.
        if user.token_version != row.token_version {
            return Err(Error::TokenInvalid("the refresh token has been revoked"));
        }
        let auth = Authn {
            time: row.auth_time,
            amr: Amr::from_stored(&row.amr),
        };
        let (token, claims) =
            self.access_token(&user, &row.family_id, (now, now, i64::MAX), auth)?;
        Metrics::inc(&self.metrics.tokens_refreshed);
        Ok(Issued {
            user,
            token,
            claims,
            refresh_token: Some(new_token),
            refresh_expires_at,
        })
    }

    /// Why a refresh token could not be rotated; revokes the family on reuse.
    async fn refresh_failure(&self, hash: &[u8], now: i64) -> Error {
        let row = match refresh_tokens::by_hash(&self.db, hash).await {
            Ok(Some(row)) => row,
            Ok(None) => return Error::TokenInvalid("unknown refresh token"),
            Err(e) => return e,
        };
        if row.used_at.is_some() {
            tracing::warn!(
                user_id = row.user_id,
                "refresh token reuse detected; ending its session"
            );
            Metrics::inc(&self.metrics.refresh_reuse_detected);
            let reuse = self
                .event(EventKind::RefreshReuseDetected, Some(row.user_id))
                .in_session(Some(&row.family_id));
            if let Err(e) = sessions::end(&self.db, &row.family_id, None, now, &[reuse]).await {
                return e;
            }
            self.webhooks_queued();
            return Error::TokenReused;
        }
        if row.revoked_at.is_some() {
            return Error::TokenInvalid("the refresh token has been revoked");
        }
        if row.expires_at <= now {
            return Error::TokenExpired;
        }
        Error::TokenInvalid("the refresh token is not usable")
    }

    /// Revokes a refresh token's family. Returns the time of revocation.
    pub async fn revoke_refresh(&self, presented: &str) -> Result<i64> {
        if !refresh::looks_valid(presented) {
            return Err(Error::TokenInvalid("malformed refresh token"));
        }
        let now = self.now();
        let row = refresh_tokens::by_hash(&self.db, &refresh::hash(presented))
            .await?
            .ok_or(Error::TokenInvalid("unknown refresh token"))?;
        let revoked = self
            .event(EventKind::SessionRevoked, Some(row.user_id))
            .in_session(Some(&row.family_id))
            .with(serde_json::json!({ "reason": "logout" }));
        if sessions::end(&self.db, &row.family_id, None, now, &[revoked]).await? {
            self.webhooks_queued();
        }
        Metrics::inc(&self.metrics.tokens_revoked);
        Ok(now)
    }

    /// Whether `token` works now: an access token that authenticates, or a
    /// refresh token that is neither used, revoked nor expired and whose user
    /// is active. A used refresh token is a reuse, as at a refresh: its whole
    /// login is revoked. Database failures are errors; anything else is
    /// `false`.
    pub async fn token_is_live(&self, token: &str) -> Result<bool> {
        if refresh::looks_valid(token) {
            let hash = refresh::hash(token);
            let Some(row) = refresh_tokens::by_hash(&self.db, &hash).await? else {
                return Ok(false);
            };
            let now = self.now();
            if row.used_at.is_some() {
                return match self.refresh_failure(&hash, now).await {
                    e @ (Error::Unavailable | Error::Internal(_)) => Err(e),
                    _ => Ok(false),
                };
            }
            if row.revoked_at.is_some() || row.expires_at <= now {
                return Ok(false);
            }
            let user = users::by_id(&self.db, row.user_id).await?;
            return Ok(user.is_some_and(|u| u.is_active));
        }
        match self.authenticate(token).await {
            Ok(_) => Ok(true),
            Err(e @ (Error::Unavailable | Error::Internal(_))) => Err(e),
            Err(_) => Ok(false),
        }
    }

    /// Logs the caller out everywhere: every access and refresh token ends.
    pub async fn revoke_all(&self, me: &AuthUser) -> Result<i64> {
        let now = self.now();
        let events = [self
            .event(EventKind::LogoutAll, Some(me.user.id))
            .in_session(me.claims.session.as_deref())];
        let effects = Effects {
            events: &events,
            ..Default::default()
        };
        users::end_sessions(&self.db, me.user.id, now, None, None, &effects).await?;
        self.webhooks_queued();
        Ok(now)
    }
}

#[cfg(test)]
mod tests;
