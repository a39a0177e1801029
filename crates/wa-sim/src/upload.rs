//! Meta's resumable upload API, which gives the handles a template's media header example
//! (`example.header_handle`) and a profile picture (`profile_picture_handle`) need:
//!
//! 1. `POST /{app_id}/uploads?file_name=…&file_length=…&file_type=…` → `{"id":"upload:…"}`;
//! 2. `POST /upload:…` with header `file_offset` and the bytes as the body → `{"h":"…"}` once
//!    every byte is there;
//! 3. `GET /upload:…` → `{"id","file_offset"}`, where to resume.
//!
//! Steps 2 and 3 take the user token as `Authorization: OAuth …` (Meta's form) or `Bearer`.

use axum::response::Response;
use serde_json::json;

use crate::auth::authorize_any;
use crate::graph_call::{Call, json_ok};
use crate::graph_error::GraphError;
use crate::ids::opaque_token;
use crate::state::lock;
use crate::upload_session::UploadSession;

/// File types the upload API takes for samples.
const TYPES: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/jpg",
    "image/png",
    "video/mp4",
];
/// Largest sample (Meta: 100 MB for documents).
const MAX_LENGTH: u64 = 100 << 20;

/// `POST /{app_id}/uploads`.
pub(crate) fn start(call: &Call<'_>, app_id: &str) -> Result<Response, GraphError> {
    authorize_any(call.sim, call.headers, call.params)?;
    if app_id != call.sim.settings().app_id {
        return Err(GraphError::unknown_object("post", app_id));
    }
    let params = crate::graph_call::body_params(call.body);
    let get = |name: &str| params.get(name).or_else(|| call.params.get(name));
    let length = get("file_length")
        .ok_or_else(|| GraphError::param_missing("file_length"))?
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=MAX_LENGTH).contains(n))
        .ok_or_else(|| {
            GraphError::param(format!("Param file_length must be from 1 to {MAX_LENGTH}."))
        })?;
    let file_type = get("file_type").ok_or_else(|| GraphError::param_missing("file_type"))?;
    if !TYPES.contains(&file_type) {
        return Err(GraphError::param(format!(
            "Param file_type must be one of {{{}}}.",
            TYPES.join(", ")
        )));
    }
    let id = format!("upload:{}", opaque_token("MTpzaW0"));
    lock(&call.sim.uploads).insert(
        id.clone(),
        UploadSession {
            length,
            file_type: file_type.to_owned(),
            received: Vec::new(),
        },
    );
    Ok(json_ok(&json!({"id": id})))
}

/// `POST /upload:…`: appends the body at `file_offset`.
pub(crate) fn append(call: &Call<'_>, id: &str) -> Result<Response, GraphError> {
    authorize_any(call.sim, call.headers, call.params)?;
    let offset = call
        .headers
        .get("file_offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| GraphError::param_missing("file_offset"))?;
    let mut sessions = lock(&call.sim.uploads);
    let Some(session) = sessions.get_mut(id) else {
        return Err(GraphError::unknown_object("post", id));
    };
    if offset != session.received.len() as u64 {
        return Err(GraphError::param(format!(
            "Param file_offset must be {} (the bytes received so far).",
            session.received.len()
        )));
    }
    if offset + call.body.len() as u64 > session.length {
        return Err(GraphError::param(
            "The upload is longer than the file_length it started with.",
        ));
    }
    session.received.extend_from_slice(call.body);
    if (session.received.len() as u64) < session.length {
        return Ok(json_ok(
            &json!({"id": id, "file_offset": session.received.len()}),
        ));
    }
    let handle = format!(
        "4:{}:{}:{}",
        base64_of(id),
        base64_of(&session.file_type),
        opaque_token("ARsim")
    );
    Ok(json_ok(&json!({"h": handle})))
}

/// `GET /upload:…`: how much arrived.
pub(crate) fn status(call: &Call<'_>, id: &str) -> Result<Response, GraphError> {
    authorize_any(call.sim, call.headers, call.params)?;
    let sessions = lock(&call.sim.uploads);
    let Some(session) = sessions.get(id) else {
        return Err(GraphError::unknown_object("get", id));
    };
    Ok(json_ok(
        &json!({"id": id, "file_offset": session.received.len()}),
    ))
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
