//! Failed calls into `wa-domain`'s [`GraphError`], classified so the caller can act.
//!
//! | what happened | class |
//! |---|---|
//! | Meta's error envelope | by `code` ([`classify_meta_code`]; `is_transient` decides unknown codes) |
//! | envelope without a code | `Retryable` if Meta says transient or the status is 5xx, else `Permanent` |
//! | a non-2xx body that is not Meta's envelope (a proxy's HTML 502, an empty 503) | `Retryable`, HTTP status kept |
//! | could not connect (refused, unreachable, connect timeout) | `Retryable` |
//! | timeout, connection closed or reset after the request went out, body cut short | `Retryable`, in doubt |
//! | a 2xx whose body is not what Meta sends | `Permanent`, HTTP status kept |
//!
//! "In doubt" ([`GraphError::in_doubt`]) marks a failure where the request may have reached
//! Meta and been carried out; only a failure to connect proves it did not.
//!
//! The last row is a decision: a 2xx that is not Meta's answer comes from something between us
//! and Meta (a captive proxy, a wrong base URL) that retrying will not fix, and for a send the
//! request may have reached Meta, so sending it again risks a duplicate. The caller sees the
//! status and a message naming what was expected.

use wa_domain::{
    error_class::{ErrorClass, classify_meta_code},
    graph::{GraphError, GraphErrorInfo},
};

use crate::wire::{error::ErrorEnvelope, json::Str};

/// A non-2xx answer.
pub(crate) fn from_response(status: u16, body: &[u8]) -> GraphError {
    let envelope = serde_json::from_slice::<ErrorEnvelope<'_>>(body).ok();
    let Some(error) = envelope.and_then(|envelope| envelope.error) else {
        return GraphError::transport(
            ErrorClass::Retryable,
            format!("HTTP {status} without Meta's error envelope"),
            Some(status),
        );
    };
    let is_transient = error.is_transient.map(|flag| flag.0);
    let code = error.code.map(|code| code.0);
    let class = match code {
        Some(code) => classify_meta_code(code, is_transient.unwrap_or(false)),
        None if is_transient == Some(true) || status >= 500 => ErrorClass::Retryable,
        None => ErrorClass::Permanent,
    };
    let text = |value: Option<Str<'_>>| value.map(Str::into_string);
    GraphError {
        class,
        code,
        http_status: Some(status),
        in_doubt: false,
        info: Box::new(GraphErrorInfo {
            message: text(error.message).unwrap_or_else(|| format!("HTTP {status}")),
            subcode: error.error_subcode.map(|code| code.0),
            details: error.error_data.and_then(|data| text(data.details)),
            fbtrace_id: text(error.fbtrace_id),
            is_transient,
            user_title: text(error.error_user_title),
            user_message: text(error.error_user_msg),
        }),
    }
}

/// A 2xx answer that is not what Meta sends for the call.
pub(crate) fn unexpected_body(status: u16, expected: &str) -> GraphError {
    GraphError::transport(
        ErrorClass::Permanent,
        format!("HTTP {status} answer is not Meta's: expected {expected}"),
        Some(status),
    )
}

/// A transport failure: no answer, or an answer cut short.
pub(crate) fn transport(error: reqwest::Error) -> GraphError {
    // The URL can hold secrets in its query (code exchange, debug_token, appsecret_proof).
    let error = error.without_url();
    let (class, what) = if error.is_connect() {
        (ErrorClass::Retryable, "could not connect")
    } else if error.is_timeout() {
        (ErrorClass::Retryable, "the call timed out")
    } else if error.is_body() || error.is_decode() {
        (ErrorClass::Retryable, "the answer could not be read")
    } else if error.is_builder() {
        (ErrorClass::Permanent, "the request could not be built")
    } else if error.is_redirect() {
        (ErrorClass::Permanent, "Meta answered with a redirect")
    } else {
        (ErrorClass::Retryable, "the call failed")
    };
    // Nothing left us when the connection could not be made or the request not built; any
    // other failure may have come after Meta read the request.
    let in_doubt = !(error.is_connect() || error.is_builder());
    let mut message = what.to_owned();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    let failure =
        GraphError::transport(class, message, error.status().map(|status| status.as_u16()));
    if in_doubt {
        failure.into_in_doubt()
    } else {
        failure
    }
}
