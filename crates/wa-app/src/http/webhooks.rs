//! `/webhooks/whatsapp`: Meta's subscription handshake and webhook deliveries.
//!
//! A delivery is checked (size, signature over the exact raw bytes, that it is a WhatsApp
//! envelope), stored raw in the inbox, and answered exactly 200; the inbox worker processes it
//! afterwards. Nothing is stored for a bad signature (401). Only a body that is not JSON or not an
//! envelope gets a 400; other `object` values are acknowledged and dropped. 5xx is answered only
//! when the body could not be stored, so Meta retries it.
//!
//! Memory is bounded before anything is read: a `Content-Length` over the 3 MB cap is answered
//! 413 at once, a body is read only while holding one of `WA_WEBHOOK_CONCURRENCY` permits (so at
//! most that many bodies are in memory, whatever the number of connections; the others wait,
//! within the route's deadline, with their bytes left in the socket), and a chunked body is cut
//! off with 413 as soon as it passes the cap. Errors use the API's JSON error body.

use axum::{
    body::Body,
    extract::{Query, State},
    http::{
        HeaderMap, StatusCode,
        header::{CONTENT_LENGTH, CONTENT_TYPE},
    },
    response::{IntoResponse, Response},
};
use futures::StreamExt as _;
use serde::Deserialize;
use wa_graph::webhook::{MAX_BODY_BYTES, SIGNATURE_HEADER, WebhookError, check_envelope};

use crate::{
    http::{auth::token_matches, error::ApiError},
    state::AppState,
};

/// The handshake's query string.
#[derive(Debug, Deserialize)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Answers Meta's subscription check with the challenge, as text/plain.
pub async fn verify(State(state): State<AppState>, Query(query): Query<Handshake>) -> Response {
    let (Some(mode), Some(token), Some(challenge)) =
        (query.mode, query.verify_token, query.challenge)
    else {
        return (
            StatusCode::BAD_REQUEST,
            "missing hub.mode, hub.verify_token or hub.challenge",
        )
            .into_response();
    };
    let Some(expected) = &state.webhook_verify_token else {
        return (StatusCode::FORBIDDEN, "no verify token is configured").into_response();
    };
    if mode != "subscribe" || !token_matches(&token, expected) {
        tracing::warn!("webhook handshake refused: wrong mode or verify token");
        return (StatusCode::FORBIDDEN, "verification failed").into_response();
    }
    ([(CONTENT_TYPE, "text/plain")], challenge).into_response()
}

/// Why a body was not read whole.
enum Unread {
    TooLarge,
    Broken,
}

/// Reads a body of at most [`MAX_BODY_BYTES`], refusing it as soon as it is known to be larger.
async fn read_capped(body: Body, announced: Option<usize>) -> Result<Vec<u8>, Unread> {
    let mut buffer = Vec::with_capacity(announced.unwrap_or(16 * 1024).min(MAX_BODY_BYTES));
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Unread::Broken)?;
        if buffer.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Unread::TooLarge);
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer)
}

fn refused(reason: &'static str) {
    metrics::counter!("wa_webhooks_rejected_total", "reason" => reason).increment(1);
}

/// Receives a delivery: verify, store raw, answer 200.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let announced = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        refused("too_large");
        return ApiError::too_large(MAX_BODY_BYTES).into_response();
    }
    // Held until the answer: at most this many bodies are in memory at once.
    let Ok(_permit) = state.webhook_bodies.clone().acquire_owned().await else {
        return ApiError::unavailable().into_response();
    };
    let announced = announced.and_then(|length| usize::try_from(length).ok());
    let body = match read_capped(body, announced).await {
        Ok(body) => body,
        Err(Unread::TooLarge) => {
            refused("too_large");
            return ApiError::too_large(MAX_BODY_BYTES).into_response();
        }
        Err(Unread::Broken) => {
            refused("unreadable");
            return ApiError::invalid("body", "the body could not be read").into_response();
        }
    };
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok());
    if let Err(error) = state.webhook_verifier.verify(&body, signature) {
        metrics::counter!("wa_webhooks_rejected_total", "reason" => "signature").increment(1);
        tracing::warn!(error = %error, bytes = body.len(), "webhook refused: bad or missing signature");
        return ApiError::unauthorized().into_response();
    }
    // The envelope only: its items are read once, by the inbox worker.
    match check_envelope(&body) {
        Ok(()) => {}
        Err(WebhookError::NotWhatsApp { object }) => {
            tracing::info!(object = %object, "webhook for another Meta product acknowledged and dropped");
            return StatusCode::OK.into_response();
        }
        Err(error) => {
            metrics::counter!("wa_webhooks_rejected_total", "reason" => "malformed").increment(1);
            tracing::warn!(error = %error, bytes = body.len(), "webhook refused: not a webhook envelope");
            return ApiError::invalid("body", "not a webhook envelope").into_response();
        }
    }
    let now = state.ports.clock.now();
    match state.inbox.push(&body, now).await {
        Ok(id) => {
            metrics::counter!("wa_webhooks_received_total").increment(1);
            tracing::debug!(inbox.id = id, bytes = body.len(), "webhook stored");
            state.inbox_signal.notify_one();
            StatusCode::OK.into_response()
        }
        Err(error) => {
            tracing::error!(error = %crate::http::error::error_chain(&error), "webhook could not be stored; Meta will retry");
            ApiError::unavailable().into_response()
        }
    }
}
