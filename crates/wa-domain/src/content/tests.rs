//! Tests for outbound content as a whole: kinds, the reply-context rule, text, location and
//! reaction limits, and the canonical JSON of every variant.

use super::*;

fn wamid(value: &str) -> WaMessageId {
    WaMessageId::parse(value).unwrap()
}

fn media() -> MediaSource {
    MediaSource::id("1013859600285441").unwrap()
}

/// One valid value of every variant, with the kind it must report.
fn every_variant() -> Vec<(OutboundContent, MessageKind)> {
    vec![
        (
            OutboundContent::Text(Text::new("שלום 👋 https://example.com", true).unwrap()),
            MessageKind::Text,
        ),
        (
            OutboundContent::Image(Image::new(media(), Some("A cat".into())).unwrap()),
            MessageKind::Image,
        ),
        (
            OutboundContent::Video(
                Video::new(
                    MediaSource::link("https://example.com/v.mp4").unwrap(),
                    None,
                )
                .unwrap(),
            ),
            MessageKind::Video,
        ),
        (
            OutboundContent::Audio(Audio::new(media())),
            MessageKind::Audio,
        ),
        (
            OutboundContent::Document(
                Document::new(media(), Some("Invoice".into()), Some("invoice.pdf".into())).unwrap(),
            ),
            MessageKind::Document,
        ),
        (
            OutboundContent::Sticker(Sticker::new(media())),
            MessageKind::Sticker,
        ),
        (
            OutboundContent::Location(
                Location::new(
                    32.0853,
                    34.7818,
                    Some("Office".into()),
                    Some("Rothschild 1".into()),
                )
                .unwrap(),
            ),
            MessageKind::Location,
        ),
        (
            OutboundContent::Contacts(Contacts::new(vec![ContactCard::named("Noa")]).unwrap()),
            MessageKind::Contacts,
        ),
        (
            OutboundContent::Reaction(Reaction::new(wamid("wamid.A"), "👍").unwrap()),
            MessageKind::Reaction,
        ),
        (
            OutboundContent::Reaction(Reaction::removal(wamid("wamid.A"))),
            MessageKind::Reaction,
        ),
        (
            OutboundContent::Interactive(Interactive::Buttons(
                ReplyButtons::new(ReplyButtonsFields {
                    header: Some(InteractiveHeader::Image { media: media() }),
                    body: "Which size?".into(),
                    footer: Some("Free returns".into()),
                    buttons: vec![
                        ReplyButton::new("s", "Small"),
                        ReplyButton::new("l", "Large"),
                    ],
                })
                .unwrap(),
            )),
            MessageKind::Interactive,
        ),
        (
            OutboundContent::Interactive(Interactive::List(
                ListMessage::new(ListMessageFields {
                    header: None,
                    body: "Menu".into(),
                    footer: None,
                    button: "Open".into(),
                    sections: vec![ListSection {
                        title: None,
                        rows: vec![ListRow {
                            id: "r1".into(),
                            title: "Soup".into(),
                            description: Some("Hot".into()),
                        }],
                    }],
                })
                .unwrap(),
            )),
            MessageKind::Interactive,
        ),
        (
            OutboundContent::Interactive(Interactive::CtaUrl(
                CtaUrl::new(CtaUrlFields {
                    header: Some(InteractiveHeader::Text {
                        text: "Parcel".into(),
                    }),
                    body: "Track it".into(),
                    footer: None,
                    display_text: "Track".into(),
                    url: "https://example.com/t/1".into(),
                })
                .unwrap(),
            )),
            MessageKind::Interactive,
        ),
        (
            OutboundContent::Interactive(Interactive::Flow(
                FlowMessage::new(FlowMessageFields {
                    body: "Book a table".into(),
                    flow_name: Some("booking".into()),
                    flow_cta: "Book".into(),
                    flow_token: Some("t-1".into()),
                    data: Some(serde_json::from_value(serde_json::json!({"seats": 2})).unwrap()),
                    ..FlowMessageFields::default()
                })
                .unwrap(),
            )),
            MessageKind::Interactive,
        ),
        (
            OutboundContent::Interactive(Interactive::LocationRequest(
                LocationRequest::new("Where shall we deliver?").unwrap(),
            )),
            MessageKind::Interactive,
        ),
        (
            OutboundContent::Template(
                Template::new(TemplateFields {
                    name: crate::ids::TemplateName::parse("order_update").unwrap(),
                    language: crate::ids::LanguageCode::parse("en_US").unwrap(),
                    header: Some(HeaderParameter::Image { media: media() }),
                    body: vec![BodyParameter::text("Noa")],
                    buttons: vec![TemplateButton::QuickReply {
                        index: 0,
                        payload: "TRACK".into(),
                    }],
                })
                .unwrap(),
            ),
            MessageKind::Template,
        ),
    ]
}

#[test]
fn kind_names_the_message_type_and_only_templates_are_templates() {
    for (content, kind) in every_variant() {
        assert_eq!(content.kind(), kind, "{content:?}");
        assert_eq!(
            content.is_template(),
            kind == MessageKind::Template,
            "{content:?}"
        );
    }
}

#[test]
fn every_variant_round_trips_through_json() {
    for (content, kind) in every_variant() {
        let json = serde_json::to_value(&content).unwrap();
        assert_eq!(json["type"], kind.as_str(), "{json}");
        let back: OutboundContent =
            serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(back, content, "{json}");
    }
}

#[test]
fn canonical_json_shapes() {
    let text = OutboundContent::Text(Text::new("hi", false).unwrap());
    assert_eq!(
        serde_json::to_value(&text).unwrap(),
        serde_json::json!({"type": "text", "body": "hi", "preview_url": false})
    );
    let removal = OutboundContent::Reaction(Reaction::removal(wamid("wamid.A")));
    assert_eq!(
        serde_json::to_value(&removal).unwrap(),
        serde_json::json!({"type": "reaction", "message_id": "wamid.A"})
    );
    let buttons = serde_json::json!({
        "type": "interactive",
        "kind": "button",
        "body": "Pick",
        "buttons": [{"id": "a", "title": "A"}]
    });
    let content: OutboundContent = serde_json::from_value(buttons.clone()).unwrap();
    assert_eq!(serde_json::to_value(&content).unwrap(), buttons);
}

#[test]
fn deserialising_runs_every_check() {
    let long_body = "x".repeat(4097);
    let cases = [
        (
            format!(r#"{{"type": "text", "body": "{long_body}"}}"#),
            "text.body: must be at most 4096 characters (got 4097)",
        ),
        (r#"{"type": "text", "body": ""}"#.to_owned(), "text.body: must not be empty"),
        (
            r#"{"type": "image", "link": "http://example.com/a.png"}"#.to_owned(),
            "image.link",
        ),
        (
            r#"{"type": "image", "id": "1", "link": "https://example.com/a.png"}"#.to_owned(),
            "image: exactly one of `id`",
        ),
        (
            r#"{"type": "location", "latitude": 91, "longitude": 0}"#.to_owned(),
            "location.latitude: must be within -90..=90",
        ),
        (
            r#"{"type": "contacts", "contacts": []}"#.to_owned(),
            "contacts: must have at least 1 items",
        ),
        (
            r#"{"type": "reaction", "message_id": "wamid.A", "emoji": "ok"}"#.to_owned(),
            "reaction.emoji: must be a single emoji",
        ),
        (
            r#"{"type": "reaction", "message_id": "", "emoji": "👍"}"#.to_owned(),
            "wamid: must not be empty",
        ),
        (
            r#"{"type": "interactive", "kind": "button", "body": "Pick",
                "buttons": [{"id": "a", "title": "A"}, {"id": "b", "title": "twenty-one characters"}]}"#
                .to_owned(),
            "interactive.action.buttons[1].title: must be at most 20 characters (got 21)",
        ),
        (
            r#"{"type": "interactive", "kind": "list", "body": "Menu", "button": "Open",
                "sections": [{"title": "A", "rows": [{"id": "r", "title": "R"}]},
                             {"rows": [{"id": "s", "title": "S"}]}]}"#
                .to_owned(),
            "interactive.action.sections[1].title",
        ),
        (
            r#"{"type": "interactive", "kind": "cta_url", "body": "Go", "display_text": "Go",
                "url": "http://example.com"}"#
                .to_owned(),
            "interactive.action.parameters.url",
        ),
        (
            r#"{"type": "template", "name": "ok", "language": "en",
                "buttons": [{"sub_type": "quick_reply", "index": 12, "payload": "P"}]}"#
                .to_owned(),
            "template.buttons[0].index: must be within 0..=9",
        ),
        (r#"{"type": "fax", "body": "hi"}"#.to_owned(), "unknown variant `fax`"),
    ];
    for (json, expected) in cases {
        let err = serde_json::from_str::<OutboundContent>(&json)
            .expect_err(&json)
            .to_string();
        assert!(err.contains(expected), "{json}: `{err}` lacks `{expected}`");
    }
}

#[test]
fn text_is_limited_in_characters_not_bytes() {
    for (body, ok) in [
        ("t".repeat(4096), true),
        ("t".repeat(4097), false),
        ("ש".repeat(4096), true),
        ("ש".repeat(4097), false),
        ("😀".repeat(4096), true),
        ("😀".repeat(4097), false),
    ] {
        let result = Text::new(body.clone(), false);
        assert_eq!(
            result.is_ok(),
            ok,
            "{} chars, {} bytes",
            body.chars().count(),
            body.len()
        );
        if let Err(err) = result {
            assert_eq!(err.field(), "text.body");
            assert_eq!(
                err.violation(),
                &Violation::TooLong {
                    max: 4096,
                    actual: 4097
                }
            );
        }
    }
}

#[test]
fn a_reaction_cannot_reply_to_a_message() {
    let quoted = wamid("wamid.Q");
    let reaction = OutboundContent::Reaction(Reaction::new(wamid("wamid.A"), "❤️").unwrap());
    let removal = OutboundContent::Reaction(Reaction::removal(wamid("wamid.A")));
    for content in [&reaction, &removal] {
        let err = check_reply_context(content, Some(&quoted)).unwrap_err();
        assert_eq!(err.field(), "context.message_id");
        assert!(matches!(err.violation(), Violation::Conflict(_)));
        assert!(check_reply_context(content, None).is_ok());
        assert!(!content.accepts_reply_context());
    }
    for (content, _) in every_variant() {
        if content.kind() != MessageKind::Reaction {
            assert!(
                check_reply_context(&content, Some(&quoted)).is_ok(),
                "{content:?}"
            );
        }
    }
}

#[test]
fn reaction_emoji_rules() {
    for good in ["👍", "❤️", "1️⃣", "🇮🇱", "👨‍👩‍👧‍👦", "🧑🏻‍❤️‍💋‍🧑🏼"]
    {
        let reaction =
            Reaction::new(wamid("wamid.A"), good).unwrap_or_else(|e| panic!("{good}: {e}"));
        assert_eq!(reaction.emoji(), Some(good));
        assert!(!reaction.is_removal());
    }
    let single_emoji = Violation::Format {
        expected: "a single emoji",
    };
    for (bad, violation) in [
        ("", Violation::Empty),
        ("ok", single_emoji.clone()),
        ("ש", single_emoji.clone()),
        ("👍 👍", single_emoji.clone()),
        ("👍\n", single_emoji),
        (
            &"👍".repeat(17),
            Violation::TooLong {
                max: 16,
                actual: 17,
            },
        ),
    ] {
        let err = Reaction::new(wamid("wamid.A"), bad).unwrap_err();
        assert_eq!(err.field(), "reaction.emoji", "{bad:?}");
        assert_eq!(err.violation(), &violation, "{bad:?}");
    }
}

#[test]
fn an_empty_or_absent_emoji_reads_as_a_removal() {
    for json in [
        r#"{"message_id": "wamid.A", "emoji": ""}"#,
        r#"{"message_id": "wamid.A", "emoji": null}"#,
        r#"{"message_id": "wamid.A"}"#,
    ] {
        let reaction: Reaction = serde_json::from_str(json).unwrap();
        assert!(reaction.is_removal(), "{json}");
        assert_eq!(reaction.message_id().as_str(), "wamid.A");
    }
}

#[test]
fn location_ranges() {
    for (latitude, longitude) in [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0)] {
        assert!(Location::new(latitude, longitude, None, None).is_ok());
    }
    for (latitude, longitude, field, range) in [
        (90.000_001, 0.0, "location.latitude", "-90..=90"),
        (-91.0, 0.0, "location.latitude", "-90..=90"),
        (f64::NAN, 0.0, "location.latitude", "-90..=90"),
        (0.0, 180.5, "location.longitude", "-180..=180"),
        (0.0, f64::NEG_INFINITY, "location.longitude", "-180..=180"),
    ] {
        let err = Location::new(latitude, longitude, None, None).unwrap_err();
        assert_eq!(err.field(), field, "{latitude},{longitude}");
        assert_eq!(err.violation(), &Violation::OutOfRange { range });
    }
    let err = Location::new(0.0, 0.0, Some(String::new()), None).unwrap_err();
    assert_eq!(err.field(), "location.name");
    let err = Location::new(0.0, 0.0, None, Some("a".repeat(1001))).unwrap_err();
    assert_eq!(err.field(), "location.address");
    let location = Location::new(32.0, 34.0, Some("תל אביב".into()), None).unwrap();
    assert_eq!(
        (
            location.latitude(),
            location.longitude(),
            location.name(),
            location.address()
        ),
        (32.0, 34.0, Some("תל אביב"), None)
    );
}

mod properties {
    //! Properties over generated input: the text limit and the JSON round trip hold for any text.

    use proptest::prelude::*;

    use super::*;

    /// Texts of 0 to `max_length` characters mixing ASCII, Hebrew, emoji and whitespace, so
    /// lengths in bytes and in characters differ.
    fn text_up_to(max_length: usize) -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("a"),
            Just(" "),
            Just("ש"),
            Just("😀"),
            Just("\n"),
            Just("é")
        ];
        (0..=max_length, proptest::collection::vec(piece, 1..8)).prop_map(|(length, pieces)| {
            pieces
                .iter()
                .cycle()
                .take(length)
                .copied()
                .collect::<String>()
        })
    }

    proptest! {
        #[test]
        fn text_is_accepted_exactly_within_the_limit(body in text_up_to(4200), preview in any::<bool>()) {
            let characters = body.chars().count();
            let valid = !body.trim().is_empty() && characters <= MAX_TEXT_BODY;
            match Text::new(body.clone(), preview) {
                Ok(text) => {
                    prop_assert!(valid);
                    let content = OutboundContent::Text(text);
                    let json = serde_json::to_string(&content).unwrap();
                    let back: OutboundContent = serde_json::from_str(&json).unwrap();
                    prop_assert_eq!(back, content);
                }
                Err(err) => {
                    prop_assert!(!valid);
                    prop_assert_eq!(err.field(), "text.body");
                }
            }
        }

        #[test]
        fn reply_buttons_accept_any_titles_within_limits(titles in proptest::collection::vec(text_up_to(24), 1..=3)) {
            let buttons: Vec<ReplyButton> = titles
                .iter()
                .enumerate()
                .map(|(i, title)| ReplyButton::new(format!("b{i}"), title.clone()))
                .collect();
            let valid_titles = titles
                .iter()
                .all(|t| !t.trim().is_empty() && t.chars().count() <= MAX_BUTTON_TITLE);
            let unique = titles.iter().collect::<std::collections::HashSet<_>>().len() == titles.len();
            let result = ReplyButtons::new(ReplyButtonsFields {
                body: "Pick".into(),
                buttons,
                ..ReplyButtonsFields::default()
            });
            prop_assert_eq!(result.is_ok(), valid_titles && unique, "{:?}", result);
            if let Err(err) = result {
                prop_assert!(err.field().starts_with("interactive.action.buttons["), "{}", err);
                prop_assert!(err.field().ends_with("].title"), "{}", err);
            }
        }
    }
}

#[test]
fn a_location_request_is_a_body_of_at_most_1024_characters_and_nothing_else() {
    LocationRequest::new("ש".repeat(MAX_LOCATION_REQUEST_BODY)).unwrap();
    let long = LocationRequest::new("x".repeat(MAX_LOCATION_REQUEST_BODY + 1)).unwrap_err();
    assert_eq!(long.field(), "interactive.body.text");
    assert_eq!(
        LocationRequest::new(" ").unwrap_err().field(),
        "interactive.body.text"
    );
    let request =
        serde_json::json!({"type": "interactive", "kind": "location_request", "body": "Where?"});
    let content: OutboundContent = serde_json::from_value(request.clone()).unwrap();
    assert_eq!(serde_json::to_value(&content).unwrap(), request);
    // Meta takes no header or footer on it: refused rather than silently dropped.
    let with_footer = serde_json::json!({"type": "interactive", "kind": "location_request", "body": "Where?", "footer": "f"});
    assert!(serde_json::from_value::<OutboundContent>(with_footer).is_err());
}

#[test]
fn raw_content_is_checked_only_for_shape_and_size() {
    let interactive = serde_json::json!({"type": "raw", "kind": "interactive",
        "object": {"type": "product", "action": {"catalog_id": "1", "product_retailer_id": "sku-1"}}});
    let content: OutboundContent = serde_json::from_value(interactive.clone()).unwrap();
    assert_eq!(content.kind(), MessageKind::Interactive);
    assert!(content.is_raw() && !content.is_template());
    assert_eq!(serde_json::to_value(&content).unwrap(), interactive);
    let template: OutboundContent = serde_json::from_value(serde_json::json!({"type": "raw",
        "kind": "template", "object": {"name": "spring_sale", "language": {"code": "en_US"}}}))
    .unwrap();
    assert_eq!(template.kind(), MessageKind::Template);
    assert!(
        template.is_template(),
        "a raw template follows the template rules"
    );
    for (object, expected) in [
        (serde_json::json!({}), "raw.object: must not be empty"),
        (
            serde_json::json!({"blob": "x".repeat(MAX_RAW_BYTES)}),
            "raw.object: must be at most",
        ),
    ] {
        let error = serde_json::from_value::<OutboundContent>(
            serde_json::json!({"type": "raw", "kind": "interactive", "object": object}),
        )
        .unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
    for refused in [
        serde_json::json!({"type": "raw", "kind": "text", "object": {"body": "hi"}}),
        serde_json::json!({"type": "raw", "kind": "interactive", "object": [1]}),
        serde_json::json!({"type": "raw", "kind": "interactive", "object": {"a": 1}, "extra": 1}),
    ] {
        assert!(
            serde_json::from_value::<OutboundContent>(refused.clone()).is_err(),
            "{refused}"
        );
    }
}

#[test]
fn a_call_permission_request_is_a_body_of_at_most_1024_characters() {
    CallPermissionRequest::new("x".repeat(MAX_CALL_PERMISSION_BODY)).unwrap();
    let long = CallPermissionRequest::new("x".repeat(MAX_CALL_PERMISSION_BODY + 1)).unwrap_err();
    assert_eq!(long.field(), "interactive.body.text");
    let request = serde_json::json!({"type": "interactive", "kind": "call_permission_request", "body": "May we call you?"});
    let content: OutboundContent = serde_json::from_value(request.clone()).unwrap();
    assert_eq!(content.kind(), MessageKind::Interactive);
    assert_eq!(serde_json::to_value(&content).unwrap(), request);
}

/// Found by the `outbound_content` fuzz target: a coordinate with more digits than an `f64`
/// holds must read back unchanged once stored (serde_json's `float_roundtrip`), or a location
/// is sent to Meta one ulp away from what was first read.
#[test]
fn an_over_long_coordinate_reads_back_unchanged() {
    let text = r#"{"type":"location","latitude":52.5,"longitude":13.4666666666666666666666666,"name":"Mitte"}"#;
    let first: OutboundContent = serde_json::from_str(text).unwrap();
    let stored = serde_json::to_string(&first).unwrap();
    let again: OutboundContent = serde_json::from_str(&stored).unwrap();
    assert_eq!(again, first, "stored as {stored}");
}
