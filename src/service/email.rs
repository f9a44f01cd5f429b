//! The account's email: confirming an address, recovering a password by
//! mail, and changing the address (confirmed by a link to the new one).
//! Every token is a link token (`auth::link_token`): single use, for one
//! purpose, bound to the address it went to (`db::email_tokens`).

use crate::service::events::{EventKind, Origin};
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use secrecy::{ExposeSecret as _, SecretString};

use super::mail::{person, Extra};
use crate::auth::link_token;
use crate::db::email_tokens::{self, Effects, NewToken, Purpose, TokenRow, Use};
use crate::db::outbox::NewMail;
use crate::db::users;
use crate::error::{Error, Field, Result};
use crate::mail::{Kind, Person};
use crate::service::{validate, AuthUser, Gatehouse, User};

/// A mail that carries a link, and the token in it (stored, as its hash,
/// in the transaction that queues the mail: [`LinkMail::token`]).
pub(crate) struct LinkMail<'a> {
    pub mail: NewMail,
    hash: [u8; 32],
    purpose: Purpose,
    recipient: &'a str,
    expires_at: i64,
}

impl LinkMail<'_> {
    /// The token to store with the mail.
    pub fn token(&self) -> NewToken<'_> {
        NewToken {
            hash: &self.hash,
            purpose: self.purpose,
            email: self.recipient,
            expires_at: self.expires_at,
        }
    }
}

impl Gatehouse {
    fn ttl(&self, purpose: Purpose) -> i64 {
        let m = &self.config.mail;
        match purpose {
            Purpose::Verify => m.verify_ttl,
            Purpose::Reset => m.reset_ttl,
            Purpose::EmailChange => m.email_change_ttl,
        }
    }

    /// The mail of `purpose`'s kind to `to`, about `who`, with a new link
    /// token; `new_email` for an email change's.
    pub(crate) fn link_mail<'a>(
        &self,
        purpose: Purpose,
        to: &'a str,
        who: Person<'_>,
        new_email: Option<&str>,
    ) -> Result<LinkMail<'a>> {
        let kind = match purpose {
            Purpose::Verify => Kind::VerifyEmail,
            Purpose::Reset => Kind::ResetPassword,
            Purpose::EmailChange => Kind::ConfirmEmailChange,
        };
        let (token, hash) = link_token::generate()?;
        let ttl = self.ttl(purpose);
        let extra = Extra {
            link: Some((&token, ttl)),
            new_email,
            ..Extra::default()
        };
        Ok(LinkMail {
            mail: self.compose(kind, to, who, extra)?,
            hash,
            purpose,
            recipient: to,
            expires_at: self.now() + ttl,
        })
    }

    /// The stored token `token` stands for, if it is one for `purpose`
    /// that still works. TOKEN_INVALID for a malformed, unknown, other
    /// purpose's, used or superseded token, TOKEN_EXPIRED for an old one.
    async fn live_token(&self, token: &str, purpose: Purpose) -> Result<TokenRow> {
        let token = token.trim();
        if !link_token::looks_valid(token) {
            return Err(Error::TokenInvalid("not a link token"));
        }
        let row = email_tokens::find(&self.db, &crate::auth::refresh::hash(token))
            .await?
            .ok_or(Error::TokenInvalid("unknown link"))?;
        if row.purpose != purpose.as_str() {
            return Err(Error::TokenInvalid("the link is for something else"));
        }
        if row.used_at.is_some() {
            return Err(Error::TokenInvalid("the link has already been used"));
        }
        if row.superseded_at.is_some() {
            return Err(Error::TokenInvalid("a newer link replaced this one"));
        }
        if row.expires_at <= self.now() {
            return Err(Error::TokenExpired);
        }
        Ok(row)
    }

    /// Runs mail work a request handed off, so the request answers in the
    /// same time whatever the work finds (shutdown waits for it).
    fn spawn_mail_work(self: &Arc<Self>, work: impl Future<Output = Result<()>> + Send + 'static) {
        let gh = Arc::clone(self);
        // The events it records come from the request that handed it off.
        let work = Origin::current().scope(work);
        self.mail_work.spawn(async move {
            match work.await {
                Ok(()) => gh.mail_queued(),
                Err(e) => tracing::error!(error = ?e, "mail work failed"),
            }
        });
    }

    /// Confirms the address a verification link was sent to.
    pub async fn verify_account(&self, token: &str) -> Result<User> {
        let row = self.live_token(token, Purpose::Verify).await?;
        let events = [self.event(EventKind::EmailVerified, Some(row.user_id))];
        let effects = Effects {
            events: &events,
            ..Default::default()
        };
        let user = email_tokens::consume(
            &self.db,
            &row,
            Use::Verify,
            &row.email,
            &effects,
            self.now(),
        )
        .await?;
        self.webhooks_queued();
        Ok(user)
    }

    /// Mails a new verification link to `email` if it is the address of an
    /// active account not yet verified. The answer is the same either way,
    /// in the same time: the lookup and the mail happen after it.
    pub async fn resend_activation_email(
        self: &Arc<Self>,
        email: &str,
        client: Option<IpAddr>,
    ) -> Result<()> {
        let email = email.trim();
        validate::email(Field::Email, email)?;
        self.mail_allowed(Kind::VerifyEmail, email, client).await?;
        let (gh, email) = (Arc::clone(self), email.to_owned());
        self.spawn_mail_work(async move {
            match users::by_email(&gh.db, &email).await? {
                Some(u) if u.is_active && !u.email_verified => {
                    gh.issue_link(&u, Purpose::Verify).await
                }
                _ => Ok(()),
            }
        });
        Ok(())
    }

    /// Mails a password-reset link to `email` if it is the address of an
    /// active account; the same answer, in the same time, either way.
    pub async fn send_password_reset_email(
        self: &Arc<Self>,
        email: &str,
        client: Option<IpAddr>,
    ) -> Result<()> {
        let email = email.trim();
        validate::email(Field::Email, email)?;
        self.mail_allowed(Kind::ResetPassword, email, client)
            .await?;
        let (gh, email) = (Arc::clone(self), email.to_owned());
        self.spawn_mail_work(async move {
            match users::by_email(&gh.db, &email).await? {
                Some(u) if u.is_active => gh.issue_link(&u, Purpose::Reset).await,
                _ => Ok(()),
            }
        });
        Ok(())
    }

    /// Stores a new `purpose` token for `u` (superseding its older ones)
    /// and queues the mail carrying it to `u`'s address, in one transaction.
    async fn issue_link(&self, u: &User, purpose: Purpose) -> Result<()> {
        let link = self.link_mail(purpose, &u.email, person(u), None)?;
        let events: Vec<_> = match purpose {
            Purpose::Reset => vec![self.event(EventKind::PasswordResetRequested, Some(u.id))],
            _ => Vec::new(),
        };
        let effects = Effects {
            token: Some(link.token()),
            mails: std::slice::from_ref(&link.mail),
            events: &events,
        };
        email_tokens::issue(&self.db, u.id, None, &effects, self.now()).await?;
        self.webhooks_queued();
        Ok(())
    }

    /// Sets a new password with a reset link's token: the password rules
    /// apply, every session of the account ends, the address counts as
    /// confirmed (the link reached it) and a notice is mailed.
    pub async fn reset_password(&self, token: &str, new: &SecretString) -> Result<User> {
        let row = self.live_token(token, Purpose::Reset).await?;
        let user = users::by_id(&self.db, row.user_id)
            .await?
            .ok_or(Error::TokenInvalid("unknown link"))?;
        validate::password(
            Field::NewPassword,
            new.expose_secret(),
            &validate::PasswordContext {
                username: &user.username,
                email: &user.email,
                names: &[&user.first_name, &user.last_name],
                min_score: self.config.password_min_score,
            },
        )?;
        let hash = self.hasher.hash(new).await?;
        let notice = self.compose(
            Kind::PasswordReset,
            &user.email,
            person(&user),
            Extra::default(),
        )?;
        let use_ = Use::Reset {
            password_hash: &hash,
        };
        let events = [self.event(EventKind::PasswordResetCompleted, Some(row.user_id))];
        let effects = Effects {
            mails: std::slice::from_ref(&notice),
            events: &events,
            ..Default::default()
        };
        let user =
            email_tokens::consume(&self.db, &row, use_, &row.email, &effects, self.now()).await?;
        self.mail_queued();
        self.webhooks_queued();
        Ok(user)
    }

    /// Asks to change the caller's address to `new_email`: the current
    /// password is checked (counted as a login attempt), and a link that
    /// confirms the change is mailed to the new address. Nothing changes
    /// until it is followed.
    pub async fn request_email_change(
        &self,
        me: &AuthUser,
        new_email: &str,
        password: &SecretString,
        client: Option<IpAddr>,
    ) -> Result<()> {
        let new_email = new_email.trim();
        validate::email(Field::NewEmail, new_email)?;
        self.require_recent_auth(me)?;
        self.recheck_password(me, password, Field::Password).await?;
        if super::profile::same_address(new_email, &me.user.email) {
            return Err(Error::bad_input(
                Field::NewEmail,
                "That is already your email address.",
            ));
        }
        self.email_probe(me, new_email, client)
            .await
            .map_err(|e| match e {
                Error::Conflict { .. } => Error::Conflict {
                    field: Field::NewEmail,
                },
                e => e,
            })?;
        self.mail_allowed(Kind::ConfirmEmailChange, new_email, client)
            .await?;
        let purpose = Purpose::EmailChange;
        let link = self.link_mail(purpose, new_email, person(&me.user), Some(new_email))?;
        let events = [self
            .event(EventKind::EmailChangeRequested, Some(me.user.id))
            .in_session(me.claims.session.as_deref())];
        let effects = Effects {
            token: Some(link.token()),
            mails: std::slice::from_ref(&link.mail),
            events: &events,
        };
        let version = Some(me.claims.version);
        email_tokens::issue(&self.db, me.user.id, version, &effects, self.now()).await?;
        self.mail_queued();
        self.webhooks_queued();
        Ok(())
    }

    /// Whether `email` is free for the caller: CONFLICT when it is another
    /// account's login. Each address asked about is counted in a bucket of
    /// the account's own with the login limit, and against the client's
    /// address with the sign-up limit (it is what a sign-up tells too, and
    /// must be no faster a way to ask, however many accounts ask).
    pub(crate) async fn email_probe(
        &self,
        me: &AuthUser,
        email: &str,
        client: Option<IpAddr>,
    ) -> Result<()> {
        let bucket = format!("email-change:user:{}", me.user.id);
        self.login_attempt(bucket, None).await?;
        self.probe_allowed(client).await?;
        if users::login_taken(&self.db, email, me.user.id).await? {
            return Err(Error::Conflict {
                field: Field::Email,
            });
        }
        Ok(())
    }

    /// Makes the address an email-change link was sent to the account's
    /// email (confirmed), and mails a notice to the old address.
    pub async fn confirm_email_change(&self, token: &str) -> Result<User> {
        let row = self.live_token(token, Purpose::EmailChange).await?;
        let user = users::by_id(&self.db, row.user_id)
            .await?
            .ok_or(Error::TokenInvalid("unknown link"))?;
        let notices = if user.email.is_empty() {
            Vec::new()
        } else {
            vec![self.compose(
                Kind::EmailChanged,
                &user.email,
                person(&user),
                Extra {
                    old_email: Some(&user.email),
                    new_email: Some(&row.email),
                    ..Extra::default()
                },
            )?]
        };
        let events = [self
            .event(EventKind::EmailChanged, Some(row.user_id))
            .with(serde_json::json!({ "verified": true }))];
        let effects = Effects {
            mails: &notices,
            events: &events,
            ..Default::default()
        };
        let changed = email_tokens::consume(
            &self.db,
            &row,
            Use::EmailChange,
            &user.email,
            &effects,
            self.now(),
        )
        .await?;
        self.mail_queued();
        self.webhooks_queued();
        Ok(changed)
    }
}
