//! The server's life cycle: binding the listeners, serving until shutdown,
//! the background chores (purging expired tokens and ended throttle windows,
//! re-reading the signing keys), and the shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::Server;

use super::{metrics_routes, rejected, routes};
use crate::config::Config;
use crate::listener::GuardedAcceptor;
use crate::service::{Gatehouse, State};

/// A started (bound, migrated) server, not yet serving.
pub struct Application {
    acceptor: rejected::ObservedAcceptor<GuardedAcceptor>,
    addr: SocketAddr,
    /// The metrics listener (`GATEHOUSE_METRICS_ADDR`), bound.
    metrics: Option<(GuardedAcceptor, SocketAddr)>,
    state: State,
}

/// Binds `addr` behind the connection cap and read deadlines; returns the
/// acceptor and the address actually bound.
async fn bind(
    addr: SocketAddr,
    limits: crate::config::HttpLimits,
) -> anyhow::Result<(GuardedAcceptor, SocketAddr)> {
    let acceptor = TcpListener::bind(addr)
        .into_acceptor()
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let acceptor = GuardedAcceptor::new(acceptor, limits);
    let bound = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("the listener has no address")?;
    Ok((acceptor, bound))
}

impl Application {
    /// Opens the database, migrates, loads keys and binds `config.addr`
    /// (port 0 picks a free port, as the tests do).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let addr = config.addr;
        let metrics_addr = config.metrics_addr;
        let state = Gatehouse::start(config).await?;
        let (acceptor, addr) = bind(addr, state.config().http).await?;
        let acceptor = rejected::ObservedAcceptor::new(acceptor, state.clone());
        let metrics_listener = match metrics_addr {
            Some(a) => Some(bind(a, state.config().http).await?),
            None => None,
        };
        Ok(Self {
            acceptor,
            addr,
            metrics: metrics_listener,
            state,
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The metrics listener's address actually bound, when there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, a)| *a)
    }

    /// The service behind the server (for the CLI and tests).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send) -> std::io::Result<()> {
        let purge = tokio::spawn(purge_expired_tokens(self.state.clone()));
        let reload = tokio::spawn(reload_keys(self.state.clone()));
        let throttle = tokio::spawn(purge_throttle(self.state.clone()));
        let (mail_stop, mail_stopped) = tokio::sync::watch::channel(false);
        let mailer = tokio::spawn(deliver_mail(self.state.clone(), mail_stopped.clone()));
        let hooks = tokio::spawn(deliver_webhooks(self.state.clone(), mail_stopped));
        let state = self.state.clone();
        let grace = state.config().http.shutdown_grace;
        // The metrics listener stops with the main one: when `shutdown`
        // completes, or when the main server ends (the sender is dropped).
        let (stop, mut stopped) = tokio::sync::watch::channel(());
        let metrics_server = self.metrics.map(|(acceptor, _)| {
            let routes = metrics_routes(state.clone());
            tokio::spawn(async move {
                Server::new_with_acceptor(acceptor)
                    .run_with_graceful_shutdown(
                        routes,
                        async move {
                            let _ = stopped.changed().await;
                        },
                        Some(grace),
                    )
                    .await
            })
        });
        let shutdown = async move {
            shutdown.await;
            let _ = stop.send(());
        };
        let result = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(routes(self.state), shutdown, Some(grace))
            .await;
        if let Some(server) = metrics_server {
            if let Ok(Err(e)) = server.await {
                tracing::warn!(error = %e, "the metrics listener failed");
            }
        }
        purge.abort();
        reload.abort();
        throttle.abort();
        // Mail work requests handed off is written before the database
        // closes; the worker ends after the mail it is sending (what it has
        // not claimed stays in the outbox for the next start).
        let _ = tokio::time::timeout(grace, state.finish_mail_work()).await;
        let _ = mail_stop.send(true);
        for worker in [mailer, hooks] {
            let abort = worker.abort_handle();
            if tokio::time::timeout(grace, worker).await.is_err() {
                abort.abort();
            }
        }
        state.db().close().await;
        result
    }
}

/// Sends the outbox's mail: whenever mail is queued here, and every second
/// (mail queued by another instance, retries come due), until `stop`.
async fn deliver_mail(state: State, mut stop: tokio::sync::watch::Receiver<bool>) {
    while !*stop.borrow() {
        if let Err(e) = state.deliver_due().await {
            e.log();
        }
        tokio::select! {
            () = state.mail_wait(Duration::from_secs(1)) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Delivers the webhooks that are due, one worker per URL (a receiver that
/// hangs delays only its own): whenever an event is written here, and
/// every second (events written by another instance, retries come due),
/// until `stop`. Deliveries queued for a URL no longer configured are
/// given up first. Without `GATEHOUSE_WEBHOOK_URL` there is nothing to do.
async fn deliver_webhooks(state: State, stop: tokio::sync::watch::Receiver<bool>) {
    match state.give_up_unconfigured_webhooks().await {
        Ok(n) if n > 0 => tracing::warn!(
            deliveries = n,
            "webhook deliveries to URLs no longer configured given up"
        ),
        Ok(_) => {}
        Err(e) => e.log(),
    }
    let urls = state.config().webhooks.urls.clone();
    if urls.is_empty() {
        // No URL, no deliveries: nothing to send, nothing to count.
        return;
    }
    let workers = urls.into_iter().map(|url| {
        let (state, mut stop) = (state.clone(), stop.clone());
        async move {
            while !*stop.borrow() {
                if let Err(e) = state.deliver_webhooks_to(&url).await {
                    e.log();
                }
                tokio::select! {
                    () = state.webhooks_wait(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    });
    // The queue's depth, counted every 5 s besides after each batch: with
    // every receiver hanging no batch ends, and a backlog must still show.
    let (counter, mut counting) = (state.clone(), stop.clone());
    let count = async move {
        while !*counting.borrow() {
            if let Err(e) = counter.count_webhook_queue().await {
                e.log();
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = counting.changed() => {}
            }
        }
    };
    futures_util::future::join(futures_util::future::join_all(workers), count).await;
}

/// Deletes refresh tokens a day after they expired, once an hour.
async fn purge_expired_tokens(state: State) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match state
            .purge_expired_refresh_tokens(state.now() - 86_400)
            .await
        {
            Ok(n) if n > 0 => tracing::info!(deleted = n, "purged expired refresh tokens"),
            Ok(_) => {}
            Err(e) => e.log(),
        }
    }
}

/// Deletes ended throttle windows (each distinct login name tried leaves a
/// row) as often as the shortest window, at most hourly.
async fn purge_throttle(state: State) {
    let t = state.config().throttle;
    let every = t.login_window.min(t.sign_up_window).clamp(1, 3600) as u64;
    let mut tick = tokio::time::interval(Duration::from_secs(every));
    loop {
        tick.tick().await;
        match state.purge_throttle().await {
            Ok(n) if n > 0 => tracing::debug!(deleted = n, "purged ended throttle windows"),
            Ok(_) => {}
            Err(e) => e.log(),
        }
    }
}

/// Re-reads the signing keys now and then, so a key rotated by another
/// process (`gatehouse keys rotate`) starts signing here too.
async fn reload_keys(state: State) {
    let mut tick = tokio::time::interval(state.config().key_reload_interval);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = state.keys().reload().await {
            e.log();
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
