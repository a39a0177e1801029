//! Text PostgreSQL cannot store, refused at the edge: a JSON body holding U+0000 in any string
//! is answered 400 naming the field (`name`, `content.body`, `items[2].url`), before a handler
//! runs, so nothing is half-stored and neither database sees it.
//!
//! JSON carries U+0000 only as the escape `\u0000` (a raw control byte is not valid JSON), so a
//! body without that text is passed on untouched after one scan; only a body that has it is
//! parsed here to find the field.

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::header::CONTENT_TYPE,
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::Value;

use crate::http::error::ApiError;

/// The API's largest request body (the same limit the JSON extractor applies).
pub const API_BODY_LIMIT: usize = 256 * 1024;

/// Refuses JSON bodies with a NUL in a string; passes everything else on.
pub async fn refuse_nul(request: Request, next: Next) -> Response {
    let is_json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !is_json {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, API_BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::too_large(API_BODY_LIMIT).into_response(),
    };
    if let Some(field) = nul_field(&bytes) {
        return ApiError::invalid(field, "must not contain the NUL character (U+0000)")
            .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The path of the first string value holding U+0000, if any.
fn nul_field(bytes: &Bytes) -> Option<String> {
    if !bytes.windows(2).any(|pair| pair == b"\\u") {
        return None;
    }
    // Not JSON: the extractor answers that; here only strings that parse can be named.
    let value: Value = serde_json::from_slice(bytes).ok()?;
    find_nul(&value, String::new())
}

fn find_nul(value: &Value, path: String) -> Option<String> {
    match value {
        Value::String(text) if text.contains('\0') => Some(if path.is_empty() {
            "body".to_owned()
        } else {
            path
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| find_nul(item, format!("{path}[{index}]"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if key.contains('\0') {
                return Some(at.replace('\0', "\u{FFFD}"));
            }
            find_nul(item, at)
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(json: &str) -> Option<String> {
        nul_field(&Bytes::copy_from_slice(json.as_bytes()))
    }

    #[test]
    fn the_field_holding_a_nul_is_named() {
        assert_eq!(field(r#"{"name":"a\u0000"}"#).as_deref(), Some("name"));
        assert_eq!(
            field(r#"{"to":"1","content":{"type":"text","body":"x\u0000"}}"#).as_deref(),
            Some("content.body")
        );
        assert_eq!(
            field(r#"{"items":[{"u":"ok"},{"u":"\u0000"}]}"#).as_deref(),
            Some("items[1].u")
        );
        assert_eq!(field(r#""\u0000""#).as_deref(), Some("body"));
    }

    #[test]
    fn other_bodies_pass() {
        assert_eq!(field(r#"{"name":"caf\u00e9"}"#), None);
        assert_eq!(field(r#"{"name":"a\\u0000"}"#), None);
        assert_eq!(field(r#"{"name":"plain"}"#), None);
        assert_eq!(field("{not json \\u0000"), None);
    }
}
