//! Conversions between Meta's wire types ([`crate::wire`]) and `wa-domain`'s values.
//!
//! Kept apart from both: the wire types stay a faithful picture of Meta's JSON, the domain stays
//! free of it, and every decision about how one maps onto the other is made here.

pub(crate) mod inbound;
pub(crate) mod outbound;
pub(crate) mod status;

use serde_json::value::RawValue;
use time::OffsetDateTime;
use wa_domain::{
    error_class::ErrorClass, error_class::classify_meta_code, message::MessageFailure,
};

use crate::{
    webhook::event::{MetaError, RawField},
    wire::{
        json::{Str, UnixTime},
        webhook as wire,
    },
};

/// Why one webhook item could not be turned into an event. Names the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ItemError {
    /// A required field is absent.
    #[error("`{0}` is missing")]
    Missing(&'static str),
    /// A field's value is not acceptable.
    #[error("`{0}` is not valid")]
    Invalid(&'static str),
}

/// An optional wire string as an owned string.
pub(crate) fn opt_string(value: Option<Str<'_>>) -> Option<String> {
    value.map(Str::into_string)
}

/// Unknown keys as raw fields (no allocation when there are none).
pub(crate) fn raw_fields(extra: Vec<(Str<'_>, &RawValue)>) -> Vec<RawField> {
    extra
        .into_iter()
        .map(|(key, raw)| RawField {
            key: key.into_string(),
            json: raw.get().to_owned(),
        })
        .collect()
}

/// Meta's unix seconds as a time.
pub(crate) fn unix_time(time: UnixTime) -> Result<OffsetDateTime, ItemError> {
    OffsetDateTime::from_unix_timestamp(time.0).map_err(|_| ItemError::Invalid("timestamp"))
}

/// An error carried in a webhook, classified by code like a Graph error.
pub(crate) fn meta_error(error: wire::WebhookError<'_>) -> MetaError {
    let code = error.code.map(|code| code.0);
    let class = code.map_or(ErrorClass::Permanent, |code| {
        classify_meta_code(code, false)
    });
    let title = opt_string(error.title);
    let message = opt_string(error.message);
    let (title, message) = match (title, message) {
        (Some(title), Some(message)) if title == message => (title, None),
        (Some(title), message) => (title, message),
        (None, Some(message)) => (message, None),
        (None, None) => (String::new(), None),
    };
    MetaError {
        failure: MessageFailure {
            class,
            code,
            title,
            details: error.error_data.and_then(|data| opt_string(data.details)),
            fbtrace_id: None,
        },
        message,
        href: opt_string(error.href),
    }
}
