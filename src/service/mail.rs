//! Mail from the service's side: writing one (templates, links), the
//! per-recipient and per-address limits on asking for one, and delivery:
//! every instance's worker drains the outbox (`db::outbox`), with retries,
//! backoff and a final failed state.

use std::net::IpAddr;

use crate::auth::client::address_key;
use crate::db::outbox::{self, Claimed, NewMail};
use crate::db::throttle;
use crate::db::users;
use crate::error::{Error, Result};
use crate::mail::templates::{human_duration, Context, Person};
use crate::mail::transport::Outgoing;
use crate::mail::Kind;
use crate::service::{Gatehouse, User};

/// Mails one pass of the worker claims at most.
const BATCH: i64 = 10;
/// How long one mail's sending may take, all of its SMTP conversation.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// How long a claimed batch is left to its sender before another worker
/// may take it (a sender that died): well over a whole batch's sending
/// time at the timeout, so a slow server never gets one mail twice.
const LEASE_SECS: i64 = 900;
/// The first retry's delay; it doubles with each failure, up to [`MAX_BACKOFF_SECS`].
const FIRST_BACKOFF_SECS: i64 = 30;
const MAX_BACKOFF_SECS: i64 = 3600;

/// The delay before the next try after `attempts` failed ones.
pub(crate) fn backoff(attempts: i64) -> i64 {
    backoff_from(FIRST_BACKOFF_SECS, MAX_BACKOFF_SECS, attempts)
}

/// `first` seconds doubled for each failed try after the first, at most `max`.
pub(crate) fn backoff_from(first: i64, max: i64, attempts: i64) -> i64 {
    let doublings = u32::try_from((attempts - 1).clamp(0, 20)).unwrap_or(20);
    (first << doublings).min(max)
}

/// Who a mail is about, as its templates see them.
pub(crate) fn person(u: &User) -> Person<'_> {
    Person {
        username: &u.username,
        email: &u.email,
        first_name: &u.first_name,
        last_name: &u.last_name,
    }
}

/// What one mail says besides its kind and user.
#[derive(Default)]
pub(crate) struct Extra<'a> {
    /// The link's token and how long it works, in seconds.
    pub link: Option<(&'a str, i64)>,
    pub new_email: Option<&'a str>,
    pub old_email: Option<&'a str>,
}

impl Gatehouse {
    /// Writes the mail of `kind` about `user` to `to`.
    pub(crate) fn compose(
        &self,
        kind: Kind,
        to: &str,
        user: Person<'_>,
        extra: Extra<'_>,
    ) -> Result<NewMail> {
        let m = &self.config.mail;
        let link = extra.link.map(|(token, _)| match kind {
            Kind::VerifyEmail => m.verify_url.link(token),
            Kind::ResetPassword => m.reset_url.link(token),
            _ => m.confirm_email_url.link(token),
        });
        let valid_for = extra.link.map(|(_, ttl)| human_duration(ttl));
        let ctx = Context {
            user,
            link: link.as_deref(),
            valid_for: valid_for.as_deref(),
            new_email: extra.new_email,
            old_email: extra.old_email,
        };
        let r = self
            .mailer
            .templates
            .render(kind, &ctx)
            .map_err(|e| Error::internal(anyhow::anyhow!("{e}")))?;
        Ok(NewMail {
            kind: kind.name(),
            recipient: to.to_owned(),
            subject: r.subject,
            text: r.text,
            html: r.html,
        })
    }

    /// Counts a request for mail against the client's address (RATE_LIMITED
    /// past `GATEHOUSE_MAIL_MAX_PER_ADDRESS` a window) and then against the
    /// recipient (RATE_LIMITED within `GATEHOUSE_MAIL_MIN_INTERVAL_SECS` of
    /// the last mail of `kind` to it). Counted first, whether or not the
    /// address is anyone's: the answer tells nothing about that.
    pub(crate) async fn mail_allowed(
        &self,
        kind: Kind,
        recipient: &str,
        client: Option<IpAddr>,
    ) -> Result<()> {
        let m = &self.config.mail;
        let now = self.now();
        if let Some(ip) = client {
            let bucket = format!("mail:address:{}", address_key(ip));
            let taken = throttle::take(&self.db, &[&bucket], now, now - m.window).await?;
            if let Some(t) = taken.first().filter(|t| t.hits > m.per_address) {
                return Err(Error::RateLimited {
                    retry_after: (t.window_start + m.window - now).max(1),
                });
            }
        }
        self.recipient_allowed(kind, recipient).await
    }

    /// Counts a mail of `kind` to `recipient`; RATE_LIMITED when one went
    /// out less than the minimum interval ago.
    pub(crate) async fn recipient_allowed(&self, kind: Kind, recipient: &str) -> Result<()> {
        let m = &self.config.mail;
        let now = self.now();
        let bucket = format!("mail:{}:{}", kind.name(), users::key(recipient));
        let taken = throttle::take(&self.db, &[&bucket], now, now - m.min_interval).await?;
        match taken.first() {
            Some(t) if t.hits > 1 => Err(Error::RateLimited {
                retry_after: (t.window_start + m.min_interval - now).max(1),
            }),
            _ => Ok(()),
        }
    }

    /// Tells this instance's delivery worker that mail is due.
    pub(crate) fn mail_queued(&self) {
        self.mail_due.notify_one();
    }

    /// Waits until mail may be due: queued here, or `poll` elapsed (mail
    /// queued by another instance, a retry come due).
    pub async fn mail_wait(&self, poll: std::time::Duration) {
        let _ = tokio::time::timeout(poll, self.mail_due.notified()).await;
    }

    /// Sends the mail that is due, a batch at a time, until none is; returns
    /// how many went out. Each mail is claimed first (no other worker takes
    /// it while this one sends), then marked sent, due again after a
    /// backoff, or failed after the last attempt.
    pub async fn deliver_due(&self) -> Result<usize> {
        let mut sent = 0;
        loop {
            let now = self.now();
            let batch = outbox::claim(&self.db, now, now + LEASE_SECS, BATCH).await?;
            if batch.is_empty() {
                break;
            }
            for mail in &batch {
                sent += usize::from(self.deliver(mail).await?);
            }
        }
        let depth = outbox::depth(&self.db).await?;
        self.metrics.mail_queue_depth.store(
            u64::try_from(depth).unwrap_or(0),
            std::sync::atomic::Ordering::Relaxed,
        );
        Ok(sent)
    }

    async fn deliver(&self, mail: &Claimed) -> Result<bool> {
        let kind = Kind::from_name(&mail.kind).map_or("other", Kind::name);
        let outgoing = Outgoing {
            id: mail.id,
            recipient: &mail.recipient,
            subject: &mail.subject,
            text: &mail.body_text,
            html: &mail.body_html,
        };
        let sent = tokio::time::timeout(
            SEND_TIMEOUT,
            self.mailer.transport.send(&self.mailer.from, &outgoing),
        )
        .await
        .unwrap_or_else(|_| {
            Err(crate::mail::transport::SendError {
                reason: "the SMTP server took too long".into(),
                permanent: false,
            })
        });
        match sent {
            Ok(()) => {
                outbox::mark_sent(&self.db, mail.id, self.now()).await?;
                self.metrics.mail(kind, "sent");
                tracing::info!(mail = mail.id, kind, attempts = mail.attempts, "mail sent");
                Ok(true)
            }
            Err(e) if e.permanent || mail.attempts >= self.config.mail.max_attempts => {
                outbox::mark_failed(&self.db, mail.id, &e.reason).await?;
                self.metrics.mail(kind, "failed");
                tracing::error!(mail = mail.id, kind, attempts = mail.attempts, error = %e.reason, "mail given up");
                Ok(false)
            }
            Err(e) => {
                let next = self.now() + backoff(mail.attempts);
                outbox::mark_retry(&self.db, mail.id, next, &e.reason).await?;
                self.metrics.mail(kind, "retry");
                tracing::warn!(mail = mail.id, kind, attempts = mail.attempts, error = %e.reason, "mail not sent; will retry");
                Ok(false)
            }
        }
    }

    /// Waits for the mail work requests handed off (`spawn_mail_work`).
    pub async fn finish_mail_work(&self) {
        self.mail_work.close();
        self.mail_work.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_batch_is_sent_within_its_lease() {
        let worst = BATCH * i64::try_from(SEND_TIMEOUT.as_secs()).unwrap();
        assert!(
            worst * 3 / 2 <= LEASE_SECS,
            "{worst} s of sending, lease {LEASE_SECS} s"
        );
    }

    #[test]
    fn the_backoff_doubles_from_30_seconds_to_an_hour() {
        assert_eq!(backoff(1), 30);
        assert_eq!(backoff(2), 60);
        assert_eq!(backoff(3), 120);
        assert_eq!(backoff(7), 1920);
        assert_eq!(backoff(8), 3600);
        assert_eq!(backoff(1000), 3600);
        assert_eq!(backoff(0), 30);
    }
}
