//! Media: upload (`POST /{phone_number_id}/media`, multipart), lookup (`GET /{media_id}`),
//! delete (`DELETE /{media_id}`) and download from the URL the lookup gives, which needs the
//! bearer token like Meta's.

use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::auth::authorize_number;
use crate::graph_call::{Call, Params, json_ok};
use crate::graph_error::GraphError;
use crate::ids::media_id;
use crate::state::{MediaObject, Sim, read, write};

/// MIME types Meta accepts for upload, with their size limits in bytes.
const ACCEPTED: &[(&str, usize)] = &[
    ("image/jpeg", 5 << 20),
    ("image/png", 5 << 20),
    ("image/webp", 500 << 10),
    ("video/mp4", 16 << 20),
    ("video/3gpp", 16 << 20),
    ("audio/aac", 16 << 20),
    ("audio/amr", 16 << 20),
    ("audio/mpeg", 16 << 20),
    ("audio/mp4", 16 << 20),
    ("audio/ogg", 16 << 20),
    ("text/plain", 100 << 20),
    ("application/pdf", 100 << 20),
    ("application/msword", 100 << 20),
    ("application/vnd.ms-excel", 100 << 20),
    ("application/vnd.ms-powerpoint", 100 << 20),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        100 << 20,
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        100 << 20,
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        100 << 20,
    ),
];

/// The download URL of a media object (Meta's lookaside shape).
pub(crate) fn download_url(sim: &Sim, media: &MediaObject) -> String {
    format!(
        "{}/whatsapp_business/attachments/?mid={}&ext={}&hash={}",
        sim.base_url,
        media.id,
        sim.now().as_secs(),
        &hex::encode(media.sha256)[..16]
    )
}

/// Handles `POST /{phone_number_id}/media`.
pub(crate) async fn upload(
    sim: &Arc<Sim>,
    headers: &HeaderMap,
    params: &Params,
    phone_number_id: &str,
    request: Request,
) -> Result<Response, GraphError> {
    let number = authorize_number(sim, headers, params, None, "post", phone_number_id)?;
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| GraphError::param(format!("The body must be multipart/form-data: {e}")))?;
    let mut product = None;
    let mut declared_type = None;
    let mut file: Option<(Bytes, Option<String>, Option<String>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(GraphError::param(format!("Bad multipart body: {e}"))),
        };
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                let content_type = field.content_type().map(str::to_owned);
                let filename = field.file_name().map(str::to_owned);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| GraphError::whatsapp(131053, format!("Upload failed: {e}")))?;
                file = Some((bytes, content_type, filename));
            }
            "messaging_product" | "type" => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| GraphError::param(format!("Bad multipart field: {e}")))?;
                if name == "type" {
                    declared_type = Some(text);
                } else {
                    product = Some(text);
                }
            }
            _ => {}
        }
    }
    // Graph takes a parameter from the query string as well as from the form.
    match product
        .as_deref()
        .or_else(|| params.get("messaging_product"))
    {
        None => return Err(GraphError::param_missing("messaging_product")),
        Some("whatsapp") => {}
        Some(_) => {
            return Err(GraphError::param(
                "Param messaging_product must be whatsapp.",
            ));
        }
    }
    let Some((bytes, part_type, filename)) = file else {
        return Err(GraphError::param_missing("file"));
    };
    let declared_type = declared_type.or_else(|| params.get("type").map(str::to_owned));
    let Some(mime_type) = declared_type.or(part_type) else {
        return Err(GraphError::param_missing("type"));
    };
    let essence = mime_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some((_, limit)) = ACCEPTED.iter().find(|(accepted, _)| *accepted == essence) else {
        return Err(GraphError::param(format!(
            "Param file must be a file with one of the following types: {}. Received file of type '{mime_type}'.",
            ACCEPTED
                .iter()
                .map(|(t, _)| *t)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    if bytes.len() > *limit {
        return Err(GraphError::whatsapp(
            131053,
            format!(
                "The file is {} bytes; the limit for {essence} is {limit}.",
                bytes.len()
            ),
        ));
    }
    let object = Arc::new(MediaObject {
        id: media_id(),
        owner: number.config.phone_number_id.clone(),
        mime_type,
        sha256: Sha256::digest(&bytes).into(),
        bytes,
        filename,
    });
    let id = object.id.clone();
    write(&sim.media).insert(id.clone(), object);
    Ok(json_ok(&json!({"id": id})))
}

/// Authorises access to a media object through its owning number.
fn authorized_media(
    call: &Call<'_>,
    media_id: &str,
    method: &str,
) -> Result<Arc<MediaObject>, GraphError> {
    let media = read(&call.sim.media).get(media_id).cloned();
    let Some(media) = media else {
        // Check the token first so a bad token still answers 190.
        crate::auth::authorize_any(call.sim, call.headers, call.params)?;
        return Err(GraphError::unknown_object(method, media_id));
    };
    authorize_number(
        call.sim,
        call.headers,
        call.params,
        None,
        method,
        &media.owner,
    )
    .map_err(|error| {
        if error.code == 190 {
            error
        } else {
            GraphError::unknown_object(method, media_id)
        }
    })?;
    if let Some(asked) = call.params.get("phone_number_id")
        && asked != media.owner
    {
        return Err(GraphError::unknown_object(method, media_id));
    }
    Ok(media)
}

/// `GET /{media_id}`: the download URL and metadata.
pub(crate) fn info(call: &Call<'_>, media_id: &str) -> Result<Response, GraphError> {
    let media = authorized_media(call, media_id, "get")?;
    Ok(json_ok(&json!({
        "messaging_product": "whatsapp",
        "url": download_url(call.sim, &media),
        "mime_type": media.mime_type,
        "sha256": hex::encode(media.sha256),
        // Meta's `MediaURLResponse` gives the size as a string.
        "file_size": media.bytes.len().to_string(),
        "id": media.id,
    })))
}

/// `DELETE /{media_id}`.
pub(crate) fn delete(call: &Call<'_>, media_id: &str) -> Result<Response, GraphError> {
    let media = authorized_media(call, media_id, "delete")?;
    write(&call.sim.media).remove(&media.id);
    Ok(json_ok(&json!({"success": true})))
}

/// Query of the download URL.
#[derive(Debug, Deserialize)]
pub(crate) struct DownloadQuery {
    mid: String,
}

/// `GET /whatsapp_business/attachments/?mid=…`: the bytes, for a bearer token allowed to see the
/// owning number; 401 without a token, 404 for an unknown or deleted media id.
pub(crate) async fn download(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Response {
    let params = Params::default();
    let Some(token) = crate::auth::token_of(&headers, &params) else {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    };
    let Some(media) = read(&sim.media).get(&query.mid).cloned() else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    // The download host takes the bearer token alone (no appsecret_proof), like Meta's.
    let grant = read(&sim.tokens).get(token).cloned();
    match grant {
        None => return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response(),
        Some(grant) if grant.revoked => {
            return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
        }
        Some(grant) if !grant.numbers.contains(&media.owner) => {
            return (StatusCode::NOT_FOUND, "Not Found").into_response();
        }
        Some(_) => {}
    }
    let mut response = (StatusCode::OK, media.bytes.clone()).into_response();
    if let Ok(value) = HeaderValue::from_str(&media.mime_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    if let Some(name) = &media.filename
        && let Ok(value) = HeaderValue::from_str(&format!("attachment; filename={name}"))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
