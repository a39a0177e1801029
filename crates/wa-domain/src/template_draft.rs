//! A message template as a tenant writes it, to create or edit at Meta, and Meta's rules for it,
//! checked here before anything is sent: the name (lowercase letters, digits and underscores, at
//! most 512 characters), the language code, the category, one body of at most 1024 characters,
//! a header of at most 60 characters with at most one variable (a media header needs a sample
//! handle from the resumable upload API), a footer of at most 60 characters without variables,
//! 1 to 10 buttons with texts of at most 25 characters, an example for every variable,
//! positional variables numbered `{{1}}`, `{{2}}`, … in order, named ones in lowercase, and no
//! variable at the very start or end of the body.
//!
//! This is our own canonical form (the API's JSON); `wa-graph` writes Meta's component JSON
//! from it. Every refusal names the field (`components[1].text`) and says what is wrong.

use serde::{Deserialize, Serialize};

use crate::template_catalog::TextVariables;

const MAX_NAME: usize = 512;
const MAX_BODY: usize = 1024;
const MAX_HEADER: usize = 60;
const MAX_FOOTER: usize = 60;
const MAX_BUTTONS: usize = 10;
const MAX_BUTTON_TEXT: usize = 25;
const MAX_URL: usize = 2000;
const MAX_PHONE: usize = 20;

/// Meta's template categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateCategory {
    /// Promotions, offers, announcements.
    Marketing,
    /// Updates about something the customer did or asked for.
    Utility,
    /// One-time codes.
    Authentication,
}

impl TemplateCategory {
    /// Meta's name (`MARKETING`, …).
    pub fn meta_name(self) -> &'static str {
        match self {
            Self::Marketing => "MARKETING",
            Self::Utility => "UTILITY",
            Self::Authentication => "AUTHENTICATION",
        }
    }
}

/// How a template's variables are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterFormat {
    /// `{{1}}`, `{{2}}`, … with examples in order.
    #[default]
    Positional,
    /// `{{first_name}}`, … with an example per name.
    Named,
}

impl ParameterFormat {
    /// Meta's name (`POSITIONAL`, `NAMED`).
    pub fn meta_name(self) -> &'static str {
        match self {
            Self::Positional => "POSITIONAL",
            Self::Named => "NAMED",
        }
    }
}

/// An example value of a variable: by position (`name` absent) or by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// The variable's name (named templates only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The example value.
    pub value: String,
}

/// A template header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum DraftHeader {
    /// Text with at most one variable.
    Text {
        /// The text.
        text: String,
        /// Its variable's example, if it has one.
        #[serde(default)]
        examples: Vec<Example>,
    },
    /// An image; `handle` is a sample from the resumable upload API.
    Image {
        /// The sample's handle.
        handle: String,
    },
    /// A video.
    Video {
        /// The sample's handle.
        handle: String,
    },
    /// A document.
    Document {
        /// The sample's handle.
        handle: String,
    },
    /// A location given when the message is sent.
    Location,
}

/// A template button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DraftButton {
    /// A reply with the button's text.
    QuickReply {
        /// The button text.
        text: String,
    },
    /// Opens a URL; the URL may end with one variable.
    Url {
        /// The button text.
        text: String,
        /// The URL.
        url: String,
        /// A full example URL, needed when the URL has a variable.
        #[serde(default)]
        example: Option<String>,
    },
    /// Calls a number.
    PhoneNumber {
        /// The button text.
        text: String,
        /// The number, with its country code.
        phone_number: String,
    },
    /// Copies a code given when the message is sent.
    CopyCode {
        /// An example code.
        example: String,
    },
}

/// A template component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DraftComponent {
    /// The header.
    Header(DraftHeader),
    /// The body.
    Body {
        /// The text.
        text: String,
        /// An example per variable.
        #[serde(default)]
        examples: Vec<Example>,
    },
    /// The footer.
    Footer {
        /// The text (no variables).
        text: String,
    },
    /// The buttons.
    Buttons {
        /// 1 to 10 buttons.
        buttons: Vec<DraftButton>,
    },
}

/// A template to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDraft {
    /// Lowercase letters, digits and underscores, at most 512 characters.
    pub name: String,
    /// A language code like `en_US`.
    pub language: String,
    /// Its category.
    pub category: TemplateCategory,
    /// How its variables are written.
    #[serde(default)]
    pub parameter_format: ParameterFormat,
    /// Header, body, footer, buttons.
    pub components: Vec<DraftComponent>,
}

/// A change to an existing template: new components, a new category, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateEdit {
    /// A new category (Meta refuses changing an approved template's).
    #[serde(default)]
    pub category: Option<TemplateCategory>,
    /// How the new components' variables are written.
    #[serde(default)]
    pub parameter_format: ParameterFormat,
    /// New components, replacing all the old ones.
    #[serde(default)]
    pub components: Option<Vec<DraftComponent>>,
}

/// Why a draft breaks Meta's rules: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct DraftError {
    /// The field, as a path into the request (`components[1].text`).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

fn refuse<T>(field: impl Into<String>, reason: impl Into<String>) -> Result<T, DraftError> {
    Err(DraftError {
        field: field.into(),
        reason: reason.into(),
    })
}

impl TemplateDraft {
    /// Checks Meta's rules.
    ///
    /// # Errors
    /// The first rule broken, naming its field.
    pub fn validate(&self) -> Result<(), DraftError> {
        check_name(&self.name)?;
        check_language(&self.language)?;
        check_components(&self.components, self.category, self.parameter_format)
    }
}

impl TemplateEdit {
    /// Checks Meta's rules for the new components; an edit must change something.
    ///
    /// # Errors
    /// The first rule broken, naming its field.
    pub fn validate(&self, category: TemplateCategory) -> Result<(), DraftError> {
        match &self.components {
            None if self.category.is_none() => refuse(
                "components",
                "an edit needs new components or a new category",
            ),
            None => Ok(()),
            Some(components) => check_components(
                components,
                self.category.unwrap_or(category),
                self.parameter_format,
            ),
        }
    }
}

fn check_name(name: &str) -> Result<(), DraftError> {
    if name.is_empty() {
        return refuse("name", "must not be empty");
    }
    if name.len() > MAX_NAME {
        return refuse("name", format!("must be at most {MAX_NAME} characters"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return refuse(
            "name",
            "may hold only lowercase letters, digits and underscores",
        );
    }
    Ok(())
}

fn check_language(language: &str) -> Result<(), DraftError> {
    let (base, region) = match language.split_once('_') {
        Some((base, region)) => (base, Some(region)),
        None => (language, None),
    };
    let ok = (2..=3).contains(&base.len())
        && base.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| {
            (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if ok {
        Ok(())
    } else {
        refuse("language", "must be a language code like en or en_US")
    }
}

/// The `{{…}}` names of a text, in order of first use.
fn variable_names(text: &str) -> Vec<String> {
    let variables = TextVariables::of_text(text);
    if variables.names.is_empty() {
        // Positional: `of_text` keeps no names; read them again in order.
        let mut names = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            let inner = after[..end].trim().to_owned();
            if !inner.is_empty() && !names.contains(&inner) {
                names.push(inner);
            }
            rest = &after[end + 2..];
        }
        names
    } else {
        variables.names
    }
}

fn check_variables(
    text: &str,
    examples: &[Example],
    field: &str,
    format: ParameterFormat,
) -> Result<usize, DraftError> {
    let names = variable_names(text);
    match format {
        ParameterFormat::Positional => {
            for (at, name) in names.iter().enumerate() {
                if name.parse::<usize>().ok() != Some(at + 1) {
                    return refuse(
                        format!("{field}.text"),
                        format!(
                            "variable {{{{{name}}}}}: positional variables are {{{{1}}}}, {{{{2}}}}, … in order"
                        ),
                    );
                }
            }
            if examples.len() != names.len() {
                return refuse(
                    format!("{field}.examples"),
                    format!(
                        "needs one example per variable: {} variables, {} examples",
                        names.len(),
                        examples.len()
                    ),
                );
            }
        }
        ParameterFormat::Named => {
            for name in &names {
                let valid = name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    && !name.bytes().all(|b| b.is_ascii_digit());
                if !valid {
                    return refuse(
                        format!("{field}.text"),
                        format!(
                            "variable {{{{{name}}}}}: named variables are lowercase letters, digits and underscores"
                        ),
                    );
                }
                if !examples.iter().any(|e| e.name.as_deref() == Some(name)) {
                    return refuse(
                        format!("{field}.examples"),
                        format!("needs an example named {name}"),
                    );
                }
            }
        }
    }
    Ok(names.len())
}

fn check_components(
    components: &[DraftComponent],
    category: TemplateCategory,
    format: ParameterFormat,
) -> Result<(), DraftError> {
    let mut seen: Vec<&'static str> = Vec::new();
    for (at, component) in components.iter().enumerate() {
        let field = format!("components[{at}]");
        let kind = match component {
            DraftComponent::Header(_) => "header",
            DraftComponent::Body { .. } => "body",
            DraftComponent::Footer { .. } => "footer",
            DraftComponent::Buttons { .. } => "buttons",
        };
        if seen.contains(&kind) {
            return refuse(field, format!("a template has at most one {kind}"));
        }
        seen.push(kind);
        match component {
            DraftComponent::Header(header) => check_header(header, &field, format)?,
            DraftComponent::Body { text, examples } => {
                if text.trim().is_empty() {
                    return refuse(format!("{field}.text"), "must not be empty");
                }
                if text.chars().count() > MAX_BODY {
                    return refuse(
                        format!("{field}.text"),
                        format!("must be at most {MAX_BODY} characters"),
                    );
                }
                let count = check_variables(text, examples, &field, format)?;
                let trimmed = text.trim();
                if count > 0 && (trimmed.starts_with("{{") || trimmed.ends_with("}}")) {
                    return refuse(
                        format!("{field}.text"),
                        "may not start or end with a variable",
                    );
                }
            }
            DraftComponent::Footer { text } => {
                if text.chars().count() > MAX_FOOTER {
                    return refuse(
                        format!("{field}.text"),
                        format!("must be at most {MAX_FOOTER} characters"),
                    );
                }
                if !variable_names(text).is_empty() {
                    return refuse(format!("{field}.text"), "may not hold variables");
                }
            }
            DraftComponent::Buttons { buttons } => check_buttons(buttons, &field)?,
        }
    }
    if !seen.contains(&"body") && category != TemplateCategory::Authentication {
        return refuse("components", "a template needs a body");
    }
    Ok(())
}

fn check_header(
    header: &DraftHeader,
    field: &str,
    format: ParameterFormat,
) -> Result<(), DraftError> {
    match header {
        DraftHeader::Text { text, examples } => {
            if text.trim().is_empty() {
                return refuse(format!("{field}.text"), "must not be empty");
            }
            if text.chars().count() > MAX_HEADER {
                return refuse(
                    format!("{field}.text"),
                    format!("must be at most {MAX_HEADER} characters"),
                );
            }
            if check_variables(text, examples, field, format)? > 1 {
                return refuse(format!("{field}.text"), "may hold at most one variable");
            }
            Ok(())
        }
        DraftHeader::Image { handle }
        | DraftHeader::Video { handle }
        | DraftHeader::Document { handle } => {
            if handle.trim().is_empty() {
                return refuse(
                    format!("{field}.handle"),
                    "needs a sample's handle from the resumable upload API",
                );
            }
            Ok(())
        }
        DraftHeader::Location => Ok(()),
    }
}

fn check_buttons(buttons: &[DraftButton], field: &str) -> Result<(), DraftError> {
    if buttons.is_empty() || buttons.len() > MAX_BUTTONS {
        return refuse(
            format!("{field}.buttons"),
            format!("must hold 1 to {MAX_BUTTONS} buttons"),
        );
    }
    for (at, button) in buttons.iter().enumerate() {
        let field = format!("{field}.buttons[{at}]");
        let text = match button {
            DraftButton::QuickReply { text }
            | DraftButton::Url { text, .. }
            | DraftButton::PhoneNumber { text, .. } => Some(text),
            DraftButton::CopyCode { .. } => None,
        };
        if let Some(text) = text {
            if text.trim().is_empty() {
                return refuse(format!("{field}.text"), "must not be empty");
            }
            if text.chars().count() > MAX_BUTTON_TEXT {
                return refuse(
                    format!("{field}.text"),
                    format!("must be at most {MAX_BUTTON_TEXT} characters"),
                );
            }
        }
        match button {
            DraftButton::Url { url, example, .. } => {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return refuse(format!("{field}.url"), "must be an http or https URL");
                }
                if url.len() > MAX_URL {
                    return refuse(
                        format!("{field}.url"),
                        format!("must be at most {MAX_URL} characters"),
                    );
                }
                let variables = variable_names(url);
                if variables.len() > 1 || (variables.len() == 1 && !url.ends_with("}}")) {
                    return refuse(format!("{field}.url"), "may hold one variable, at its end");
                }
                if !variables.is_empty() && example.as_deref().is_none_or(str::is_empty) {
                    return refuse(format!("{field}.example"), "needed: the URL has a variable");
                }
            }
            DraftButton::PhoneNumber { phone_number, .. } => {
                let digits = phone_number.chars().filter(char::is_ascii_digit).count();
                if phone_number.len() > MAX_PHONE || digits < 5 {
                    return refuse(
                        format!("{field}.phone_number"),
                        format!("must be a phone number of at most {MAX_PHONE} characters"),
                    );
                }
            }
            DraftButton::CopyCode { example } => {
                if example.is_empty() || example.chars().count() > 15 {
                    return refuse(format!("{field}.example"), "must be 1 to 15 characters");
                }
            }
            DraftButton::QuickReply { .. } => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
