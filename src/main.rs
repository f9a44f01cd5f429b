//! The `gatehouse` command: parse arguments, set up logging, hand off to the library.

// The `keys` subcommands, in `src/main/` beside this file (a plain `mod keys;`
// would look for `src/keys.rs`, among the library's modules).
#[path = "main/events.rs"]
mod events;
#[path = "main/keys.rs"]
mod keys;
#[path = "main/log.rs"]
mod log;
#[path = "main/users.rs"]
mod users;

use std::io::{IsTerminal as _, Read as _};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::SecretString;

use events::EventsAction;
use gatehouse::app::{shutdown_signal, Application};
use gatehouse::config::Config;
use gatehouse::db::Db;
use gatehouse::service::Gatehouse;
use keys::{generate, KeysAction};
use users::UsersAction;

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
    /// Administer users as the operator (no token needed): list, show,
    /// deactivate, activate, set-staff, delete. The last active superuser
    /// is never deactivated, demoted or deleted. A user is named by id, or
    /// by username or email.
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Read the auth events: `events tail [--follow] [--type T] [--user U]`
    /// prints them as JSON lines.
    Events {
        #[command(subcommand)]
        action: EventsAction,
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
        Some(Command::Users { ref action }) => {
            if let Some(problem) = action.usage_error() {
                eprintln!("gatehouse: {problem}");
                return ExitCode::from(2);
            }
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
        for name in gatehouse::config::unknown_variables(env_names()) {
            eprintln!("warning: {name} is not a setting (a typo?); it is ignored");
        }
        // The sender, the SMTP URL and every template (rendered once with
        // sample values) are checked as the server checks them at start.
        match gatehouse::mail::Mailer::new(&config.mail) {
            Err(e) => {
                eprintln!("gatehouse: {e}");
                return ExitCode::from(2);
            }
            Ok(_) if gatehouse::mail::warns(&config.mail) => {
                eprintln!("warning: {}", gatehouse::mail::describe(&config.mail));
            }
            Ok(_) => println!("{}", gatehouse::mail::describe(&config.mail)),
        }
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
    // Held to the end: dropping it writes out the lines still queued.
    let log = init_logging(config.log_json);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gatehouse: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config));
    // Work still on the blocking threads (an interrupted import's copy of
    // an endless pipe) is not waited for long.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    // The lines still queued are written before the closing error.
    drop(log);
    finish(result)
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

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    for warning in file_warnings(&config) {
        tracing::warn!("{warning}");
    }
    for name in gatehouse::config::unknown_variables(env_names()) {
        tracing::warn!("{name} is not a setting (a typo?); it is ignored");
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
            // SIGTERM or Ctrl-C ends the import here (dropping it deletes
            // a pipe's temporary copy): the batches committed are kept.
            let report = tokio::select! {
                report = gatehouse::django::import_file(&config, &file) => report?,
                () = shutdown_signal() => anyhow::bail!(
                    "interrupted: the batches committed so far are kept; running the import again is safe"
                ),
            };
            for note in &report.notes {
                eprintln!("{note}");
            }
            println!("{}", report.summary());
        }
        Command::Keys { action } => keys::run(action, &config).await?,
        Command::Users { action } => users::run(action, config).await?,
        Command::Events { action } => events::run(action, config).await?,
        Command::Config { .. } => print!("{}", config.describe()),
        Command::PrintSchema => print!("{}", gatehouse::graphql::SDL),
        Command::PrintOpenapi => print!("{}", gatehouse::rest::spec_json()),
    }
    Ok(())
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

/// Logs to stderr through a thread of its own (`log.rs`); the guard
/// writes out what is queued when dropped.
fn init_logging(json: bool) -> log::Guard {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = log::start();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    if json {
        builder.json().with_current_span(true).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
    guard
}

/// The environment's variable names (those that are not Unicode are no
/// setting's).
fn env_names() -> impl Iterator<Item = String> {
    std::env::vars_os().filter_map(|(k, _)| k.into_string().ok())
}
