//! Interactive messages: reply buttons, lists and call-to-action URL buttons (cloud-api.md §1.2),
//! and the kinds with modules of their own ([`super::flow`]).
//!
//! Each is checked as a whole when built, so an error names the path Meta's request would have
//! (`interactive.action.buttons[1].title`, `interactive.action.sections[0].rows[2].id`) and the
//! limit. The parts ([`ReplyButton`], [`ListSection`], [`ListRow`]) are plain data.

use serde::{Deserialize, Serialize};

use super::{at_index, first_duplicate, media::HttpsUrl, media::MediaSource, optional_text};
use crate::validation::{ValidationError, Violation, bounded_text};

/// Meta's limit on the body of reply-button and call-to-action messages.
pub const MAX_INTERACTIVE_BODY: usize = 1024;
/// Meta's limit on the body of a list message.
pub const MAX_LIST_BODY: usize = 4096;
/// Meta's limit on a text header.
pub const MAX_HEADER_TEXT: usize = 60;
/// Meta's limit on a footer.
pub const MAX_FOOTER: usize = 60;
/// Most reply buttons in one message.
pub const MAX_REPLY_BUTTONS: usize = 3;
/// Meta's limit on a reply button's id.
pub const MAX_BUTTON_ID: usize = 256;
/// Meta's limit on a reply button's title.
pub const MAX_BUTTON_TITLE: usize = 20;
/// Meta's limit on the label of the button that opens a list.
pub const MAX_LIST_BUTTON: usize = 20;
/// Most sections in a list.
pub const MAX_LIST_SECTIONS: usize = 10;
/// Most rows in a list, over all its sections.
pub const MAX_LIST_ROWS: usize = 10;
/// Meta's limit on a section title.
pub const MAX_SECTION_TITLE: usize = 24;
/// Meta's limit on a row id.
pub const MAX_ROW_ID: usize = 200;
/// Meta's limit on a row title.
pub const MAX_ROW_TITLE: usize = 24;
/// Meta's limit on a row description.
pub const MAX_ROW_DESCRIPTION: usize = 72;
/// Meta's limit on the label of a call-to-action URL button.
pub const MAX_CTA_DISPLAY_TEXT: usize = 20;

/// An interactive message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Interactive {
    /// Up to three reply buttons (Meta's `button` type).
    #[serde(rename = "button")]
    Buttons(ReplyButtons),
    /// A menu of up to ten rows in up to ten sections.
    List(ListMessage),
    /// One button that opens a URL.
    CtaUrl(CtaUrl),
    /// A button that opens a WhatsApp Flow.
    Flow(super::flow::FlowMessage),
    /// A request to share the customer's location.
    LocationRequest(super::location::LocationRequest),
    /// A request for permission to call the customer.
    CallPermissionRequest(super::calling::CallPermissionRequest),
}

impl Interactive {
    /// Meta's name of the interactive type: `button`, `list`, `cta_url`, `flow`,
    /// `location_request_message`, `call_permission_request`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Buttons(_) => "button",
            Self::List(_) => "list",
            Self::CtaUrl(_) => "cta_url",
            Self::Flow(_) => "flow",
            Self::LocationRequest(_) => "location_request_message",
            Self::CallPermissionRequest(_) => "call_permission_request",
        }
    }
}

/// The header above an interactive message's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InteractiveHeader {
    /// Up to 60 characters of text.
    Text {
        /// The text.
        text: String,
    },
    /// An image.
    Image {
        /// The file.
        media: MediaSource,
    },
    /// A video.
    Video {
        /// The file.
        media: MediaSource,
    },
    /// A document.
    Document {
        /// The file.
        media: MediaSource,
    },
}

/// Checks a header; its path is `header.…`.
pub(super) fn check_header(header: Option<&InteractiveHeader>) -> Result<(), ValidationError> {
    if let Some(InteractiveHeader::Text { text }) = header {
        bounded_text("text", text.as_str(), MAX_HEADER_TEXT).map_err(|e| e.within("header"))?;
    }
    Ok(())
}

/// Checks a body; its path is `body.text`.
pub(super) fn check_body(body: &str, max: usize) -> Result<(), ValidationError> {
    bounded_text("text", body, max)
        .map(drop)
        .map_err(|e| e.within("body"))
}

/// Checks a footer; its path is `footer.text`.
pub(super) fn check_footer(footer: Option<&str>) -> Result<(), ValidationError> {
    optional_text("text", footer, MAX_FOOTER).map_err(|e| e.within("footer"))
}

/// Checks an id that Meta echoes back in the reply webhook: within `max`, no surrounding spaces.
fn check_reply_id(field: &'static str, id: &str, max: usize) -> Result<(), ValidationError> {
    bounded_text(field, id, max)?;
    if id.trim() != id {
        return Err(ValidationError::new(
            field,
            Violation::Format {
                expected: "an id without leading or trailing spaces",
            },
        ));
    }
    Ok(())
}

fn count(
    field: &'static str,
    actual: usize,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    if actual < min {
        return Err(ValidationError::new(
            field,
            Violation::TooFew { min, actual },
        ));
    }
    if actual > max {
        return Err(ValidationError::new(
            field,
            Violation::TooMany { max, actual },
        ));
    }
    Ok(())
}

/// One reply button. The customer's tap comes back as a `button_reply` with this id and title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyButton {
    /// Our id of the choice: 1 to 256 characters, unique in the message.
    pub id: String,
    /// The label: 1 to 20 characters, unique in the message.
    pub title: String,
}

impl ReplyButton {
    /// A button; checked when the message is built.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
        }
    }
}

/// The parts of a reply-button message, before they are checked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ReplyButtonsFields {
    /// Optional text (≤ 60) or media header.
    #[serde(default)]
    pub header: Option<InteractiveHeader>,
    /// The message, up to 1024 characters.
    pub body: String,
    /// Optional footer, up to 60 characters.
    #[serde(default)]
    pub footer: Option<String>,
    /// One to three buttons.
    pub buttons: Vec<ReplyButton>,
}

/// A message with one to three reply buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ReplyButtonsFields")]
pub struct ReplyButtons {
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<InteractiveHeader>,
    body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    footer: Option<String>,
    buttons: Vec<ReplyButton>,
}

impl TryFrom<ReplyButtonsFields> for ReplyButtons {
    type Error = ValidationError;
    fn try_from(fields: ReplyButtonsFields) -> Result<Self, Self::Error> {
        Self::new(fields)
    }
}

impl ReplyButtons {
    /// Checks the message against Meta's limits.
    ///
    /// # Errors
    /// Under `interactive.`: `header.text` / `footer.text` empty or over 60 characters,
    /// `body.text` empty or over 1024, `action.buttons` with no button or more than 3,
    /// `action.buttons[i].id` empty, over 256 or with surrounding spaces,
    /// `action.buttons[i].title` empty or over 20, and a repeated id or title.
    pub fn new(fields: ReplyButtonsFields) -> Result<Self, ValidationError> {
        Self::check(&fields).map_err(|e| e.within("interactive"))?;
        let ReplyButtonsFields {
            header,
            body,
            footer,
            buttons,
        } = fields;
        Ok(Self {
            header,
            body,
            footer,
            buttons,
        })
    }

    fn check(fields: &ReplyButtonsFields) -> Result<(), ValidationError> {
        check_header(fields.header.as_ref())?;
        check_body(&fields.body, MAX_INTERACTIVE_BODY)?;
        check_footer(fields.footer.as_deref())?;
        let buttons = &fields.buttons;
        let in_action = |e: ValidationError| e.within("action");
        count("buttons", buttons.len(), 1, MAX_REPLY_BUTTONS).map_err(in_action)?;
        for (index, button) in buttons.iter().enumerate() {
            check_reply_id("id", &button.id, MAX_BUTTON_ID)
                .and_then(|()| bounded_text("title", button.title.as_str(), MAX_BUTTON_TITLE))
                .map_err(|e| in_action(at_index(e, "buttons", index)))?;
        }
        for (field, values) in [
            (
                "id",
                buttons.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(),
            ),
            ("title", buttons.iter().map(|b| b.title.as_str()).collect()),
        ] {
            if let Some((index, value)) = first_duplicate(values) {
                let error = ValidationError::new(field, Violation::Duplicate(value.to_owned()));
                return Err(in_action(at_index(error, "buttons", index)));
            }
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

    /// The buttons, in display order.
    pub fn buttons(&self) -> &[ReplyButton] {
        &self.buttons
    }
}

/// One row of a list: the customer's choice comes back as a `list_reply` with its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRow {
    /// Our id of the choice: 1 to 200 characters, unique in the list.
    pub id: String,
    /// The label: 1 to 24 characters.
    pub title: String,
    /// Optional second line, up to 72 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ListRow {
    /// A row without a description; checked when the list is built.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }
}

/// A titled group of rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSection {
    /// Up to 24 characters; required when the list has more than one section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// At least one row.
    pub rows: Vec<ListRow>,
}

/// The parts of a list message, before they are checked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ListMessageFields {
    /// Optional text header, up to 60 characters (lists take no media header).
    #[serde(default)]
    pub header: Option<String>,
    /// The message, up to 4096 characters.
    pub body: String,
    /// Optional footer, up to 60 characters.
    #[serde(default)]
    pub footer: Option<String>,
    /// The label of the button that opens the list, up to 20 characters.
    pub button: String,
    /// One to ten sections holding at most ten rows in all.
    pub sections: Vec<ListSection>,
}

/// A list message: a button that opens a menu of rows grouped in sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ListMessageFields")]
pub struct ListMessage {
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<String>,
    body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    footer: Option<String>,
    button: String,
    sections: Vec<ListSection>,
}

impl TryFrom<ListMessageFields> for ListMessage {
    type Error = ValidationError;
    fn try_from(fields: ListMessageFields) -> Result<Self, Self::Error> {
        Self::new(fields)
    }
}

impl ListMessage {
    /// Checks the list against Meta's limits.
    ///
    /// # Errors
    /// Under `interactive.`: `header.text` / `footer.text` empty or over 60 characters,
    /// `body.text` empty or over 4096, `action.button` empty or over 20, `action.sections`
    /// empty or over 10, `action.sections[i].rows` empty, `action.sections[*].rows` over 10
    /// rows in all, `action.sections[i].title` missing (several sections) or over 24,
    /// `…rows[j].id` empty, over 200, with surrounding spaces or repeated anywhere in the list,
    /// `…rows[j].title` empty or over 24, `…rows[j].description` empty or over 72.
    pub fn new(fields: ListMessageFields) -> Result<Self, ValidationError> {
        Self::check(&fields).map_err(|e| e.within("interactive"))?;
        let ListMessageFields {
            header,
            body,
            footer,
            button,
            sections,
        } = fields;
        Ok(Self {
            header,
            body,
            footer,
            button,
            sections,
        })
    }

    fn check(fields: &ListMessageFields) -> Result<(), ValidationError> {
        optional_text("text", fields.header.as_deref(), MAX_HEADER_TEXT)
            .map_err(|e| e.within("header"))?;
        check_body(&fields.body, MAX_LIST_BODY)?;
        check_footer(fields.footer.as_deref())?;
        let in_action = |e: ValidationError| e.within("action");
        bounded_text("button", fields.button.as_str(), MAX_LIST_BUTTON).map_err(in_action)?;
        let sections = &fields.sections;
        count("sections", sections.len(), 1, MAX_LIST_SECTIONS).map_err(in_action)?;
        let titled = sections.len() > 1;
        for (index, section) in sections.iter().enumerate() {
            Self::check_section(section, titled)
                .map_err(|e| in_action(at_index(e, "sections", index)))?;
        }
        let total_rows = sections.iter().map(|s| s.rows.len()).sum();
        if total_rows > MAX_LIST_ROWS {
            return Err(in_action(ValidationError::new(
                "sections[*].rows",
                Violation::TooMany {
                    max: MAX_LIST_ROWS,
                    actual: total_rows,
                },
            )));
        }
        let rows = sections.iter().enumerate().flat_map(|(section, s)| {
            s.rows
                .iter()
                .enumerate()
                .map(move |(row, r)| (section, row, r.id.as_str()))
        });
        let positions: Vec<_> = rows.clone().map(|(s, r, _)| (s, r)).collect();
        if let Some((flat, id)) = first_duplicate(rows.map(|(_, _, id)| id)) {
            let (section, row) = positions[flat];
            let error = ValidationError::new("id", Violation::Duplicate(id.to_owned()));
            return Err(in_action(at_index(
                at_index(error, "rows", row),
                "sections",
                section,
            )));
        }
        Ok(())
    }

    fn check_section(section: &ListSection, titled: bool) -> Result<(), ValidationError> {
        match &section.title {
            Some(title) => {
                bounded_text("title", title.as_str(), MAX_SECTION_TITLE)?;
            }
            None if titled => {
                return Err(ValidationError::new(
                    "title",
                    Violation::Conflict(
                        "a section title is required when a list has more than one section",
                    ),
                ));
            }
            None => {}
        }
        if section.rows.is_empty() {
            return Err(ValidationError::new(
                "rows",
                Violation::TooFew { min: 1, actual: 0 },
            ));
        }
        for (index, row) in section.rows.iter().enumerate() {
            check_reply_id("id", &row.id, MAX_ROW_ID)
                .and_then(|()| bounded_text("title", row.title.as_str(), MAX_ROW_TITLE).map(drop))
                .and_then(|()| {
                    optional_text(
                        "description",
                        row.description.as_deref(),
                        MAX_ROW_DESCRIPTION,
                    )
                })
                .map_err(|e| at_index(e, "rows", index))?;
        }
        Ok(())
    }

    /// The text header.
    pub fn header(&self) -> Option<&str> {
        self.header.as_deref()
    }

    /// The message text.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The footer.
    pub fn footer(&self) -> Option<&str> {
        self.footer.as_deref()
    }

    /// The label of the button that opens the list.
    pub fn button(&self) -> &str {
        &self.button
    }

    /// The sections, in display order.
    pub fn sections(&self) -> &[ListSection] {
        &self.sections
    }

    /// Every row, in display order.
    pub fn rows(&self) -> impl Iterator<Item = &ListRow> {
        self.sections.iter().flat_map(|section| section.rows.iter())
    }
}

/// The parts of a call-to-action URL message, before they are checked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct CtaUrlFields {
    /// Optional text (≤ 60) or media header.
    #[serde(default)]
    pub header: Option<InteractiveHeader>,
    /// The message, up to 1024 characters.
    pub body: String,
    /// Optional footer, up to 60 characters.
    #[serde(default)]
    pub footer: Option<String>,
    /// The button's label, up to 20 characters.
    pub display_text: String,
    /// The https URL the button opens.
    pub url: String,
}

/// A message with one button that opens a URL, so the link itself stays out of the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CtaUrlFields")]
pub struct CtaUrl {
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<InteractiveHeader>,
    body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    footer: Option<String>,
    display_text: String,
    url: HttpsUrl,
}

impl TryFrom<CtaUrlFields> for CtaUrl {
    type Error = ValidationError;
    fn try_from(fields: CtaUrlFields) -> Result<Self, Self::Error> {
        Self::new(fields)
    }
}

impl CtaUrl {
    /// Checks the message against Meta's limits.
    ///
    /// # Errors
    /// Under `interactive.`: `header.text` / `footer.text` empty or over 60 characters,
    /// `body.text` empty or over 1024, `action.parameters.display_text` empty or over 20,
    /// `action.parameters.url` not an https URL.
    pub fn new(fields: CtaUrlFields) -> Result<Self, ValidationError> {
        let CtaUrlFields {
            header,
            body,
            footer,
            display_text,
            url,
        } = fields;
        let url = (|| {
            check_header(header.as_ref())?;
            check_body(&body, MAX_INTERACTIVE_BODY)?;
            check_footer(footer.as_deref())?;
            let in_parameters = |e: ValidationError| e.within("parameters").within("action");
            bounded_text("display_text", display_text.as_str(), MAX_CTA_DISPLAY_TEXT)
                .map_err(in_parameters)?;
            HttpsUrl::parse(url).map_err(in_parameters)
        })()
        .map_err(|e| e.within("interactive"))?;
        Ok(Self {
            header,
            body,
            footer,
            display_text,
            url,
        })
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

    /// The button's label.
    pub fn display_text(&self) -> &str {
        &self.display_text
    }

    /// The URL the button opens.
    pub fn url(&self) -> &HttpsUrl {
        &self.url
    }
}

#[cfg(test)]
mod tests;
