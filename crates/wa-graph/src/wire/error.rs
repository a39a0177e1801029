//! Meta's error envelope (cloud-api.md §2.1).

use serde::Deserialize;

use crate::wire::json::{Flag, Int, Str};

/// `{"error": {...}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorEnvelope<'a> {
    /// The error; a body without it is not Meta's error.
    #[serde(borrow, default)]
    pub(crate) error: Option<GraphErrorBody<'a>>,
}

/// The `error` object.
#[derive(Debug, Deserialize)]
pub(crate) struct GraphErrorBody<'a> {
    /// `(#131047) Re-engagement message`.
    #[serde(borrow, default)]
    pub(crate) message: Option<Str<'a>>,
    /// What to decide on.
    #[serde(default)]
    pub(crate) code: Option<Int>,
    /// Deprecated, but 190's subcodes still say why a token died.
    #[serde(default)]
    pub(crate) error_subcode: Option<Int>,
    /// `details`.
    #[serde(borrow, default)]
    pub(crate) error_data: Option<ErrorDataBody<'a>>,
    /// Title meant for the end user.
    #[serde(borrow, default)]
    pub(crate) error_user_title: Option<Str<'a>>,
    /// Message meant for the end user.
    #[serde(borrow, default)]
    pub(crate) error_user_msg: Option<Str<'a>>,
    /// Meta's hint that retrying may work.
    #[serde(default)]
    pub(crate) is_transient: Option<Flag>,
    /// Meta's trace id.
    #[serde(borrow, default)]
    pub(crate) fbtrace_id: Option<Str<'a>>,
}

/// `error_data`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorDataBody<'a> {
    /// A human explanation.
    #[serde(borrow, default)]
    pub(crate) details: Option<Str<'a>>,
}
