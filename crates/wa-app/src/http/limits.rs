//! The edge's bounds in time and concurrency, and the request deadline that enforces the first.
//!
//! - Headers must arrive within `header_timeout` (`WA_HTTP_HEADER_TIMEOUT_SECONDS`, 10 s), for
//!   every request on every connection, a kept-alive one waiting for its next request included:
//!   hyper closes the connection otherwise ([`super::connections`]) and it is counted as
//!   `wa_http_timeouts_total{phase="headers"}`.
//! - Each request, reading its body included, must be answered within its deadline: the API's
//!   `request_timeout` (`WA_HTTP_REQUEST_TIMEOUT_SECONDS`, 30 s; an event poll gets its 30 s of
//!   waiting on top), Meta's webhooks `webhook_request_timeout`
//!   (`WA_WEBHOOK_REQUEST_TIMEOUT_SECONDS`, 10 s; Meta sends a whole body at once). Past it the
//!   request is dropped (its body with it) and answered 408 with the error body, counted as
//!   `wa_http_timeouts_total{phase="request"}`. An event stream's deadline covers its start;
//!   the stream itself then stays open by design until the client leaves or the server stops.
//! - At most `webhook_concurrency` (`WA_WEBHOOK_CONCURRENCY`, 16) webhook bodies are read at
//!   once ([`super::webhooks`]).

use std::time::Duration;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::http::error::ApiError;

/// The edge's bounds (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Time for a request's headers to arrive.
    pub header_timeout: Duration,
    /// The API's request deadline.
    pub request_timeout: Duration,
    /// The webhook route's request deadline.
    pub webhook_request_timeout: Duration,
    /// Webhook bodies read at once.
    pub webhook_concurrency: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            webhook_request_timeout: Duration::from_secs(10),
            webhook_concurrency: 16,
        }
    }
}

/// A request deadline, as middleware state.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub Duration);

/// Answers 408 when the request (body included) is not done within the deadline.
pub async fn enforce_deadline(
    State(Deadline(limit)): State<Deadline>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            metrics::counter!("wa_http_timeouts_total", "phase" => "request").increment(1);
            tracing::info!(
                limit_seconds = limit.as_secs(),
                "request cut off at its deadline"
            );
            ApiError::timeout().into_response()
        }
    }
}
