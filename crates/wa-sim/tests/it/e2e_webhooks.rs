//! End to end with our own receiver code: every webhook the simulator POSTs is checked with
//! `wa-graph`'s [`SignatureVerifier`] over the exact bytes and parsed by `wa-graph`'s parser
//! without a single problem: statuses of messages sent by `wa-graph`'s client (with our message
//! id echoed back), failures, batches under chaos, and customer messages of every type from a
//! phone user and from a username-only user (BSUID, no phone), replies, reactions and a change
//! of number.

use std::collections::HashSet;

use secrecy::SecretString;
use serde_json::json;
use wa_domain::content::{OutboundContent, Text};
use wa_domain::error_class::ErrorClass;
use wa_domain::graph::Sender;
use wa_domain::ids::{MessageId, PhoneNumber, PhoneNumberId, Recipient};
use wa_domain::inbound::{InboundContent as Inbound, SystemKind};
use wa_domain::message::{MessageKind, OutboundMessage};
use wa_domain::status::MessageStatus;
use wa_graph::{GraphClient, GraphConfig, SignatureVerifier, WebhookBatch, verify_and_parse};
use wa_sim::{
    CustomerRef, InboundContent, InboundMedia, InboundRequest, RunningSim, WebhookBehaviour,
    WindowErrorMode,
};

use crate::helpers::*;

/// A BSUID of a user who has a username and no phone number on file.
const BSUID: &str = "US.13491208655302741918";

async fn with_receiver(behaviour: WebhookBehaviour) -> (RunningSim, Receiver) {
    let receiver = Receiver::start(&[]).await;
    let sim = builder()
        .callback_url(&receiver.url)
        .webhooks(behaviour)
        .start()
        .await
        .unwrap();
    (sim, receiver)
}

/// Verifies and parses one POST the way wa's webhook receiver does; it must be clean.
fn parse(post: &Received) -> WebhookBatch {
    let verifier = SignatureVerifier::new([SECRET]).unwrap();
    let batch = verify_and_parse(&verifier, &post.body, post.signature.as_deref())
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&post.body)));
    assert!(
        batch.problems.is_empty(),
        "{:?} in {}",
        batch.problems,
        String::from_utf8_lossy(&post.body)
    );
    batch
}

fn client(sim: &RunningSim) -> GraphClient {
    let mut config = GraphConfig::with_base_url(sim.base_url());
    config.app_secret = Some(SecretString::from(SECRET));
    GraphClient::new(config).unwrap()
}

fn sender() -> Sender {
    Sender {
        phone_number_id: PhoneNumberId::parse(PNID).unwrap(),
        token: SecretString::from(TOKEN),
    }
}

fn text_to_customer(body: &str) -> OutboundMessage {
    OutboundMessage {
        recipient: Recipient::Phone(PhoneNumber::parse(format!("+{CUSTOMER}")).unwrap()),
        content: OutboundContent::Text(Text::new(body, false).unwrap()),
        reply_to: None,
    }
}

#[tokio::test]
async fn statuses_of_a_client_send_verify_and_parse_with_our_id() {
    let (sim, receiver) = with_receiver(quick_webhooks()).await;
    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
    let ours = MessageId::generate();
    let receipt = client(&sim)
        .send_message(&sender(), &text_to_customer("hello"), Some(ours))
        .await
        .unwrap();
    let received = receiver.wait_statuses(3).await;

    let mut seen = Vec::new();
    for post in &received {
        let batch = parse(post);
        assert_eq!(batch.numbers.len(), 1);
        assert_eq!(batch.numbers[0].phone_number_id.as_str(), PNID);
        assert_eq!(
            batch.numbers[0].waba_id.as_ref().map(|w| w.as_str()),
            Some(WABA)
        );
        for status in batch.statuses() {
            assert_eq!(status.update.wamid, receipt.wamid);
            assert_eq!(status.update.callback_message_id, Some(ours));
            assert_eq!(
                status
                    .recipient
                    .as_ref()
                    .and_then(|r| r.phone())
                    .map(|p| p.as_str().trim_start_matches('+').to_owned()),
                Some(CUSTOMER.to_owned())
            );
            if status.update.status != MessageStatus::Read {
                let pricing = status.update.pricing.as_ref().expect("pricing");
                assert_eq!(pricing.pricing_model.as_deref(), Some("PMP"));
                assert_eq!(pricing.category.as_deref(), Some("service"));
            }
            assert!(status.update.failure.is_none());
            seen.push(status.update.status);
        }
    }
    seen.sort_by_key(|s| format!("{s:?}"));
    assert_eq!(
        seen,
        [
            MessageStatus::Delivered,
            MessageStatus::Read,
            MessageStatus::Sent
        ]
    );
}

#[tokio::test]
async fn failed_statuses_carry_classified_errors() {
    let behaviour = WebhookBehaviour {
        fail_rate: 1.0,
        fail_code: 131026,
        ..quick_webhooks()
    };
    let (sim, receiver) = with_receiver(behaviour).await;
    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
    client(&sim)
        .send_message(&sender(), &text_to_customer("undeliverable"), None)
        .await
        .unwrap();
    let received = receiver.wait_statuses(1).await;
    let batch = parse(&received[0]);
    let status = batch.statuses().next().unwrap();
    assert_eq!(status.update.status, MessageStatus::Failed);
    let failure = status.update.failure.as_ref().unwrap();
    assert_eq!(
        (failure.code, failure.class),
        (Some(131026), ErrorClass::Permanent)
    );

    // A free-form message outside the window, refused through a webhook instead of the answer.
    sim.control().set_webhook_behaviour(quick_webhooks());
    let mut limits = sim.control().limits();
    limits.window_error = WindowErrorMode::Webhook;
    sim.control().set_limits(limits);
    let stranger = OutboundMessage {
        recipient: Recipient::Phone(PhoneNumber::parse("+15550003333").unwrap()),
        ..text_to_customer("are you there?")
    };
    let receipt = client(&sim)
        .send_message(&sender(), &stranger, None)
        .await
        .unwrap();
    let received = receiver
        .wait_until(|all| {
            all.iter()
                .flat_map(Received::statuses)
                .any(|s| s["id"] == receipt.wamid.as_str())
        })
        .await;
    let failure = received
        .iter()
        .flat_map(|post| parse(post).statuses().cloned().collect::<Vec<_>>())
        .find(|s| s.update.wamid == receipt.wamid)
        .and_then(|s| s.update.failure)
        .unwrap();
    assert_eq!(
        (failure.code, failure.class),
        (Some(131047), ErrorClass::WindowClosed)
    );
}

#[tokio::test]
async fn chaotic_batches_still_verify_and_parse() {
    let behaviour = WebhookBehaviour {
        batch_max: 50,
        batch_window_ms: 30,
        duplicate_rate: 1.0,
        reorder_rate: 1.0,
        seed: Some(7),
        ..quick_webhooks()
    };
    let (sim, receiver) = with_receiver(behaviour).await;
    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
    let client = client(&sim);
    let mut wamids = HashSet::new();
    for n in 0..5 {
        let receipt = client
            .send_message(&sender(), &text_to_customer(&format!("n{n}")), None)
            .await
            .unwrap();
        wamids.insert(receipt.wamid);
    }
    // Every update twice: 5 messages × 3 statuses × 2.
    let received = receiver.wait_statuses(30).await;
    let mut distinct = HashSet::new();
    let mut total = 0;
    for post in &received {
        for status in parse(post).statuses() {
            assert!(wamids.contains(&status.update.wamid));
            distinct.insert((status.update.wamid.clone(), status.update.status));
            total += 1;
        }
    }
    assert_eq!(total, 30);
    assert_eq!(distinct.len(), 15);
    assert!(received.len() < 30, "updates shared POSTs");
}

/// Injects `request` and returns wa-graph's reading of the POST that carried it.
async fn inject_and_parse(
    sim: &RunningSim,
    receiver: &Receiver,
    request: InboundRequest,
) -> wa_graph::webhook::event::InboundEvent {
    let result = sim.control().inject_inbound(request).unwrap();
    let holds = |post: &Received| {
        post.messages()
            .iter()
            .any(|m| m["id"] == result.wamid.as_str())
    };
    let received = receiver.wait_until(|all| all.iter().any(holds)).await;
    let post = received.iter().find(|post| holds(post)).unwrap();
    let batch = parse(post);
    batch
        .messages()
        .find(|m| m.message.wamid.as_str() == result.wamid)
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn inbound_of_every_type_from_phone_and_username_users_parses() {
    let (sim, receiver) = with_receiver(quick_webhooks()).await;
    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
    let (_, answer) = send(&sim, &text_to(CUSTOMER, "pick one")).await;
    let ours = answer["messages"][0]["id"].as_str().unwrap().to_owned();
    let media = InboundMedia {
        caption: Some("look".into()),
        ..InboundMedia::default()
    };
    let cases: Vec<(InboundContent, MessageKind)> = vec![
        (
            InboundContent::Text {
                body: "שלום 😀".into(),
            },
            MessageKind::Text,
        ),
        (InboundContent::Image(media.clone()), MessageKind::Image),
        (InboundContent::Video(media.clone()), MessageKind::Video),
        (
            InboundContent::Audio(InboundMedia {
                voice: true,
                ..InboundMedia::default()
            }),
            MessageKind::Audio,
        ),
        (
            InboundContent::Document(InboundMedia {
                filename: Some("terms.pdf".into()),
                ..media.clone()
            }),
            MessageKind::Document,
        ),
        (
            InboundContent::Sticker(InboundMedia::default()),
            MessageKind::Sticker,
        ),
        (
            InboundContent::Location {
                latitude: 32.08,
                longitude: 34.78,
                name: Some("Tel Aviv".into()),
                address: None,
                url: None,
            },
            MessageKind::Location,
        ),
        (
            InboundContent::Contacts {
                contacts: vec![json!({"name": {"formatted_name": "Bo", "first_name": "Bo"},
                                      "phones": [{"phone": "+1 555 0100", "type": "CELL"}]})],
            },
            MessageKind::Contacts,
        ),
        (
            InboundContent::ButtonReply {
                id: "yes".into(),
                title: "Yes".into(),
            },
            MessageKind::Interactive,
        ),
        (
            InboundContent::ListReply {
                id: "r1".into(),
                title: "One".into(),
                description: None,
            },
            MessageKind::Interactive,
        ),
        (
            InboundContent::FlowReply {
                response_json: r#"{"flow_token":"t"}"#.into(),
                body: None,
            },
            MessageKind::Interactive,
        ),
        (
            InboundContent::Button {
                payload: "STOP".into(),
                text: "Stop".into(),
            },
            MessageKind::Button,
        ),
        (
            InboundContent::Reaction {
                message_id: ours.clone(),
                emoji: Some("👍".into()),
            },
            MessageKind::Reaction,
        ),
        (
            InboundContent::Order {
                catalog_id: "c1".into(),
                text: None,
                product_items: vec![json!({"product_retailer_id": "p1", "quantity": 2,
                                           "item_price": 9.5, "currency": "USD"})],
            },
            MessageKind::Order,
        ),
        (
            InboundContent::Unsupported {
                original_type: "poll".into(),
            },
            MessageKind::Unsupported,
        ),
    ];
    let phone_user = CustomerRef::phone(CUSTOMER, "Ada");
    let username_user = CustomerRef::username_only(BSUID, "@ada");
    for (content, kind) in cases {
        for from in [&phone_user, &username_user] {
            let event = inject_and_parse(
                &sim,
                &receiver,
                InboundRequest::new(PNID, from.clone(), content.clone()),
            )
            .await;
            assert_eq!(event.message.content.kind(), kind, "{content:?}");
            let customer = &event.message.customer;
            if from.wa_id.is_some() {
                assert_eq!(
                    customer.phone().map(|p| p.as_str().trim_start_matches('+')),
                    Some(CUSTOMER)
                );
                assert!(customer.bsuid().is_some());
                assert_eq!(event.message.profile_name.as_deref(), Some("Ada"));
            } else {
                assert!(customer.phone().is_none(), "username-only: no phone");
                assert_eq!(customer.bsuid().map(|b| b.as_str()), Some(BSUID));
                assert_eq!(event.username.as_deref(), Some("@ada"));
            }
        }
    }

    // A reply to our message carries it as context; a reaction names it; a removal has no emoji.
    let reply = inject_and_parse(
        &sim,
        &receiver,
        InboundRequest::new(
            PNID,
            phone_user.clone(),
            InboundContent::Text {
                body: "this one".into(),
            },
        )
        .replying_to(&ours),
    )
    .await;
    let context = reply.message.context.expect("context");
    assert_eq!(
        context.message_id.map(|m| m.as_str().to_owned()),
        Some(ours.clone())
    );
    let removal = inject_and_parse(
        &sim,
        &receiver,
        InboundRequest::new(
            PNID,
            phone_user.clone(),
            InboundContent::Reaction {
                message_id: ours.clone(),
                emoji: None,
            },
        ),
    )
    .await;
    match removal.message.content {
        Inbound::Reaction { message_id, emoji } => {
            assert_eq!(message_id.as_str(), ours);
            assert_eq!(emoji, None);
        }
        other => panic!("not a reaction: {other:?}"),
    }

    // A change of number: a system message naming the new number.
    let change = inject_and_parse(
        &sim,
        &receiver,
        InboundRequest::new(
            PNID,
            phone_user,
            InboundContent::ChangedNumber {
                new_wa_id: "15559876543".into(),
            },
        ),
    )
    .await;
    assert!(!change.message.content.opens_window());
    match change.message.content {
        Inbound::System {
            kind: SystemKind::ChangedNumber { new_wa_id, .. },
            ..
        } => assert_eq!(
            new_wa_id.map(|p| p.as_str().trim_start_matches('+').to_owned()),
            Some("15559876543".to_owned())
        ),
        other => panic!("not a change of number: {other:?}"),
    }
}
