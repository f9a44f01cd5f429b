//! Accounts: sign-up and listing (changing one's account: `profile.rs`).

use crate::service::events::EventKind;
use std::net::IpAddr;

use secrecy::{ExposeSecret as _, SecretString};

use crate::db::email_tokens::{Effects, Purpose};
use crate::db::users::{self, NewUser};
use crate::error::{Error, Field, Result};
use crate::mail::Person;
use crate::service::{validate, AuthUser, Gatehouse, User};

pub use super::profile::AccountChanges;

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
        // A sign-up gets a verification link, in the transaction that
        // creates the account; an operator's (the CLI's staff) counts as
        // confirmed. It is not counted against the recipient's interval
        // (an address signs up once; a resend right after it must not tell
        // that it just did).
        let who = Person {
            username,
            email,
            first_name,
            last_name,
        };
        let verification = match staff {
            true => None,
            false => Some(self.link_mail(Purpose::Verify, email, who, None)?),
        };
        // An operator's account (the CLI) says so; a sign-up's is the new user's own.
        let via = if staff { "operator" } else { "sign_up" };
        let events = [self
            .event(EventKind::SignUp, None)
            .with(serde_json::json!({ "via": via }))];
        let effects = match &verification {
            None => Effects {
                events: &events,
                ..Default::default()
            },
            Some(link) => Effects {
                token: Some(link.token()),
                mails: std::slice::from_ref(&link.mail),
                events: &events,
            },
        };
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
                email_verified: staff,
                now: self.now(),
            },
            &effects,
        )
        .await?;
        crate::metrics::Metrics::inc(&self.metrics.sign_ups);
        self.webhooks_queued();
        if verification.is_some() {
            self.mail_queued();
        }
        Ok(user)
    }

    /// A page of users, oldest first. Staff only.
    pub async fn list_users(
        &self,
        me: &AuthUser,
        offset: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Vec<User>> {
        let q = super::admin::UserQuery {
            offset,
            limit,
            ..Default::default()
        };
        self.find_users(super::admin::Actor::User(me), &q).await
    }
}

/// The offset and limit of a page, defaults applied and bounds checked.
pub(crate) fn page(offset: Option<i64>, limit: Option<i64>) -> Result<(i64, i64)> {
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
    Ok((offset, limit))
}
