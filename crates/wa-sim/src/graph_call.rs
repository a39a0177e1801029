//! A Graph call as the endpoint handlers see it (the shared state, headers, query parameters and
//! body), and the success answer they give. The router (`graph`) builds the call; the handlers
//! below it only read it, so they need not know the router.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::ascii_json::to_ascii_json;
use crate::state::Sim;

/// Query parameters, decoded.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(query: Option<&str>) -> Self {
        Self(
            query
                .map(|q| {
                    url::form_urlencoded::parse(q.as_bytes())
                        .into_owned()
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The query string with secrets redacted, for the request record.
    pub(crate) fn redacted(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in &self.0 {
            let shown = if matches!(
                key.as_str(),
                "access_token" | "appsecret_proof" | "client_secret" | "input_token"
            ) {
                "<redacted>"
            } else {
                value
            };
            out.append_pair(key, shown);
        }
        out.finish()
    }
}

/// A parsed Graph call, handed to the endpoint handlers.
pub(crate) struct Call<'a> {
    pub(crate) sim: &'a Arc<Sim>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) params: &'a Params,
    pub(crate) body: &'a Bytes,
}

/// A Graph success answer: Meta's escaped-Unicode JSON.
pub(crate) fn json_ok<T: Serialize + ?Sized>(value: &T) -> Response {
    let mut response = (StatusCode::OK, to_ascii_json(value)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

/// A JSON or form-encoded body as parameters (Graph accepts both for simple calls).
pub(crate) fn body_params(body: &Bytes) -> Params {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => Params(
            map.into_iter()
                .map(|(key, value)| {
                    let text = match value {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, text)
                })
                .collect(),
        ),
        _ => Params::parse(std::str::from_utf8(body).ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_records() {
        let params = Params::parse(Some("fields=id&access_token=secret&appsecret_proof=abc"));
        let shown = params.redacted();
        assert!(!shown.contains("secret&"));
        assert!(shown.contains("fields=id"));
        assert!(shown.contains("access_token=%3Credacted%3E"));
    }
}
