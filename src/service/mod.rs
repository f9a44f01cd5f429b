//! The service functions both faces (GraphQL and REST) call: every rule
//! (password policy, who may refresh, staff-only listing) lives here once.

pub mod accounts;
pub mod caller;
pub mod sessions;
pub mod throttle;
pub mod validate;

use std::sync::Arc;

use anyhow::Context as _;

use crate::auth::keys::KeyRing;
use crate::auth::password::Hasher;
use crate::auth::tokens::VerifiedCache;
use crate::config::Config;
use crate::db::Db;
use crate::metrics::Metrics;

pub use caller::{AuthUser, Caller};
pub use sessions::Issued;

/// The running service: database, password hasher, signing keys, settings,
/// and its caches (nothing is kept per process, so services started side by
/// side, as tests do, share nothing).
pub struct Gatehouse {
    pub db: Db,
    pub metrics: Metrics,
    pub hasher: Hasher,
    pub keys: KeyRing,
    /// Access tokens whose signature verified (see `tokens::verify`).
    pub verified_tokens: VerifiedCache,
    pub config: Config,
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
        Ok(Arc::new(Self {
            db,
            metrics: Metrics::default(),
            hasher,
            keys,
            verified_tokens: VerifiedCache::default(),
            config,
        }))
    }
}
