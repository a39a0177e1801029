//! `/healthz`, `/readyz` and `/metrics`.

use axum::{
    extract::State,
    http::{StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};

use crate::state::AppState;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can work: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.readiness.check().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, reason).into_response(),
    }
}

/// Prometheus metrics in the text exposition format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    if let Ok(backlog) = state.inbox.backlog().await {
        metrics::gauge!("wa_webhook_inbox_backlog").set(backlog as f64);
    }
    if let Ok(parked) = state.inbox.parked_count().await {
        metrics::gauge!("wa_webhook_inbox_parked").set(parked as f64);
    }
    match &state.metrics {
        Some(handle) => (
            [(CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are not enabled").into_response(),
    }
}
