//! The request log's span: method, path and the query's parameter names, never their values.
//!
//! A query string can carry a secret: the signup page's token (`?token=`), Meta's handshake
//! (`hub.verify_token`), an API key a client wrongly put in the URL. tower-http's default span
//! records the whole URI; this one records the path (ids only) and the query with every value
//! replaced by `…`, so no log level shows them.

use axum::http::Request;
use tracing::Span;

/// The span every request's log lines are recorded in (at DEBUG, as tower-http's default).
pub fn request_span<B>(request: &Request<B>) -> Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        query = %redacted_query(request.uri().query()),
    )
}

/// The longest parameter name shown.
const MAX_NAME: usize = 24;

/// The query's parameter names with their values replaced: `limit=…&token=…`.
pub fn redacted_query(query: Option<&str>) -> String {
    let Some(query) = query else {
        return String::new();
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            // A name is the client's text too: kept only when short and plain, as parameter
            // names are (a bare piece without `=`, or a long name, may itself be a secret).
            Some((name, _))
                if name.len() <= MAX_NAME
                    && name.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']')
                    }) =>
            {
                format!("{name}=…")
            }
            _ => "…".to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_never_show() {
        assert_eq!(
            redacted_query(Some("token=abc.def&limit=5")),
            "token=…&limit=…"
        );
        assert_eq!(
            redacted_query(Some(
                "hub.mode=subscribe&hub.verify_token=s3cret&hub.challenge=1"
            )),
            "hub.mode=…&hub.verify_token=…&hub.challenge=…"
        );
        assert_eq!(redacted_query(Some("wak_secretkey&a=1")), "…&a=…");
        assert_eq!(
            redacted_query(Some("wak_0123456789abcdef0123456789=x")),
            "…"
        );
        assert_eq!(redacted_query(None), "");
    }
}
