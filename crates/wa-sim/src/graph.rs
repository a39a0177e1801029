//! The Graph side: one entry point for every `/{version}/…` path, which applies faults, reads the
//! body, dispatches on method and path segments, and records what it received and answered.
//!
//! A version segment `v{major}.{minor}` is optional, as at Meta; any version is accepted.

use std::sync::Arc;
use std::time::Duration;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;

use crate::config::OutageMode;
use crate::graph_call::{Call, Params};
use crate::graph_error::GraphError;
use crate::records::RecordedRequest;
use crate::rng::{thread_f64, thread_u64};
use crate::state::{ActiveFaults, Sim};
use crate::{account, media, profile, send, template_admin, upload};

/// Largest non-upload body read (Graph JSON bodies are small; uploads stream).
const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Largest chunk of a resumable upload (Meta's sample limit).
const UPLOAD_BODY_LIMIT: usize = 100 * 1024 * 1024;
/// Bodies longer than this are cut in the request record.
const RECORDED_BODY_LIMIT: usize = 64 * 1024;

/// Asks the accept loop to drop this request's connection without an answer.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionKill(pub(crate) CancellationToken);

/// Whether a path segment is a Graph version (`v23.0`).
fn is_version(segment: &str) -> bool {
    segment
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && minor.bytes().all(|b| b.is_ascii_digit())
        })
}

/// The Graph entry point (the router's fallback).
pub(crate) async fn entry(State(sim): State<Arc<Sim>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let params = Params::parse(parts.uri.query());
    let mut record = RecordedRequest {
        seq: sim.records.next_request_seq(),
        at_ms: sim.now_ms(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(|_| params.redacted()),
        body: String::new(),
        status: 0,
        error_code: None,
    };
    let faults = sim.faults();
    if let Some(faults) = &faults
        && let Some(answer) = apply_faults(
            &sim,
            faults,
            parts.extensions.get::<ConnectionKill>(),
            || {
                // Recorded before the connection goes: this future is dropped with it.
                sim.records.requests.push(record.clone());
            },
        )
        .await
    {
        record.status = answer.status().as_u16();
        sim.records.requests.push(record);
        return answer;
    }
    let path = parts.uri.path().to_owned();
    let mut segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if segments.first().is_some_and(|s| is_version(s)) {
        segments.remove(0);
    }
    let outcome = if parts.method == Method::POST && matches!(segments.as_slice(), [_, "media"]) {
        record.body = "<multipart upload>".into();
        let request = Request::from_parts(parts.clone(), body);
        media::upload(&sim, &parts.headers, &params, segments[0], request).await
    } else {
        // A resumable upload's chunk is a file's bytes, not a small JSON body.
        let limit = if segments.first().is_some_and(|s| s.starts_with("upload:")) {
            UPLOAD_BODY_LIMIT
        } else {
            JSON_BODY_LIMIT
        };
        match to_bytes(body, limit).await {
            Err(_) => Err(GraphError::invalid("The request body is too large.")),
            Ok(bytes) => {
                let shown = &bytes[..bytes.len().min(RECORDED_BODY_LIMIT)];
                record.body = String::from_utf8_lossy(shown).into_owned();
                let call = Call {
                    sim: &sim,
                    headers: &parts.headers,
                    params: &params,
                    body: &bytes,
                };
                dispatch(&call, &parts.method, &segments, faults.as_deref())
            }
        }
    };
    let response = match outcome {
        Ok(response) => response,
        Err(error) => {
            record.error_code = Some(error.code);
            error.into_response()
        }
    };
    record.status = response.status().as_u16();
    let lose_answer = response.status() == StatusCode::OK
        && parts.method == Method::POST
        && matches!(segments.as_slice(), [_, "messages"])
        && faults
            .as_ref()
            .is_some_and(|faults| thread_f64() < faults.config.lost_answer_rate);
    sim.records.requests.push(record);
    if lose_answer && let Some(kill) = parts.extensions.get::<ConnectionKill>() {
        // The message is sent; its answer never leaves: the connection goes instead.
        kill.0.cancel();
        std::future::pending::<()>().await;
    }
    response
}

fn dispatch(
    call: &Call<'_>,
    method: &Method,
    segments: &[&str],
    faults: Option<&ActiveFaults>,
) -> Result<Response, GraphError> {
    let verb = method.as_str().to_ascii_lowercase();
    if let Some(faults) = faults
        && let Some(error) = step_error(call, method, segments, &faults.config.step_errors)
    {
        return Err(error);
    }
    match (method.as_str(), segments) {
        ("GET", ["oauth", "access_token"]) => account::oauth_exchange(call),
        ("GET", ["debug_token"]) => account::debug_token(call),
        ("POST", [id, "messages"]) => send::messages(call, id, faults),
        ("GET", [id]) if id.starts_with("upload:") => upload::status(call, id),
        ("POST", [id]) if id.starts_with("upload:") => upload::append(call, id),
        ("POST", [id, "uploads"]) => upload::start(call, id),
        ("GET", [id]) => account::get_object(call, id),
        ("POST", [id]) => account::post_object(call, id),
        ("DELETE", [id]) => media::delete(call, id),
        ("GET", [id, "message_templates"]) => account::templates(call, id),
        ("POST", [id, "message_templates"]) => template_admin::create(call, id),
        ("DELETE", [id, "message_templates"]) => template_admin::delete(call, id),
        ("GET", [id, "whatsapp_business_profile"]) => profile::get(call, id),
        ("POST", [id, "whatsapp_business_profile"]) => profile::update(call, id),
        ("POST", [id, "conversational_automation"]) => account::conversational_automation(call, id),
        ("GET", [id, "phone_numbers"]) => account::phone_numbers(call, id),
        ("GET" | "POST" | "DELETE", [id, "subscribed_apps"]) => {
            account::subscribed_apps(call, method, id)
        }
        ("POST", [id, "register"]) => account::register(call, id),
        (_, [id, ..]) => Err(GraphError::unknown_object(&verb, id)),
        (_, []) => Err(GraphError::graph_method("Unknown path components")),
    }
}

/// The configured error for an onboarding call, if one matches.
fn step_error(
    call: &Call<'_>,
    method: &Method,
    segments: &[&str],
    errors: &[crate::config::StepError],
) -> Option<GraphError> {
    if errors.is_empty() {
        return None;
    }
    let step = match (method.as_str(), segments) {
        ("GET", ["oauth", "access_token"]) => "exchange_code",
        ("GET", ["debug_token"]) => "debug_token",
        ("GET", [_, "phone_numbers"]) => "phone_numbers",
        ("POST", [_, "subscribed_apps"]) => "subscribe",
        ("POST", [_, "register"]) => "register",
        ("GET", [_, "message_templates"]) => "templates",
        ("GET", [id]) if call.sim.number(id).is_some() => "number",
        _ => return None,
    };
    let fault = errors.iter().find(|fault| fault.step == step)?;
    Some(match fault.code {
        190 => GraphError::invalid_token(
            "Error validating access token: The session has been invalidated.",
            Some(460),
        ),
        code => GraphError::whatsapp(code, format!("simulated failure of {step}")),
    })
}

/// Applies an outage or latency; returns an answer when the call must not go on.
async fn apply_faults(
    sim: &Sim,
    faults: &ActiveFaults,
    kill: Option<&ConnectionKill>,
    on_drop: impl FnOnce(),
) -> Option<Response> {
    let latency = faults.config.latency_ms
        + match faults.config.latency_jitter_ms {
            0 => 0,
            jitter => thread_u64() % (jitter + 1),
        };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    match faults.outage(sim.now_ns())? {
        OutageMode::Http { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let html = format!(
                "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>{status}</h1><p>Sorry, something went wrong.</p></body></html>"
            );
            let mut response = (status, html).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Some(response)
        }
        OutageMode::Reset => {
            if let Some(kill) = kill {
                on_drop();
                kill.0.cancel();
                // The accept loop drops the connection; this future is dropped with it.
                std::future::pending::<()>().await;
            }
            // In-process callers (no connection to drop) see a 502 instead.
            Some(StatusCode::BAD_GATEWAY.into_response())
        }
        OutageMode::Hang => {
            // No answer while the outage lasts; then the call goes on normally.
            loop {
                tokio::select! {
                    () = sim.shutdown.cancelled() => return Some(StatusCode::SERVICE_UNAVAILABLE.into_response()),
                    () = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
                let still = sim
                    .faults()
                    .and_then(|current| current.outage(sim.now_ns()))
                    .is_some_and(|mode| mode == OutageMode::Hang);
                if !still {
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_recognised() {
        assert!(is_version("v23.0"));
        assert!(is_version("v9.1"));
        assert!(!is_version("v23"));
        assert!(!is_version("100000000000001"));
        assert!(!is_version("vx.0"));
    }
}
