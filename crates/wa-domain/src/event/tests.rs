//! The events' JSON form (the public schema) and the constructors the store uses.

use serde_json::{Value, json};
use time::macros::datetime;
use uuid::Uuid;

use super::*;
use crate::{
    error_class::ErrorClass,
    ids::{PhoneNumber, WaMessageId},
    inbound::InboundContent,
};

fn tenant() -> TenantId {
    TenantId::from_uuid(Uuid::parse_str("0192f0c4-0000-7000-8000-000000000001").unwrap())
}

fn message_id() -> MessageId {
    MessageId::from_uuid(Uuid::parse_str("0192f0c4-0000-7000-8000-0000000000aa").unwrap()).unwrap()
}

fn conversation() -> ConversationId {
    ConversationId::from_uuid(Uuid::parse_str("0192f0c4-0000-7000-8000-0000000000cc").unwrap())
}

fn customer() -> CustomerIdentity {
    CustomerIdentity::from_phone(PhoneNumber::parse("491512345678").unwrap())
}

fn wamid(name: &str) -> WaMessageId {
    WaMessageId::parse(format!("wamid.{name}")).unwrap()
}

/// The event as stored with seq 7, in JSON.
fn stored(payload: EventPayload) -> Value {
    let id = EventId::from_uuid(Uuid::parse_str("0192f0c4-0000-7000-8000-0000000000ee").unwrap());
    let event = NewEvent {
        id,
        occurred_at: datetime!(2026-01-01 09:00:00 UTC),
        payload,
    }
    .into_event(tenant(), 7, datetime!(2026-01-01 09:00:01.5 UTC));
    let value = serde_json::to_value(&event).unwrap();
    let back: Event = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(back, event, "the JSON form reads back to the same event");
    value
}

/// The envelope every event shares, with `type` and `data`.
fn envelope(kind: &str, data: Value) -> Value {
    json!({
        "id": "0192f0c4-0000-7000-8000-0000000000ee",
        "tenant_id": "0192f0c4-0000-7000-8000-000000000001",
        "seq": 7,
        "occurred_at": "2026-01-01T09:00:00Z",
        "recorded_at": "2026-01-01T09:00:01.5Z",
        "schema": 1,
        "type": kind,
        "data": data,
    })
}

#[test]
fn message_received_carries_the_whole_inbound_message() {
    let mut message = InboundMessage::new(
        wamid("in"),
        customer(),
        datetime!(2026-01-01 08:59:58 UTC),
        InboundContent::Text {
            body: "hi".to_owned(),
        },
    );
    message.profile_name = Some("Erika".to_owned());
    let payload = EventPayload::for_inbound(message_id(), &message);
    assert_eq!(payload.kind(), "message.received");
    assert_eq!(payload.customer(), Some(&customer()));
    let json = stored(payload);
    assert_eq!(json["type"], "message.received");
    assert_eq!(json["data"]["message_id"], message_id().to_string());
    assert_eq!(json["data"]["message"]["wamid"], "wamid.in");
    assert_eq!(json["data"]["message"]["sent_at"], "2026-01-01T08:59:58Z");
    assert_eq!(json["data"]["message"]["profile_name"], "Erika");
    assert_eq!(json["data"]["message"]["customer"]["phone"], "491512345678");
    assert_eq!(json["seq"], 7);
    assert_eq!(json["schema"], SCHEMA_VERSION);
}

#[test]
fn a_reaction_is_a_message_reaction_not_a_message_received() {
    let message = InboundMessage::new(
        wamid("r"),
        customer(),
        datetime!(2026-01-01 09:00:00 UTC),
        InboundContent::Reaction {
            message_id: wamid("ours"),
            emoji: Some("👍".to_owned()),
        },
    );
    let payload = EventPayload::for_inbound(message_id(), &message);
    assert_eq!(
        stored(payload),
        envelope(
            "message.reaction",
            json!({
                "message_id": message_id().to_string(),
                "wamid": "wamid.r",
                "customer": {"bsuid": null, "phone": "491512345678"},
                "reacted_to": "wamid.ours",
                "emoji": "👍",
            })
        )
    );

    let removal = InboundMessage::new(
        wamid("r2"),
        customer(),
        datetime!(2026-01-01 09:00:00 UTC),
        InboundContent::Reaction {
            message_id: wamid("ours"),
            emoji: Some(String::new()),
        },
    );
    let EventPayload::MessageReaction(reaction) = EventPayload::for_inbound(message_id(), &removal)
    else {
        panic!("a reaction's removal is still a reaction event");
    };
    assert_eq!(reaction.emoji, None, "an empty emoji is a removal");
}

#[test]
fn message_status_golden() {
    let payload = EventPayload::MessageStatus(MessageStatusChanged {
        message_id: message_id(),
        wamid: Some(wamid("out")),
        customer: customer(),
        status: MessageStatus::Failed,
        previous: Some(MessageStatus::Sent),
        failure: Some(MessageFailure {
            class: ErrorClass::Permanent,
            code: Some(131_026),
            title: "Message undeliverable".to_owned(),
            details: Some("receiver incapable".to_owned()),
            fbtrace_id: None,
        }),
        pricing: Some(Pricing {
            billable: Some(false),
            pricing_model: Some("PMP".to_owned()),
            category: Some("service".to_owned()),
            pricing_type: Some("free_customer_service".to_owned()),
        }),
    });
    assert_eq!(
        stored(payload),
        envelope(
            "message.status",
            json!({
                "message_id": message_id().to_string(),
                "wamid": "wamid.out",
                "customer": {"bsuid": null, "phone": "491512345678"},
                "status": "failed",
                "previous": "sent",
                "failure": {
                    "class": "permanent",
                    "code": 131026,
                    "title": "Message undeliverable",
                    "details": "receiver incapable",
                    "fbtrace_id": null,
                },
                "pricing": {
                    "billable": false,
                    "pricing_model": "PMP",
                    "category": "service",
                    "pricing_type": "free_customer_service",
                },
            })
        )
    );
}

#[test]
fn a_pending_status_has_no_failure_or_pricing_fields() {
    let payload = EventPayload::MessageStatus(MessageStatusChanged {
        message_id: message_id(),
        wamid: None,
        customer: customer(),
        status: MessageStatus::Pending,
        previous: None,
        failure: None,
        pricing: None,
    });
    let json = stored(payload);
    let data = json["data"].as_object().unwrap();
    assert_eq!(data["status"], "pending");
    assert!(data["previous"].is_null());
    assert!(!data.contains_key("failure") && !data.contains_key("pricing"));
}

#[test]
fn window_events_golden() {
    let change = WindowChange {
        conversation_id: conversation(),
        customer: customer(),
        expires_at: datetime!(2026-01-02 09:00:00 UTC),
    };
    for (payload, kind) in [
        (EventPayload::WindowOpened(change.clone()), "window.opened"),
        (
            EventPayload::WindowClosing(change.clone()),
            "window.closing",
        ),
        (EventPayload::WindowClosed(change.clone()), "window.closed"),
    ] {
        assert_eq!(payload.kind(), kind);
        assert_eq!(
            stored(payload),
            envelope(
                kind,
                json!({
                    "conversation_id": conversation().as_uuid().to_string(),
                    "customer": {"bsuid": null, "phone": "491512345678"},
                    "expires_at": "2026-01-02T09:00:00Z",
                })
            )
        );
    }
}

#[test]
fn customer_updated_golden() {
    let payload = EventPayload::CustomerUpdated(CustomerUpdated {
        conversation_id: conversation(),
        customer: CustomerIdentity::from_phone(PhoneNumber::parse("491599999999").unwrap()),
        previous: Some(customer()),
        profile_name: Some("Erika".to_owned()),
    });
    assert_eq!(
        stored(payload),
        envelope(
            "customer.updated",
            json!({
                "conversation_id": conversation().as_uuid().to_string(),
                "customer": {"bsuid": null, "phone": "491599999999"},
                "previous": {"bsuid": null, "phone": "491512345678"},
                "profile_name": "Erika",
            })
        )
    );
}

#[test]
fn connection_health_and_template_status_golden() {
    let health = EventPayload::ConnectionHealth(ConnectionHealthChanged {
        phone_number_id: PhoneNumberId::parse("1234567890").unwrap(),
        health: ConnectionHealth::Invalid,
        previous: Some(ConnectionHealth::Active),
        reason: Some("token expired".to_owned()),
    });
    assert_eq!(health.customer(), None);
    assert_eq!(
        stored(health),
        envelope(
            "connection.health",
            json!({
                "phone_number_id": "1234567890",
                "health": "invalid",
                "previous": "active",
                "reason": "token expired",
            })
        )
    );
    let template = EventPayload::TemplateStatus(TemplateStatusChanged {
        template_id: Some("987".to_owned()),
        name: "order_update".to_owned(),
        language: "en_US".to_owned(),
        status: "APPROVED".to_owned(),
        reason: None,
    });
    assert_eq!(template.customer(), None);
    assert_eq!(
        stored(template),
        envelope(
            "template.status",
            json!({
                "template_id": "987",
                "name": "order_update",
                "language": "en_US",
                "status": "APPROVED",
                "reason": null,
            })
        )
    );
}

#[test]
fn an_unknown_type_does_not_parse() {
    let mut json = envelope("message.exploded", json!({}));
    json["schema"] = json!(1);
    assert!(serde_json::from_value::<Event>(json).is_err());
}

/// One payload of each type; the match makes a new type name its sample here.
fn sample(kind: EventKind) -> EventPayload {
    let change = WindowChange {
        conversation_id: conversation(),
        customer: customer(),
        expires_at: datetime!(2026-01-02 09:00:00 UTC),
    };
    match kind {
        EventKind::MessageReceived => EventPayload::for_inbound(
            message_id(),
            &InboundMessage::new(
                wamid("in"),
                customer(),
                datetime!(2026-01-01 08:59:58 UTC),
                InboundContent::Text {
                    body: "hi".to_owned(),
                },
            ),
        ),
        EventKind::MessageStatus => EventPayload::MessageStatus(MessageStatusChanged {
            message_id: message_id(),
            wamid: None,
            customer: customer(),
            status: MessageStatus::Pending,
            previous: None,
            failure: None,
            pricing: None,
        }),
        EventKind::MessageReaction => EventPayload::MessageReaction(MessageReaction {
            message_id: message_id(),
            wamid: wamid("r"),
            customer: customer(),
            reacted_to: wamid("ours"),
            emoji: None,
        }),
        EventKind::CustomerUpdated => EventPayload::CustomerUpdated(CustomerUpdated {
            conversation_id: conversation(),
            customer: customer(),
            previous: None,
            profile_name: None,
        }),
        EventKind::WindowOpened => EventPayload::WindowOpened(change),
        EventKind::WindowClosing => EventPayload::WindowClosing(change),
        EventKind::WindowClosed => EventPayload::WindowClosed(change),
        EventKind::ConnectionHealth => EventPayload::ConnectionHealth(ConnectionHealthChanged {
            phone_number_id: PhoneNumberId::parse("1234567890").unwrap(),
            health: ConnectionHealth::Active,
            previous: None,
            reason: None,
        }),
        EventKind::TemplateStatus => EventPayload::TemplateStatus(TemplateStatusChanged {
            template_id: None,
            name: "order_update".to_owned(),
            language: "en_US".to_owned(),
            status: "APPROVED".to_owned(),
            reason: None,
        }),
    }
}

#[test]
fn every_type_has_one_name_and_it_is_the_json_type() {
    let mut names: Vec<&str> = EventKind::ALL.iter().map(|kind| kind.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        EventKind::ALL.len(),
        "no two types share a name"
    );
    for &kind in EventKind::ALL {
        assert_eq!(EventKind::from_name(kind.name()), Some(kind));
        let payload = sample(kind);
        assert_eq!(payload.event_kind(), kind);
        assert_eq!(payload.kind(), kind.name());
        assert_eq!(
            stored(payload)["type"],
            kind.name(),
            "serde's name of {kind:?}"
        );
    }
    assert_eq!(EventKind::from_name("message.exploded"), None);
    assert_eq!(EventKind::from_name("Message.Status"), None);
}
