//! `wa serve`: listeners, workers and graceful shutdown.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{
    compose::{Adapters, build_state},
    config::Config,
    http, workers,
};

/// A running service.
pub struct RunningServer {
    /// Where the tenant API listens.
    pub api_addr: SocketAddr,
    /// Where Meta's webhooks are received (the API's address unless `WA_WEBHOOK_LISTEN` is set).
    pub webhook_addr: SocketAddr,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests and work finish, and waits for everything.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Starts the service in this process: migrates, builds the adapters, binds, spawns the workers.
///
/// # Errors
/// Bad configuration, an unreachable database, an address in use.
pub async fn start(config: Config) -> Result<RunningServer> {
    config.require_for_serving()?;
    let adapters = Adapters::build(&config).await?;
    let cancel = CancellationToken::new();
    let (state, delivery_task) = build_state(&config, &adapters, cancel.clone())?;
    let mut tasks = vec![delivery_task];
    // Several inbox workers: each claims its own bodies (SKIP LOCKED on PostgreSQL), so webhook
    // processing runs in parallel; order between bodies does not matter because every change
    // they make is monotonic or idempotent.
    for _ in 0..config.inbox_workers {
        tasks.push(workers::inbox::spawn(
            state.ports.clone(),
            state.inbox.clone(),
            workers::inbox::InboxLimits {
                lease: config.inbox_lease,
                max_attempts: config.inbox_max_attempts,
            },
            state.inbox_signal.clone(),
            state.events.clone(),
            cancel.clone(),
        ));
    }
    tasks.push(workers::health::spawn(
        state.ports.clone(),
        state.delivery.clone(),
        config.health_check_interval,
        cancel.clone(),
    ));
    tasks.push(workers::event_retention::spawn(
        state.events.log().clone(),
        state.ports.clock.clone(),
        config.events_retention,
        cancel.clone(),
    ));
    tasks.push(workers::window_deadlines::spawn(
        adapters.window_deadlines.clone(),
        state.ports.clock.clone(),
        config.window_closing_lead,
        state.events.clone(),
        cancel.clone(),
    ));
    state.delivery.wake();

    let api_listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding WA_LISTEN {}", config.listen))?;
    let api_addr = api_listener.local_addr()?;
    let webhook_addr = match config.webhook_listen {
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding WA_WEBHOOK_LISTEN {addr}"))?;
            let webhook_addr = listener.local_addr()?;
            tasks.push(serve(
                listener,
                http::webhook_router(state.clone()),
                &config,
                cancel.clone(),
            ));
            tasks.push(serve(
                api_listener,
                http::api_router(state.clone()),
                &config,
                cancel.clone(),
            ));
            webhook_addr
        }
        None => {
            tasks.push(serve(
                api_listener,
                http::router(state.clone()),
                &config,
                cancel.clone(),
            ));
            api_addr
        }
    };
    tracing::info!(api = %api_addr, webhooks = %webhook_addr, database = %crate::config::redact_url_password(&config.database_url), "wa is serving");
    Ok(RunningServer {
        api_addr,
        webhook_addr,
        cancel,
        tasks,
    })
}

fn serve(
    listener: TcpListener,
    router: axum::Router,
    config: &Config,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(http::connections::serve(
        listener,
        router,
        config.http.header_timeout,
        cancel,
    ))
}

/// Runs until Ctrl-C or SIGTERM, then shuts down gracefully.
///
/// # Errors
/// As [`start`].
pub async fn run(config: Config) -> Result<()> {
    let server = start(config).await?;
    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight work");
    server.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
