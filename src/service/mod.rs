//! The service functions both faces (GraphQL and REST) call: every rule
//! (password policy, who may refresh, staff-only listing) lives here once.

pub mod accounts;
pub mod admin;
pub mod caller;
pub mod clock;
mod email;
pub mod events;
mod housekeeping;
mod mail;
mod mfa;
mod passwords;
mod profile;
mod reauth;
mod session_list;
pub mod sessions;
pub mod throttle;
mod user;
pub mod validate;
mod webhooks;

use std::sync::Arc;

use anyhow::Context as _;

use crate::auth::keys::KeyRing;
use crate::auth::password::Hasher;
use crate::auth::tokens::VerifiedCache;
use crate::config::Config;
use crate::db::Db;
use crate::metrics::Metrics;

pub use caller::{AuthUser, Caller};
pub use mfa::TotpEnrolment;
pub use session_list::Session;
pub use sessions::{Device, Issued};
pub use user::{StoredUser, User};
pub use webhooks::{lease_secs as webhooks_lease_secs, message_id, payload, Signer};

/// The webhook signer, when webhooks are on (the settings checked the secret).
fn webhook_signer(config: &Config) -> Option<webhooks::Signer> {
    use secrecy::ExposeSecret as _;
    if config.webhooks.urls.is_empty() {
        return None;
    }
    config
        .webhooks
        .secret
        .as_ref()
        .and_then(|s| webhooks::Signer::new(s.expose_secret()))
}

/// The running service: database, password hasher, signing keys, settings,
/// and its caches (nothing is kept per process, so services started side by
/// side, as tests do, share nothing).
///
/// The fields are private: the faces call methods (one per operation, and
/// a few settings they need); the composition root (`app`, `main`) and
/// operator tools reach the parts through the accessors below.
pub struct Gatehouse {
    db: Db,
    metrics: Metrics,
    hasher: Hasher,
    keys: KeyRing,
    /// Access tokens whose signature verified (see `tokens::verify`).
    verified_tokens: VerifiedCache,
    config: Config,
    clock: clock::Clock,
    /// Templates, transport and sender of mail.
    mailer: crate::mail::Mailer,
    /// Wakes this instance's delivery worker when mail is queued.
    mail_due: tokio::sync::Notify,
    /// Mail work requests handed off (`email::spawn_mail_work`).
    mail_work: tokio_util::task::TaskTracker,
    /// Builds auth events (origin, webhook URLs).
    recorder: events::Recorder,
    /// Signs webhook deliveries (none without `GATEHOUSE_WEBHOOK_URL`).
    webhook_signer: Option<webhooks::Signer>,
    webhook_client: reqwest::Client,
    /// Wakes this instance's webhook worker when deliveries are queued.
    webhooks_due: tokio::sync::Notify,
}

/// Shared handle on the service.
pub type State = Arc<Gatehouse>;

impl Gatehouse {
    /// Opens and migrates the database and loads (or creates) signing keys.
    pub async fn start(config: Config) -> anyhow::Result<State> {
        let db = Db::connect(&config).await?;
        db.migrate().await?;
        crate::db::users::rekey(&db)
            .await
            .map_err(|e| anyhow::anyhow!("bringing login keys up to NFKC: {e:?}"))?;
        let keys = KeyRing::start(&db, &config)
            .await
            .context("loading signing keys")?;
        let hasher = Hasher::new(config.argon2, config.hash_concurrency)?;
        let mailer = crate::mail::Mailer::new(&config.mail).map_err(|e| anyhow::anyhow!(e))?;
        if crate::mail::warns(&config.mail) {
            tracing::warn!("{}", crate::mail::describe(&config.mail));
        }
        Ok(Arc::new(Self {
            db,
            metrics: Metrics::default(),
            hasher,
            keys,
            verified_tokens: VerifiedCache::default(),
            clock: clock::Clock::default(),
            mailer,
            mail_due: tokio::sync::Notify::new(),
            mail_work: tokio_util::task::TaskTracker::new(),
            recorder: events::Recorder::new(&config.webhooks),
            webhook_signer: webhook_signer(&config),
            webhook_client: webhooks::client(config.webhooks.timeout),
            webhooks_due: tokio::sync::Notify::new(),
            config,
        }))
    }

    /// The largest request body either face reads, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.config.max_body_bytes
    }

    /// The bounds on a GraphQL document (depth, aliases, …).
    pub fn graphql_limits(&self) -> &crate::config::GraphqlLimits {
        &self.config.graphql_limits
    }

    /// The proxies whose forwarding headers name the client (`auth::client`).
    pub fn trusted_proxies(&self) -> &[std::net::IpAddr] {
        &self.config.trusted_proxies
    }

    /// Now, in Unix seconds, by the service's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The service's clock (tests advance it instead of sleeping).
    pub fn clock(&self) -> &clock::Clock {
        &self.clock
    }

    /// The settings it runs with, for the composition root (`app`).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The database, for the composition root and operator tools (key
    /// rotation, tests); the faces go through service methods.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The signing keys, for the composition root and operator tools.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The counters `/metrics` renders.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The password hasher (its slot wait is a metric).
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }
}
