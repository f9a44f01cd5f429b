//! The `gatehouse` command: parse arguments, set up logging, hand off to the library.

use std::io::{IsTerminal as _, Read as _};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret as _, SecretString};

use gatehouse::app::{shutdown_signal, Application};
use gatehouse::config::Config;
use gatehouse::db::Db;
use gatehouse::service::Gatehouse;

/// Gatehouse: sign-up, login and token service for GraphQL and REST.
///
/// Settings come from environment variables (DATABASE_URL and GATEHOUSE_*,
/// all optional, listed in the README); `gatehouse config check` prints
/// their effective values. Log verbosity: RUST_LOG (default info).
///
/// Exit codes: 0 success, 1 runtime error (database, network), 2 invalid
/// usage or configuration.
#[derive(Parser)]
#[command(name = "gatehouse", version, about, long_about)]
struct Cli {
    /// Read settings from this TOML file too (keys: the variables' names
    /// without GATEHOUSE_, in lower case); environment variables win.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default): GraphQL at /graphql, REST at /api, Swagger UI at /docs.
    Serve,
    /// Apply database migrations and exit (the server also applies them at start).
    Migrate,
    /// Create a staff superuser. The password is read from standard input
    /// when it is not a terminal, and prompted for (hidden) when it is.
    CreateSuperuser {
        /// The new user's login name.
        #[arg(long)]
        username: String,
        /// The new user's email address.
        #[arg(long)]
        email: String,
    },
    /// Check the configuration: print the effective settings (secrets
    /// redacted) and exit 0, or name the invalid setting and exit 2.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Import users from a Django dump (`manage.py dumpdata auth.user`).
    ///
    /// FILE is the JSON that `python manage.py dumpdata auth.user --indent 2`
    /// writes. Users keep their flags, names, join dates and Django password
    /// hashes (pbkdf2_sha256, replaced by argon2id at their first login).
    /// Usernames or emails that exist already are skipped, so running it
    /// again is safe; bad rows are reported with their line and skipped.
    /// Prints `imported N, skipped M existing, rejected K` and exits 0 once
    /// the file is read; exits 1 if it is not a Django dump.
    ImportDjangoUsers {
        /// The dump to read.
        file: std::path::PathBuf,
    },
    /// Manage the keys that sign access tokens.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Print the GraphQL schema (schema.graphql) and exit.
    PrintSchema,
    /// Print the REST API's OpenAPI document (openapi.json) and exit.
    PrintOpenapi,
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Print the effective configuration with secrets redacted.
    Check,
}

#[derive(Subcommand)]
enum KeysAction {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::PrintSchema) => {
            print!("{}", gatehouse::graphql::SDL);
            return ExitCode::SUCCESS;
        }
        Some(Command::PrintOpenapi) => {
            print!("{}", gatehouse::rest::spec_json());
            return ExitCode::SUCCESS;
        }
        // Key generation needs no configuration (nor a valid one).
        Some(Command::Keys {
            action: KeysAction::Generate { ref out },
        }) => {
            return finish(generate(out.as_deref(), "signing key", || {
                gatehouse::auth::keys::generate_paserk_secret()
            }))
        }
        Some(Command::Keys {
            action: KeysAction::GenerateEncryptionKey { ref out },
        }) => {
            return finish(generate(out.as_deref(), "key-encryption key", || {
                gatehouse::auth::keys::EncryptionKey::generate()
            }))
        }
        _ => {}
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gatehouse: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Config {
        action: ConfigAction::Check,
    }) = cli.command
    {
        print!("{}", config.describe());
        for warning in file_warnings(&config) {
            eprintln!("warning: {warning}");
        }
        if config.key_encryption_key.is_none() {
            eprintln!(
                "warning: GATEHOUSE_KEY_ENCRYPTION_KEY is not set: private signing keys in the \
                 database are stored in the clear (`gatehouse keys generate-encryption-key` makes \
                 one, `gatehouse keys reseal` seals the stored keys)"
            );
        }
        println!("configuration OK");
        return ExitCode::SUCCESS;
    }
    init_logging(config.log_json);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gatehouse: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    finish(runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config)))
}

/// The exit code for a command's result: 2 for a key setting that does not
/// fit the database (a sealed key and no encryption key, say), 1 for other
/// errors.
fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse: {e:#}");
            if gatehouse::auth::keys::is_config_error(&e) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Files holding secrets that group or others may open: the SQLite
/// database, its -wal and -shm, the key files. (Whether the stored keys are
/// sealed is said by `config check`, and at start by the key ring.)
fn file_warnings(config: &Config) -> Vec<String> {
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    if let Some(db) = gatehouse::db::sqlite_path(&config.database_url) {
        for f in gatehouse::db::sqlite_files(&db) {
            files.push(("the SQLite database".into(), f));
        }
    }
    for (setting, path) in &config.secret_files {
        files.push((setting.to_string(), path.clone()));
    }
    let mut warnings = Vec::new();
    #[cfg(unix)]
    for (what, path) in files {
        use std::os::unix::fs::PermissionsExt as _;
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            warnings.push(format!(
                "{} ({what}) is open to group or others (mode {mode:04o}), and it holds secrets \
                 (signing keys, password hashes): make it private with `chmod 600 {}`",
                path.display(),
                path.display()
            ));
        }
    }
    warnings
}

/// Makes a new key and prints it, or writes it to a new private file.
fn generate(
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

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    for warning in file_warnings(&config) {
        tracing::warn!("{warning}");
    }
    match command {
        Command::Serve => {
            let app = Application::build(config).await?;
            tracing::info!(addr = %app.addr(), "Gatehouse listening: GraphQL at http://{0}/graphql, REST at http://{0}/api, Swagger UI at http://{0}/docs", app.addr());
            app.run_until(shutdown_signal()).await?;
        }
        Command::Migrate => {
            let db = Db::connect(&config).await?;
            db.migrate().await?;
            db.close().await;
            println!("migrations applied");
        }
        Command::CreateSuperuser { username, email } => {
            let password = read_password()?;
            let gh = Gatehouse::start(config).await?;
            let user = gh
                .sign_up(&username, &email, &password, true, None)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
            gh.db().close().await;
            println!("superuser {} created (id {})", user.username, user.id);
        }
        Command::ImportDjangoUsers { file } => {
            let report = gatehouse::django::import_file(&config, &file).await?;
            for note in &report.notes {
                eprintln!("{note}");
            }
            println!("{}", report.summary());
        }
        Command::Keys { action } => keys(action, &config).await?,
        Command::Config { .. } => print!("{}", config.describe()),
        Command::PrintSchema => print!("{}", gatehouse::graphql::SDL),
        Command::PrintOpenapi => print!("{}", gatehouse::rest::spec_json()),
    }
    Ok(())
}

async fn keys(action: KeysAction, config: &Config) -> anyhow::Result<()> {
    let sealing = gatehouse::auth::keys::Sealing::from_config(config)?;
    let supplied = config
        .signing_key
        .as_ref()
        .map(|k| gatehouse::auth::keys::external_kid(k.expose_secret()))
        .transpose()?;
    let db = Db::connect(config).await?;
    db.migrate().await?;
    let result = keys_on(action, &db, &sealing, supplied.as_deref()).await;
    db.close().await;
    result
}

async fn keys_on(
    action: KeysAction,
    db: &Db,
    sealing: &gatehouse::auth::keys::Sealing,
    supplied: Option<&str>,
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
            let kid = keys::rotate(db, sealing).await?;
            println!("new signing key {kid}");
        }
        KeysAction::Retire { kid } => {
            if supplied == Some(kid.as_str()) {
                anyhow::bail!(
                    "key {kid} is the supplied signing key (GATEHOUSE_SIGNING_KEY), not a stored \
                     one: to stop using it, remove the setting"
                );
            }
            keys::retire(db, &kid, supplied.is_some()).await?;
            println!("retired {kid}");
        }
        KeysAction::RetireStored => {
            let retired = keys::retire_stored(db, supplied.is_some()).await?;
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

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

fn read_password() -> anyhow::Result<SecretString> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Password (again): ")?;
        anyhow::ensure!(first == again, "the passwords do not match");
        return Ok(SecretString::from(first));
    }
    let mut s = String::new();
    stdin.lock().take(64 * 1024).read_to_string(&mut s)?;
    let line = s.lines().next().unwrap_or("").to_owned();
    Ok(SecretString::from(line))
}

fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(true).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}
