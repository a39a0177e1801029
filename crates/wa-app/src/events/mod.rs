//! Outbound events: each tenant's events posted to the endpoints it configures, signed, at
//! least once, in order per customer, with dead letters and redelivery.
//!
//! # Layout
//! - [`settings`] holds the `WA_EVENT_*` settings.
//! - [`ssrf`] holds the address classifier and the guarded outbound client (no private targets).
//! - [`signature`] makes secrets and the `X-Wa-Signature` header.
//! - [`endpoints`] manages endpoints, sealed secrets, rotation and dead letters.
//! - [`worker`] is the delivery worker (leases, cursors, lanes, retries).
//! - [`api`] serves `/v1/tenants/{id}/event-endpoints…`.
//!
//! The guide for integrators is `docs/events.md`.

pub mod api;
pub mod endpoints;
pub mod settings;
pub mod signature;
pub mod ssrf;
pub mod worker;

use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use wa_domain::ports::{Clock, EventLog};
use wa_domain::ports::{EventEndpointRepository, SecretSealer};

pub use endpoints::Endpoints;
pub use settings::EventDeliverySettings;

/// Builds the endpoints service and starts the delivery worker.
///
/// # Errors
/// When the outbound HTTP client cannot be built.
pub fn start(
    rows: Arc<dyn EventEndpointRepository>,
    sealer: Arc<dyn SecretSealer>,
    log: Arc<dyn EventLog>,
    clock: Arc<dyn Clock>,
    appended: tokio::sync::watch::Receiver<u64>,
    settings: EventDeliverySettings,
    cancel: CancellationToken,
) -> Result<(Endpoints, JoinHandle<()>), reqwest::Error> {
    let settings = Arc::new(settings);
    let client = ssrf::client(
        Arc::new(settings.policy.clone()),
        settings.connect_timeout,
        settings.request_timeout,
    )?;
    let endpoints = Endpoints::new(rows, sealer, log.clone(), settings);
    let task = worker::spawn(
        worker::WorkerDeps {
            endpoints: endpoints.clone(),
            log,
            clock,
            client,
            appended,
        },
        cancel,
    );
    Ok((endpoints, task))
}
