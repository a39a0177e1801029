//! The passthrough: a Meta `interactive` or `template` object that wa does not model (yet),
//! given whole by the tenant and forwarded to Meta unchanged.
//!
//! wa cannot validate it: only what must hold for wa itself is checked (it is a non-empty JSON
//! object within [`MAX_RAW_BYTES`]); the recipient, the window and the tenant's state are checked
//! on the message as for every other content, and Meta judges the rest. A raw template is a
//! template for the window rule (it may be sent outside the window) but is never compared with
//! the synced templates. The stored content keeps `"type": "raw"`, so a raw message is always
//! recognisable in the message record and the API.

use serde::{Deserialize, Serialize};

use super::json_object::JsonObject;
use crate::validation::ValidationError;

/// Most bytes of compact JSON a raw object may have. Meta documents no size limit of a send;
/// its largest modelled messages (a ten-card carousel, a list of ten rows) stay far below this.
pub const MAX_RAW_BYTES: usize = 64 * 1024;

/// Which of Meta's objects a raw content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawKind {
    /// Meta's `interactive` object (`{"type": "...", "action": {...}, ...}`).
    Interactive,
    /// Meta's `template` object (`{"name": ..., "language": {...}, "components": [...]}`).
    Template,
}

impl RawKind {
    /// Meta's message `type`, which is also the key of the object.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interactive => "interactive",
            Self::Template => "template",
        }
    }
}

/// The parts of a raw content, before they are checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContentFields {
    /// `interactive` or `template`.
    pub kind: RawKind,
    /// Meta's object, exactly as it goes into the request.
    pub object: JsonObject,
}

/// A Meta `interactive` or `template` object, forwarded unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawContentFields")]
pub struct RawContent {
    kind: RawKind,
    object: JsonObject,
}

impl TryFrom<RawContentFields> for RawContent {
    type Error = ValidationError;
    fn try_from(fields: RawContentFields) -> Result<Self, Self::Error> {
        Self::new(fields.kind, fields.object)
    }
}

impl RawContent {
    /// Checks the object's size.
    ///
    /// # Errors
    /// `raw.object` empty or over [`MAX_RAW_BYTES`] of compact JSON.
    pub fn new(kind: RawKind, object: JsonObject) -> Result<Self, ValidationError> {
        object
            .check("object", MAX_RAW_BYTES)
            .map_err(|e| e.within("raw"))?;
        Ok(Self { kind, object })
    }

    /// Which object it is.
    pub fn kind(&self) -> RawKind {
        self.kind
    }

    /// The object.
    pub fn object(&self) -> &JsonObject {
        &self.object
    }
}
