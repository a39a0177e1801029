//! The tenant's approved message templates as synced from Meta, and the check of a template
//! message against them before it is queued (so Meta's 132000/132001 become rare).
//!
//! The definitions are our own canonical form: `wa-graph` reads Meta's component JSON into a
//! [`TemplateSpec`] (variables per component, header format, button types), the store keeps it
//! as JSON, and [`check_message`] compares a [`Template`] message with it.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    content::{HeaderParameter, Template, TemplateButton},
    ids::WabaId,
};

/// The variables of one text (a header or the body): positional `{{1}}` or named `{{name}}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TextVariables {
    /// How many distinct variables the text holds.
    pub count: usize,
    /// Their names, in order of first appearance, when they are named (empty when positional).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

impl TextVariables {
    /// Reads the `{{…}}` placeholders of a text.
    pub fn of_text(text: &str) -> Self {
        let mut seen: Vec<String> = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            let inner = after[..end].trim();
            if !inner.is_empty() && !seen.iter().any(|name| name == inner) {
                seen.push(inner.to_owned());
            }
            rest = &after[end + 2..];
        }
        let positional = seen
            .iter()
            .all(|name| name.bytes().all(|b| b.is_ascii_digit()));
        Self {
            count: seen.len(),
            names: if positional { Vec::new() } else { seen },
        }
    }
}

/// A template header's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderFormat {
    /// Text, with at most one variable.
    Text,
    /// An image (one media parameter).
    Image,
    /// A video (one media parameter).
    Video,
    /// A document (one media parameter).
    Document,
    /// A location (one location parameter).
    Location,
}

impl HeaderFormat {
    /// Meta's name (`TEXT`, `IMAGE`, ...), read case-insensitively.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "TEXT" => Some(Self::Text),
            "IMAGE" => Some(Self::Image),
            "VIDEO" => Some(Self::Video),
            "DOCUMENT" => Some(Self::Document),
            "LOCATION" => Some(Self::Location),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Document => "document",
            Self::Location => "location",
        }
    }
}

/// A template's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderSpec {
    /// Its format.
    pub format: HeaderFormat,
    /// The variables of a text header (media and location headers take one parameter).
    #[serde(default)]
    pub variables: TextVariables,
}

/// A template button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonSpec {
    /// Its position, from 0.
    pub index: u8,
    /// Meta's type in lower case: `quick_reply`, `url`, `copy_code`, `flow`, `phone_number`, ...
    pub kind: String,
    /// Whether a message must give it a parameter (a URL with a variable, a copy code).
    pub requires_parameter: bool,
}

impl ButtonSpec {
    /// Whether a message may give this button a parameter of `sub_type`.
    fn accepts(&self, sub_type: &str) -> bool {
        match self.kind.as_str() {
            "url" => self.requires_parameter && sub_type == "url",
            "copy_code" => sub_type == "copy_code",
            "quick_reply" => sub_type == "quick_reply",
            "flow" => sub_type == "flow",
            _ => false,
        }
    }
}

/// What a template expects of a message: its variables per component.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TemplateSpec {
    /// The header, when the template has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<HeaderSpec>,
    /// The body's variables.
    #[serde(default)]
    pub body: TextVariables,
    /// The buttons, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<ButtonSpec>,
}

/// A template as synced from Meta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedTemplate {
    /// The WABA that owns it.
    pub waba_id: WabaId,
    /// Meta's id.
    pub meta_id: Option<String>,
    /// Its name.
    pub name: String,
    /// Its language code.
    pub language: String,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    pub category: Option<String>,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, ...
    pub status: String,
    /// What it expects of a message.
    pub spec: TemplateSpec,
    /// Meta's component JSON as received (for people; the check reads `spec`).
    pub components_json: Option<String>,
    /// When it was last read from Meta or changed by a webhook.
    pub synced_at: OffsetDateTime,
}

/// A `message_template_status_update` webhook, as the domain applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateStatusChange {
    /// Meta's template id.
    pub meta_id: Option<String>,
    /// The template's name.
    pub name: Option<String>,
    /// Its language.
    pub language: Option<String>,
    /// The new status (`APPROVED`, `PAUSED`, `DISABLED`, `REJECTED`, ...).
    pub status: String,
}

/// Why a template message does not fit the synced template; the text names the mismatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateMismatch {
    /// No template of that name in that language.
    Unknown {
        /// The name asked for.
        name: String,
        /// The language asked for.
        language: String,
        /// The languages the template exists in (empty: no template of that name).
        available: Vec<String>,
    },
    /// The template exists but cannot be sent.
    NotApproved {
        /// The name.
        name: String,
        /// Its status.
        status: String,
    },
    /// A component got the wrong number of parameters.
    Count {
        /// `header`, `body` or `buttons[i]`.
        component: String,
        /// What the template expects.
        expected: usize,
        /// What the message gives.
        given: usize,
    },
    /// Named parameters that the template does not have, or lacks.
    Names {
        /// `header` or `body`.
        component: String,
        /// Names the template expects and the message does not give.
        missing: Vec<String>,
        /// Names the message gives and the template does not have.
        unknown: Vec<String>,
    },
    /// A parameter of the wrong kind.
    Kind {
        /// `header` or `buttons[i]`.
        component: String,
        /// What the template expects.
        expected: String,
        /// What the message gives.
        given: String,
    },
}

impl fmt::Display for TemplateMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown {
                name,
                language,
                available,
            } if available.is_empty() => {
                write!(
                    f,
                    "no template named {name} is synced for this account (language {language})"
                )
            }
            Self::Unknown {
                name,
                language,
                available,
            } => write!(
                f,
                "template {name} has no {language} version (languages: {})",
                available.join(", ")
            ),
            Self::NotApproved { name, status } => write!(
                f,
                "template {name} is {status}, not APPROVED, and cannot be sent"
            ),
            Self::Count {
                component,
                expected,
                given,
            } => write!(
                f,
                "template {component} expects {expected} parameter(s), the message gives {given}"
            ),
            Self::Names {
                component,
                missing,
                unknown,
            } => {
                write!(f, "template {component} parameter names do not match")?;
                if !missing.is_empty() {
                    write!(f, "; missing: {}", missing.join(", "))?;
                }
                if !unknown.is_empty() {
                    write!(f, "; unknown: {}", unknown.join(", "))?;
                }
                Ok(())
            }
            Self::Kind {
                component,
                expected,
                given,
            } => write!(
                f,
                "template {component} expects a {expected} parameter, the message gives {given}"
            ),
        }
    }
}

impl std::error::Error for TemplateMismatch {}

/// Checks a template message against the tenant's synced templates of that name (any language).
///
/// # Errors
/// The first [`TemplateMismatch`] found: unknown name or language, not approved, then header,
/// body and buttons in that order.
pub fn check_message(
    message: &Template,
    same_name: &[SyncedTemplate],
) -> Result<(), TemplateMismatch> {
    let name = message.name().as_str();
    let language = message.language().as_str();
    let Some(synced) = same_name
        .iter()
        .find(|template| template.language == language)
    else {
        return Err(TemplateMismatch::Unknown {
            name: name.to_owned(),
            language: language.to_owned(),
            available: same_name.iter().map(|t| t.language.clone()).collect(),
        });
    };
    if synced.status != "APPROVED" {
        return Err(TemplateMismatch::NotApproved {
            name: name.to_owned(),
            status: synced.status.clone(),
        });
    }
    check_header(message, synced.spec.header.as_ref())?;
    check_body(message, &synced.spec.body)?;
    check_buttons(message, &synced.spec.buttons)
}

fn header_kind(header: &HeaderParameter) -> &'static str {
    match header {
        HeaderParameter::Text { .. } => "text",
        HeaderParameter::Image { .. } => "image",
        HeaderParameter::Video { .. } => "video",
        HeaderParameter::Document { .. } => "document",
        HeaderParameter::Location { .. } => "location",
    }
}

fn check_header(message: &Template, spec: Option<&HeaderSpec>) -> Result<(), TemplateMismatch> {
    let expected = spec.map_or(0, |header| match header.format {
        HeaderFormat::Text => header.variables.count,
        _ => 1,
    });
    let given = usize::from(message.header().is_some());
    if expected != given {
        return Err(TemplateMismatch::Count {
            component: "header".to_owned(),
            expected,
            given,
        });
    }
    let (Some(spec), Some(header)) = (spec, message.header()) else {
        return Ok(());
    };
    let kind = header_kind(header);
    if kind != spec.format.as_str() {
        return Err(TemplateMismatch::Kind {
            component: "header".to_owned(),
            expected: spec.format.as_str().to_owned(),
            given: kind.to_owned(),
        });
    }
    if let HeaderParameter::Text { parameter_name, .. } = header {
        let given: Vec<&str> = parameter_name.iter().map(String::as_str).collect();
        compare_names("header", &spec.variables.names, &given)?;
    }
    Ok(())
}

fn check_body(message: &Template, spec: &TextVariables) -> Result<(), TemplateMismatch> {
    if message.body().len() != spec.count {
        return Err(TemplateMismatch::Count {
            component: "body".to_owned(),
            expected: spec.count,
            given: message.body().len(),
        });
    }
    let given: Vec<&str> = message
        .body()
        .iter()
        .filter_map(|parameter| parameter.parameter_name())
        .collect();
    compare_names("body", &spec.names, &given)
}

/// Positional templates take unnamed parameters; named ones exactly their names.
fn compare_names(
    component: &str,
    expected: &[String],
    given: &[&str],
) -> Result<(), TemplateMismatch> {
    if expected.is_empty() && given.is_empty() {
        return Ok(());
    }
    let missing: Vec<String> = expected
        .iter()
        .filter(|name| !given.contains(&name.as_str()))
        .cloned()
        .collect();
    let unknown: Vec<String> = given
        .iter()
        .filter(|name| !expected.iter().any(|e| e == *name))
        .map(|name| (*name).to_owned())
        .collect();
    if missing.is_empty() && unknown.is_empty() {
        return Ok(());
    }
    Err(TemplateMismatch::Names {
        component: component.to_owned(),
        missing,
        unknown,
    })
}

fn check_buttons(message: &Template, spec: &[ButtonSpec]) -> Result<(), TemplateMismatch> {
    for button in message.buttons() {
        let index = button.index();
        let component = format!("buttons[{index}]");
        let Some(expected) = spec.iter().find(|b| b.index == index) else {
            return Err(TemplateMismatch::Count {
                component,
                expected: 0,
                given: 1,
            });
        };
        if !expected.accepts(button.sub_type()) {
            return Err(TemplateMismatch::Kind {
                component,
                expected: expected.kind.clone(),
                given: button.sub_type().to_owned(),
            });
        }
    }
    for expected in spec.iter().filter(|b| b.requires_parameter) {
        let given = message
            .buttons()
            .iter()
            .any(|button: &TemplateButton| button.index() == expected.index);
        if !given {
            return Err(TemplateMismatch::Count {
                component: format!("buttons[{}]", expected.index),
                expected: 1,
                given: 0,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
