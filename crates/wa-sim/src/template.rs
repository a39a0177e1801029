//! Templates: lookup by name and language, and the parameter counts a send must match.
//!
//! Counts come from the template's components as Meta's management API stores them, so a
//! scenario describes a template once, the way WhatsApp Manager shows it.

use serde_json::Value;

use crate::config::TemplateConfig;
use crate::graph_error::GraphError;
use crate::ids::media_id;

/// How many parameters a template button takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParamRange {
    pub(crate) min: usize,
    pub(crate) max: usize,
}

impl ParamRange {
    const fn exactly(n: usize) -> Self {
        Self { min: n, max: n }
    }
}

/// A template with its expected parameter counts.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pub(crate) config: TemplateConfig,
    pub(crate) id: String,
    /// When it was created or last changed (Unix seconds): the date of its quality score.
    pub(crate) updated_s: u64,
    header_params: usize,
    body_params: usize,
    buttons: Vec<ParamRange>,
}

impl Template {
    pub(crate) fn from_config(config: TemplateConfig) -> Result<Self, String> {
        if config.name.is_empty() || config.language.is_empty() {
            return Err("a template needs a name and a language".into());
        }
        let mut header_params = 0;
        let mut body_params = 0;
        let mut buttons = Vec::new();
        for component in &config.components {
            let kind = component["type"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_uppercase();
            let text = component["text"].as_str().unwrap_or_default();
            match kind.as_str() {
                "HEADER" => {
                    let format = component["format"].as_str().unwrap_or("TEXT");
                    header_params = if format.eq_ignore_ascii_case("TEXT") {
                        placeholders(text)
                    } else {
                        1
                    };
                }
                "BODY" => body_params = placeholders(text),
                "BUTTONS" => {
                    for button in component["buttons"].as_array().into_iter().flatten() {
                        let kind = button["type"]
                            .as_str()
                            .unwrap_or_default()
                            .to_ascii_uppercase();
                        let url = button["url"].as_str().unwrap_or_default();
                        buttons.push(match kind.as_str() {
                            "URL" if placeholders(url) > 0 => ParamRange::exactly(1),
                            "COPY_CODE" => ParamRange::exactly(1),
                            // A quick reply may carry a payload or not; flows an action token.
                            "QUICK_REPLY" | "FLOW" => ParamRange { min: 0, max: 1 },
                            _ => ParamRange::exactly(0),
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(Self {
            id: config.id.clone().unwrap_or_else(media_id),
            updated_s: 0,
            config,
            header_params,
            body_params,
            buttons,
        })
    }

    pub(crate) fn visible_to(&self, waba_id: &str) -> bool {
        self.config
            .waba_id
            .as_deref()
            .is_none_or(|owner| owner == waba_id)
    }

    /// `POSITIONAL` or `NAMED`: as configured, else `NAMED` when a placeholder is a name.
    pub(crate) fn parameter_format(&self) -> String {
        if let Some(format) = &self.config.parameter_format {
            return format.to_ascii_uppercase();
        }
        let named = self.config.components.iter().any(|component| {
            let text = component["text"].as_str().unwrap_or_default();
            placeholder_names(text)
                .iter()
                .any(|name| !name.bytes().all(|b| b.is_ascii_digit()))
        });
        if named { "NAMED" } else { "POSITIONAL" }.to_owned()
    }

    /// Meta's management-API view of this template: every field it holds a value for.
    pub(crate) fn to_graph(&self) -> Value {
        let mut view = serde_json::json!({
            "name": self.config.name,
            "parameter_format": self.parameter_format(),
            "components": self.config.components,
            "language": self.config.language,
            "status": self.config.status,
            "category": self.config.category,
            "id": self.id,
            "rejected_reason": self.config.rejected_reason.as_deref().unwrap_or("NONE"),
            "quality_score": {
                "score": self.config.quality_score.as_deref().unwrap_or("UNKNOWN"),
                "date": self.updated_s,
            },
        });
        if let Some(previous) = &self.config.previous_category {
            view["previous_category"] = Value::String(previous.clone());
        }
        view
    }

    /// Checks a send's `template.components` against the expected counts (132000 on mismatch).
    pub(crate) fn check_components(&self, components: Option<&Value>) -> Result<(), GraphError> {
        let mut header = 0;
        let mut body = 0;
        let mut buttons_seen = Vec::new();
        let items = match components {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(items)) => items.as_slice(),
            Some(_) => return Err(GraphError::invalid("template.components must be an array.")),
        };
        for (at, component) in items.iter().enumerate() {
            let path = format!("template.components[{at}]");
            let Some(object) = component.as_object() else {
                return Err(GraphError::invalid(format!("{path} must be an object.")));
            };
            let kind = match object.get("type") {
                None => return Err(GraphError::missing(&format!("{path}.type"))),
                Some(kind) => kind
                    .as_str()
                    .ok_or_else(|| GraphError::invalid(format!("{path}.type must be a string.")))?,
            };
            let parameters = match object.get("parameters") {
                None => &[][..],
                Some(Value::Array(parameters)) => parameters.as_slice(),
                Some(_) => {
                    return Err(GraphError::invalid(format!(
                        "{path}.parameters must be an array."
                    )));
                }
            };
            for (index, parameter) in parameters.iter().enumerate() {
                check_parameter(parameter, &format!("{path}.parameters[{index}]"))?;
            }
            match kind.to_ascii_lowercase().as_str() {
                "header" => header += parameters.len(),
                "body" => body += parameters.len(),
                "button" => {
                    let index = match object.get("index") {
                        None => return Err(GraphError::missing(&format!("{path}.index"))),
                        Some(Value::String(s)) => s.parse::<usize>().ok(),
                        Some(Value::Number(n)) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
                        Some(_) => None,
                    }
                    .ok_or_else(|| GraphError::invalid(format!("{path}.index must be 0 to 9.")))?;
                    if object.get("sub_type").is_none() {
                        return Err(GraphError::missing(&format!("{path}.sub_type")));
                    }
                    buttons_seen.push((index, parameters.len()));
                }
                "carousel" | "limited_time_offer" | "order_status" => {}
                other => {
                    return Err(GraphError::invalid(format!(
                        "{path}.type '{other}' is not a template component type."
                    )));
                }
            }
        }
        let mismatch = |what: &str, expected: usize, got: usize| {
            GraphError::whatsapp(
                132000,
                format!(
                    "Number of {what} parameters does not match the expected number of params: expected {expected}, got {got}."
                ),
            )
        };
        if header != self.header_params {
            return Err(mismatch("header", self.header_params, header));
        }
        if body != self.body_params {
            return Err(mismatch("body", self.body_params, body));
        }
        for (index, range) in self.buttons.iter().enumerate() {
            let got = buttons_seen
                .iter()
                .filter(|(at, _)| *at == index)
                .map(|(_, n)| *n)
                .sum::<usize>();
            if got < range.min || got > range.max {
                return Err(mismatch(&format!("button {index}"), range.min, got));
            }
        }
        if let Some((index, _)) = buttons_seen
            .iter()
            .find(|(at, _)| *at >= self.buttons.len())
        {
            return Err(GraphError::whatsapp(
                132000,
                format!("The template has no button at index {index}."),
            ));
        }
        Ok(())
    }
}

/// Checks one send-side parameter object's shape.
fn check_parameter(parameter: &Value, path: &str) -> Result<(), GraphError> {
    let Some(object) = parameter.as_object() else {
        return Err(GraphError::invalid(format!("{path} must be an object.")));
    };
    let kind = match object.get("type") {
        None => return Err(GraphError::missing(&format!("{path}.type"))),
        Some(kind) => kind
            .as_str()
            .ok_or_else(|| GraphError::invalid(format!("{path}.type must be a string.")))?,
    };
    let field = match kind {
        "text" | "payload" | "currency" | "date_time" | "image" | "video" | "document"
        | "location" | "coupon_code" | "action" => kind,
        other => {
            return Err(GraphError::invalid(format!(
                "{path}.type '{other}' is not a parameter type."
            )));
        }
    };
    let value = object
        .get(field)
        .ok_or_else(|| GraphError::missing(&format!("{path}.{field}")))?;
    match (kind, value) {
        ("text" | "payload" | "coupon_code", Value::String(_)) => Ok(()),
        ("text" | "payload" | "coupon_code", _) => Err(GraphError::invalid(format!(
            "{path}.{field} must be a string."
        ))),
        (_, Value::Object(_)) => Ok(()),
        _ => Err(GraphError::invalid(format!(
            "{path}.{field} must be an object."
        ))),
    }
}

/// The number of distinct `{{…}}` placeholders in a template text.
pub(crate) fn placeholders(text: &str) -> usize {
    placeholder_names(text).len()
}

/// The distinct `{{…}}` placeholder names of a template text, in order of first use.
pub(crate) fn placeholder_names(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            break;
        };
        let name = after[..close].trim();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
        rest = &after[close + 2..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_are_counted_once_each() {
        assert_eq!(placeholders("Hi {{1}}, code {{2}} for {{1}}"), 2);
        assert_eq!(placeholders("Hi {{first_name}}"), 1);
        assert_eq!(placeholders("no params"), 0);
    }

    #[test]
    fn counts_follow_components() {
        let template = Template::from_config(TemplateConfig {
            components: vec![
                json!({"type": "HEADER", "format": "IMAGE"}),
                json!({"type": "BODY", "text": "Hi {{1}} {{2}}"}),
                json!({"type": "BUTTONS", "buttons": [{"type": "URL", "url": "https://x/{{1}}"}]}),
            ],
            ..TemplateConfig::new("t", "en_US", "MARKETING", "")
        })
        .unwrap();
        let ok = json!([
            {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x/a.png"}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "abc"}]}
        ]);
        assert!(template.check_components(Some(&ok)).is_ok());
        let short = json!([{"type": "body", "parameters": [{"type": "text", "text": "a"}]}]);
        assert_eq!(
            template.check_components(Some(&short)).unwrap_err().code,
            132000
        );
    }
}
