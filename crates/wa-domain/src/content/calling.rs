//! Calling: the interactive message that asks a customer for permission to call them
//! (Meta's `call_permission_request`). The customer's answer comes back as an interactive
//! `call_permission_reply` ([`crate::inbound::CallPermissionReply`]).

use serde::{Deserialize, Serialize};

use crate::validation::{ValidationError, bounded_text};

/// Meta's limit on the body of an interactive message (`BodyObject.text`).
pub const MAX_CALL_PERMISSION_BODY: usize = 1024;

/// A request for permission to call the customer: a body and Meta's permission buttons.
/// Meta's guide shows a body and the action only, so wa takes nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CallPermissionRequestFields")]
pub struct CallPermissionRequest {
    body: String,
}

/// The parts of a call-permission request, before they are checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallPermissionRequestFields {
    /// Why the business wants to call, up to 1024 characters.
    pub body: String,
}

impl TryFrom<CallPermissionRequestFields> for CallPermissionRequest {
    type Error = ValidationError;
    fn try_from(fields: CallPermissionRequestFields) -> Result<Self, Self::Error> {
        Self::new(fields.body)
    }
}

impl CallPermissionRequest {
    /// Checks the body.
    ///
    /// # Errors
    /// `interactive.body.text` empty or over 1024 characters.
    pub fn new(body: impl Into<String>) -> Result<Self, ValidationError> {
        let body = bounded_text("text", body, MAX_CALL_PERMISSION_BODY)
            .map_err(|e| e.within("body").within("interactive"))?;
        Ok(Self { body })
    }

    /// The message text.
    pub fn body(&self) -> &str {
        &self.body
    }
}
