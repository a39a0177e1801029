//! The edge's bounds in time and concurrency, and the request deadline that enforces the first.
//!
//! - Headers must arrive within `header_timeout` (`WA_HTTP_HEADER_TIMEOUT_SECONDS`, 10 s), for
//!   every request on every connection, a kept-alive one waiting for its next request included:
//!   hyper closes the connection otherwise ([`super::connections`]) and it is counted as
//!   `wa_http_timeouts_total{phase="headers"}`.
//! - A body must arrive whole within `body_timeout` (`WA_HTTP_BODY_TIMEOUT_SECONDS`, 5 s) of the
//!   handler starting to read it (a webhook body waiting for its permit is not yet being read),
//!   on every route, shorter than the request deadlines: a client sending a body a byte at a
//!   time is answered 408 with the error body then, counted as
//!   `wa_http_timeouts_total{phase="body"}` ([`enforce_body_deadline`]).
//! - Each request, reading its body included, must be answered within its deadline: the API's
//!   `request_timeout` (`WA_HTTP_REQUEST_TIMEOUT_SECONDS`, 30 s; an event poll gets its 30 s of
//!   waiting on top), Meta's webhooks `webhook_request_timeout`
//!   (`WA_WEBHOOK_REQUEST_TIMEOUT_SECONDS`, 10 s; Meta sends a whole body at once). Past it the
//!   request is dropped (its body with it) and answered 408 with the error body, counted as
//!   `wa_http_timeouts_total{phase="request"}`. An event stream's deadline covers its start;
//!   the stream itself then stays open by design until the client leaves or the server stops.
//! - At most `webhook_concurrency` (`WA_WEBHOOK_CONCURRENCY`, 16) webhook bodies are read at
//!   once ([`super::webhooks`]).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{
    body::{Body, HttpBody as _},
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures::StreamExt as _;
use tokio::time::Instant;

use crate::http::error::ApiError;

/// The edge's bounds (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Time for a request's headers to arrive.
    pub header_timeout: Duration,
    /// Time for a request's body to arrive, from the first read of it.
    pub body_timeout: Duration,
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
            body_timeout: Duration::from_secs(5),
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

/// A body read deadline, as middleware state.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

/// Answers 408 when the request's body does not arrive whole within the limit of its first read.
///
/// The body is wrapped so that a read past the limit fails; whatever the handler then answers
/// (its read failed) is replaced by the timeout, and counted.
pub async fn enforce_body_deadline(
    State(BodyDeadline(limit)): State<BodyDeadline>,
    request: Request,
    next: Next,
) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let expired = Arc::new(AtomicBool::new(false));
    let request = request.map(|body| timed_body(body, limit, Arc::clone(&expired)));
    let response = next.run(request).await;
    if !expired.load(Ordering::Relaxed) {
        return response;
    }
    metrics::counter!("wa_http_timeouts_total", "phase" => "body").increment(1);
    tracing::info!(
        limit_seconds = limit.as_secs(),
        "request body cut off at its read deadline"
    );
    ApiError::timeout().into_response()
}

/// `body`, failing a read that ends after `limit` from the first one (and setting `expired`).
fn timed_body(body: Body, limit: Duration, expired: Arc<AtomicBool>) -> Body {
    let chunks = body.into_data_stream();
    let stream = futures::stream::unfold(
        (chunks, None::<Instant>, expired),
        move |(mut chunks, deadline, expired)| async move {
            if expired.load(Ordering::Relaxed) {
                return None;
            }
            let deadline = deadline.unwrap_or_else(|| Instant::now() + limit);
            match tokio::time::timeout_at(deadline, chunks.next()).await {
                Ok(Some(chunk)) => Some((chunk, (chunks, Some(deadline), expired))),
                Ok(None) => None,
                Err(_) => {
                    expired.store(true, Ordering::Relaxed);
                    let error = axum::Error::new(BodyTimedOut);
                    Some((Err(error), (chunks, Some(deadline), expired)))
                }
            }
        },
    );
    Body::from_stream(stream)
}

/// The error a body read past its deadline fails with.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within its read deadline")]
struct BodyTimedOut;
