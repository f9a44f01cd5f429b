//! `gatehouse users`: staff administration at the command line, for an
//! operator without a token. Each command calls the same service function
//! as the faces, as the operator (`Actor::Operator`): no staff check, but
//! the last active superuser is still kept.

use clap::Subcommand;

use gatehouse::config::Config;
use gatehouse::error::Error;
use gatehouse::service::admin::{Actor, UserQuery};
use gatehouse::service::{Gatehouse, User};

#[derive(Subcommand)]
pub(crate) enum UsersAction {
    /// List users, oldest first: id, username, email, and flags.
    List {
        /// Only users whose username or email starts with this
        /// (case-insensitive; every character literal).
        #[arg(long)]
        search: Option<String>,
        /// Only active (true) or inactive (false) users.
        #[arg(long, value_name = "true|false")]
        active: Option<bool>,
        /// Only staff (true) or non-staff (false) users.
        #[arg(long, value_name = "true|false")]
        staff: Option<bool>,
        /// How many users to skip.
        #[arg(long, default_value_t = 0)]
        offset: i64,
        /// How many users to list at most (1 to 1000).
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Show one user, every field (never the password hash).
    Show {
        /// The user: an id, or a username or email (all digits: an id).
        user: String,
    },
    /// Deactivate a user: they cannot log in, and every session ends at once.
    Deactivate {
        /// The user: an id, or a username or email (all digits: an id).
        user: String,
    },
    /// Activate a user again.
    Activate {
        /// The user: an id, or a username or email (all digits: an id).
        user: String,
    },
    /// Make a user staff (optionally a superuser too), or, with --off, not
    /// staff (nor superuser).
    SetStaff {
        /// The user: an id, or a username or email (all digits: an id).
        user: String,
        /// Unmake staff (and superuser) instead.
        #[arg(long, conflicts_with = "superuser")]
        off: bool,
        /// Make the user a superuser too.
        #[arg(long)]
        superuser: bool,
    },
    /// Turn a user's second factor (TOTP) off, and end every session of
    /// theirs: for a lost phone and lost recovery codes (a superuser's
    /// own account included). Logged.
    ResetMfa {
        /// The user: an id, or a username or email (all digits: an id).
        user: String,
    },
    /// Delete a user with their tokens and mailed links. Cannot be undone.
    Delete {
        /// The user: an id, or a username or email (all digits: an id).
        user: String,
        /// Confirm the deletion (required).
        #[arg(long)]
        yes: bool,
    },
}

impl UsersAction {
    /// A usage problem clap cannot see, found before anything runs.
    pub(crate) fn usage_error(&self) -> Option<&'static str> {
        match self {
            UsersAction::Delete { yes: false, .. } => {
                Some("deleting a user cannot be undone: add --yes to confirm")
            }
            _ => None,
        }
    }
}

pub(crate) fn service_error(e: Error) -> anyhow::Error {
    anyhow::anyhow!("{}", e.message())
}

/// Finds the user a command names: digits are an id, anything else a
/// username or email.
pub(crate) async fn target(gh: &Gatehouse, user: &str) -> anyhow::Result<User> {
    let found = match gatehouse::service::admin::parse_user_id(user) {
        Ok(id) => gh.user_by_id(Actor::Operator, id).await,
        Err(_) => gh.user_by_login(Actor::Operator, user).await,
    };
    found.map_err(|e| match e {
        Error::NotFound(_) => anyhow::anyhow!("no user is {user:?}"),
        e => service_error(e),
    })
}

fn flags(u: &User) -> String {
    let mut f = Vec::new();
    f.push(if u.is_active { "active" } else { "inactive" });
    if u.is_staff {
        f.push("staff");
    }
    if u.is_superuser {
        f.push("superuser");
    }
    f.join(",")
}

fn time(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

fn show(u: &User) {
    println!("id:             {}", u.id);
    println!("username:       {}", u.username);
    println!("email:          {}", u.email);
    println!("first name:     {}", u.first_name);
    println!("last name:      {}", u.last_name);
    println!("active:         {}", u.is_active);
    println!("staff:          {}", u.is_staff);
    println!("superuser:      {}", u.is_superuser);
    println!("email verified: {}", u.email_verified);
    println!("second factor:  {}", u.mfa_enabled);
    println!("joined:         {}", time(u.date_joined));
    let last = u.last_login.map_or_else(|| "never".to_owned(), time);
    println!("last login:     {last}");
}

/// Runs a `users` command against the configured database.
pub(crate) async fn run(action: UsersAction, config: Config) -> anyhow::Result<()> {
    let gh = Gatehouse::start(config).await?;
    let result = users_on(action, &gh).await;
    gh.db().close().await;
    result
}

async fn users_on(action: UsersAction, gh: &Gatehouse) -> anyhow::Result<()> {
    let op = Actor::Operator;
    match action {
        UsersAction::List {
            search,
            active,
            staff,
            offset,
            limit,
        } => {
            let q = UserQuery {
                search: search.as_deref(),
                active,
                staff,
                offset: Some(offset),
                limit: Some(limit),
            };
            let users = gh.find_users(op, &q).await.map_err(service_error)?;
            println!("{:<8} {:<24} {:<32} flags", "id", "username", "email");
            for u in &users {
                println!(
                    "{:<8} {:<24} {:<32} {}",
                    u.id,
                    u.username,
                    u.email,
                    flags(u)
                );
            }
        }
        UsersAction::Show { user } => show(&target(gh, &user).await?),
        UsersAction::Deactivate { user } => {
            let u = target(gh, &user).await?;
            let u = gh
                .set_user_active(op, u.id, false)
                .await
                .map_err(service_error)?;
            println!(
                "user {} (id {}) deactivated; every session ended",
                u.username, u.id
            );
        }
        UsersAction::Activate { user } => {
            let u = target(gh, &user).await?;
            let u = gh
                .set_user_active(op, u.id, true)
                .await
                .map_err(service_error)?;
            println!("user {} (id {}) activated", u.username, u.id);
        }
        UsersAction::SetStaff {
            user,
            off,
            superuser,
        } => {
            let u = target(gh, &user).await?;
            let u = gh
                .set_user_staff(op, u.id, !off, superuser)
                .await
                .map_err(service_error)?;
            println!("user {} (id {}) is now {}", u.username, u.id, flags(&u));
        }
        UsersAction::ResetMfa { user } => {
            let u = target(gh, &user).await?;
            let was_on = u.mfa_enabled;
            let u = gh
                .reset_user_mfa(op, &u.id.to_string())
                .await
                .map_err(service_error)?;
            match was_on {
                true => println!(
                    "user {} (id {}): second factor turned off; every session ended",
                    u.username, u.id
                ),
                false => println!(
                    "user {} (id {}) had no second factor; every session ended",
                    u.username, u.id
                ),
            }
        }
        UsersAction::Delete { user, .. } => {
            let u = target(gh, &user).await?;
            let u = gh.delete_user(op, u.id).await.map_err(service_error)?;
            println!("user {} (id {}) deleted", u.username, u.id);
        }
    }
    Ok(())
}
