//! Rows that outlive their use: expired refresh and link tokens, sessions
//! expired or ended, second-factor login challenges expired, records of
//! mail long sent and webhooks long delivered, auth events past their
//! retention (run hourly by
//! `app::server`).

use crate::db::{email_tokens, events, mfa, outbox, refresh_tokens, sessions};
use crate::error::Result;
use crate::service::Gatehouse;

impl Gatehouse {
    /// Deletes refresh and link tokens that expired before `before`,
    /// sessions that expired or ended before it, and records of mail sent
    /// or given up 30 days before that; how many.
    pub async fn purge_expired_refresh_tokens(&self, before: i64) -> Result<u64> {
        let db = &self.db;
        let links = in_batches(|n| email_tokens::purge(db, before, n)).await?;
        // Records of mail sent or given up are kept for 30 days.
        let mails = outbox::purge(&self.db, before - 30 * 86_400).await?;
        let sessions = in_batches(|n| sessions::purge(db, before, n)).await?;
        let challenges = in_batches(|n| mfa::purge_challenges(db, before, n)).await?;
        // Webhook deliveries made or given up are kept as long as mail's.
        let deliveries = events::purge_deliveries(&self.db, before - 30 * 86_400).await?;
        let events = self.purge_events().await?;
        Ok(
            in_batches(|n| refresh_tokens::purge_expired(db, before, n)).await?
                + links
                + mails
                + sessions
                + challenges
                + deliveries
                + events,
        )
    }
}

/// Rows deleted per statement by the hourly purges.
const PURGE_BATCH: i64 = 1000;

/// Runs `purge` (which deletes at most its argument's number of rows) until
/// a batch comes back short, pausing 20 ms between batches, so requests'
/// writes get the database in between (a million expired tokens are a
/// thousand short statements, not one long one); how many in all.
async fn in_batches<F, Fut>(mut purge: F) -> Result<u64>
where
    F: FnMut(i64) -> Fut,
    Fut: std::future::Future<Output = Result<u64>>,
{
    let mut total = 0;
    loop {
        let n = purge(PURGE_BATCH).await?;
        total += n;
        if n < PURGE_BATCH as u64 {
            return Ok(total);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
