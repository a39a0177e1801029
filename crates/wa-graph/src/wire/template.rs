//! Meta's template management JSON: the components of a template to create or edit, written
//! from the domain's [`TemplateDraft`] form, and the answer to a creation.

use serde::Deserialize;
use serde_json::{Value, json};
use wa_domain::template_draft::{
    DraftButton, DraftComponent, DraftHeader, Example, ParameterFormat, TemplateDraft,
};

use crate::wire::json::Str;

/// The answer to `POST /{waba_id}/message_templates`.
#[derive(Debug, Deserialize)]
pub(crate) struct CreatedTemplate<'a> {
    #[serde(borrow)]
    pub(crate) id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) status: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) category: Option<Str<'a>>,
}

/// The body of `POST /{waba_id}/message_templates`.
pub(crate) fn create_body(draft: &TemplateDraft) -> Value {
    json!({
        "name": draft.name,
        "language": draft.language,
        "category": draft.category.meta_name(),
        "parameter_format": draft.parameter_format.meta_name(),
        "components": components(&draft.components, draft.parameter_format),
    })
}

/// Meta's component objects.
pub(crate) fn components(components: &[DraftComponent], format: ParameterFormat) -> Value {
    Value::Array(
        components
            .iter()
            .map(|component| component_json(component, format))
            .collect(),
    )
}

fn text_example(
    examples: &[Example],
    format: ParameterFormat,
    key: &str,
    nested: bool,
) -> Option<Value> {
    if examples.is_empty() {
        return None;
    }
    Some(match format {
        ParameterFormat::Positional => {
            let values: Vec<&str> = examples.iter().map(|e| e.value.as_str()).collect();
            // The body's example is one list of values inside a list; the header's a flat list.
            if nested {
                json!({ key: [values] })
            } else {
                json!({ key: values })
            }
        }
        ParameterFormat::Named => {
            let named: Vec<Value> = examples
                .iter()
                .map(|e| json!({"param_name": e.name, "example": e.value}))
                .collect();
            json!({ format!("{key}_named_params"): named })
        }
    })
}

fn component_json(component: &DraftComponent, format: ParameterFormat) -> Value {
    match component {
        DraftComponent::Header(header) => match header {
            DraftHeader::Text { text, examples } => {
                let mut value = json!({"type": "HEADER", "format": "TEXT", "text": text});
                if let Some(example) = text_example(examples, format, "header_text", false) {
                    value["example"] = example;
                }
                value
            }
            DraftHeader::Image { handle } => media_header("IMAGE", handle),
            DraftHeader::Video { handle } => media_header("VIDEO", handle),
            DraftHeader::Document { handle } => media_header("DOCUMENT", handle),
            DraftHeader::Location => json!({"type": "HEADER", "format": "LOCATION"}),
        },
        DraftComponent::Body { text, examples } => {
            let mut value = json!({"type": "BODY", "text": text});
            if let Some(example) = text_example(examples, format, "body_text", true) {
                value["example"] = example;
            }
            value
        }
        DraftComponent::Footer { text } => json!({"type": "FOOTER", "text": text}),
        DraftComponent::Buttons { buttons } => json!({
            "type": "BUTTONS",
            "buttons": buttons.iter().map(button_json).collect::<Vec<_>>(),
        }),
    }
}

fn media_header(format: &str, handle: &str) -> Value {
    json!({"type": "HEADER", "format": format, "example": {"header_handle": [handle]}})
}

fn button_json(button: &DraftButton) -> Value {
    match button {
        DraftButton::QuickReply { text } => json!({"type": "QUICK_REPLY", "text": text}),
        DraftButton::Url { text, url, example } => {
            let mut value = json!({"type": "URL", "text": text, "url": url});
            if let Some(example) = example {
                value["example"] = json!([example]);
            }
            value
        }
        DraftButton::PhoneNumber { text, phone_number } => {
            json!({"type": "PHONE_NUMBER", "text": text, "phone_number": phone_number})
        }
        DraftButton::CopyCode { example } => json!({"type": "COPY_CODE", "example": example}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wa_domain::template_draft::TemplateCategory;

    #[test]
    fn a_draft_becomes_metas_components() {
        let draft = TemplateDraft {
            name: "order_update".into(),
            language: "en_US".into(),
            category: TemplateCategory::Utility,
            parameter_format: ParameterFormat::Positional,
            components: vec![
                DraftComponent::Header(DraftHeader::Image {
                    handle: "4:abc".into(),
                }),
                DraftComponent::Body {
                    text: "Hi {{1}}, order {{2}}.".into(),
                    examples: vec![
                        Example {
                            name: None,
                            value: "Ada".into(),
                        },
                        Example {
                            name: None,
                            value: "42".into(),
                        },
                    ],
                },
                DraftComponent::Buttons {
                    buttons: vec![DraftButton::Url {
                        text: "Track".into(),
                        url: "https://x/{{1}}".into(),
                        example: Some("https://x/42".into()),
                    }],
                },
            ],
        };
        let body = create_body(&draft);
        assert_eq!(body["category"], "UTILITY");
        assert_eq!(body["parameter_format"], "POSITIONAL");
        assert_eq!(
            body["components"][0],
            json!({"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4:abc"]}})
        );
        assert_eq!(
            body["components"][1]["example"]["body_text"],
            json!([["Ada", "42"]])
        );
        assert_eq!(
            body["components"][2]["buttons"][0]["example"],
            json!(["https://x/42"])
        );
    }
}
