//! `gatehouse events tail`: the auth events as JSON lines, for an operator
//! (or a log shipper) at the command line.

use clap::Subcommand;

use gatehouse::config::Config;
use gatehouse::db::events::Filter;
use gatehouse::service::events::EventKind;
use gatehouse::service::Gatehouse;

#[derive(Subcommand)]
pub(crate) enum EventsAction {
    /// Print the latest events, oldest first, one JSON object a line (the
    /// fields GraphQL's `AuthEvent` has); with --follow, go on printing new
    /// ones as they are written (by any instance) until interrupted.
    Tail {
        /// Keep printing new events.
        #[arg(long, short)]
        follow: bool,
        /// Only events of this type (repeat for several).
        #[arg(long = "type", value_name = "TYPE", value_parser = event_type)]
        types: Vec<String>,
        /// Only events about this user: an id (a deleted user's too), or a
        /// username or email.
        #[arg(long)]
        user: Option<String>,
        /// How many of the latest events to print first (0 to 1000).
        #[arg(long, short = 'n', default_value_t = 10,
              value_parser = clap::value_parser!(i64).range(0..=1000))]
        lines: i64,
    },
}

/// A `--type`: a type's name (a usage error, exit 2, otherwise).
fn event_type(name: &str) -> Result<String, String> {
    match EventKind::from_name(name) {
        Some(k) => Ok(k.name().to_owned()),
        None => Err(format!(
            "no event type; the types are {}",
            EventKind::ALL
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Prints one event as a JSON line; false once standard output is closed
/// (`events tail | head`): the command then ends quietly.
fn print(e: &gatehouse::service::events::AuthEvent) -> bool {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", e.to_json())
        .and_then(|()| out.flush())
        .is_ok()
}

pub(crate) async fn run(action: EventsAction, config: Config) -> anyhow::Result<()> {
    let gh = Gatehouse::start(config).await?;
    let result = events_on(action, &gh).await;
    gh.db().close().await;
    result
}

async fn events_on(action: EventsAction, gh: &Gatehouse) -> anyhow::Result<()> {
    let EventsAction::Tail {
        follow,
        types,
        user,
        lines,
    } = action;
    let user_id = match user {
        // An id is taken as it is: a deleted user's events stay.
        Some(u) if !u.is_empty() && u.bytes().all(|b| b.is_ascii_digit()) => Some(
            u.parse::<i64>()
                .map_err(|_| anyhow::anyhow!("no user has the id {u}"))?,
        ),
        Some(u) => Some(super::users::target(gh, &u).await?.id),
        None => None,
    };
    let filter = Filter {
        user_id,
        types,
        ..Filter::default()
    };
    // The latest `lines`, printed oldest first.
    let mut latest = gh
        .latest_events(&filter, lines)
        .await
        .map_err(super::users::service_error)?;
    latest.reverse();
    let mut last = latest.last().map(|e| e.id);
    for e in &latest {
        if !print(e) {
            return Ok(());
        }
    }
    if last.is_none() {
        // Nothing matched yet: follow from the newest event of any kind.
        last = gh
            .latest_events(&Filter::default(), 1)
            .await
            .map_err(super::users::service_error)?
            .first()
            .map(|e| e.id);
    }
    if !follow {
        return Ok(());
    }
    loop {
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        loop {
            let batch = gh
                .events_after(&filter, last, 500)
                .await
                .map_err(super::users::service_error)?;
            for e in &batch {
                if !print(e) {
                    return Ok(());
                }
                last = Some(e.id);
            }
            if batch.len() < 500 {
                break;
            }
        }
    }
    Ok(())
}
