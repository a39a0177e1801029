//! Tests for inbound content: kinds, which types open the window, and the stored JSON.

use super::*;

fn wamid(value: &str) -> WaMessageId {
    WaMessageId::parse(value).unwrap()
}

fn image() -> InboundMedia {
    InboundMedia {
        id: "1013859600285441".into(),
        mime_type: Some("image/jpeg".into()),
        sha256: Some("bWVzc2FnZQ==".into()),
        caption: Some("חתול".into()),
        url: Some("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1".into()),
        ..InboundMedia::default()
    }
}

/// Every variant, with its kind and whether it opens the customer-service window.
fn every_variant() -> Vec<(InboundContent, MessageKind, bool)> {
    vec![
        (
            InboundContent::Text {
                body: "שלום 👋".into(),
            },
            MessageKind::Text,
            true,
        ),
        (InboundContent::Image(image()), MessageKind::Image, true),
        (
            InboundContent::Video(InboundMedia {
                mime_type: Some("video/mp4".into()),
                ..image()
            }),
            MessageKind::Video,
            true,
        ),
        (
            InboundContent::Audio(InboundMedia {
                caption: None,
                voice: true,
                ..image()
            }),
            MessageKind::Audio,
            true,
        ),
        (
            InboundContent::Document(InboundMedia {
                filename: Some("invoice.pdf".into()),
                ..image()
            }),
            MessageKind::Document,
            true,
        ),
        (
            InboundContent::Sticker(InboundMedia {
                caption: None,
                animated: true,
                ..image()
            }),
            MessageKind::Sticker,
            true,
        ),
        (
            InboundContent::Location(InboundLocation {
                latitude: 32.0853,
                longitude: 34.7818,
                name: Some("Office".into()),
                address: None,
                url: Some("https://example.com/map".into()),
            }),
            MessageKind::Location,
            true,
        ),
        (
            InboundContent::Contacts {
                contacts: vec![ContactCard::named("Noa"), ContactCard::default()],
            },
            MessageKind::Contacts,
            true,
        ),
        (
            InboundContent::ButtonReply {
                id: "size_s".into(),
                title: "Small".into(),
            },
            MessageKind::Interactive,
            true,
        ),
        (
            InboundContent::ListReply {
                id: "r1".into(),
                title: "Soup".into(),
                description: Some("Hot".into()),
            },
            MessageKind::Interactive,
            true,
        ),
        (
            InboundContent::FlowReply {
                name: Some("flow".into()),
                body: Some("Sent".into()),
                response_json: r#"{"flow_token": "t", "size": "M"}"#.into(),
            },
            MessageKind::Interactive,
            true,
        ),
        (
            InboundContent::Button {
                payload: "TRACK_42".into(),
                text: "Track".into(),
            },
            MessageKind::Button,
            true,
        ),
        (
            InboundContent::Reaction {
                message_id: wamid("wamid.OURS"),
                emoji: Some("👍".into()),
            },
            MessageKind::Reaction,
            false,
        ),
        (
            InboundContent::Reaction {
                message_id: wamid("wamid.OURS"),
                emoji: None,
            },
            MessageKind::Reaction,
            false,
        ),
        (
            InboundContent::Order(Order {
                catalog_id: "194836987003835".into(),
                text: Some("Quickly please".into()),
                product_items: vec![OrderItem {
                    product_retailer_id: "sku-1".into(),
                    quantity: 2,
                    item_price: 12.5,
                    currency: "ILS".into(),
                }],
            }),
            MessageKind::Order,
            true,
        ),
        (
            InboundContent::System {
                kind: SystemKind::ChangedNumber {
                    new_wa_id: Some(PhoneNumber::parse("972541234567").unwrap()),
                    new_user_id: Some(Bsuid::parse("IL.9876").unwrap()),
                },
                body: Some("User A changed from 972… to 972…".into()),
            },
            MessageKind::System,
            false,
        ),
        (
            InboundContent::System {
                kind: SystemKind::ChangedUserId {
                    new_user_id: Bsuid::parse("US.13491208655302741918").unwrap(),
                },
                body: None,
            },
            MessageKind::System,
            false,
        ),
        (
            InboundContent::System {
                kind: SystemKind::Other {
                    raw_type: "customer_identity_changed".into(),
                },
                body: None,
            },
            MessageKind::System,
            false,
        ),
        (
            InboundContent::Unsupported {
                original_type: Some("poll".into()),
            },
            MessageKind::Unsupported,
            true,
        ),
        (
            InboundContent::Unknown {
                type_name: "revoke".into(),
                raw_json: r#"{"type": "revoke", "revoke": {"original_message_id": "wamid.X"}}"#
                    .into(),
            },
            MessageKind::Unknown,
            false,
        ),
    ]
}

#[test]
fn kind_of_every_variant() {
    for (content, kind, _) in every_variant() {
        assert_eq!(content.kind(), kind, "{content:?}");
    }
}

#[test]
fn customer_messages_open_the_window_reactions_and_system_events_do_not() {
    for (content, _, opens) in every_variant() {
        assert_eq!(content.opens_window(), opens, "{content:?}");
    }
}

#[test]
fn every_variant_round_trips_through_json() {
    for (content, _, _) in every_variant() {
        let json = serde_json::to_string(&content).unwrap();
        let back: InboundContent =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(back, content, "{json}");
    }
}

#[test]
fn reaction_removal_is_an_absent_or_empty_emoji() {
    let reaction = |emoji: Option<&str>| InboundContent::Reaction {
        message_id: wamid("wamid.OURS"),
        emoji: emoji.map(str::to_owned),
    };
    assert!(reaction(None).is_reaction_removal());
    assert!(reaction(Some("")).is_reaction_removal());
    assert!(!reaction(Some("😀")).is_reaction_removal());
    assert!(
        !InboundContent::Text {
            body: String::new()
        }
        .is_reaction_removal()
    );
}

#[test]
fn inbound_content_is_kept_even_when_it_breaks_send_limits() {
    // Meta already accepted these; a 5000-character text or an empty card name is stored as is.
    let long = InboundContent::Text {
        body: "ש".repeat(5000),
    };
    let json = serde_json::to_string(&long).unwrap();
    assert_eq!(serde_json::from_str::<InboundContent>(&json).unwrap(), long);
    let card: ContactCard = serde_json::from_str(r#"{"name": {}}"#).unwrap();
    assert_eq!(card.name.formatted_name, "");
}

fn message() -> InboundMessage {
    let customer = CustomerIdentity::from_phone(PhoneNumber::parse("972541234567").unwrap());
    InboundMessage::new(
        wamid("wamid.IN"),
        customer,
        OffsetDateTime::from_unix_timestamp(1_763_000_000).unwrap(),
        InboundContent::Text { body: "hi".into() },
    )
}

#[test]
fn a_new_message_has_no_context_referral_or_errors() {
    let message = message();
    assert_eq!(message.profile_name, None);
    assert_eq!(message.context, None);
    assert_eq!(message.referral, None);
    assert!(message.errors.is_empty());
}

#[test]
fn messages_round_trip_with_context_referral_and_errors() {
    let mut message = message();
    message.profile_name = Some("Noa".into());
    message.context = Some(InboundContext {
        from: Some("15550783881".into()),
        message_id: Some(wamid("wamid.QUOTED")),
        forwarded: false,
        frequently_forwarded: true,
        referred_product: Some(ReferredProduct {
            catalog_id: "194836987003835".into(),
            product_retailer_id: "sku-1".into(),
        }),
    });
    message.referral = Some(Box::new(Referral {
        source_url: Some("https://fb.me/ad".into()),
        source_type: Some("ad".into()),
        ctwa_clid: Some("ARAkLkA8rmlFeiCktEJQ".into()),
        ..Referral::default()
    }));
    message.errors = vec![InboundError {
        code: 131_051,
        title: "Message type unknown".into(),
        message: None,
        details: Some("Message type is currently not supported.".into()),
    }];
    let json = serde_json::to_string(&message).unwrap();
    let back: InboundMessage = serde_json::from_str(&json).unwrap();
    assert_eq!(back, message);
}

#[test]
fn stored_messages_without_the_newer_fields_still_read() {
    let mut json = serde_json::to_value(message()).unwrap();
    let object = json.as_object_mut().unwrap();
    for field in ["context", "referral", "errors"] {
        object.remove(field);
    }
    let back: InboundMessage = serde_json::from_value(json).unwrap();
    assert_eq!(back, message());
}
