//! `gatehouse keys`: listing, rotating, retiring and re-sealing the signing
//! keys in the database, and making new keys (which needs no configuration).

use clap::Subcommand;
use secrecy::ExposeSecret as _;

use gatehouse::config::Config;
use gatehouse::db::Db;

#[derive(Subcommand)]
pub(crate) enum KeysAction {
    /// List the signing keys: the supplied one (GATEHOUSE_SIGNING_KEY) if
    /// any, and those in the database, with id, creation time, how the
    /// private key is stored (clear, or sealed:ID of the encryption key)
    /// and state. Never a private key.
    List,
    /// Add a new key to the database. It signs new tokens from now on
    /// (running servers pick it up within GATEHOUSE_KEY_RELOAD_SECS); tokens
    /// signed by older keys keep working until those keys are retired.
    /// Sealed under GATEHOUSE_KEY_ENCRYPTION_KEY when it is set. Refused
    /// while a signing key is supplied (the new key would never sign).
    Rotate,
    /// Retire a key: every token it signed stops working at once, on every
    /// instance. The only active key cannot be retired (rotate first),
    /// unless a signing key is supplied: then any stored key can.
    Retire {
        /// The key id (k4.pid.…), as `keys list` shows it.
        kid: String,
    },
    /// Retire every key stored in the database, after moving to a supplied
    /// signing key (GATEHOUSE_SIGNING_KEY or GATEHOUSE_SIGNING_KEY_FILE must
    /// be set). Tokens they signed stop working at once; clients get new
    /// ones signed by the supplied key with their refresh tokens.
    RetireStored,
    /// Seal every private key stored in the database under
    /// GATEHOUSE_KEY_ENCRYPTION_KEY: keys stored in the clear, and keys
    /// sealed under the previous encryption key, which must then be given as
    /// GATEHOUSE_KEY_ENCRYPTION_KEY_OLD. Key ids do not change, so issued
    /// tokens stay valid.
    Reseal,
    /// Print a new secret key (PASERK k4.secret) for GATEHOUSE_SIGNING_KEY or
    /// GATEHOUSE_SIGNING_KEY_FILE. It is not stored anywhere.
    Generate {
        /// Write it to this new file (mode 0600) instead of printing it.
        #[arg(long, value_name = "PATH")]
        out: Option<std::path::PathBuf>,
    },
    /// Print a new key-encryption key (32 random bytes, base64url) for
    /// GATEHOUSE_KEY_ENCRYPTION_KEY or GATEHOUSE_KEY_ENCRYPTION_KEY_FILE.
    /// Keep it outside the database (and its backups): whoever has both can
    /// open the stored private keys.
    GenerateEncryptionKey {
        /// Write it to this new file (mode 0600) instead of printing it.
        #[arg(long, value_name = "PATH")]
        out: Option<std::path::PathBuf>,
    },
}

/// Runs a `keys` command against the configured database.
pub(crate) async fn run(action: KeysAction, config: &Config) -> anyhow::Result<()> {
    let sealing = gatehouse::auth::keys::Sealing::from_config(config)?;
    // Key events go to the log of auth events (and webhooks) as any other.
    let recorder = gatehouse::service::events::Recorder::new(&config.webhooks);
    let supplied = config
        .signing_key
        .as_ref()
        .map(|k| gatehouse::auth::keys::external_kid(k.expose_secret()))
        .transpose()?;
    let db = Db::connect(config).await?;
    db.migrate().await?;
    let result = keys_on(action, &db, &sealing, supplied.as_deref(), &recorder).await;
    db.close().await;
    result
}

async fn keys_on(
    action: KeysAction,
    db: &Db,
    sealing: &gatehouse::auth::keys::Sealing,
    supplied: Option<&str>,
    recorder: &gatehouse::service::events::Recorder,
) -> anyhow::Result<()> {
    use gatehouse::auth::keys::{self, Stored};
    match action {
        KeysAction::List => {
            let rows = gatehouse::db::keys::all(db)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
            // A supplied key signs; otherwise the newest active stored key.
            let signing = match supplied {
                Some(_) => None,
                None => rows
                    .iter()
                    .rev()
                    .find(|r| r.retired_at.is_none())
                    .map(|r| r.seq),
            };
            println!(
                "{:<4} {:<52} {:<21} {:<24} state",
                "seq", "kid", "created", "stored"
            );
            if let Some(kid) = supplied {
                println!(
                    "{:<4} {:<52} {:<21} {:<24} supplied, signing",
                    "-", kid, "-", "not stored"
                );
            }
            for r in &rows {
                let state = match (r.retired_at, Some(r.seq) == signing) {
                    (Some(_), _) => "retired",
                    (None, true) => "active, signing",
                    (None, false) => "active, not signing",
                };
                println!(
                    "{:<4} {:<52} {:<21} {:<24} {state}",
                    r.seq,
                    r.kid,
                    rfc3339(r.created_at),
                    Stored::of(&r.secret_key).to_string()
                );
            }
            match sealing.current() {
                Some(k) => println!("encryption key: {}", k.id_hex()),
                None => println!("encryption key: none (GATEHOUSE_KEY_ENCRYPTION_KEY is not set)"),
            }
        }
        KeysAction::Rotate => {
            if supplied.is_some() {
                anyhow::bail!(
                    "a signing key is supplied (GATEHOUSE_SIGNING_KEY or GATEHOUSE_SIGNING_KEY_FILE): \
                     a new stored key would never sign, only verify; remove the setting to sign \
                     with stored keys again"
                );
            }
            let kid = keys::rotate(db, sealing, recorder).await?;
            println!("new signing key {kid}");
        }
        KeysAction::Retire { kid } => {
            if supplied == Some(kid.as_str()) {
                anyhow::bail!(
                    "key {kid} is the supplied signing key (GATEHOUSE_SIGNING_KEY), not a stored \
                     one: to stop using it, remove the setting"
                );
            }
            keys::retire(db, &kid, supplied.is_some(), recorder).await?;
            println!("retired {kid}");
        }
        KeysAction::RetireStored => {
            let retired = keys::retire_stored(db, supplied.is_some(), recorder).await?;
            for kid in &retired {
                println!("retired {kid}");
            }
            println!(
                "{} stored key(s) retired; the supplied key {} signs",
                retired.len(),
                supplied.unwrap_or("")
            );
        }
        KeysAction::Reseal => {
            let done = keys::reseal(db, sealing).await?;
            for kid in &done.sealed {
                println!("sealed {kid}");
            }
            for kid in &done.skipped {
                println!("skipped {kid} (retired, and sealed under an encryption key not given)");
            }
            println!(
                "{} key(s) sealed under encryption key {}, {} already were",
                done.sealed.len(),
                sealing.current().map(|k| k.id_hex()).unwrap_or_default(),
                done.unchanged
            );
        }
        // Handled before the configuration is read; here for completeness.
        KeysAction::Generate { out } => generate(out.as_deref(), "signing key", || {
            keys::generate_paserk_secret()
        })?,
        KeysAction::GenerateEncryptionKey { out } => {
            generate(out.as_deref(), "key-encryption key", || {
                keys::EncryptionKey::generate()
            })?
        }
    }
    Ok(())
}

/// Makes a new key and prints it, or writes it to a new private file.
pub(crate) fn generate(
    out: Option<&std::path::Path>,
    what: &str,
    make: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    let key = secrecy::zeroize::Zeroizing::new(make()?);
    let Some(path) = out else {
        println!("{}", *key);
        return Ok(());
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot create {}: {e} (an existing file is never overwritten)",
            path.display()
        )
    })?;
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    std::io::Write::write_all(&mut file, key.as_bytes())?;
    std::io::Write::write_all(&mut file, b"\n")?;
    file.sync_all()?;
    println!("wrote a new {what} to {} (mode 0600)", path.display());
    Ok(())
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
