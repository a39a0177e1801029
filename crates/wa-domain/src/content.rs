//! Outbound message content: every message type Meta offers, checked against Meta's limits when
//! it is built (cloud-api.md §1.2-1.4), so an invalid message never reaches the queue.
//!
//! This is our own canonical form. Meta's JSON is produced from it by `wa-graph`; serde here
//! is how the API and the store keep it, and deserialising goes through the same checks.
//!
//! # Shape
//! Each message type has its own validated type with private fields and getters. Types with
//! several parts ([`ReplyButtons`], [`ListMessage`], [`CtaUrl`], [`Template`], [`Contacts`]) are
//! built from a `…Fields` struct of plain public parts, checked as a whole, so every error can
//! name the full path of the offending field the way Meta's request spells it
//! (`interactive.action.buttons[1].title`) together with the limit it broke.
//!
//! Lengths are counted in characters (Unicode scalar values), as Meta counts them, so Hebrew or
//! emoji cost one each, not their UTF-8 bytes.

mod calling;
mod contacts;
mod flow;
mod interactive;
mod json_object;
mod location;
mod media;
mod raw;
mod reaction;
mod template;

pub use calling::{CallPermissionRequest, CallPermissionRequestFields, MAX_CALL_PERMISSION_BODY};
pub use contacts::{
    ContactAddress, ContactCard, ContactEmail, ContactName, ContactOrg, ContactPhone, ContactUrl,
    Contacts, MAX_CONTACT_CARDS,
};
pub use flow::{
    FlowAction, FlowMessage, FlowMessageFields, FlowMode, FlowRef, MAX_FLOW_CTA,
    MAX_FLOW_DATA_BYTES, MAX_FLOW_TEXT,
};
pub use interactive::{
    CtaUrl, CtaUrlFields, Interactive, InteractiveHeader, ListMessage, ListMessageFields, ListRow,
    ListSection, MAX_BUTTON_ID, MAX_BUTTON_TITLE, MAX_CTA_DISPLAY_TEXT, MAX_FOOTER,
    MAX_HEADER_TEXT, MAX_INTERACTIVE_BODY, MAX_LIST_BODY, MAX_LIST_BUTTON, MAX_LIST_ROWS,
    MAX_LIST_SECTIONS, MAX_REPLY_BUTTONS, MAX_ROW_DESCRIPTION, MAX_ROW_ID, MAX_ROW_TITLE,
    MAX_SECTION_TITLE, ReplyButton, ReplyButtons, ReplyButtonsFields,
};
pub use json_object::JsonObject;
pub use location::{Location, LocationRequest, LocationRequestFields, MAX_LOCATION_REQUEST_BODY};
pub use media::{
    Audio, Document, HttpsUrl, Image, MAX_CAPTION, MAX_FILENAME, MediaId, MediaSource, Sticker,
    Video,
};
pub use raw::{MAX_RAW_BYTES, RawContent, RawContentFields, RawKind};
pub use reaction::Reaction;
pub use template::{
    BodyParameter, Currency, DateTime, HeaderParameter, MAX_BUTTON_INDEX, MAX_COUPON_CODE,
    MAX_HEADER_PARAMETER_TEXT, MAX_TEXT_PARAMETER, MAX_URL_SUFFIX, NamedParameter, ParameterCounts,
    Template, TemplateButton, TemplateComponent, TemplateFields,
};

use serde::{Deserialize, Serialize};

use crate::{
    ids::WaMessageId,
    message::MessageKind,
    validation::{ValidationError, Violation, bounded_text},
};

/// Meta's limit on a text message body.
pub const MAX_TEXT_BODY: usize = 4096;

/// What a message says: one variant per message type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum OutboundContent {
    /// A text message.
    Text(Text),
    /// An image, with an optional caption.
    Image(Image),
    /// A video, with an optional caption.
    Video(Video),
    /// An audio file or voice note.
    Audio(Audio),
    /// A document, with an optional caption and file name.
    Document(Document),
    /// A WebP sticker.
    Sticker(Sticker),
    /// A pin on a map.
    Location(Location),
    /// One or more contact cards.
    Contacts(Contacts),
    /// A reaction to a message, or the removal of one.
    Reaction(Reaction),
    /// Reply buttons, a list or a call-to-action URL.
    Interactive(Interactive),
    /// An approved message template with its parameters.
    Template(Template),
    /// A Meta `interactive` or `template` object wa does not model, forwarded unchanged and
    /// not validated (the passthrough).
    Raw(RawContent),
}

impl OutboundContent {
    /// The message type, as stored and reported.
    pub fn kind(&self) -> MessageKind {
        match self {
            Self::Text(_) => MessageKind::Text,
            Self::Image(_) => MessageKind::Image,
            Self::Video(_) => MessageKind::Video,
            Self::Audio(_) => MessageKind::Audio,
            Self::Document(_) => MessageKind::Document,
            Self::Sticker(_) => MessageKind::Sticker,
            Self::Location(_) => MessageKind::Location,
            Self::Contacts(_) => MessageKind::Contacts,
            Self::Reaction(_) => MessageKind::Reaction,
            Self::Interactive(_) => MessageKind::Interactive,
            Self::Template(_) => MessageKind::Template,
            Self::Raw(raw) => match raw.kind() {
                RawKind::Interactive => MessageKind::Interactive,
                RawKind::Template => MessageKind::Template,
            },
        }
    }

    /// Templates may be sent at any time; everything else needs an open customer-service window.
    /// A raw template is a template: Meta applies the template rules to it.
    pub fn is_template(&self) -> bool {
        matches!(self.kind(), MessageKind::Template)
    }

    /// Whether this is the unvalidated passthrough.
    pub fn is_raw(&self) -> bool {
        matches!(self, Self::Raw(_))
    }

    /// Whether Meta accepts a reply context (`context.message_id`) on this content.
    ///
    /// A reaction already names the message it reacts to; Meta refuses a context on it.
    pub fn accepts_reply_context(&self) -> bool {
        !matches!(self, Self::Reaction(_))
    }
}

/// The reply-context rule of an outbound message: any content may quote a message, except a
/// reaction.
///
/// # Errors
/// [`Violation::Conflict`] on `context.message_id` when `reply_to` is set on a reaction.
pub fn check_reply_context(
    content: &OutboundContent,
    reply_to: Option<&WaMessageId>,
) -> Result<(), ValidationError> {
    if reply_to.is_some() && !content.accepts_reply_context() {
        return Err(ValidationError::new(
            "context.message_id",
            Violation::Conflict(
                "a reaction cannot reply to a message: it already names the message it reacts to",
            ),
        ));
    }
    Ok(())
}

/// A text message, up to 4096 characters, with an optional link preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TextFields")]
pub struct Text {
    body: String,
    preview_url: bool,
}

#[derive(Deserialize)]
struct TextFields {
    body: String,
    #[serde(default)]
    preview_url: bool,
}

impl TryFrom<TextFields> for Text {
    type Error = ValidationError;
    fn try_from(fields: TextFields) -> Result<Self, Self::Error> {
        Self::new(fields.body, fields.preview_url)
    }
}

impl Text {
    /// Checks the body against Meta's limit.
    ///
    /// # Errors
    /// `text.body` empty or longer than 4096 characters.
    pub fn new(body: impl Into<String>, preview_url: bool) -> Result<Self, ValidationError> {
        let body = bounded_text("body", body, MAX_TEXT_BODY).map_err(|e| e.within("text"))?;
        Ok(Self { body, preview_url })
    }

    /// The text.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Whether Meta should render a preview of the first link.
    pub fn preview_url(&self) -> bool {
        self.preview_url
    }
}

/// Reports an error of the `index`th item of the list `list` (`buttons` + 1 → `buttons[1].…`).
fn at_index(error: ValidationError, list: &str, index: usize) -> ValidationError {
    error.within(&format!("{list}[{index}]"))
}

/// Checks an optional text that, when given, must be non-empty and within `max` characters.
fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<(), ValidationError> {
    match value {
        Some(text) => bounded_text(field, text, max).map(drop),
        None => Ok(()),
    }
}

/// The position and value of the first value that appeared before, if any.
fn first_duplicate<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<(usize, &'a str)> {
    let mut seen = std::collections::HashSet::new();
    values
        .into_iter()
        .enumerate()
        .find(|(_, value)| !seen.insert(*value))
}

#[cfg(test)]
mod tests;
