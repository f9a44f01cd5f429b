//! Sessions and refresh tokens for `bench/run --scale N`: for every user in
//! the database (the scale mode imports them first), one login's session
//! and its refresh token, rotated four times, so five refresh-token rows per
//! user (four used, one live), made by Gatehouse's own storage functions
//! (`db::sessions::start`, `db::refresh_tokens::rotate`) with the hashes,
//! families and expiry a login and its refreshes write. With
//! `--expired-share K`, one user in K gets a session that expired two days
//! ago instead, whose rows the hourly purge deletes at start (so `bench/run`
//! can measure requests while it runs).
//!
//! `cargo bench --bench seed -- --database-url URL [--expired-share K]`
//! prints `users=N sessions=N tokens=N seconds=S`.

use std::time::Instant;

use gatehouse::auth::refresh;
use gatehouse::config::Config;
use gatehouse::db::sessions::{self, NewSession};
use gatehouse::db::{refresh_tokens, users, Db};

/// Refresh tokens a session's login and rotations leave (the login's and
/// four successors).
const TOKENS_PER_USER: usize = 5;
/// Sessions made at once (their rotations share transactions on SQLite).
const CONCURRENCY: usize = 64;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut database_url = None;
    let mut expired_share = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--database-url" => database_url = args.next(),
            "--expired-share" => {
                expired_share = args.next().and_then(|v| v.parse().ok()).unwrap_or(0)
            }
            "--bench" => {}
            other => anyhow::bail!("seed: unknown argument {other:?}"),
        }
    }
    let database_url = database_url.ok_or_else(|| anyhow::anyhow!("seed: --database-url URL"))?;
    let config = Config {
        database_url,
        ..Default::default()
    };
    let db = Db::connect(&config).await?;
    db.migrate().await?;
    let started = Instant::now();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let ttl = config.refresh_token_ttl.as_secs() as i64;
    let (mut users_seen, mut sessions_made, mut tokens_made) = (0u64, 0u64, 0u64);
    let mut offset = 0;
    loop {
        let page = users::list(&db, offset, 10_000).await.map_err(failed)?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as i64;
        let mut work = futures_util::stream::iter(page.into_iter().map(|user| {
            let db = db.clone();
            users_seen += 1;
            let expired = expired_share > 0 && users_seen % expired_share == 0;
            async move { seed_user(&db, user.id, now, ttl, expired).await }
        }))
        .buffer_unordered(CONCURRENCY);
        use futures_util::StreamExt as _;
        while let Some(made) = work.next().await {
            let made = made.map_err(failed)?;
            sessions_made += u64::from(made > 0);
            tokens_made += made as u64;
        }
    }
    db.close().await;
    println!(
        "users={users_seen} sessions={sessions_made} tokens={tokens_made} seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn failed(e: gatehouse::error::Error) -> anyhow::Error {
    anyhow::anyhow!("{}", e.message())
}

/// One login's session for `user` and its four rotations; how many tokens
/// were stored. An expired one is dated so it expired two days ago.
async fn seed_user(
    db: &Db,
    user: i64,
    now: i64,
    ttl: i64,
    expired: bool,
) -> gatehouse::error::Result<usize> {
    let (then, expires_at) = if expired {
        (now - 2 * 86_400 - ttl, now - 2 * 86_400)
    } else {
        (now, now + ttl)
    };
    let family = refresh::family_id()?;
    let (_, mut hash) = refresh::generate()?;
    let stored = sessions::start(
        db,
        &NewSession {
            id: &family,
            user_id: user,
            now: then,
            expires_at,
            user_agent: "bench seed",
            ip_address: "127.0.0.1",
            token_hash: &hash,
            amr: "pwd",
            token_version: 0,
            events: &[],
        },
    )
    .await?;
    if !stored {
        return Ok(0);
    }
    let mut made = 1;
    for _ in 1..TOKENS_PER_USER {
        let (_, next) = refresh::generate()?;
        // Strict (no reuse tolerated); at the session's own time, so that
        // an expired session's tokens rotate while it was live.
        if refresh_tokens::rotate(db, &hash, then, &next, expires_at, i64::MAX)
            .await?
            .is_none()
        {
            break;
        }
        hash = next;
        made += 1;
    }
    Ok(made)
}
