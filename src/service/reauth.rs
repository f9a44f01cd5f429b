//! Fresh authentication for sensitive changes: a password or email change,
//! turning the second factor on or off, new recovery codes, a superuser's
//! reset of someone's factor and deleting the account need the caller's
//! login (or a re-authentication) to be at most
//! `GATEHOUSE_REAUTH_MAX_AGE_SECS` old, with the second factor when it is
//! on. The access token says when and how (`authTime`, `amr`): it is
//! signed, and refreshes carry the session's values on.

use secrecy::SecretString;

use crate::auth::tokens::Amr;
use crate::db::sessions;
use crate::error::{Error, Field, Result};
use crate::service::sessions::Authn;
use crate::service::{AuthUser, Gatehouse, Issued};

impl Gatehouse {
    /// REAUTHENTICATION_REQUIRED unless the caller authenticated recently
    /// enough, with a second factor if theirs is on.
    pub(crate) fn require_recent_auth(&self, me: &AuthUser) -> Result<()> {
        let max_age = self.config.reauth_max_age_secs as i64;
        let recent = self.now().saturating_sub(me.claims.auth_time) <= max_age;
        let factor = !me.user.mfa_enabled || me.claims.amr.second_factor();
        if recent && factor {
            Ok(())
        } else {
            Err(Error::ReauthenticationRequired)
        }
    }

    /// Proves again who the caller is: the password, and a code when the
    /// second factor is on (each counted like a login's). The session
    /// records the time; the answer is a new access token in the same
    /// session (the refresh token goes on, and its next access tokens carry
    /// the new time too).
    pub async fn reauthenticate(
        &self,
        me: &AuthUser,
        password: &SecretString,
        code: Option<&str>,
    ) -> Result<Issued> {
        let amr = if me.user.mfa_enabled {
            let code = code.filter(|c| !c.trim().is_empty()).ok_or_else(|| {
                Error::bad_input(
                    Field::Code,
                    "A code is required: this account has a second factor.",
                )
            })?;
            // The password's hit stays counted unless the code is right too.
            let _counted = self
                .check_own_password(me, password, Field::Password)
                .await?;
            self.recheck_code(me, code).await?
        } else {
            self.recheck_password(me, password, Field::Password).await?;
            Amr::Password
        };
        let session = me
            .claims
            .session
            .as_deref()
            .ok_or(Error::TokenInvalid("the token belongs to no session"))?;
        let now = self.now();
        if !sessions::reauthenticated(&self.db, session, me.user.id, now, amr.stored()).await? {
            return Err(Error::TokenInvalid("the session has ended"));
        }
        // A keep-alive chain's window (the caller's token, which
        // authenticated, lives inside it): the new token does too.
        let window_end = me
            .claims
            .orig_iat
            .saturating_add(self.config.refresh_token_ttl.as_secs() as i64);
        let (token, claims) = self.access_token(
            &me.user,
            session,
            (me.claims.orig_iat, now, window_end),
            Authn { time: now, amr },
        )?;
        Ok(Issued {
            user: me.user.clone(),
            token,
            claims,
            refresh_token: None,
            refresh_expires_at: window_end,
        })
    }
}
