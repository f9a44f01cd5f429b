//! Logins and tokens: password login, refresh (rotation and keep-alive),
//! verification, revocation.

use std::net::IpAddr;

use secrecy::SecretString;

use crate::auth::password::Verdict;
use crate::auth::refresh;
use crate::auth::tokens::{self, AccessClaims};
use crate::db::refresh_tokens::{self, NewRefresh};
use crate::db::users;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
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

impl Gatehouse {
    fn access_ttl(&self) -> i64 {
        self.config.access_token_ttl.as_secs() as i64
    }

    fn refresh_ttl(&self) -> i64 {
        self.config.refresh_token_ttl.as_secs() as i64
    }

    /// Signs an access token for `user` in the login `session`, never
    /// living past `not_after`.
    fn access_token(
        &self,
        user: &User,
        session: &str,
        orig_iat: i64,
        now: i64,
        not_after: i64,
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
        };
        let token = tokens::sign(&signing, &claims)?;
        Ok((token, claims))
    }

    /// A fresh access token and a refresh token starting a new family.
    pub(crate) async fn issue_new_session(&self, user: User, now: i64) -> Result<Issued> {
        let refresh_expires_at = now + self.refresh_ttl();
        let family = refresh::family_id()?;
        let (token, claims) = self.access_token(&user, &family, now, now, i64::MAX)?;
        let (refresh_token, hash) = refresh::generate()?;
        let stored = refresh_tokens::insert(
            &self.db,
            &NewRefresh {
                token_hash: &hash,
                family_id: &family,
                user_id: user.id,
                issued_at: now,
                expires_at: refresh_expires_at,
                token_version: user.token_version,
            },
        )
        .await?;
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
        client: Option<IpAddr>,
    ) -> Result<Issued> {
        use secrecy::ExposeSecret as _;
        if password.expose_secret().len() > MAX_PASSWORD_BYTES || login.len() > 1024 {
            return Err(Error::InvalidCredentials);
        }
        let user = users::by_login(&self.db, login).await?;
        let bucket = super::throttle::account_bucket(user.as_ref().map(|u| u.user.id), login);
        let attempt = match self.login_attempt(bucket, client).await {
            Ok(attempt) => attempt,
            Err(e) => {
                if matches!(e, Error::RateLimited { .. }) {
                    Metrics::inc(&self.metrics.logins_throttled);
                }
                return Err(e);
            }
        };
        match self.check_password(user, password).await? {
            Some(user) => {
                self.login_succeeded(attempt).await?;
                // Only once the password is right: the answer tells nothing
                // about the address to someone who does not know it.
                if self.config.mail.require_verified_email && !user.email_verified {
                    return Err(Error::EmailNotVerified);
                }
                Metrics::inc(&self.metrics.logins_succeeded);
                // A password change that committed after the old password
                // was checked: that password no longer logs in.
                match self.issue_new_session(user, self.now()).await {
                    Err(Error::TokenInvalid(_)) => Err(Error::InvalidCredentials),
                    issued => issued,
                }
            }
            None => {
                Metrics::inc(&self.metrics.logins_failed);
                Err(Error::InvalidCredentials)
            }
        }
    }

    /// `user` if it is active and `password` is its password, recording the
    /// login (and a rehash); `None` after the same work as for a real user.
    async fn check_password(
        &self,
        user: Option<StoredUser>,
        password: &SecretString,
    ) -> Result<Option<User>> {
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
                return Ok(None)
            }
            (Some(u), Verdict::Match) => (u, None),
            (Some(u), Verdict::MatchRehashed(h)) => (u, Some(h)),
            _ => return Ok(None),
        };
        let now = self.now();
        users::record_login(&self.db, user.id, now, rehashed.as_deref()).await?;
        user.last_login = Some(now);
        Ok(Some(user))
    }

    /// Checks an access token and the user behind it: active, and the token
    /// not revoked by a later revoke-all or password change.
    pub async fn authenticate(&self, token: &str) -> Result<AuthUser> {
        let claims = tokens::verify(&self.keys, &self.verified_tokens, token, self.now()).await?;
        let (user, key_active) = users::by_id_with_key(&self.db, claims.user_id, &claims.kid)
            .await?
            .ok_or(Error::TokenInvalid("the user no longer exists"))?;
        if !key_active && !self.keys.is_external(&claims.kid) {
            return Err(Error::TokenInvalid("unknown or retired signing key"));
        }
        if !user.is_active {
            return Err(Error::TokenInvalid("the user is inactive"));
        }
        if user.token_version != claims.version {
            return Err(Error::TokenInvalid("the token has been revoked"));
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
        // The login must go on: a blacklisted, reused or revoked session's
        // access tokens live out their lifetime but are not renewed.
        let session = me
            .claims
            .session
            .as_deref()
            .ok_or(Error::TokenInvalid("the token belongs to no session"))?;
        if !refresh_tokens::family_is_live(&self.db, session, now).await? {
            return Err(Error::TokenInvalid("the session has ended"));
        }
        let (token, claims) =
            self.access_token(&me.user, session, me.claims.orig_iat, now, window_end)?;
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
    /// returned. Presenting a used token again revokes its whole family.
    pub async fn refresh_rotate(&self, presented: &str) -> Result<Issued> {
        if !refresh::looks_valid(presented) {
            return Err(Error::TokenInvalid("malformed refresh token"));
        }
        let now = self.now();
        let old_hash = refresh::hash(presented);
        let (new_token, new_hash) = refresh::generate()?;
        let refresh_expires_at = now + self.refresh_ttl();
        let rotated =
            refresh_tokens::rotate(&self.db, &old_hash, now, &new_hash, refresh_expires_at).await?;
        let Some(row) = rotated else {
            return Err(self.refresh_failure(&old_hash, now).await);
        };
        let user = match users::by_id(&self.db, row.user_id).await? {
            Some(u) if u.is_active => u,
            _ => {
                refresh_tokens::revoke_family(&self.db, &row.family_id, now).await?;
                return Err(Error::TokenInvalid("the user is inactive"));
            }
        };
        // A revoke-all or password change committed after the rotation: it
        // revoked the new token too, and an access token signed with the
        // version read now would outlive it.
        if user.token_version != row.token_version {
            return Err(Error::TokenInvalid("the refresh token has been revoked"));
        }
        let (token, claims) = self.access_token(&user, &row.family_id, now, now, i64::MAX)?;
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
                "refresh token reuse detected; revoking its family"
            );
            Metrics::inc(&self.metrics.refresh_reuse_detected);
            if let Err(e) = refresh_tokens::revoke_family(&self.db, &row.family_id, now).await {
                return e;
            }
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
        refresh_tokens::revoke_family(&self.db, &row.family_id, now).await?;
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
        users::end_sessions(&self.db, me.user.id, now, None, &[]).await?;
        Ok(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_of_issued_tokens_hides_the_tokens() {
        let user = User {
            id: 1,
            username: "alice".into(),
            email: "a@example.com".into(),
            first_name: String::new(),
            last_name: String::new(),
            is_active: true,
            is_staff: false,
            is_superuser: false,
            date_joined: 0,
            last_login: None,
            token_version: 0,
            email_verified: false,
        };
        let issued = Issued {
            claims: AccessClaims {
                user_id: 1,
                username: "alice".into(),
                issued_at: 0,
                not_before: 0,
                expires_at: 0,
                orig_iat: 0,
                jti: "j".into(),
                version: 0,
                session: None,
                kid: "k".into(),
            },
            user,
            token: "v4.public.SECRET-ACCESS".into(),
            refresh_token: Some("ghr_SECRET-REFRESH".into()),
            refresh_expires_at: 0,
        };
        let shown = format!("{issued:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}
