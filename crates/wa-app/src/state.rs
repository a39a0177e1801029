//! The state every HTTP handler and worker shares.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::SecretString;
use tokio::sync::Notify;
use wa_domain::usecase::Ports;
use wa_graph::webhook::SignatureVerifier;

use wa_domain::ports::{ApiKeyRepository, WebhookInbox};

use crate::{event_feed::EventFeed, workers::delivery::DeliveryQueue};

/// Shared by handlers and workers; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The domain's adapters.
    pub ports: Ports,
    /// `WA_ADMIN_TOKEN`.
    pub admin_token: Option<SecretString>,
    /// Tenants' API keys.
    pub api_keys: Arc<dyn ApiKeyRepository>,
    /// Raw webhooks.
    pub inbox: Arc<dyn WebhookInbox>,
    /// Wakes the inbox worker when a webhook was stored.
    pub inbox_signal: Arc<Notify>,
    /// Checks `X-Hub-Signature-256` with any configured app secret.
    pub webhook_verifier: Arc<SignatureVerifier>,
    /// `WA_WEBHOOK_VERIFY_TOKEN`.
    pub webhook_verify_token: Option<SecretString>,
    /// Hands accepted messages to the delivery workers.
    pub delivery: DeliveryQueue,
    /// Renders `/metrics`.
    pub metrics: Option<PrometheusHandle>,
    /// Answers `/readyz`.
    pub readiness: Arc<dyn Readiness>,
    /// What the signup page needs.
    pub signup_page: Arc<crate::http::signup::SignupPageSettings>,
    /// Tenants' outbound event endpoints (webhooks to their applications).
    pub event_endpoints: crate::events::Endpoints,
    /// The tenants' event logs, for polls and streams; notified when events were committed.
    pub events: EventFeed,
    /// The HTTP edge's deadlines and bounds.
    pub http_limits: crate::http::limits::HttpLimits,
    /// One permit per webhook body being read (`WA_WEBHOOK_CONCURRENCY`).
    pub webhook_bodies: Arc<tokio::sync::Semaphore>,
}

/// Whether the service can do its work (the database answers).
#[async_trait::async_trait]
pub trait Readiness: Send + Sync + 'static {
    /// `Err` with a short reason when not ready.
    async fn check(&self) -> Result<(), String>;
}
