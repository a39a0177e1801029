//! Interactive Flow messages: a button that opens a WhatsApp Flow, at a predefined screen with its
//! data (`navigate`) or at whatever the Flow's data endpoint answers (`data_exchange`).
//!
//! Limits and shapes from Meta's OpenAPI description (`InteractiveObject`, action `flow`):
//! `flow_message_version` is always `"3"` (added by `wa-graph`), exactly one of `flow_id` and
//! `flow_name`, `flow_cta` at most 30 characters and without emoji, `mode` `draft` or
//! `published` (the default), `flow_action` `navigate` (the default) or `data_exchange`, and
//! `flow_action_payload.data` a non-empty object. Meta's Flows guide says a `data_exchange` Flow
//! takes no payload, while its OpenAPI makes the payload optional only for `navigate`; Meta's
//! OpenAPI wins, so a payload is allowed with either action and sent when given. The customer's
//! answers come back as an `nfm_reply` carrying the `flow_token`.

use serde::{Deserialize, Serialize};

use super::{
    interactive::{
        InteractiveHeader, MAX_INTERACTIVE_BODY, check_body, check_footer, check_header,
    },
    json_object::JsonObject,
};
use crate::validation::{ValidationError, Violation, bounded_text, optional_bounded_text};

/// Meta's limit on the label of the button that opens a Flow.
pub const MAX_FLOW_CTA: usize = 30;
/// Most bytes of a Flow's first-screen data we forward. Meta documents no limit; the data of a
/// screen is a handful of values, and this bounds what one message may carry.
pub const MAX_FLOW_DATA_BYTES: usize = 16 * 1024;
/// Longest `flow_token`, `flow_name` or screen id we accept; Meta documents no limit.
pub const MAX_FLOW_TEXT: usize = 1000;

/// Whether the Flow is a draft (testing) or published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowMode {
    /// Published: what customers get (Meta's default).
    #[default]
    Published,
    /// A draft, sent for testing.
    Draft,
}

impl FlowMode {
    /// Meta's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Draft => "draft",
        }
    }
}

/// How the Flow starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowAction {
    /// At a screen given here, with data given here (Meta's default).
    #[default]
    Navigate,
    /// At the screen the Flow's data endpoint answers.
    DataExchange,
}

impl FlowAction {
    /// Meta's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Navigate => "navigate",
            Self::DataExchange => "data_exchange",
        }
    }
}

/// The parts of a Flow message, before they are checked. Field names are Meta's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct FlowMessageFields {
    /// Optional text (≤ 60) or media header.
    #[serde(default)]
    pub header: Option<InteractiveHeader>,
    /// The message, up to 1024 characters.
    pub body: String,
    /// Optional footer, up to 60 characters.
    #[serde(default)]
    pub footer: Option<String>,
    /// The Flow's id; exactly one of `flow_id` and `flow_name`.
    #[serde(default)]
    pub flow_id: Option<String>,
    /// The Flow's name; exactly one of `flow_id` and `flow_name`.
    #[serde(default)]
    pub flow_name: Option<String>,
    /// The button's label, up to 30 characters, no emoji.
    pub flow_cta: String,
    /// Draft or published (the default).
    #[serde(default)]
    pub mode: FlowMode,
    /// Our token, echoed in the Flow's replies (Meta sends `unused` when absent).
    #[serde(default)]
    pub flow_token: Option<String>,
    /// `navigate` (the default) or `data_exchange`.
    #[serde(default)]
    pub flow_action: FlowAction,
    /// The first screen's id (Meta's default is `FIRST_ENTRY_SCREEN`).
    #[serde(default)]
    pub screen: Option<String>,
    /// The first screen's input data, a non-empty object.
    #[serde(default)]
    pub data: Option<JsonObject>,
}

/// Which Flow a message opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowRef {
    /// By Meta's id.
    Id(String),
    /// By the name given when it was created.
    Name(String),
}

/// A message with a button that opens a WhatsApp Flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FlowMessageFields", into = "FlowMessageFields")]
pub struct FlowMessage {
    header: Option<InteractiveHeader>,
    body: String,
    footer: Option<String>,
    flow: FlowRef,
    flow_cta: String,
    mode: FlowMode,
    flow_token: Option<String>,
    flow_action: FlowAction,
    screen: Option<String>,
    data: Option<JsonObject>,
}

impl Serialize for FlowMessageFields {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        if let Some(header) = &self.header {
            map.serialize_entry("header", header)?;
        }
        map.serialize_entry("body", &self.body)?;
        if let Some(footer) = &self.footer {
            map.serialize_entry("footer", footer)?;
        }
        if let Some(id) = &self.flow_id {
            map.serialize_entry("flow_id", id)?;
        }
        if let Some(name) = &self.flow_name {
            map.serialize_entry("flow_name", name)?;
        }
        map.serialize_entry("flow_cta", &self.flow_cta)?;
        map.serialize_entry("mode", &self.mode)?;
        if let Some(token) = &self.flow_token {
            map.serialize_entry("flow_token", token)?;
        }
        map.serialize_entry("flow_action", &self.flow_action)?;
        if let Some(screen) = &self.screen {
            map.serialize_entry("screen", screen)?;
        }
        if let Some(data) = &self.data {
            map.serialize_entry("data", data)?;
        }
        map.end()
    }
}

impl From<FlowMessage> for FlowMessageFields {
    fn from(message: FlowMessage) -> Self {
        let (flow_id, flow_name) = match message.flow {
            FlowRef::Id(id) => (Some(id), None),
            FlowRef::Name(name) => (None, Some(name)),
        };
        Self {
            header: message.header,
            body: message.body,
            footer: message.footer,
            flow_id,
            flow_name,
            flow_cta: message.flow_cta,
            mode: message.mode,
            flow_token: message.flow_token,
            flow_action: message.flow_action,
            screen: message.screen,
            data: message.data,
        }
    }
}

impl TryFrom<FlowMessageFields> for FlowMessage {
    type Error = ValidationError;
    fn try_from(fields: FlowMessageFields) -> Result<Self, Self::Error> {
        Self::new(fields)
    }
}

/// Whether `c` is an emoji or a part of one (pictographs, symbols, dingbats, flags, the variation
/// selector and the joiner): Meta refuses emoji in a Flow's button label.
fn is_emoji_part(c: char) -> bool {
    matches!(u32::from(c),
        0x1F000..=0x1FAFF // pictographs, emoticons, transport, flags, supplemental symbols
        | 0x2600..=0x27BF // miscellaneous symbols and dingbats
        | 0x2B00..=0x2BFF // arrows and stars used as emoji
        | 0xFE0F          // emoji presentation selector
        | 0x200D          // zero-width joiner
        | 0xE0020..=0xE007F) // tag characters of subdivision flags
}

impl FlowMessage {
    /// Checks the message against Meta's limits.
    ///
    /// # Errors
    /// Under `interactive.`: `header.text` / `footer.text` empty or over 60 characters,
    /// `body.text` empty or over 1024; under `interactive.action.parameters.`: `flow_id` not
    /// digits, `flow_name` empty or over 1000, both or neither of them (`flow_id`), `flow_cta`
    /// empty, over 30 or with an emoji, `flow_token` empty or over 1000,
    /// `flow_action_payload.screen` empty, with spaces or over 1000, and
    /// `flow_action_payload.data` empty or over 16 KiB.
    pub fn new(fields: FlowMessageFields) -> Result<Self, ValidationError> {
        let FlowMessageFields {
            header,
            body,
            footer,
            flow_id,
            flow_name,
            flow_cta,
            mode,
            flow_token,
            flow_action,
            screen,
            data,
        } = fields;
        let checked = (|| {
            check_header(header.as_ref())?;
            check_body(&body, MAX_INTERACTIVE_BODY)?;
            check_footer(footer.as_deref())?;
            let in_parameters = |e: ValidationError| e.within("parameters").within("action");
            let flow = Self::check_flow_ref(flow_id, flow_name).map_err(in_parameters)?;
            let flow_cta =
                bounded_text("flow_cta", flow_cta, MAX_FLOW_CTA).map_err(in_parameters)?;
            if flow_cta.chars().any(is_emoji_part) {
                return Err(in_parameters(ValidationError::new(
                    "flow_cta",
                    Violation::Format {
                        expected: "a label without emoji",
                    },
                )));
            }
            let flow_token = optional_bounded_text("flow_token", flow_token, MAX_FLOW_TEXT)
                .map_err(in_parameters)?;
            Self::check_payload(screen.as_deref(), data.as_ref())
                .map_err(|e| in_parameters(e.within("flow_action_payload")))?;
            Ok((flow, flow_cta, flow_token))
        })()
        .map_err(|e: ValidationError| e.within("interactive"))?;
        let (flow, flow_cta, flow_token) = checked;
        Ok(Self {
            header,
            body,
            footer,
            flow,
            flow_cta,
            mode,
            flow_token,
            flow_action,
            screen,
            data,
        })
    }

    fn check_flow_ref(
        flow_id: Option<String>,
        flow_name: Option<String>,
    ) -> Result<FlowRef, ValidationError> {
        match (flow_id, flow_name) {
            (Some(id), None) => {
                if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ValidationError::new(
                        "flow_id",
                        Violation::Format {
                            expected: "the Flow's numeric id",
                        },
                    ));
                }
                Ok(FlowRef::Id(id))
            }
            (None, Some(name)) => Ok(FlowRef::Name(bounded_text(
                "flow_name",
                name,
                MAX_FLOW_TEXT,
            )?)),
            (Some(_), Some(_)) => Err(ValidationError::new(
                "flow_id",
                Violation::Conflict("give either flow_id or flow_name, not both"),
            )),
            (None, None) => Err(ValidationError::new(
                "flow_id",
                Violation::Conflict("a Flow message needs flow_id or flow_name"),
            )),
        }
    }

    fn check_payload(
        screen: Option<&str>,
        data: Option<&JsonObject>,
    ) -> Result<(), ValidationError> {
        if let Some(screen) = screen {
            bounded_text("screen", screen, MAX_FLOW_TEXT)?;
            if screen.chars().any(char::is_whitespace) {
                return Err(ValidationError::new(
                    "screen",
                    Violation::Format {
                        expected: "a screen id without spaces",
                    },
                ));
            }
        }
        if let Some(data) = data {
            data.check("data", MAX_FLOW_DATA_BYTES)?;
        }
        Ok(())
    }

    /// The header.
    pub fn header(&self) -> Option<&InteractiveHeader> {
        self.header.as_ref()
    }

    /// The message text.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The footer.
    pub fn footer(&self) -> Option<&str> {
        self.footer.as_deref()
    }

    /// Which Flow opens.
    pub fn flow(&self) -> &FlowRef {
        &self.flow
    }

    /// The button's label.
    pub fn flow_cta(&self) -> &str {
        &self.flow_cta
    }

    /// Draft or published.
    pub fn mode(&self) -> FlowMode {
        self.mode
    }

    /// Our token, echoed in the replies.
    pub fn flow_token(&self) -> Option<&str> {
        self.flow_token.as_deref()
    }

    /// How the Flow starts.
    pub fn flow_action(&self) -> FlowAction {
        self.flow_action
    }

    /// The first screen.
    pub fn screen(&self) -> Option<&str> {
        self.screen.as_deref()
    }

    /// The first screen's data.
    pub fn data(&self) -> Option<&JsonObject> {
        self.data.as_ref()
    }
}

#[cfg(test)]
mod tests;
