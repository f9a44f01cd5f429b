//! Accounts: sign-up, profile, password change, listing.

use std::net::IpAddr;

use secrecy::{ExposeSecret as _, SecretString};

use crate::db::users::{self, NewUser, ProfileChange};
use crate::error::{Error, Field, Result};
use crate::service::{validate, AuthUser, Gatehouse, Issued, User};

/// A change to one's own account: fields left `None` stay as they are.
#[derive(Default)]
pub struct AccountChanges<'a> {
    pub email: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub password: Option<&'a SecretString>,
}

/// Default and largest page of `users`.
pub const DEFAULT_PAGE: i64 = 100;
pub const MAX_PAGE: i64 = 1000;

impl Gatehouse {
    /// Creates an active user. Staff flags are for the CLI only.
    pub async fn sign_up(
        &self,
        username: &str,
        email: &str,
        password: &SecretString,
        staff: bool,
        client: Option<IpAddr>,
    ) -> Result<User> {
        self.create_user(username, email, password, ["", ""], staff, client)
            .await
    }

    /// Creates an active, non-staff user with a first and a last name.
    pub async fn sign_up_named(
        &self,
        username: &str,
        email: &str,
        password: &SecretString,
        names: [&str; 2],
        client: Option<IpAddr>,
    ) -> Result<User> {
        self.create_user(username, email, password, names, false, client)
            .await
    }

    async fn create_user(
        &self,
        username: &str,
        email: &str,
        password: &SecretString,
        [first_name, last_name]: [&str; 2],
        staff: bool,
        client: Option<IpAddr>,
    ) -> Result<User> {
        // Counted before any other work (the password's strength estimate
        // costs milliseconds), valid or not.
        self.sign_up_allowed(client).await?;
        let username = validate::normalize_username(username);
        let username = username.as_str();
        let email = email.trim();
        validate::new_username(Field::Username, username)?;
        validate::email(Field::Email, email)?;
        validate::name(Field::FirstName, first_name)?;
        validate::name(Field::LastName, last_name)?;
        validate::password(
            Field::Password,
            password.expose_secret(),
            &validate::PasswordContext {
                username,
                email,
                names: &[first_name, last_name],
                min_score: self.config.password_min_score,
            },
        )?;
        if let Some(field) =
            users::login_name_clash(&self.db, Some(username), Some(email), None).await?
        {
            return Err(Error::Conflict { field });
        }
        let hash = self.hasher.hash(password).await?;
        let user = users::insert(
            &self.db,
            &NewUser {
                username,
                email,
                first_name,
                last_name,
                password_hash: &hash,
                is_staff: staff,
                is_superuser: staff,
                now: self.now(),
            },
        )
        .await?;
        crate::metrics::Metrics::inc(&self.metrics.sign_ups);
        Ok(user)
    }

    /// Changes the caller's email or names; `None` leaves a field unchanged.
    pub async fn update_me(
        &self,
        me: &AuthUser,
        email: Option<&str>,
        first_name: Option<&str>,
        last_name: Option<&str>,
    ) -> Result<User> {
        let changes = AccountChanges {
            email,
            first_name,
            last_name,
            password: None,
        };
        Ok(self.change_account(me, changes).await?.0)
    }

    /// Changes the caller's email, names and password; `None` leaves a field
    /// unchanged. Everything is checked before anything is written.
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
        } = changes;
        let email = email.map(str::trim);
        if let Some(e) = email {
            validate::email(Field::Email, e)?;
            // Whether an address is taken is what a sign-up tells too: each
            // new address asked for is counted, in a bucket of the account's
            // own with the login limit, so it is no faster a way to ask.
            if users::key(e) != users::key(&me.user.email) {
                let bucket = format!("email-change:user:{}", me.user.id);
                self.login_attempt(bucket, None).await?;
            }
            if users::login_name_clash(&self.db, None, Some(e), Some(me.user.id))
                .await?
                .is_some()
            {
                return Err(Error::Conflict {
                    field: Field::Email,
                });
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
                        crate::db::refresh_tokens::family_is_live(&self.db, session, self.now())
                            .await?
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
        let user = users::update_profile(
            &self.db,
            me.user.id,
            &ProfileChange {
                email,
                first_name,
                last_name,
            },
        )
        .await?;
        let Some(hash) = hash else {
            return Ok((user, None));
        };
        let now = self.now();
        let user = users::end_sessions(&self.db, me.user.id, now, Some(&hash)).await?;
        let issued = self.issue_new_session(user, now).await?;
        Ok((issued.user.clone(), Some(issued)))
    }

    /// Changes the caller's password, ends every other session, and returns
    /// a new session for this one.
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
        // The old password is a password guess like a login's: counted in
        // the account's login bucket first, so a stolen access token cannot
        // be used to try passwords unthrottled (both faces come here).
        let bucket = super::throttle::account_bucket(Some(me.user.id), &me.user.username);
        let attempt = self.login_attempt(bucket, None).await?;
        let stored = users::stored_by_id(&self.db, me.user.id)
            .await?
            .ok_or(Error::TokenInvalid("the user no longer exists"))?;
        let verdict = self.hasher.verify(old, Some(&stored.password_hash)).await?;
        if verdict == crate::auth::password::Verdict::Mismatch {
            return Err(Error::bad_input(
                Field::OldPassword,
                "Your old password was entered incorrectly.",
            ));
        }
        self.login_succeeded(attempt).await?;
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
        let hash = self.hasher.hash(new).await?;
        let now = self.now();
        let user = users::end_sessions(&self.db, me.user.id, now, Some(&hash)).await?;
        self.issue_new_session(user, now).await
    }

    /// A page of users, oldest first. Staff only.
    pub async fn list_users(
        &self,
        me: &AuthUser,
        offset: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Vec<User>> {
        if !me.is_staff() {
            return Err(Error::Forbidden);
        }
        let offset = offset.unwrap_or(0);
        if offset < 0 {
            return Err(Error::bad_input(
                Field::Offset,
                "offset must not be negative.",
            ));
        }
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::bad_input(
                Field::Limit,
                format!("limit must be between 1 and {MAX_PAGE}."),
            ));
        }
        users::list(&self.db, offset, limit).await
    }
}
