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
        let links = email_tokens::purge(&self.db, before).await?;
        // Records of mail sent or given up are kept for 30 days.
        let mails = outbox::purge(&self.db, before - 30 * 86_400).await?;
        let sessions = sessions::purge(&self.db, before).await?;
        let challenges = mfa::purge_challenges(&self.db, before).await?;
        // Webhook deliveries made or given up are kept as long as mail's.
        let deliveries = events::purge_deliveries(&self.db, before - 30 * 86_400).await?;
        let events = self.purge_events().await?;
        Ok(refresh_tokens::purge_expired(&self.db, before).await?
            + links
            + mails
            + sessions
            + challenges
            + deliveries
            + events)
    }
}
