//! Changing one's own account: names, email (the Django REST face's
//! direct change), password.

use crate::service::events::EventKind;
use std::net::IpAddr;

use secrecy::{ExposeSecret as _, SecretString};

use super::mail::{person, Extra};
use crate::db::email_tokens::{Effects, Purpose};
use crate::db::outbox::NewMail;
use crate::db::users::{self, ProfileChange};
use crate::error::{Error, Field, Result};
use crate::mail::{Kind, Person};
use crate::service::{validate, AuthUser, Gatehouse, Issued, User};

/// A change to one's own account: fields left `None` stay as they are.
#[derive(Default)]
pub struct AccountChanges<'a> {
    pub email: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub password: Option<&'a SecretString>,
    /// The client's address (mail asked for is counted against it).
    pub client: Option<IpAddr>,
}

/// Whether `a` and `b` are one address as a mailbox sees it: equal but for
/// ASCII case. (Spellings that share a login key but are other strings,
/// fullwidth letters, a final sigma, may be other mailboxes: a change to
/// one is a change of address.)
pub(crate) fn same_address(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl Gatehouse {
    /// Changes the caller's email or names; `None` leaves a field unchanged.
    pub async fn update_me(
        &self,
        me: &AuthUser,
        email: Option<&str>,
        first_name: Option<&str>,
        last_name: Option<&str>,
    ) -> Result<User> {
        // A new address needs the password and a confirmation by a link to
        // it (`request_email_change`): with this call alone, a stolen access
        // token would move the account's mail, then reset its password.
        if let Some(e) = email {
            validate::email(Field::Email, e.trim())?;
        }
        if email.is_some_and(|e| !same_address(e, &me.user.email)) {
            return Err(Error::bad_input(
                Field::Email,
                "To change your email address, use requestEmailChange (REST: POST \
                 /api/users/me/email) with your password: the new address is confirmed \
                 by a link mailed to it.",
            ));
        }
        let changes = AccountChanges {
            email,
            first_name,
            last_name,
            password: None,
            client: None,
        };
        Ok(self.change_account(me, changes).await?.0)
    }

    /// Changes the caller's email, names and password; `None` leaves a field
    /// unchanged. Everything is checked before anything is written.
    ///
    /// The email changes at once (the Django REST face's `user/update/`, as
    /// seed 004's view does), unless verified addresses are required; the
    /// new address loses its confirmation, is mailed a link, and the old one
    /// a notice, both counted as mail asked for.
    ///
    /// The password is changed with the access token alone (the Django REST
    /// face's `user/update/` does so, as seed 004's view does; the other
    /// faces call `change_password`, which wants the old one). A new password
    /// that passes the rules is counted (it costs a hash) in a bucket of its
    /// own with the login limit; it ends every session of the account and
    /// returns a new one for this client.
    pub async fn change_account(
        &self,
        me: &AuthUser,
        changes: AccountChanges<'_>,
    ) -> Result<(User, Option<Issued>)> {
        let AccountChanges {
            email,
            first_name,
            last_name,
            password,
            client,
        } = changes;
        let email = email.map(str::trim);
        let new_email = email.filter(|e| !same_address(e, &me.user.email));
        if let Some(e) = email {
            validate::email(Field::Email, e)?;
        }
        // A new address or password is a sensitive change: a recent login.
        if new_email.is_some() || password.is_some() {
            self.require_recent_auth(me)?;
        }
        if let Some(e) = new_email {
            if self.config.mail.require_verified_email {
                return Err(Error::bad_input(
                    Field::Email,
                    "With verified addresses required, a new email address must be confirmed \
                     first: ask for the change with requestEmailChange (REST: POST \
                     /api/users/me/email).",
                ));
            }
            self.email_probe(me, e, client).await?;
            self.mail_allowed(Kind::VerifyEmail, e, client).await?;
            if !me.user.email.is_empty() {
                self.recipient_allowed(Kind::EmailChanged, &me.user.email)
                    .await?;
            }
        }
        if let Some(n) = first_name {
            validate::name(Field::FirstName, n)?;
        }
        if let Some(n) = last_name {
            validate::name(Field::LastName, n)?;
        }
        let hash = match password {
            None => None,
            Some(new) => {
                // Without the old password, the caller's login must still go
                // on: an access token outliving its ended session (logged
                // out, reused) must not start a new one.
                let live = match me.claims.session.as_deref() {
                    Some(session) => {
                        crate::db::sessions::is_live(&self.db, session, me.user.id).await?
                    }
                    None => false,
                };
                if !live {
                    return Err(Error::TokenInvalid("the session has ended"));
                }
                validate::password(
                    Field::Password,
                    new.expose_secret(),
                    &validate::PasswordContext {
                        username: &me.user.username,
                        email: email.unwrap_or(&me.user.email),
                        names: &[
                            first_name.unwrap_or(&me.user.first_name),
                            last_name.unwrap_or(&me.user.last_name),
                        ],
                        min_score: self.config.password_min_score,
                    },
                )?;
                // Each change costs a hash: counted, in a bucket of its own
                // (not the login's, which it would lock), with the account's
                // login limit and window.
                let bucket = format!("password-change:user:{}", me.user.id);
                self.login_attempt(bucket, None).await?;
                Some(self.hasher.hash(new).await?)
            }
        };
        // A new address is changed at once (the tutorials' flow), and
        // loses its confirmation: a link to confirm it goes to it, and a
        // notice to the old one, in the transaction of the change.
        let who = |e| Person {
            email: e,
            ..person(&me.user)
        };
        let link = match new_email {
            Some(e) => Some(self.link_mail(Purpose::Verify, e, who(e), None)?),
            None => None,
        };
        let mut mails: Vec<NewMail> = link.iter().map(|l| l.mail.clone()).collect();
        if let Some(e) = new_email {
            if !me.user.email.is_empty() {
                let extra = Extra {
                    old_email: Some(&me.user.email),
                    new_email: Some(e),
                    ..Extra::default()
                };
                let notice = self.compose(Kind::EmailChanged, &me.user.email, who(e), extra)?;
                mails.push(notice);
            }
        }
        let mut events = Vec::new();
        // The fields whose value changes (a field sent again as it is
        // changes nothing, and records nothing).
        let fields: Vec<&str> = [
            ("email", new_email.is_some()),
            (
                "firstName",
                first_name.is_some_and(|n| n != me.user.first_name),
            ),
            (
                "lastName",
                last_name.is_some_and(|n| n != me.user.last_name),
            ),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect();
        let session = me.claims.session.as_deref();
        if !fields.is_empty() {
            self.profile_change_allowed(me.user.id).await?;
            events.push(
                self.event(EventKind::UserUpdated, Some(me.user.id))
                    .in_session(session)
                    .with(serde_json::json!({ "fields": fields })),
            );
        }
        if new_email.is_some() {
            events.push(
                self.event(EventKind::EmailChanged, Some(me.user.id))
                    .in_session(session)
                    .with(serde_json::json!({ "verified": false })),
            );
        }
        let effects = Effects {
            token: link.as_ref().map(|l| l.token()),
            mails: &mails,
            events: &events,
        };
        let now = self.now();
        let change = ProfileChange {
            email,
            first_name,
            last_name,
        };
        let unverify = new_email.is_some();
        let user = users::update_profile(
            &self.db,
            me.user.id,
            me.claims.version,
            Some(me.claims.session.as_deref().unwrap_or_default()),
            &change,
            unverify,
            &effects,
            now,
        )
        .await?;
        if !mails.is_empty() {
            self.mail_queued();
        }
        self.webhooks_queued();
        let Some(hash) = hash else {
            return Ok((user, None));
        };
        let notice = self.password_notice(&user).await?;
        let keep = me.claims.session.as_deref();
        let user = self.set_password(me, now, &hash, &notice).await?;
        let issued = self
            .resume_session(user, keep, now, super::sessions::Authn::of(me))
            .await?;
        Ok((issued.user.clone(), Some(issued)))
    }

    /// Changes the caller's password, ends every other session, and returns
    /// new tokens for this one.
    pub async fn change_password(
        &self,
        me: &AuthUser,
        old: &SecretString,
        new: &SecretString,
    ) -> Result<Issued> {
        if old.expose_secret() == new.expose_secret() {
            return Err(Error::bad_input(
                Field::NewPassword,
                "The new password must differ from the old one.",
            ));
        }
        self.require_recent_auth(me)?;
        // The old password is a password guess like a login's
        // (`recheck_password`, as every face's change comes here).
        self.recheck_password(me, old, Field::OldPassword).await?;
        validate::password(
            Field::NewPassword,
            new.expose_secret(),
            &validate::PasswordContext {
                username: &me.user.username,
                email: &me.user.email,
                names: &[&me.user.first_name, &me.user.last_name],
                min_score: self.config.password_min_score,
            },
        )?;
        // A change that goes through is counted too (the old password's
        // count is given back on success): each one costs a hash and mails
        // a notice, so they are limited like the Django REST face's.
        let bucket = format!("password-change:user:{}", me.user.id);
        self.login_attempt(bucket, None).await?;
        let hash = self.hasher.hash(new).await?;
        let now = self.now();
        let notice = self.password_notice(&me.user).await?;
        // This session goes on (with new tokens: the old ones die with the
        // account's token version); every other one ends.
        let keep = me.claims.session.as_deref();
        let user = self.set_password(me, now, &hash, &notice).await?;
        self.resume_session(user, keep, now, super::sessions::Authn::of(me))
            .await
    }

    /// Sets the caller's password to `hash`, ending every other session,
    /// with its notice and its event.
    async fn set_password(
        &self,
        me: &AuthUser,
        now: i64,
        hash: &str,
        notice: &[NewMail],
    ) -> Result<User> {
        let keep = me.claims.session.as_deref();
        let events = [self
            .event(EventKind::PasswordChanged, Some(me.user.id))
            .in_session(keep)];
        let effects = Effects {
            mails: notice,
            events: &events,
            ..Default::default()
        };
        let user =
            users::end_sessions(&self.db, me.user.id, now, Some(hash), keep, &effects).await?;
        self.mail_queued();
        self.webhooks_queued();
        Ok(user)
    }

    /// The "password changed" notice to `user`'s address: none without
    /// one, and none when one went there less than the minimum interval
    /// ago (the first tells the owner; more would flood the inbox of
    /// whoever's address an account was given).
    async fn password_notice(&self, user: &User) -> Result<Vec<NewMail>> {
        if user.email.is_empty() {
            return Ok(Vec::new());
        }
        match self
            .recipient_allowed(Kind::PasswordChanged, &user.email)
            .await
        {
            Err(Error::RateLimited { .. }) => return Ok(Vec::new()),
            other => other?,
        }
        let mail = self.compose(
            Kind::PasswordChanged,
            &user.email,
            person(user),
            Extra::default(),
        )?;
        Ok(vec![mail])
    }
}
