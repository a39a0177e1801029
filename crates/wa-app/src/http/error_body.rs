//! One error body for every answer: what the framework or a handler answered without it (a
//! rejected JSON body, a wrong content type, a bad query value or path id, an unknown route or
//! method, a bare status) is rewritten into [`ErrorBody`](super::error::ErrorBody), keeping the
//! status, the text as the message, and headers such as `Allow`.

use axum::{
    extract::Request,
    http::{
        HeaderMap,
        header::{CONTENT_LENGTH, CONTENT_TYPE},
    },
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::http::error::ApiError;

/// The longest rejection text kept as the message.
const MAX_TEXT: usize = 4 * 1024;

/// Rewrites any 4xx or 5xx answer that is not JSON into the error body.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(response.headers()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_TEXT).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let mut rewritten = ApiError::for_status(status, &text).into_response();
    for (name, value) in &parts.headers {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}
