//! Tests for the template check: each kind of mismatch is named.

use time::macros::datetime;

use crate::{
    content::{BodyParameter, HeaderParameter, Template, TemplateButton, TemplateFields},
    ids::{LanguageCode, TemplateName, WabaId},
};

use super::*;

fn synced(status: &str, spec: TemplateSpec) -> SyncedTemplate {
    SyncedTemplate {
        waba_id: WabaId::parse("102290129340398").unwrap(),
        meta_id: Some("77".to_owned()),
        name: "order_update".to_owned(),
        language: "en_US".to_owned(),
        category: Some("UTILITY".to_owned()),
        status: status.to_owned(),
        spec,
        components_json: None,
        synced_at: datetime!(2026-11-24 12:00 UTC),
    }
}

fn message(
    language: &str,
    header: Option<HeaderParameter>,
    body: Vec<BodyParameter>,
    buttons: Vec<TemplateButton>,
) -> Template {
    Template::new(TemplateFields {
        name: TemplateName::parse("order_update").unwrap(),
        language: LanguageCode::parse(language).unwrap(),
        header,
        body,
        buttons,
    })
    .unwrap()
}

fn spec() -> TemplateSpec {
    TemplateSpec {
        header: None,
        body: TextVariables::of_text("Hi {{first_name}}, order {{order_id}} ships {{first_name}}"),
        buttons: vec![
            ButtonSpec {
                index: 0,
                kind: "url".to_owned(),
                requires_parameter: true,
            },
            ButtonSpec {
                index: 1,
                kind: "quick_reply".to_owned(),
                requires_parameter: false,
            },
        ],
    }
}

fn good_body() -> Vec<BodyParameter> {
    vec![
        BodyParameter::named_text("first_name", "Ada"),
        BodyParameter::named_text("order_id", "42"),
    ]
}

fn url_button() -> Vec<TemplateButton> {
    vec![TemplateButton::Url {
        index: 0,
        text: "42".to_owned(),
    }]
}

#[test]
fn placeholders_are_read_positional_or_named() {
    assert_eq!(TextVariables::of_text("a {{1}} b {{2}} {{1}}").count, 2);
    assert!(TextVariables::of_text("a {{1}} b {{2}}").names.is_empty());
    assert_eq!(
        TextVariables::of_text("Hi {{ name }} {{order}}").names,
        ["name", "order"]
    );
    assert_eq!(TextVariables::of_text("no variables {{").count, 0);
}

#[test]
fn a_matching_message_passes() {
    let templates = [synced("APPROVED", spec())];
    check_message(
        &message("en_US", None, good_body(), url_button()),
        &templates,
    )
    .unwrap();
}

#[test]
fn mismatches_are_named() {
    let templates = [synced("APPROVED", spec())];
    let unknown_language =
        check_message(&message("fr", None, good_body(), url_button()), &templates).unwrap_err();
    assert_eq!(
        unknown_language.to_string(),
        "template order_update has no fr version (languages: en_US)"
    );
    let paused = check_message(
        &message("en_US", None, good_body(), url_button()),
        &[synced("PAUSED", spec())],
    )
    .unwrap_err();
    assert!(paused.to_string().contains("is PAUSED"), "{paused}");
    let count = check_message(
        &message(
            "en_US",
            None,
            vec![BodyParameter::named_text("first_name", "Ada")],
            url_button(),
        ),
        &templates,
    )
    .unwrap_err();
    assert_eq!(
        count.to_string(),
        "template body expects 2 parameter(s), the message gives 1"
    );
    let names = check_message(
        &message(
            "en_US",
            None,
            vec![
                BodyParameter::named_text("first_name", "Ada"),
                BodyParameter::named_text("order", "42"),
            ],
            url_button(),
        ),
        &templates,
    )
    .unwrap_err();
    assert_eq!(
        names.to_string(),
        "template body parameter names do not match; missing: order_id; unknown: order"
    );
    let header = check_message(
        &message(
            "en_US",
            Some(HeaderParameter::Text {
                parameter_name: None,
                text: "x".to_owned(),
            }),
            good_body(),
            url_button(),
        ),
        &templates,
    )
    .unwrap_err();
    assert!(
        matches!(header, TemplateMismatch::Count { ref component, .. } if component == "header")
    );
    let missing_button =
        check_message(&message("en_US", None, good_body(), Vec::new()), &templates).unwrap_err();
    assert_eq!(
        missing_button.to_string(),
        "template buttons[0] expects 1 parameter(s), the message gives 0"
    );
    let kind = check_message(
        &message(
            "en_US",
            None,
            good_body(),
            vec![TemplateButton::CopyCode {
                index: 0,
                coupon_code: "X".to_owned(),
            }],
        ),
        &templates,
    )
    .unwrap_err();
    assert!(matches!(kind, TemplateMismatch::Kind { .. }), "{kind}");
}

#[test]
fn an_unknown_name_is_named() {
    let err = check_message(&message("en_US", None, good_body(), url_button()), &[]).unwrap_err();
    assert!(
        err.to_string().contains("no template named order_update"),
        "{err}"
    );
}
