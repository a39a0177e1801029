//! Webhooks from Meta: the signature check and the parse into typed events.
//!
//! A receiver calls [`verify_and_parse`], or, storing bodies before processing them,
//! [`SignatureVerifier::verify`] and [`check_envelope`] on the request path and [`parse`] once,
//! later, from its inbox: the size is capped first, then the signature is checked over
//! the exact bytes received, then the nesting depth, then the JSON is read. The parser never
//! panics; a body that is not a webhook envelope is an error, and anything wrong inside one
//! item is reported in [`WebhookBatch::problems`] while the rest of the batch is read.

pub mod event;
mod fast;
pub(crate) mod limits;
mod parse;
pub mod signature;

pub use event::WebhookBatch;
pub use limits::{MAX_BODY_BYTES, MAX_DEPTH};
pub use parse::{check_envelope, parse};
pub use signature::{NoSecrets, SIGNATURE_HEADER, SignatureError, SignatureVerifier};

/// Why a webhook body was refused as a whole. Never quotes the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Larger than Meta ever sends (3 MB).
    #[error("webhook body of {size} bytes is over the {limit}-byte limit")]
    TooLarge {
        /// The body's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Nested deeper than any of Meta's payloads.
    #[error("webhook body nests deeper than {limit} levels (at byte {offset})")]
    TooDeep {
        /// The limit.
        limit: usize,
        /// Where the limit was crossed.
        offset: usize,
    },
    /// The signature header is missing, malformed or wrong.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Not UTF-8 (JSON must be; Meta escapes everything beyond ASCII).
    #[error("webhook body is not UTF-8")]
    NotUtf8,
    /// Not JSON, or not a webhook envelope (`entry` is not a list, ...).
    #[error("webhook body is not a valid webhook envelope (line {line}, column {column})")]
    Malformed {
        /// Where reading stopped.
        line: usize,
        /// Where reading stopped.
        column: usize,
    },
    /// A webhook of another Meta product (`object` is not `whatsapp_business_account`).
    #[error("webhook object `{object}` is not whatsapp_business_account")]
    NotWhatsApp {
        /// The object, cut to 64 characters.
        object: String,
    },
}

impl WebhookError {
    /// Whether the sender should be told 401/403 (a signature problem) rather than 400.
    pub fn is_signature(&self) -> bool {
        matches!(self, Self::Signature(_))
    }
}

/// Checks the signature, then parses: what a webhook receiver needs in one call.
///
/// # Errors
/// [`WebhookError::TooLarge`] before anything else, then [`WebhookError::Signature`], then the
/// errors of [`parse`].
pub fn verify_and_parse(
    verifier: &SignatureVerifier,
    body: &[u8],
    signature_header: Option<&str>,
) -> Result<WebhookBatch, WebhookError> {
    parse::check_size(body)?;
    verifier.verify(body, signature_header)?;
    parse(body)
}
