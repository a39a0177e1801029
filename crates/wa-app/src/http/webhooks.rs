//! `/webhooks/whatsapp`: Meta's subscription handshake and webhook deliveries.
//!
//! A delivery is checked (size, signature over the exact raw bytes, that it is a WhatsApp
//! envelope), stored raw in the inbox, and answered exactly 200; the inbox worker processes it
//! afterwards. Nothing is stored for a bad signature (401). Only a body that is not JSON or not an
//! envelope gets a 400; other `object` values are acknowledged and dropped. 5xx is answered only
//! when the body could not be stored, so Meta retries it.

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use wa_graph::webhook::{SIGNATURE_HEADER, WebhookError, parse};

use crate::{http::auth::token_matches, state::AppState};

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

/// Receives a delivery: verify, store raw, answer 200.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok());
    if let Err(error) = state.webhook_verifier.verify(&body, signature) {
        metrics::counter!("wa_webhooks_rejected_total", "reason" => "signature").increment(1);
        tracing::warn!(error = %error, bytes = body.len(), "webhook refused: bad or missing signature");
        return (StatusCode::UNAUTHORIZED, "invalid signature").into_response();
    }
    match parse(&body) {
        Ok(_) => {}
        Err(WebhookError::NotWhatsApp { object }) => {
            tracing::info!(object = %object, "webhook for another Meta product acknowledged and dropped");
            return StatusCode::OK.into_response();
        }
        Err(error) => {
            metrics::counter!("wa_webhooks_rejected_total", "reason" => "malformed").increment(1);
            tracing::warn!(error = %error, bytes = body.len(), "webhook refused: not a webhook envelope");
            return (StatusCode::BAD_REQUEST, "not a webhook envelope").into_response();
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
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
