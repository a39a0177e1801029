//! Meta's template rules, each shown refusing with the field it names.

use super::*;

fn example(value: &str) -> Example {
    Example {
        name: None,
        value: value.into(),
    }
}

fn draft(components: Vec<DraftComponent>) -> TemplateDraft {
    TemplateDraft {
        name: "order_update".into(),
        language: "en_US".into(),
        category: TemplateCategory::Utility,
        parameter_format: ParameterFormat::Positional,
        components,
    }
}

fn body(text: &str, examples: Vec<Example>) -> DraftComponent {
    DraftComponent::Body {
        text: text.into(),
        examples,
    }
}

fn field_of(result: Result<(), DraftError>) -> String {
    result.unwrap_err().field
}

#[test]
fn a_full_template_passes() {
    let template = draft(vec![
        DraftComponent::Header(DraftHeader::Text {
            text: "Order {{1}}".into(),
            examples: vec![example("42")],
        }),
        body(
            "Hi {{1}}, order {{2}} shipped.",
            vec![example("Ada"), example("42")],
        ),
        DraftComponent::Footer {
            text: "Thanks".into(),
        },
        DraftComponent::Buttons {
            buttons: vec![
                DraftButton::QuickReply {
                    text: "Stop".into(),
                },
                DraftButton::Url {
                    text: "Track".into(),
                    url: "https://example.com/t/{{1}}".into(),
                    example: Some("https://example.com/t/42".into()),
                },
            ],
        },
    ]);
    assert_eq!(template.validate(), Ok(()));
}

#[test]
fn names_and_languages_follow_meta() {
    let mut template = draft(vec![body("Hello", vec![])]);
    template.name = "Order Update".into();
    assert_eq!(field_of(template.validate()), "name");
    template.name = "a".repeat(513);
    assert_eq!(field_of(template.validate()), "name");
    template.name = "ok_name".into();
    template.language = "english".into();
    assert_eq!(field_of(template.validate()), "language");
}

#[test]
fn variables_need_examples_order_and_a_place_inside_the_text() {
    let missing = draft(vec![body("Hi {{1}} there", vec![])]);
    assert_eq!(field_of(missing.validate()), "components[0].examples");
    let gap = draft(vec![body("Hi {{2}} there", vec![example("x")])]);
    assert_eq!(field_of(gap.validate()), "components[0].text");
    let edge = draft(vec![body("{{1}} is here", vec![example("x")])]);
    let error = edge.validate().unwrap_err();
    assert_eq!(error.field, "components[0].text");
    assert!(error.reason.contains("start or end"));
    let mut named = draft(vec![body(
        "Hi {{first_name}} there",
        vec![Example {
            name: Some("first_name".into()),
            value: "Ada".into(),
        }],
    )]);
    named.parameter_format = ParameterFormat::Named;
    assert_eq!(named.validate(), Ok(()));
}

#[test]
fn sizes_and_shapes_are_limited() {
    let long = draft(vec![body(&"x".repeat(1025), vec![])]);
    assert!(long.validate().unwrap_err().reason.contains("1024"));
    let no_body = draft(vec![DraftComponent::Footer { text: "bye".into() }]);
    assert_eq!(field_of(no_body.validate()), "components");
    let media = draft(vec![
        DraftComponent::Header(DraftHeader::Image {
            handle: String::new(),
        }),
        body("Hello", vec![]),
    ]);
    assert_eq!(field_of(media.validate()), "components[0].handle");
    let buttons = draft(vec![
        body("Hello", vec![]),
        DraftComponent::Buttons {
            buttons: vec![DraftButton::QuickReply {
                text: "x".repeat(26),
            }],
        },
    ]);
    assert_eq!(
        field_of(buttons.validate()),
        "components[1].buttons[0].text"
    );
    let footer = draft(vec![
        body("Hello", vec![]),
        DraftComponent::Footer {
            text: "Hi {{1}}".into(),
        },
    ]);
    assert_eq!(field_of(footer.validate()), "components[1].text");
}

#[test]
fn an_edit_must_change_something() {
    let edit = TemplateEdit {
        category: None,
        parameter_format: ParameterFormat::Positional,
        components: None,
    };
    assert_eq!(
        field_of(edit.validate(TemplateCategory::Utility)),
        "components"
    );
}

#[test]
fn the_json_form_is_our_own() {
    let json = serde_json::json!({
        "name": "order_update", "language": "en_US", "category": "utility",
        "components": [
            {"type": "header", "format": "image", "handle": "4:abc"},
            {"type": "body", "text": "Hi {{1}}, thanks.", "examples": [{"value": "Ada"}]},
            {"type": "buttons", "buttons": [{"type": "quick_reply", "text": "Stop"}]}
        ]
    });
    let template: TemplateDraft = serde_json::from_value(json).unwrap();
    assert_eq!(template.parameter_format, ParameterFormat::Positional);
    assert_eq!(template.validate(), Ok(()));
}
