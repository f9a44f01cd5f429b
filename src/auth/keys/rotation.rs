//! Changing the stored keys: adding a generation (`rotate`), retiring keys,
//! and sealing them again under a new key-encryption key (`reseal`).

use anyhow::Context as _;
use pasetors::keys::{AsymmetricKeyPair, Generate};
use pasetors::version4::V4;
use secrecy::zeroize::Zeroizing;

use super::seal::{Sealing, Stored};
use super::{config_error, kid_of, to_anyhow};
use crate::db::events::NewEvent;
use crate::db::{self, Db};
use crate::service::events::{EventKind, Recorder};

/// Adds a new key generation; it signs from the next (re)load on. Returns
/// its id. The private key is sealed under the current encryption key, if
/// any; with none, on a database that holds sealed keys, nothing is added.
pub async fn rotate(db: &Db, sealing: &Sealing, recorder: &Recorder) -> anyhow::Result<String> {
    // Another process may take the same generation number: try the next.
    for _ in 0..5 {
        let rows = db::keys::all(db).await.map_err(to_anyhow)?;
        let next = rows.last().map_or(1, |r| r.seq + 1);
        let rotated = |kid: &str| {
            Some(
                recorder
                    .event(EventKind::KeyRotated, None)
                    .with(serde_json::json!({ "kid": kid, "seq": next })),
            )
        };
        if let Some(kid) = add_generation(db, &rows, sealing, next, &rotated).await? {
            return Ok(kid);
        }
    }
    anyhow::bail!("could not add a key generation: too much contention")
}

/// Stores a new key as generation `seq`: its id, or `None` when that
/// generation exists already (another process took the number). `event`
/// (given the key's id) is written with it.
pub(super) async fn add_generation(
    db: &Db,
    rows: &[db::keys::KeyRow],
    sealing: &Sealing,
    seq: i64,
    event: &(dyn Fn(&str) -> Option<NewEvent> + Sync),
) -> anyhow::Result<Option<String>> {
    if sealing.current().is_none()
        && rows
            .iter()
            .any(|r| matches!(Stored::of(&r.secret_key), Stored::Sealed(_)))
    {
        return Err(config_error(
            "the database holds sealed private keys, but GATEHOUSE_KEY_ENCRYPTION_KEY (or \
             GATEHOUSE_KEY_ENCRYPTION_KEY_FILE) is not set: a new key would be stored in the clear",
        ));
    }
    let kp = AsymmetricKeyPair::<V4>::generate().context("generating a signing key")?;
    let kid = kid_of(&kp.public);
    let stored = sealing.seal(&kid, kp.secret.as_bytes())?;
    let stored = Zeroizing::new(stored);
    let events: Vec<NewEvent> = event(&kid).into_iter().collect();
    let public = kp.public.as_bytes();
    let inserted =
        db::keys::insert_generation(db, seq, &kid, &stored, public, crate::now(), &events)
            .await
            .map_err(to_anyhow)?;
    Ok(inserted.then_some(kid))
}

/// Retires a key: tokens it signed stop verifying at once, everywhere.
/// Refuses to retire the last active key (rotate first), unless a supplied
/// key signs (`external_signs`): then every stored key may go.
pub async fn retire(
    db: &Db,
    kid: &str,
    external_signs: bool,
    recorder: &Recorder,
) -> anyhow::Result<()> {
    let rows = db::keys::all(db).await.map_err(to_anyhow)?;
    let active: Vec<_> = rows.iter().filter(|r| r.retired_at.is_none()).collect();
    if !rows.iter().any(|r| r.kid == kid) {
        anyhow::bail!("no key with id {kid} in the database");
    }
    if !active.iter().any(|r| r.kid == kid) {
        anyhow::bail!("key {kid} is already retired");
    }
    if active.len() == 1 && !external_signs {
        anyhow::bail!("key {kid} is the only active key: run `gatehouse keys rotate` first");
    }
    let retired = recorder
        .event(EventKind::KeyRetired, None)
        .with(serde_json::json!({ "kid": kid }));
    db::keys::retire(db, kid, crate::now(), &[retired])
        .await
        .map_err(to_anyhow)?;
    Ok(())
}

/// Retires every key in the database, for a deployment that has moved to a
/// supplied key (`external_signs` must be true: otherwise nothing would be
/// left to sign with). Returns the ids retired.
pub async fn retire_stored(
    db: &Db,
    external_signs: bool,
    recorder: &Recorder,
) -> anyhow::Result<Vec<String>> {
    if !external_signs {
        return Err(config_error(
            "no signing key is supplied (GATEHOUSE_SIGNING_KEY or GATEHOUSE_SIGNING_KEY_FILE): \
             retiring every stored key would leave none to sign with",
        ));
    }
    let retired = |kid: &str| {
        recorder
            .event(EventKind::KeyRetired, None)
            .with(serde_json::json!({ "kid": kid }))
    };
    db::keys::retire_all(db, crate::now(), &retired)
        .await
        .map_err(to_anyhow)
}

/// What `reseal` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Keys sealed (from the clear, or from the old encryption key).
    pub sealed: Vec<String>,
    /// Keys that were sealed under the current encryption key already.
    pub unchanged: usize,
    /// Retired keys that did not open (sealed under an encryption key not
    /// given), left as they are: they never sign or verify again.
    pub skipped: Vec<String>,
}

/// Seals every stored private key (retired ones too) under the current
/// encryption key: clear keys, and keys sealed under the old one. Opens
/// every key before writing any, so an active key that cannot be opened
/// (sealed under an encryption key not given) changes nothing; a retired
/// one is skipped and reported.
pub async fn reseal(db: &Db, sealing: &Sealing) -> anyhow::Result<Resealed> {
    if sealing.current().is_none() {
        return Err(config_error(
            "GATEHOUSE_KEY_ENCRYPTION_KEY (or GATEHOUSE_KEY_ENCRYPTION_KEY_FILE) is not set: \
             there is no key to seal with (`gatehouse keys generate-encryption-key` makes one)",
        ));
    }
    let rows = db::keys::all(db).await.map_err(to_anyhow)?;
    let mut report = Resealed::default();
    let mut todo = Vec::new();
    for row in &rows {
        if sealing.is_current(&row.secret_key) {
            report.unchanged += 1;
            continue;
        }
        let secret = match sealing.open(&row.kid, &row.secret_key) {
            Ok(secret) => secret,
            Err(_) if row.retired_at.is_some() => {
                report.skipped.push(row.kid.clone());
                continue;
            }
            Err(e) => return Err(e),
        };
        let sealed = Zeroizing::new(sealing.seal(&row.kid, &secret)?);
        // Never write what would not open again.
        anyhow::ensure!(
            *sealing.open(&row.kid, &sealed)? == *secret,
            "sealing key {} did not round-trip",
            row.kid
        );
        todo.push((row, sealed));
    }
    for (row, sealed) in todo {
        let replaced = db::keys::replace_secret(db, &row.kid, &row.secret_key, &sealed)
            .await
            .map_err(to_anyhow)?;
        if replaced {
            report.sealed.push(row.kid.clone());
        } else {
            // Changed meanwhile (another `reseal`): leave it to that one.
            report.unchanged += 1;
        }
    }
    Ok(report)
}
