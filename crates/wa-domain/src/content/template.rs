//! Template messages: an approved template's name and language, and the values of its
//! variables, per component (cloud-api.md §1.3).
//!
//! What can be checked without the template's definition is checked here: each value against
//! Meta's limits, button positions, and that a component's parameters are either all named
//! (`{{first_name}}`) or all positional (`{{1}}`). Whether the counts and names match the
//! approved template is a later check against Meta's synced definitions, helped by
//! [`Template::parameter_counts`] and [`Template::named_parameters`].

use serde::{Deserialize, Serialize};

use super::{at_index, first_duplicate, location::Location, media::MediaSource};
use crate::{
    ids::{LanguageCode, TemplateName},
    validation::{ValidationError, Violation, bounded_text},
};

/// Meta's limit on a text header, and so on the one variable it can hold.
pub const MAX_HEADER_PARAMETER_TEXT: usize = 60;
/// Meta's limit on a text parameter (`TextParameter.text` in Meta's OpenAPI description); also
/// applied to fallback values and quick-reply payloads, for which Meta documents none.
pub const MAX_TEXT_PARAMETER: usize = 32768;
/// Meta's limit on a template button's URL, and so on the suffix appended to it.
pub const MAX_URL_SUFFIX: usize = 2000;
/// Meta's limit on the code of a copy-code button.
pub const MAX_COUPON_CODE: usize = 15;
/// Highest button position: a template has at most ten buttons.
pub const MAX_BUTTON_INDEX: u8 = 9;

/// The value of the header's variable: text, media, or a location.
///
/// A template header holds at most one variable, so a template carries at most one of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HeaderParameter {
    /// The text of a text header's variable, up to 60 characters.
    Text {
        /// The variable's name, for templates with named parameters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
        /// The value.
        text: String,
    },
    /// The image of an image header.
    Image {
        /// The file.
        media: MediaSource,
    },
    /// The video of a video header.
    Video {
        /// The file.
        media: MediaSource,
    },
    /// The document (PDF) of a document header, with the file name the user sees.
    Document {
        /// The file.
        media: MediaSource,
        /// The file name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    /// The place of a location header.
    Location {
        /// The place.
        location: Location,
    },
}

/// The value of one body variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BodyParameter {
    /// Text, up to 32768 characters.
    Text {
        /// The variable's name, for templates with named parameters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
        /// The value.
        text: String,
    },
    /// An amount of money, which WhatsApp formats for the user's locale.
    Currency {
        /// The variable's name, for templates with named parameters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
        /// The amount.
        currency: Currency,
    },
    /// A date and time; Cloud API always shows the fallback text.
    DateTime {
        /// The variable's name, for templates with named parameters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
        /// The text shown.
        date_time: DateTime,
    },
}

impl BodyParameter {
    /// A positional text parameter (`{{1}}`).
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text {
            parameter_name: None,
            text: text.into(),
        }
    }

    /// A named text parameter (`{{first_name}}`).
    pub fn named_text(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self::Text {
            parameter_name: Some(name.into()),
            text: text.into(),
        }
    }

    /// The variable's name, for templates with named parameters.
    pub fn parameter_name(&self) -> Option<&str> {
        match self {
            Self::Text { parameter_name, .. }
            | Self::Currency { parameter_name, .. }
            | Self::DateTime { parameter_name, .. } => parameter_name.as_deref(),
        }
    }
}

/// An amount of money in a body variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency {
    /// The text shown when the amount cannot be localised.
    pub fallback_value: String,
    /// ISO 4217 code: three capital letters (`USD`, `ILS`).
    pub code: String,
    /// The amount times 1000 (`$12.34` is `12340`).
    pub amount_1000: i64,
}

/// A date and time in a body variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateTime {
    /// The text shown.
    pub fallback_value: String,
}

/// The value of one button's variable; `index` is the button's position in the template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "sub_type", rename_all = "snake_case")]
pub enum TemplateButton {
    /// A quick-reply button: the payload comes back in the `button` webhook when tapped.
    QuickReply {
        /// Position, 0 to 9.
        index: u8,
        /// Our payload, returned on tap.
        payload: String,
    },
    /// A URL button with a variable: the suffix appended to the template's URL.
    Url {
        /// Position, 0 to 9.
        index: u8,
        /// The suffix, without spaces.
        text: String,
    },
    /// A copy-code button: the code the user copies (up to 15 characters).
    CopyCode {
        /// Position, 0 to 9.
        index: u8,
        /// The code.
        coupon_code: String,
    },
    /// A button that opens a WhatsApp Flow.
    Flow {
        /// Position, 0 to 9.
        index: u8,
        /// Our token, echoed in the Flow's replies.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        flow_token: Option<String>,
        /// Data for the Flow's first screen, a JSON object as text; `wa-graph` embeds it as is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        flow_action_data: Option<String>,
    },
}

impl TemplateButton {
    /// The button's position in the template.
    pub fn index(&self) -> u8 {
        match self {
            Self::QuickReply { index, .. }
            | Self::Url { index, .. }
            | Self::CopyCode { index, .. }
            | Self::Flow { index, .. } => *index,
        }
    }

    /// Meta's `sub_type`: `quick_reply`, `url`, `copy_code` or `flow`.
    pub fn sub_type(&self) -> &'static str {
        match self {
            Self::QuickReply { .. } => "quick_reply",
            Self::Url { .. } => "url",
            Self::CopyCode { .. } => "copy_code",
            Self::Flow { .. } => "flow",
        }
    }
}

/// A component of a template, as the counting helpers name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateComponent {
    /// The header.
    Header,
    /// The body.
    Body,
    /// The button at this position.
    Button {
        /// Position, 0 to 9.
        index: u8,
    },
}

/// How many parameters a template message gives each component.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParameterCounts {
    /// 0 or 1.
    pub header: usize,
    /// Body variables.
    pub body: usize,
    /// (button position, parameters), in the order given; each button takes one.
    pub buttons: Vec<(u8, usize)>,
}

/// A named parameter and the component it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamedParameter<'a> {
    /// Where it is.
    pub component: TemplateComponent,
    /// Its name.
    pub name: &'a str,
}

/// The parts of a template message, before they are checked.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TemplateFields {
    /// The approved template's name.
    pub name: TemplateName,
    /// The template's language. Meta's only language policy, `deterministic`, is implied.
    pub language: LanguageCode,
    /// The header variable's value, when the header has one.
    #[serde(default)]
    pub header: Option<HeaderParameter>,
    /// The body variables' values, in order.
    #[serde(default)]
    pub body: Vec<BodyParameter>,
    /// The values of buttons with variables.
    #[serde(default)]
    pub buttons: Vec<TemplateButton>,
}

/// A template message: the only kind that may be sent outside the customer-service window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TemplateFields")]
pub struct Template {
    name: TemplateName,
    language: LanguageCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<HeaderParameter>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    body: Vec<BodyParameter>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<TemplateButton>,
}

impl TryFrom<TemplateFields> for Template {
    type Error = ValidationError;
    fn try_from(fields: TemplateFields) -> Result<Self, Self::Error> {
        Self::new(fields)
    }
}

impl Template {
    /// A template without variables.
    pub fn without_parameters(name: TemplateName, language: LanguageCode) -> Self {
        Self {
            name,
            language,
            header: None,
            body: Vec::new(),
            buttons: Vec::new(),
        }
    }

    /// Checks every parameter against Meta's limits.
    ///
    /// # Errors
    /// Under `template.`: `header.text` empty or over 60 characters; `header.filename` not a
    /// file name; `body[i].text` empty or over 32768; `body[i].currency.code` not three capital
    /// letters; an empty fallback value; `body` mixing named and positional parameters;
    /// `…parameter_name` not lowercase letters, digits and underscores, or repeated;
    /// `buttons[i].index` over 9 or repeated; `buttons[i].payload` empty;
    /// `buttons[i].text` empty, over 2000 or with spaces; `buttons[i].coupon_code` empty or
    /// over 15; `buttons[i].flow_action_data` not a JSON object.
    pub fn new(fields: TemplateFields) -> Result<Self, ValidationError> {
        Self::check(&fields).map_err(|e| e.within("template"))?;
        let TemplateFields {
            name,
            language,
            header,
            body,
            buttons,
        } = fields;
        Ok(Self {
            name,
            language,
            header,
            body,
            buttons,
        })
    }

    fn check(fields: &TemplateFields) -> Result<(), ValidationError> {
        if let Some(header) = &fields.header {
            check_header(header).map_err(|e| e.within("header"))?;
        }
        check_body(&fields.body)?;
        for (index, button) in fields.buttons.iter().enumerate() {
            check_button(button).map_err(|e| at_index(e, "buttons", index))?;
        }
        let indexes: Vec<String> = fields
            .buttons
            .iter()
            .map(|button| button.index().to_string())
            .collect();
        if let Some((index, value)) = first_duplicate(indexes.iter().map(String::as_str)) {
            let error = ValidationError::new("index", Violation::Duplicate(value.to_owned()));
            return Err(at_index(error, "buttons", index));
        }
        Ok(())
    }

    /// The template's name.
    pub fn name(&self) -> &TemplateName {
        &self.name
    }

    /// The template's language.
    pub fn language(&self) -> &LanguageCode {
        &self.language
    }

    /// The header variable's value.
    pub fn header(&self) -> Option<&HeaderParameter> {
        self.header.as_ref()
    }

    /// The body variables' values, in order.
    pub fn body(&self) -> &[BodyParameter] {
        &self.body
    }

    /// The button variables' values.
    pub fn buttons(&self) -> &[TemplateButton] {
        &self.buttons
    }

    /// How many parameters each component gets, to compare with the approved template.
    pub fn parameter_counts(&self) -> ParameterCounts {
        ParameterCounts {
            header: usize::from(self.header.is_some()),
            body: self.body.len(),
            buttons: self
                .buttons
                .iter()
                .map(|button| (button.index(), 1))
                .collect(),
        }
    }

    /// Every named parameter, header first, to compare with the approved template's names.
    pub fn named_parameters(&self) -> Vec<NamedParameter<'_>> {
        let header = match &self.header {
            Some(HeaderParameter::Text {
                parameter_name: Some(name),
                ..
            }) => Some(NamedParameter {
                component: TemplateComponent::Header,
                name: name.as_str(),
            }),
            _ => None,
        };
        let body = self.body.iter().filter_map(|parameter| {
            parameter.parameter_name().map(|name| NamedParameter {
                component: TemplateComponent::Body,
                name,
            })
        });
        header.into_iter().chain(body).collect()
    }
}

fn check_parameter_name(name: &str) -> Result<(), ValidationError> {
    if name.is_empty() {
        return Err(ValidationError::new("parameter_name", Violation::Empty));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(ValidationError::new(
            "parameter_name",
            Violation::Format {
                expected: "lowercase letters, digits and underscores",
            },
        ));
    }
    Ok(())
}

fn check_header(header: &HeaderParameter) -> Result<(), ValidationError> {
    match header {
        HeaderParameter::Text {
            parameter_name,
            text,
        } => {
            if let Some(name) = parameter_name {
                check_parameter_name(name)?;
            }
            bounded_text("text", text.as_str(), MAX_HEADER_PARAMETER_TEXT)?;
        }
        HeaderParameter::Document {
            filename: Some(name),
            ..
        } => {
            super::media::check_filename(name.clone())?;
        }
        HeaderParameter::Image { .. }
        | HeaderParameter::Video { .. }
        | HeaderParameter::Document { filename: None, .. }
        | HeaderParameter::Location { .. } => {}
    }
    Ok(())
}

fn check_body(body: &[BodyParameter]) -> Result<(), ValidationError> {
    for (index, parameter) in body.iter().enumerate() {
        check_body_parameter(parameter).map_err(|e| at_index(e, "body", index))?;
    }
    let named = body.iter().filter(|p| p.parameter_name().is_some()).count();
    if named != 0 && named != body.len() {
        return Err(ValidationError::new(
            "body",
            Violation::Conflict(
                "parameters must be all named (parameter_name) or all positional, as the template defines them",
            ),
        ));
    }
    if let Some((index, name)) =
        first_duplicate(body.iter().filter_map(BodyParameter::parameter_name))
    {
        let error = ValidationError::new("parameter_name", Violation::Duplicate(name.to_owned()));
        return Err(at_index(error, "body", index));
    }
    Ok(())
}

fn check_body_parameter(parameter: &BodyParameter) -> Result<(), ValidationError> {
    if let Some(name) = parameter.parameter_name() {
        check_parameter_name(name)?;
    }
    match parameter {
        BodyParameter::Text { text, .. } => {
            bounded_text("text", text.as_str(), MAX_TEXT_PARAMETER)?;
        }
        BodyParameter::Currency { currency, .. } => {
            let in_currency = |e: ValidationError| e.within("currency");
            bounded_text(
                "fallback_value",
                currency.fallback_value.as_str(),
                MAX_TEXT_PARAMETER,
            )
            .map_err(in_currency)?;
            let code = &currency.code;
            if !(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())) {
                return Err(in_currency(ValidationError::new(
                    "code",
                    Violation::Format {
                        expected: "an ISO 4217 currency code of three capital letters, like USD",
                    },
                )));
            }
        }
        BodyParameter::DateTime { date_time, .. } => {
            bounded_text(
                "fallback_value",
                date_time.fallback_value.as_str(),
                MAX_TEXT_PARAMETER,
            )
            .map_err(|e| e.within("date_time"))?;
        }
    }
    Ok(())
}

fn check_button(button: &TemplateButton) -> Result<(), ValidationError> {
    if button.index() > MAX_BUTTON_INDEX {
        return Err(ValidationError::new(
            "index",
            Violation::OutOfRange { range: "0..=9" },
        ));
    }
    match button {
        TemplateButton::QuickReply { payload, .. } => {
            bounded_text("payload", payload.as_str(), MAX_TEXT_PARAMETER)?;
        }
        TemplateButton::Url { text, .. } => {
            bounded_text("text", text.as_str(), MAX_URL_SUFFIX)?;
            if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ValidationError::new(
                    "text",
                    Violation::Format {
                        expected: "a URL suffix without spaces",
                    },
                ));
            }
        }
        TemplateButton::CopyCode { coupon_code, .. } => {
            bounded_text("coupon_code", coupon_code.as_str(), MAX_COUPON_CODE)?;
        }
        TemplateButton::Flow {
            flow_token,
            flow_action_data,
            ..
        } => {
            super::optional_text("flow_token", flow_token.as_deref(), MAX_TEXT_PARAMETER)?;
            if let Some(data) = flow_action_data {
                let data = data.trim();
                if !(data.starts_with('{') && data.ends_with('}')) {
                    return Err(ValidationError::new(
                        "flow_action_data",
                        Violation::Format {
                            expected: "a JSON object",
                        },
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
