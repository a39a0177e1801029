//! The parse of webhook bodies into typed events, on fixtures written from Meta's documented
//! shapes (cloud-api.md §3), and on bodies that must be refused as a whole.

use time::OffsetDateTime;
use wa_domain::{
    error_class::{ErrorClass, RateLimitScope},
    inbound::{InboundContent, SystemKind},
    status::MessageStatus,
};
use wa_graph::{
    WebhookError,
    webhook::{MAX_BODY_BYTES, WebhookBatch, event::AccountEventKind},
};

use crate::support::fixture;

fn parse(name: &str) -> WebhookBatch {
    wa_graph::parse(&fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn contents(batch: &WebhookBatch) -> Vec<&InboundContent> {
    batch
        .messages()
        .map(|event| &event.message.content)
        .collect()
}

#[test]
fn every_inbound_type_is_read() {
    let batch = parse("every-type.json");
    assert_eq!(batch.problems, vec![], "no item should fail");
    assert_eq!(batch.numbers.len(), 1);
    let number = &batch.numbers[0];
    assert_eq!(number.phone_number_id.as_str(), "106540352242922");
    assert_eq!(
        number.waba_id.as_ref().map(|id| id.as_str()),
        Some("102290129340398")
    );
    assert_eq!(number.display_phone_number.as_deref(), Some("15550783881"));
    let contents = contents(&batch);
    assert_eq!(contents.len(), 25);

    let first = &number.messages[0].message;
    assert_eq!(first.profile_name.as_deref(), Some("Sheena Nelson"));
    assert_eq!(
        first.customer.phone().map(|p| p.as_str()),
        Some("16505551234")
    );
    assert_eq!(
        first.customer.bsuid().map(|b| b.as_str()),
        Some("US.13491208655302741918")
    );
    assert_eq!(
        first.sent_at,
        OffsetDateTime::from_unix_timestamp(1_732_450_001).unwrap()
    );
    assert!(matches!(contents[0], InboundContent::Text { body } if body.starts_with("Hi! Does")));

    match contents[1] {
        InboundContent::Image(media) => {
            assert_eq!(media.id, "1479537139650973");
            assert_eq!(media.caption.as_deref(), Some("the blue one"));
            assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
            assert!(
                media
                    .url
                    .as_deref()
                    .is_some_and(|url| url.starts_with("https://"))
            );
        }
        other => panic!("image expected, got {other:?}"),
    }
    assert!(matches!(contents[2], InboundContent::Video(media) if media.id == "2479537139650973"));
    assert!(matches!(contents[3], InboundContent::Audio(media) if media.voice));
    assert!(
        matches!(contents[4], InboundContent::Document(media) if media.filename.as_deref() == Some("invoice-48213.pdf"))
    );
    assert!(matches!(contents[5], InboundContent::Sticker(media) if media.animated));
    match contents[6] {
        InboundContent::Location(location) => {
            assert!((location.latitude - 52.520008).abs() < 1e-9);
            assert_eq!(location.name.as_deref(), Some("Alexanderplatz"));
        }
        other => panic!("location expected, got {other:?}"),
    }
    match contents[7] {
        InboundContent::Contacts { contacts } => {
            let card = &contacts[0];
            assert_eq!(card.name.formatted_name, "Jane Doe");
            assert_eq!(card.phones[0].wa_id.as_deref(), Some("16505551234"));
            assert_eq!(card.emails[0].email, "jane@example.com");
            assert_eq!(card.addresses[0].country_code.as_deref(), Some("US"));
            assert_eq!(
                card.org.as_ref().and_then(|o| o.company.as_deref()),
                Some("Acme")
            );
            assert_eq!(card.birthday.as_deref(), Some("1990-01-31"));
        }
        other => panic!("contacts expected, got {other:?}"),
    }
    assert!(
        matches!(contents[8], InboundContent::ButtonReply { id, title } if id == "size-m" && title == "Size M")
    );
    let reply_context = number.messages[8].message.context.as_ref().unwrap();
    assert_eq!(
        reply_context.message_id.as_ref().map(|id| id.as_str()),
        Some("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA")
    );
    assert!(
        matches!(contents[9], InboundContent::ListReply { id, description, .. } if id == "row-2" && description.as_deref() == Some("Navy blue"))
    );
    match contents[10] {
        InboundContent::FlowReply { response_json, .. } => {
            let answers: serde_json::Value = serde_json::from_str(response_json).unwrap();
            assert_eq!(answers["size"], "M");
        }
        other => panic!("flow reply expected, got {other:?}"),
    }
    assert!(
        matches!(contents[11], InboundContent::Button { payload, text } if payload == "confirm-48213" && text == "Confirm")
    );
    assert!(
        matches!(contents[12], InboundContent::Reaction { emoji: Some(emoji), .. } if emoji == "\u{1F44D}")
    );
    // Removal: without `emoji` (current) and with an empty one (older payloads).
    assert!(contents[13].is_reaction_removal());
    assert!(matches!(
        contents[13],
        InboundContent::Reaction { emoji: None, .. }
    ));
    assert!(matches!(
        contents[14],
        InboundContent::Reaction { emoji: None, .. }
    ));
    match contents[15] {
        InboundContent::Order(order) => {
            assert_eq!(order.catalog_id, "987654321");
            assert_eq!(order.product_items.len(), 2);
            assert_eq!(order.product_items[0].quantity, 2);
            assert!((order.product_items[0].item_price - 12.5).abs() < 1e-9);
            assert_eq!(order.product_items[1].quantity, 1);
        }
        other => panic!("order expected, got {other:?}"),
    }
    match contents[16] {
        InboundContent::System {
            kind:
                SystemKind::ChangedNumber {
                    new_wa_id,
                    new_user_id,
                },
            ..
        } => {
            assert_eq!(new_wa_id.as_ref().map(|p| p.as_str()), Some("16505559999"));
            assert_eq!(
                new_user_id.as_ref().map(|b| b.as_str()),
                Some("US.99991208655302741918")
            );
        }
        other => panic!("changed number expected, got {other:?}"),
    }
    assert!(matches!(
        contents[17],
        InboundContent::System { kind: SystemKind::ChangedUserId { new_user_id }, .. }
            if new_user_id.as_str() == "US.77771208655302741918"
    ));
    assert!(
        matches!(contents[18], InboundContent::Unsupported { original_type } if original_type.as_deref() == Some("poll"))
    );
    let unsupported = &number.messages[18].message;
    assert_eq!(unsupported.errors.len(), 1);
    assert_eq!(unsupported.errors[0].code, 131051);
    assert_eq!(
        unsupported.errors[0].details.as_deref(),
        Some("Message type is currently not supported.")
    );
    let referral = number.messages[19].message.referral.as_ref().unwrap();
    assert_eq!(referral.ctwa_clid.as_deref(), Some("ARAkLk"));
    assert_eq!(
        referral.welcome_message.as_deref(),
        Some("Hi! How can we help?")
    );
    assert!(
        number.messages[20]
            .message
            .context
            .as_ref()
            .unwrap()
            .forwarded
    );
    assert!(
        number.messages[21]
            .message
            .context
            .as_ref()
            .unwrap()
            .frequently_forwarded
    );
    let product = number.messages[22]
        .message
        .context
        .as_ref()
        .and_then(|c| c.referred_product.as_ref())
        .unwrap();
    assert_eq!(product.product_retailer_id, "sku-1");

    // A type wa does not know is kept whole, with its unknown keys byte for byte.
    match contents[23] {
        InboundContent::Unknown {
            type_name,
            raw_json,
        } => {
            assert_eq!(type_name, "poll_vote");
            let raw: serde_json::Value = serde_json::from_str(raw_json).unwrap();
            assert_eq!(raw["poll_vote"]["options"][1], 2);
            assert_eq!(raw["future_field"]["nested"][1]["a"], "b");
        }
        other => panic!("unknown expected, got {other:?}"),
    }
    assert_eq!(number.messages[23].unknown.len(), 2);
    assert!(
        matches!(contents[24], InboundContent::Unknown { type_name, .. } if type_name == "revoke")
    );
}

#[test]
fn statuses_carry_pricing_errors_callbacks_and_bsuids() {
    let batch = parse("statuses.json");
    let statuses: Vec<_> = batch.statuses().collect();
    // `deleted` is not a Cloud API status: reported, never guessed.
    assert_eq!(statuses.len(), 8);
    assert_eq!(batch.problems.len(), 1);
    assert!(batch.problems[0].path.ends_with("statuses[7]"));
    assert!(batch.problems[0].raw.contains("\"deleted\""));

    let sent = &statuses[0];
    assert_eq!(sent.update.status, MessageStatus::Sent);
    assert_eq!(sent.update.wamid.as_str(), "wamid.S1");
    assert_eq!(
        sent.update
            .callback_message_id
            .map(|id| id.to_string())
            .as_deref(),
        Some("0192f0e4-8c3a-7b4e-9a51-3f5e2d1c0b9a")
    );
    let pricing = sent.update.pricing.as_ref().unwrap();
    assert_eq!(pricing.pricing_model.as_deref(), Some("PMP"));
    assert_eq!(pricing.category.as_deref(), Some("utility"));
    assert_eq!(pricing.pricing_type.as_deref(), Some("regular"));
    assert_eq!(pricing.billable, Some(true));
    let conversation = sent.conversation.as_ref().unwrap();
    assert_eq!(conversation.origin.as_deref(), Some("utility"));
    assert_eq!(
        conversation.expires_at,
        Some(OffsetDateTime::from_unix_timestamp(1_732_536_500).unwrap())
    );
    // A numeric timestamp is accepted like a string one.
    assert_eq!(
        statuses[1].update.at,
        OffsetDateTime::from_unix_timestamp(1_732_450_105).unwrap()
    );
    assert_eq!(statuses[2].update.status, MessageStatus::Read);
    assert_eq!(statuses[3].update.status, MessageStatus::Played);

    let failed = &statuses[4];
    assert_eq!(failed.update.status, MessageStatus::Failed);
    let failure = failed.update.failure.as_ref().unwrap();
    assert_eq!(failure.class, ErrorClass::WindowClosed);
    assert_eq!(failure.code, Some(131047));
    assert_eq!(failure.title, "Re-engagement message");
    assert!(failure.details.as_deref().unwrap().contains("24 hours"));
    // Callback data that is not one of our ids is kept, but matches nothing.
    assert_eq!(failed.update.callback_message_id, None);
    assert_eq!(failed.callback_data.as_deref(), Some("order-48213"));

    let bsuid_only = &statuses[5];
    let recipient = bsuid_only.recipient.as_ref().unwrap();
    assert_eq!(recipient.phone(), None);
    assert_eq!(
        recipient.bsuid().map(|b| b.as_str()),
        Some("US.13491208655302741918")
    );
    assert!(
        bsuid_only
            .recipient_parent_user_id
            .as_ref()
            .unwrap()
            .is_parent()
    );

    let group = &statuses[6];
    assert_eq!(group.recipient_type.as_deref(), Some("group"));
    assert_eq!(group.recipient_other.as_deref(), Some("120363025246125486"));

    let throttled = statuses[7].update.failure.as_ref().unwrap();
    assert_eq!(
        throttled.class,
        ErrorClass::RateLimited {
            scope: RateLimitScope::PhoneNumber
        }
    );
}

#[test]
fn batches_across_two_wabas_are_grouped_by_number() {
    let batch = parse("two-wabas.json");
    assert_eq!(batch.problems, vec![]);
    assert_eq!(batch.numbers.len(), 2);
    let first = &batch.numbers[0];
    assert_eq!(first.phone_number_id.as_str(), "106540352242922");
    // Two changes for the same number are merged into one group.
    assert_eq!((first.messages.len(), first.statuses.len()), (1, 1));
    let second = &batch.numbers[1];
    assert_eq!(second.phone_number_id.as_str(), "309876543210987");
    assert_eq!(second.waba_id.as_ref().unwrap().as_str(), "209384756102938");
    assert_eq!(
        second.messages[0].message.profile_name.as_deref(),
        Some("Avi")
    );
    assert_eq!(
        second.messages[0]
            .message
            .customer
            .phone()
            .unwrap()
            .as_str(),
        "972501234567"
    );
}

#[test]
fn duplicates_are_all_reported_for_the_store_to_dedupe() {
    let batch = parse("duplicates.json");
    let wamids: Vec<_> = batch
        .messages()
        .map(|event| event.message.wamid.as_str())
        .collect();
    assert_eq!(wamids.len(), 3);
    assert!(wamids.iter().all(|wamid| *wamid == wamids[0]));
}

#[test]
fn escaped_hebrew_and_emoji_text_of_4096_characters_is_decoded() {
    let body = fixture("hebrew-4096.json");
    // Meta escapes everything beyond ASCII.
    assert!(body.is_ascii());
    let expected = String::from_utf8(fixture("hebrew-4096.txt")).unwrap();
    assert_eq!(expected.chars().count(), 4096);
    let batch = wa_graph::parse(&body).unwrap();
    let message = &batch.numbers[0].messages[0].message;
    assert!(matches!(&message.content, InboundContent::Text { body } if *body == expected));
    assert_eq!(
        message.profile_name.as_deref(),
        Some("\u{05d3}\u{05e0}\u{05d4} \u{1F338}")
    );
}

#[test]
fn users_known_only_by_bsuid_are_customers() {
    let batch = parse("bsuid-only.json");
    let event = batch.messages().next().unwrap();
    assert_eq!(event.message.customer.phone(), None);
    assert_eq!(
        event.message.customer.bsuid().unwrap().as_str(),
        "US.8888777766665555"
    );
    assert_eq!(event.username.as_deref(), Some("@hidden"));
    assert_eq!(
        event.parent_user_id.as_ref().unwrap().as_str(),
        "US.ENT.11112222333344445555"
    );
    assert_eq!(event.message.profile_name.as_deref(), Some("Hidden"));
}

#[test]
fn classic_payloads_without_bsuids_still_parse() {
    let batch = parse("classic.json");
    assert_eq!(batch.problems, vec![]);
    let message = &batch.messages().next().unwrap().message;
    assert_eq!(message.customer.bsuid(), None);
    assert_eq!(message.customer.phone().unwrap().as_str(), "16505551234");
    let status = batch.statuses().next().unwrap();
    assert_eq!(status.update.status, MessageStatus::Delivered);
    assert_eq!(
        status
            .update
            .pricing
            .as_ref()
            .unwrap()
            .pricing_model
            .as_deref(),
        Some("CBP")
    );
}

#[test]
fn value_level_errors_are_classified() {
    let batch = parse("value-errors.json");
    let errors = &batch.numbers[0].errors;
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].failure.code, Some(131000));
    assert_eq!(errors[0].failure.class, ErrorClass::Retryable);
    assert_eq!(errors[0].failure.details.as_deref(), Some("Unknown error"));
    assert!(errors[0].href.as_deref().unwrap().starts_with("https://"));
}

#[test]
fn other_fields_are_typed_or_kept_raw() {
    let batch = parse("other-fields.json");
    assert!(batch.numbers.is_empty());
    let events = &batch.account_events;
    assert_eq!(events.len(), 4);
    assert_eq!(
        events[0].kind,
        AccountEventKind::TemplateStatus {
            event: Some("REJECTED".to_owned()),
            template_id: Some("594425479261596".to_owned()),
            name: Some("order_update".to_owned()),
            language: Some("en_US".to_owned()),
            reason: Some("INCORRECT_CATEGORY".to_owned()),
        }
    );
    assert!(matches!(
        &events[1].kind,
        AccountEventKind::AccountUpdate { event: Some(event), .. } if event == "VERIFIED_ACCOUNT"
    ));
    assert!(matches!(
        &events[2].kind,
        AccountEventKind::QualityUpdate { current_limit: Some(limit), .. } if limit == "TIER_1K"
    ));
    assert_eq!(events[3].field, "user_preferences");
    assert_eq!(events[3].kind, AccountEventKind::Other);
    let raw: serde_json::Value = serde_json::from_str(&events[3].raw).unwrap();
    assert_eq!(raw["user_preferences"][0]["value"], "stop");
    assert_eq!(raw["metadata"]["phone_number_id"], "106540352242922");
    assert!(events.iter().all(|event| event.waba_id.is_some()));
}

#[test]
fn one_bad_item_never_fails_its_batch() {
    let batch = parse("bad-items.json");
    let bodies: Vec<_> = batch
        .messages()
        .filter_map(|event| match &event.message.content {
            InboundContent::Text { body } => Some(body.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(bodies, ["good one", "good two"]);
    let statuses: Vec<_> = batch.statuses().map(|s| s.update.wamid.as_str()).collect();
    assert_eq!(statuses, ["wamid.OK"]);
    let paths: Vec<_> = batch.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "entry[0].changes[0].value.contacts[1]",
            "entry[0].changes[0].value.messages[1]",
            "entry[0].changes[0].value.messages[2]",
            "entry[0].changes[0].value.messages[3]",
            "entry[0].changes[0].value.messages[4]",
            "entry[0].changes[0].value.messages[5]",
            "entry[0].changes[0].value.statuses[0]",
            "entry[1].changes[0].value.messages[0]",
        ]
    );
    for problem in &batch.problems {
        // The item is kept raw for support; the reason never quotes it.
        assert!(!problem.raw.is_empty(), "{problem:?}");
        assert!(!problem.reason.contains("yesterday"), "{problem:?}");
    }
    assert_eq!(batch.problems[7].phone_number_id, None);
}

/// A body and a test of the error it must produce.
type RefusalCase = (&'static [u8], fn(&WebhookError) -> bool);

#[test]
fn bodies_that_are_not_webhooks_are_refused() {
    let cases: [RefusalCase; 10] = [
        (b"", |e| matches!(e, WebhookError::Malformed { .. })),
        (b"<html>502 Bad Gateway</html>", |e| {
            matches!(e, WebhookError::Malformed { .. })
        }),
        (
            br#"{"object":"whatsapp_business_account","entry":[{"id":"1""#,
            |e| matches!(e, WebhookError::Malformed { .. }),
        ),
        (
            br#"{"object":"whatsapp_business_account","entry":"nope"}"#,
            |e| matches!(e, WebhookError::Malformed { .. }),
        ),
        (
            br#"{"object":"page","entry":[]}"#,
            |e| matches!(e, WebhookError::NotWhatsApp { object } if object == "page"),
        ),
        (b"{\"object\":\"\xff\xfe\"}", |e| {
            matches!(e, WebhookError::NotUtf8)
        }),
        (br#"[1,2,3]"#, |e| {
            matches!(e, WebhookError::Malformed { .. })
        }),
        // serde reads a struct from an array too: an empty one would pass as an envelope.
        (b" []", |e| matches!(e, WebhookError::Malformed { .. })),
        (br#"[{"object":"whatsapp_business_account"}]"#, |e| {
            matches!(e, WebhookError::Malformed { .. })
        }),
        (br#""whatsapp_business_account""#, |e| {
            matches!(e, WebhookError::Malformed { .. })
        }),
    ];
    for (body, expected) in cases {
        let error = wa_graph::parse(body).expect_err("must be refused");
        assert!(
            expected(&error),
            "{:?}: {error:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn hostile_sizes_and_depths_are_refused_without_overflowing() {
    let deep = format!(
        r#"{{"object":"whatsapp_business_account","entry":[{}1{}]}}"#,
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    assert!(matches!(
        wa_graph::parse(deep.as_bytes()),
        Err(WebhookError::TooDeep { .. })
    ));
    // Deep nesting hidden inside an unknown field is refused too.
    let hidden = format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"x","value":{{"k":{}0{}}}}}]}}]}}"#,
        "[".repeat(40),
        "]".repeat(40)
    );
    assert!(matches!(
        wa_graph::parse(hidden.as_bytes()),
        Err(WebhookError::TooDeep { .. })
    ));
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert!(matches!(
        wa_graph::parse(&big),
        Err(WebhookError::TooLarge { .. })
    ));
}

#[test]
fn an_empty_envelope_is_an_empty_batch() {
    let batch = wa_graph::parse(br#"{"object":"whatsapp_business_account","entry":[]}"#).unwrap();
    assert_eq!(batch, WebhookBatch::default());
}
