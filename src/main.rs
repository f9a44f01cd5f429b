//! The `gatehouse` command: parse arguments, set up logging, hand off to the library.

use std::io::{IsTerminal as _, Read as _};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::SecretString;

use gatehouse::app::{shutdown_signal, Application};
use gatehouse::config::Config;
use gatehouse::db::Db;
use gatehouse::service::Gatehouse;

/// Gatehouse: sign-up, login and token service for GraphQL and REST.
///
/// Settings come from environment variables: DATABASE_URL (default
/// sqlite://gatehouse.db), GATEHOUSE_ADDR (default 127.0.0.1:8000) and the
/// others listed in the README. Log verbosity: RUST_LOG (default info).
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
    /// List the keys in the database: id, creation time, state. Never a private key.
    List,
    /// Add a new key. It signs new tokens from now on (running servers pick
    /// it up within GATEHOUSE_KEY_RELOAD_SECS); tokens signed by older keys
    /// keep working until those keys are retired.
    Rotate,
    /// Retire a key: every token it signed stops working at once, on every
    /// instance. The only active key cannot be retired (rotate first).
    Retire {
        /// The key id (k4.pid.…), as `keys list` shows it.
        kid: String,
    },
    /// Print a new secret key (PASERK k4.secret) for GATEHOUSE_SIGNING_KEY or
    /// GATEHOUSE_SIGNING_KEY_FILE. It is not stored anywhere.
    Generate,
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
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
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
            gh.db.close().await;
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
    use gatehouse::auth::keys;
    if let KeysAction::Generate = action {
        println!("{}", keys::generate_paserk_secret()?);
        return Ok(());
    }
    let db = Db::connect(config).await?;
    db.migrate().await?;
    match action {
        KeysAction::List => {
            let rows = gatehouse::db::keys::all(&db)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
            let signing = rows
                .iter()
                .rev()
                .find(|r| r.retired_at.is_none())
                .map(|r| r.seq);
            println!("{:<4} {:<52} {:<21} state", "seq", "kid", "created");
            for r in &rows {
                let state = match (r.retired_at, Some(r.seq) == signing) {
                    (Some(_), _) => "retired",
                    (None, true) => "active, signing",
                    (None, false) => "active",
                };
                println!(
                    "{:<4} {:<52} {:<21} {state}",
                    r.seq,
                    r.kid,
                    rfc3339(r.created_at)
                );
            }
        }
        KeysAction::Rotate => {
            let kid = keys::rotate(&db).await?;
            println!("new signing key {kid}");
        }
        KeysAction::Retire { kid } => {
            keys::retire(&db, &kid).await?;
            println!("retired {kid}");
        }
        KeysAction::Generate => unreachable!("handled above"),
    }
    db.close().await;
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
