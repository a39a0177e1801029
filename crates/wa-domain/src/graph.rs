//! What the domain asks of Meta's Graph API, and how Graph failures are reported to it.
//!
//! The wire format lives in `wa-graph`; here are only the inputs and outcomes the use cases need.

use std::fmt;

use crate::{
    credential::SecretString,
    error_class::ErrorClass,
    ids::{Bsuid, PhoneNumberId, WaMessageId},
};

/// The per-tenant handle for Graph calls: the number to send from and the token to send with.
#[derive(Clone)]
pub struct Sender {
    /// The business number.
    pub phone_number_id: PhoneNumberId,
    /// The tenant's access token.
    pub token: SecretString,
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("phone_number_id", &self.phone_number_id)
            .field("token", &"[REDACTED]")
            .finish()
    }
}

/// Meta accepted a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// Meta's id of the message.
    pub wamid: WaMessageId,
    /// The user's WhatsApp id as Meta resolved it (may differ from what we sent).
    pub wa_id: Option<String>,
    /// The user's BSUID, when we sent to one.
    pub user_id: Option<Bsuid>,
    /// `accepted`, `held_for_quality_assessment`, ... (templates under pacing only).
    pub message_status: Option<String>,
}

/// Mark an inbound message read, optionally showing "typing…".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkRead {
    /// The customer's message.
    pub message_id: WaMessageId,
    /// Show the typing indicator for up to 25 seconds or until we reply.
    pub typing_indicator: bool,
}

/// A file to upload to Meta.
#[derive(Clone, PartialEq, Eq)]
pub struct MediaUpload {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Its MIME type (`image/jpeg`, ...).
    pub mime_type: String,
    /// A file name for the multipart part.
    pub filename: String,
}

impl fmt::Debug for MediaUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaUpload")
            .field("bytes", &self.bytes.len())
            .field("mime_type", &self.mime_type)
            .field("filename", &self.filename)
            .finish()
    }
}

/// What Meta knows about an uploaded or received media file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    /// The media id.
    pub id: String,
    /// A download URL, valid for 5 minutes, that needs the bearer token.
    pub url: String,
    /// Its MIME type.
    pub mime_type: Option<String>,
    /// Its SHA-256.
    pub sha256: Option<String>,
    /// Its size in bytes.
    pub file_size: Option<u64>,
}

/// A downloaded media file.
#[derive(Clone, PartialEq, Eq)]
pub struct MediaDownload {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The `Content-Type` Meta served.
    pub mime_type: Option<String>,
}

impl fmt::Debug for MediaDownload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaDownload")
            .field("bytes", &self.bytes.len())
            .field("mime_type", &self.mime_type)
            .finish()
    }
}

/// A failed Graph call, classified so the caller can act; never carries a token.
///
/// The rarely-read parts sit behind a box so a `Result<_, GraphError>` stays small on the send path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct GraphError {
    /// What to do about it.
    pub class: ErrorClass,
    /// Meta's error code; `None` when Meta did not answer with its envelope.
    pub code: Option<i64>,
    /// The HTTP status, when there was a response.
    pub http_status: Option<u16>,
    /// The request may have reached Meta and been carried out: the answer was lost (a timeout,
    /// or the connection closed after the request went out). A send that failed this way may
    /// have been accepted, so it is not sent again before its status webhook had time to tell.
    pub in_doubt: bool,
    /// Everything else Meta said, kept for support.
    pub info: Box<GraphErrorInfo>,
}

/// The parts of a Graph error kept for people and support.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphErrorInfo {
    /// Meta's message, or what went wrong in transport.
    pub message: String,
    /// Meta's deprecated subcode (190's subcodes still tell why a token died).
    pub subcode: Option<i64>,
    /// Meta's `error_data.details`.
    pub details: Option<String>,
    /// Meta's trace id, for Meta's support.
    pub fbtrace_id: Option<String>,
    /// Meta's `is_transient` hint.
    pub is_transient: Option<bool>,
    /// Meta's title meant for the end user.
    pub user_title: Option<String>,
    /// Meta's message meant for the end user.
    pub user_message: Option<String>,
}

impl GraphError {
    /// A failure without Meta's envelope (timeout, connection reset, a proxy's HTML page).
    pub fn transport(
        class: ErrorClass,
        message: impl Into<String>,
        http_status: Option<u16>,
    ) -> Self {
        Self {
            class,
            code: None,
            http_status,
            in_doubt: false,
            info: Box::new(GraphErrorInfo {
                message: message.into(),
                ..GraphErrorInfo::default()
            }),
        }
    }

    /// The same failure, marked as one whose request may have been carried out
    /// (see [`GraphError::in_doubt`]).
    #[must_use]
    pub fn into_in_doubt(mut self) -> Self {
        self.in_doubt = true;
        self
    }

    fn describe(&self) -> String {
        let info = &self.info;
        let mut text = match self.code {
            Some(code) => format!("Graph API error {code} ({}): {}", self.class, info.message),
            None => format!("Graph API call failed ({}): {}", self.class, info.message),
        };
        if let Some(details) = &info.details {
            text.push_str("; details: ");
            text.push_str(details);
        }
        if let Some(status) = self.http_status {
            text.push_str(&format!("; HTTP {status}"));
        }
        if let Some(trace) = &info.fbtrace_id {
            text.push_str("; fbtrace_id ");
            text.push_str(trace);
        }
        text
    }

    /// The failure as kept on a message.
    pub fn to_failure(&self) -> crate::message::MessageFailure {
        crate::message::MessageFailure {
            class: self.class,
            code: self.code,
            title: self.info.message.clone(),
            details: self.info.details.clone(),
            fbtrace_id: self.info.fbtrace_id.clone(),
        }
    }
}
