//! Login and sign-up throttling: fixed windows counted in the database, so
//! every instance shares them. An account is limited by its login attempts
//! (a window ends on its own, so a guesser must spend a full window's
//! attempts again to keep its owner out), an address by its failed logins
//! and by its sign-ups.
//!
//! Every attempt is counted *before* the work it limits (see
//! `db::throttle::take`): parallel requests cannot all read "room left" and
//! then all go on to check a password. A login that succeeds takes its hit
//! back afterwards.

use std::net::IpAddr;

use crate::auth::client::address_key;
use crate::db::throttle::{self, Taken};
use crate::db::users;
use crate::error::{Error, Result};
use crate::service::Gatehouse;

pub use crate::config::ThrottleLimits;

/// The account's bucket: by user id when the login names an account (so its
/// username and its email share one bucket), else by the login's key (so
/// unknown names are throttled exactly like known ones).
pub(crate) fn account_bucket(user_id: Option<i64>, login: &str) -> String {
    match user_id {
        Some(id) => format!("login:user:{id}"),
        None => format!("login:name:{}", users::key(login)),
    }
}

fn address_bucket(kind: &str, ip: IpAddr) -> String {
    format!("{kind}:address:{}", address_key(ip))
}

/// The buckets one login attempt was counted in, to settle once the
/// password has been checked.
pub(crate) struct LoginAttempt {
    account: String,
    address: Option<String>,
}

/// RATE_LIMITED when any count went over its limit, with the time until the
/// fullest window ends.
fn over_limit(taken: &[(Taken, i64)], window: i64, now: i64) -> Result<()> {
    let retry_after = taken
        .iter()
        .filter(|(t, limit)| t.hits > *limit)
        .map(|(t, _)| (t.window_start + window - now).max(1))
        .max();
    match retry_after {
        Some(retry_after) => Err(Error::RateLimited { retry_after }),
        None => Ok(()),
    }
}

impl Gatehouse {
    /// Counts a login attempt against the account and the client's address,
    /// before any password is checked; RATE_LIMITED when either is over its
    /// limit. A refused attempt stays counted.
    pub(crate) async fn login_attempt(
        &self,
        account: String,
        client: Option<IpAddr>,
    ) -> Result<LoginAttempt> {
        self.counted_login(account, client)
            .await
            .map_err(|(e, _)| e)
    }

    /// A login's attempt (`login_attempt`) by `user_id` (None: a name no
    /// account has): a refusal is recorded as a `login_failed` event
    /// (`throttled`) once per bucket and window, by the attempt that first
    /// went over the limit (the counter is atomic, so exactly one does),
    /// not by every attempt refused after it: a flood of refused logins
    /// writes one event, not one per request.
    pub(crate) async fn login_attempt_of(
        &self,
        account: String,
        client: Option<IpAddr>,
        user_id: Option<i64>,
    ) -> Result<LoginAttempt> {
        match self.counted_login(account, client).await {
            Ok(attempt) => Ok(attempt),
            Err((e, first)) => {
                if matches!(e, Error::RateLimited { .. }) {
                    crate::metrics::Metrics::inc(&self.metrics.logins_throttled);
                    if first {
                        self.login_failed(user_id, "throttled").await;
                    }
                }
                Err(e)
            }
        }
    }

    /// Counts a login attempt; on a refusal, whether this attempt was the
    /// first over a limit in its window.
    async fn counted_login(
        &self,
        account: String,
        client: Option<IpAddr>,
    ) -> std::result::Result<LoginAttempt, (Error, bool)> {
        let t = &self.config.throttle;
        let now = self.now();
        let address = client.map(|ip| address_bucket("login", ip));
        let mut buckets = vec![account.as_str()];
        buckets.extend(address.as_deref());
        let taken = throttle::take(&self.db, &buckets, now, now - t.login_window)
            .await
            .map_err(|e| (e, false))?;
        let limits = [t.login_failures_per_account, t.login_failures_per_address];
        let taken: Vec<(Taken, i64)> = taken.into_iter().zip(limits).collect();
        over_limit(&taken, t.login_window, now).map_err(|e| {
            let first = taken.iter().any(|(t, limit)| t.hits == limit + 1);
            (e, first)
        })?;
        Ok(LoginAttempt { account, address })
    }

    /// After a successful login: the account's failures are forgotten and
    /// the address gets its hit back. (A failed login keeps both hits.)
    pub(crate) async fn login_succeeded(&self, attempt: LoginAttempt) -> Result<()> {
        throttle::settle_success(&self.db, &attempt.account, attempt.address.as_deref()).await
    }

    /// After a right password on an account with a second factor: the
    /// address gets its hit back, but the account's count stays until a
    /// code is given (then `login_succeeded` forgets it).
    pub(crate) async fn password_step_passed(&self, attempt: LoginAttempt) -> Result<()> {
        match attempt.address {
            Some(address) => throttle::give_back(&self.db, &address).await,
            None => Ok(()),
        }
    }

    /// Counts a sign-up against the client's address, refusing when full.
    pub(crate) async fn sign_up_allowed(&self, client: Option<IpAddr>) -> Result<()> {
        let Some(ip) = client else { return Ok(()) };
        let t = &self.config.throttle;
        let now = self.now();
        let bucket = address_bucket("signup", ip);
        let taken = throttle::take(&self.db, &[&bucket], now, now - t.sign_up_window).await?;
        let taken: Vec<(Taken, i64)> = taken
            .into_iter()
            .map(|t| (t, self.config.throttle.sign_ups_per_address))
            .collect();
        over_limit(&taken, t.sign_up_window, now)
    }

    /// Counts a change of `user_id`'s names or address, refusing past
    /// `GATEHOUSE_PROFILE_MAX_CHANGES_PER_HOUR` (each writes an event and
    /// may call webhooks: a token must not be a way to flood them).
    pub(crate) async fn profile_change_allowed(&self, user_id: i64) -> Result<()> {
        let now = self.now();
        let bucket = format!("profile:user:{user_id}");
        let taken = throttle::take(&self.db, &[&bucket], now, now - 3600).await?;
        let limit = self.config.throttle.profile_changes_per_hour;
        let taken: Vec<(Taken, i64)> = taken.into_iter().map(|t| (t, limit)).collect();
        over_limit(&taken, 3600, now)
    }

    /// Counts a question "is this address taken?" (an email change) against
    /// the client's address, with the sign-up limit and window.
    pub(crate) async fn probe_allowed(&self, client: Option<IpAddr>) -> Result<()> {
        let Some(ip) = client else { return Ok(()) };
        let t = &self.config.throttle;
        let now = self.now();
        let bucket = address_bucket("email-probe", ip);
        let taken = throttle::take(&self.db, &[&bucket], now, now - t.sign_up_window).await?;
        let taken: Vec<(Taken, i64)> = taken
            .into_iter()
            .map(|t| (t, self.config.throttle.sign_ups_per_address))
            .collect();
        over_limit(&taken, t.sign_up_window, now)
    }

    /// Deletes the counters of windows that have ended (run now and then:
    /// every distinct name tried leaves a row).
    pub async fn purge_throttle(&self) -> Result<u64> {
        let t = &self.config.throttle;
        let m = &self.config.mail;
        let longest = t.login_window.max(t.sign_up_window);
        let mail_longest = m.window.max(m.min_interval);
        let now = self.now();
        // The profile-change windows are an hour long.
        throttle::purge(
            &self.db,
            now - longest + 1,
            now - mail_longest + 1,
            now - 3600 + 1,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_account_has_one_bucket_whatever_the_login_and_unknown_names_their_own() {
        assert_eq!(
            account_bucket(Some(7), "alice"),
            account_bucket(Some(7), "a@x.io")
        );
        assert_ne!(account_bucket(Some(7), "x"), account_bucket(Some(8), "x"));
        assert_eq!(
            account_bucket(None, "Ghost"),
            account_bucket(None, " ghost ")
        );
        assert_ne!(account_bucket(None, "ghost"), account_bucket(None, "other"));
        assert_ne!(account_bucket(None, "7"), account_bucket(Some(7), "7"));
    }

    #[test]
    fn the_retry_time_is_that_of_the_window_over_its_limit() {
        let t = |hits, window_start| Taken { hits, window_start };
        assert!(over_limit(&[(t(10, 0), 10), (t(1, 50), 100)], 60, 30).is_ok());
        match over_limit(&[(t(11, 0), 10), (t(1, 50), 100)], 60, 30) {
            Err(Error::RateLimited { retry_after }) => assert_eq!(retry_after, 30),
            other => panic!("{other:?}"),
        }
    }
}
