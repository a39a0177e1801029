//! Tests for Flow messages: each of Meta's limits at its edge, the allowed combinations, the
//! paths errors name, and the canonical JSON form read back.

use serde_json::json;

use super::*;

fn fields() -> FlowMessageFields {
    FlowMessageFields {
        header: Some(InteractiveHeader::Text {
            text: "Book a table".into(),
        }),
        body: "Pick a time that suits you.".into(),
        footer: Some("Cafe Dizengoff".into()),
        flow_id: Some("1234567890".into()),
        flow_name: None,
        flow_cta: "Book!".into(),
        mode: FlowMode::Published,
        flow_token: Some("booking-42".into()),
        flow_action: FlowAction::Navigate,
        screen: Some("WELCOME_SCREEN".into()),
        data: Some(object(json!({"party_size": 2}))),
    }
}

fn object(value: serde_json::Value) -> JsonObject {
    JsonObject::new("data", value, MAX_FLOW_DATA_BYTES).unwrap()
}

/// An object as serde reads it, before the owner's checks.
fn unchecked(value: serde_json::Value) -> JsonObject {
    serde_json::from_value(value).unwrap()
}

fn refused(change: impl FnOnce(&mut FlowMessageFields)) -> ValidationError {
    let mut fields = fields();
    change(&mut fields);
    FlowMessage::new(fields).expect_err("must be refused")
}

fn accepted(change: impl FnOnce(&mut FlowMessageFields)) -> FlowMessage {
    let mut fields = fields();
    change(&mut fields);
    FlowMessage::new(fields).expect("must be accepted")
}

#[test]
fn a_navigate_flow_by_id_keeps_every_part() {
    let message = accepted(|_| {});
    assert_eq!(message.flow(), &FlowRef::Id("1234567890".into()));
    assert_eq!(message.flow_cta(), "Book!");
    assert_eq!(message.flow_token(), Some("booking-42"));
    assert_eq!(message.screen(), Some("WELCOME_SCREEN"));
    assert_eq!(message.data().unwrap().get("party_size"), Some(&json!(2)));
}

#[test]
fn exactly_one_of_flow_id_and_flow_name() {
    let both = refused(|f| f.flow_name = Some("booking".into()));
    assert_eq!(both.field(), "interactive.action.parameters.flow_id");
    assert!(matches!(both.violation(), Violation::Conflict(_)));
    let neither = refused(|f| f.flow_id = None);
    assert_eq!(neither.field(), "interactive.action.parameters.flow_id");
    let by_name = accepted(|f| {
        f.flow_id = None;
        f.flow_name = Some("booking".into());
    });
    assert_eq!(by_name.flow(), &FlowRef::Name("booking".into()));
    let not_digits = refused(|f| f.flow_id = Some("12ab".into()));
    assert_eq!(not_digits.field(), "interactive.action.parameters.flow_id");
}

#[test]
fn the_cta_is_at_most_30_characters_without_emoji() {
    accepted(|f| f.flow_cta = "ש".repeat(MAX_FLOW_CTA));
    let long = refused(|f| f.flow_cta = "a".repeat(MAX_FLOW_CTA + 1));
    assert_eq!(long.field(), "interactive.action.parameters.flow_cta");
    assert_eq!(
        long.violation(),
        &Violation::TooLong {
            max: MAX_FLOW_CTA,
            actual: MAX_FLOW_CTA + 1
        }
    );
    for emoji in ["Book 📅", "Go ✅", "❤\u{FE0F}"] {
        let error = refused(|f| f.flow_cta = emoji.into());
        assert_eq!(error.field(), "interactive.action.parameters.flow_cta");
        assert!(
            matches!(error.violation(), Violation::Format { .. }),
            "{emoji}"
        );
    }
    let empty = refused(|f| f.flow_cta = " ".into());
    assert_eq!(empty.violation(), &Violation::Empty);
}

#[test]
fn body_header_and_footer_limits() {
    accepted(|f| f.body = "b".repeat(1024));
    assert_eq!(
        refused(|f| f.body = "b".repeat(1025)).field(),
        "interactive.body.text"
    );
    assert_eq!(
        refused(|f| f.body = String::new()).field(),
        "interactive.body.text"
    );
    assert_eq!(
        refused(|f| f.footer = Some("f".repeat(61))).field(),
        "interactive.footer.text"
    );
    assert_eq!(
        refused(|f| f.header = Some(InteractiveHeader::Text {
            text: "h".repeat(61)
        }))
        .field(),
        "interactive.header.text"
    );
}

#[test]
fn the_payload_rules_of_each_action() {
    let empty_data = refused(|f| f.data = Some(unchecked(json!({}))));
    assert_eq!(
        empty_data.field(),
        "interactive.action.parameters.flow_action_payload.data"
    );
    assert_eq!(empty_data.violation(), &Violation::Empty);
    let big = json!({"blob": "x".repeat(MAX_FLOW_DATA_BYTES)});
    let too_big = refused(|f| f.data = Some(unchecked(big)));
    assert!(
        matches!(too_big.violation(), Violation::TooLong { max, .. } if *max == MAX_FLOW_DATA_BYTES)
    );
    let spaced = refused(|f| f.screen = Some("FIRST SCREEN".into()));
    assert_eq!(
        spaced.field(),
        "interactive.action.parameters.flow_action_payload.screen"
    );
    // Navigate without a payload starts at Meta's default screen.
    accepted(|f| {
        f.screen = None;
        f.data = None;
    });
    // A data_exchange Flow may carry a payload (Meta's OpenAPI) or not (Meta's Flows guide).
    accepted(|f| f.flow_action = FlowAction::DataExchange);
    let exchange = accepted(|f| {
        f.flow_action = FlowAction::DataExchange;
        f.screen = None;
        f.data = None;
    });
    assert_eq!(exchange.flow_action(), FlowAction::DataExchange);
}

#[test]
fn the_canonical_json_reads_back_through_the_same_checks() {
    let message = accepted(|f| f.mode = FlowMode::Draft);
    let value = serde_json::to_value(&message).unwrap();
    assert_eq!(
        value,
        json!({
            "header": {"type": "text", "text": "Book a table"},
            "body": "Pick a time that suits you.",
            "footer": "Cafe Dizengoff",
            "flow_id": "1234567890",
            "flow_cta": "Book!",
            "mode": "draft",
            "flow_token": "booking-42",
            "flow_action": "navigate",
            "screen": "WELCOME_SCREEN",
            "data": {"party_size": 2}
        })
    );
    let back: FlowMessage = serde_json::from_value(value).unwrap();
    assert_eq!(back, message);
    let bad = serde_json::from_value::<FlowMessage>(json!({
        "body": "x", "flow_id": "1", "flow_cta": "Go", "data": {}
    }))
    .unwrap_err();
    assert!(
        bad.to_string().contains("flow_action_payload.data"),
        "{bad}"
    );
    let not_object = serde_json::from_value::<FlowMessage>(json!({
        "body": "x", "flow_id": "1", "flow_cta": "Go", "data": [1]
    }));
    assert!(not_object.is_err());
}
