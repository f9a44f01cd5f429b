//! Login and sign-up throttling: fixed windows counted in the database, so
//! every instance shares them. An account is limited by its failed logins
//! (never longer than one window: its owner gets in after it), an address by
//! its failed logins and by its sign-ups.

use std::net::IpAddr;

use crate::auth::client::address_key;
use crate::db::{throttle, users};
use crate::error::{Error, Result};
use crate::service::Gatehouse;

pub use crate::config::ThrottleLimits;

fn account_bucket(login: &str) -> String {
    format!("login:account:{}", users::key(login))
}

fn address_bucket(kind: &str, ip: IpAddr) -> String {
    format!("{kind}:address:{}", address_key(ip))
}

impl Gatehouse {
    /// Refuses with RATE_LIMITED when a bucket is full; otherwise says
    /// whether it has hits in its current window.
    async fn ensure_room(&self, bucket: &str, limit: i64, window: i64) -> Result<bool> {
        let now = crate::now();
        match throttle::current(&self.db, bucket, now - window).await? {
            Some((hits, started)) if hits >= limit => Err(Error::RateLimited {
                retry_after: (started + window - now).max(1),
            }),
            Some(_) => Ok(true),
            None => Ok(false),
        }
    }

    /// Before checking a password: is this account or address throttled?
    /// `Ok(true)` when the account has failed logins on record in the
    /// current window (which a successful login then forgets).
    pub(crate) async fn login_allowed(&self, login: &str, client: Option<IpAddr>) -> Result<bool> {
        let t = &self.config.throttle;
        let account_failures = self
            .ensure_room(
                &account_bucket(login),
                t.login_failures_per_account,
                t.login_window,
            )
            .await?;
        if let Some(ip) = client {
            self.ensure_room(
                &address_bucket("login", ip),
                t.login_failures_per_address,
                t.login_window,
            )
            .await?;
        }
        Ok(account_failures)
    }

    /// After a failed login: count it against the account and the address.
    pub(crate) async fn login_failed(&self, login: &str, client: Option<IpAddr>) -> Result<()> {
        let now = crate::now();
        let window = self.config.throttle.login_window;
        throttle::hit(&self.db, &account_bucket(login), now, now - window).await?;
        if let Some(ip) = client {
            throttle::hit(&self.db, &address_bucket("login", ip), now, now - window).await?;
        }
        Ok(())
    }

    /// After a successful login: the account's failures are forgotten. Only
    /// called when `login_allowed` saw some (a write saved on every other
    /// login; a failure that lands between the two is simply kept).
    pub(crate) async fn login_succeeded(&self, login: &str) -> Result<()> {
        throttle::clear(&self.db, &account_bucket(login)).await
    }

    /// Before a sign-up: count it against the address, refusing when full.
    pub(crate) async fn sign_up_allowed(&self, client: Option<IpAddr>) -> Result<()> {
        let Some(ip) = client else { return Ok(()) };
        let t = &self.config.throttle;
        let bucket = address_bucket("signup", ip);
        self.ensure_room(&bucket, t.sign_ups_per_address, t.sign_up_window)
            .await?;
        let now = crate::now();
        throttle::hit(&self.db, &bucket, now, now - t.sign_up_window).await
    }
}
