//! Starting and stopping a simulator: [`SimulatorBuilder`] binds a loopback port, and the accept
//! loop serves each connection with hyper so that an outage can drop a connection without an
//! answer. [`RunningSim`] gives the base URL, the control handle and a clean shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::clock::{Clock, OffsetClock, SystemClock};
use crate::config::{
    Faults, NumberConfig, SimConfig, TemplateConfig, WebhookBehaviour, WindowErrorMode,
};
use crate::control::{ControlError, SimControl};
use crate::customer::CustomerRef;
use crate::graph::ConnectionKill;
use crate::state::Sim;
use crate::webhook::{WebhookQueue, run_dispatcher};
use crate::{control_api, graph, media};

/// Largest request body (media uploads up to Meta's 100 MB document limit).
const BODY_LIMIT: usize = 110 * 1024 * 1024;

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The address could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The scenario is inconsistent (e.g. a template without a name).
    #[error("invalid scenario: {0}")]
    Scenario(String),
    /// A control operation failed.
    #[error(transparent)]
    Control(#[from] ControlError),
}

/// Entry point: `Simulator::builder()`.
#[derive(Debug, Clone, Copy)]
pub struct Simulator;

impl Simulator {
    /// A builder with Meta's defaults, no numbers, bound to `127.0.0.1:0`.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder {
            config: SimConfig::base(),
            clock: Arc::new(SystemClock),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            control_addr: None,
        }
    }
}

/// Configures and starts a simulator.
pub struct SimulatorBuilder {
    config: SimConfig,
    clock: Arc<dyn Clock>,
    addr: SocketAddr,
    control_addr: Option<SocketAddr>,
}

impl std::fmt::Debug for SimulatorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorBuilder")
            .field("addr", &self.addr)
            .field("control_addr", &self.control_addr)
            .field("numbers", &self.config.numbers)
            .finish_non_exhaustive()
    }
}

impl SimulatorBuilder {
    /// Replaces the whole scenario (e.g. one read from a file).
    #[must_use]
    pub fn config(mut self, config: SimConfig) -> Self {
        self.config = config;
        self
    }

    /// The Meta app id.
    #[must_use]
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.config.app_id = app_id.into();
        self
    }

    /// The app secret: webhooks are signed with it and `appsecret_proof` is checked against it.
    #[must_use]
    pub fn app_secret(mut self, secret: impl Into<String>) -> Self {
        self.config.app_secret = Some(secret.into());
        self
    }

    /// Requires `appsecret_proof` on every Graph call (the app's "Require App Secret").
    #[must_use]
    pub fn require_appsecret_proof(mut self, required: bool) -> Self {
        self.config.require_appsecret_proof = required;
        self
    }

    /// Where webhooks go.
    #[must_use]
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.config.callback_url = Some(url.into());
        self
    }

    /// Adds a business number.
    #[must_use]
    pub fn number(mut self, number: NumberConfig) -> Self {
        self.config.numbers.push(number);
        self
    }

    /// Adds a template.
    #[must_use]
    pub fn template(mut self, template: TemplateConfig) -> Self {
        self.config.templates.push(template);
        self
    }

    /// Adds a known customer.
    #[must_use]
    pub fn customer(mut self, customer: CustomerRef) -> Self {
        self.config.customers.push(customer);
        self
    }

    /// Messages per second per number (default 80).
    #[must_use]
    pub fn throughput_per_number(mut self, mps: u32) -> Self {
        self.config.limits.throughput_per_number = mps;
        self
    }

    /// The pair rate: one message per `interval` to the same user, with a burst of `burst`.
    #[must_use]
    pub fn pair_rate(mut self, interval: Duration, burst: u32) -> Self {
        self.config.limits.pair_interval_ms =
            u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
        self.config.limits.pair_burst = burst;
        self
    }

    /// How a free-form message outside the window fails.
    #[must_use]
    pub fn window_error(mut self, mode: WindowErrorMode) -> Self {
        self.config.limits.window_error = mode;
        self
    }

    /// Webhook timing and delivery.
    #[must_use]
    pub fn webhooks(mut self, behaviour: WebhookBehaviour) -> Self {
        self.config.webhooks = behaviour;
        self
    }

    /// Faults from the start.
    #[must_use]
    pub fn faults(mut self, faults: Faults) -> Self {
        self.config.faults = faults;
        self
    }

    /// How many requests, messages and deliveries are kept for inspection (default 10 000).
    #[must_use]
    pub fn record_capacity(mut self, capacity: usize) -> Self {
        self.config.record_capacity = capacity;
        self
    }

    /// The clock the rules read (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The address to bind (default `127.0.0.1:0`, a free port).
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Serves the control API (`/_sim/...`) on its own address instead of next to the Graph
    /// endpoints; the Graph address then serves Graph paths only, like Meta's.
    #[must_use]
    pub fn control_bind(mut self, addr: SocketAddr) -> Self {
        self.control_addr = Some(addr);
        self
    }

    /// Binds, starts the server and the webhook dispatcher, and returns the running simulator.
    ///
    /// # Errors
    /// [`SimError::Bind`] if an address cannot be bound, [`SimError::Scenario`] if the
    /// scenario is invalid.
    pub async fn start(self) -> Result<RunningSim, SimError> {
        let (listener, local) = bind(self.addr).await?;
        let control_listener = match self.control_addr {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let base_url = format!("http://{local}");
        let control_url = control_listener
            .as_ref()
            .map_or_else(|| base_url.clone(), |(_, addr)| format!("http://{addr}"));
        let (queue, jobs) = WebhookQueue::new();
        let shutdown = CancellationToken::new();
        let clock = Arc::new(OffsetClock::new(self.clock));
        let sim = Arc::new(
            Sim::new(
                self.config,
                clock,
                queue,
                base_url.clone(),
                shutdown.clone(),
            )
            .map_err(SimError::Scenario)?,
        );
        let tracker = TaskTracker::new();
        tracker.spawn(run_dispatcher(Arc::clone(&sim), jobs, tracker.clone()));
        let router = graph_router(Arc::clone(&sim), control_listener.is_none());
        tracker.spawn(accept_loop(
            listener,
            router.clone(),
            shutdown.clone(),
            tracker.clone(),
        ));
        if let Some((control_listener, _)) = control_listener {
            tracker.spawn(accept_loop(
                control_listener,
                control_router(Arc::clone(&sim)),
                shutdown.clone(),
                tracker.clone(),
            ));
        }
        tracing::debug!(%base_url, %control_url, "wa-sim started");
        Ok(RunningSim {
            base_url,
            control_url,
            addr: local,
            control: SimControl::new(sim),
            router,
            shutdown,
            tracker,
        })
    }
}

async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), SimError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    Ok((listener, local))
}

/// The Graph surface: media download and the Graph fallback, with the control API under
/// `/_sim` unless it has its own address.
fn graph_router(sim: Arc<Sim>, with_control: bool) -> Router {
    let mut router = Router::new();
    if with_control {
        router = router.nest("/_sim", control_api::routes());
    }
    router
        .route("/whatsapp_business/attachments/", get(media::download))
        .route("/sdk.js", get(crate::sdk::script))
        .route("/sdk/session", get(crate::sdk::session))
        .fallback(graph::entry)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(sim)
}

/// The control API alone, for its own address.
fn control_router(sim: Arc<Sim>) -> Router {
    Router::new()
        .nest("/_sim", control_api::routes())
        .with_state(sim)
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _peer)) => {
                tracker.spawn(serve_connection(stream, router.clone(), shutdown.clone()));
            }
            Err(error) => {
                // Too many open files and the like: back off briefly instead of spinning.
                tracing::warn!(%error, "wa-sim accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router, shutdown: CancellationToken) {
    let _ = stream.set_nodelay(true);
    let kill = CancellationToken::new();
    let marker = ConnectionKill(kill.clone());
    let service = tower::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(marker.clone());
        router.clone().oneshot(request.map(axum::body::Body::new))
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        // An outage asked to drop this connection: dropping it closes the socket unanswered.
        () = kill.cancelled() => {}
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(1), connection).await;
        }
    }
}

/// A running simulator. Dropping it stops the server too; [`RunningSim::shutdown`] also waits
/// for the tasks to end.
#[derive(Debug)]
pub struct RunningSim {
    base_url: String,
    control_url: String,
    addr: SocketAddr,
    control: SimControl,
    router: Router,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

impl RunningSim {
    /// `http://127.0.0.1:{port}`; Graph calls go to `{base_url}/v23.0/…` (any version).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Where the control API lives: `{control_url}/_sim/...`. The same as [`Self::base_url`]
    /// unless [`SimulatorBuilder::control_bind`] gave it its own address.
    pub fn control_url(&self) -> &str {
        &self.control_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The control handle.
    pub fn control(&self) -> &SimControl {
        &self.control
    }

    /// The Graph surface as a tower service, for in-process calls without a socket (benches).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Stops accepting, ends connections and pending webhook deliveries, and waits for the tasks.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
