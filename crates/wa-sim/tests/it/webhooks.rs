//! Webhooks: Meta's envelope, statuses with pricing and `biz_opaque_callback_data`, signatures
//! over the escaped-Unicode body (checked with an independent HMAC), retries until exactly 200,
//! and the chaos options (batching, duplicates, reordering, drops).

use std::collections::HashMap;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use wa_sim::{
    CustomerRef, DeliveryState, InboundContent, InboundRequest, RunningSim, WebhookBehaviour,
};

use crate::helpers::*;

async fn with_receiver(script: &[u16], behaviour: WebhookBehaviour) -> (RunningSim, Receiver) {
    let receiver = Receiver::start(script).await;
    let sim = builder()
        .callback_url(&receiver.url)
        .webhooks(behaviour)
        .start()
        .await
        .unwrap();
    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
    (sim, receiver)
}

fn verify(signature: &str, body: &[u8]) -> bool {
    let Some(hex_digest) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    mac.verify_slice(&hex::decode(hex_digest).unwrap()).is_ok()
}

#[tokio::test]
async fn accepted_messages_get_sent_delivered_read_in_metas_envelope() {
    let (sim, receiver) = with_receiver(&[], quick_webhooks()).await;
    let mut body = text_to(CUSTOMER, "hi");
    body["biz_opaque_callback_data"] = json!("our-message-42");
    let (status, answer) = send(&sim, &body).await;
    assert_eq!(status, 200);
    let wamid = answer["messages"][0]["id"].as_str().unwrap().to_owned();
    let received = receiver.wait_statuses(3).await;

    let mut seen = Vec::new();
    for post in &received {
        assert!(verify(post.signature.as_deref().unwrap(), &post.body));
        let envelope = post.json();
        assert_eq!(envelope["object"], "whatsapp_business_account");
        assert_eq!(envelope["entry"][0]["id"], WABA);
        let change = &envelope["entry"][0]["changes"][0];
        assert_eq!(change["field"], "messages");
        assert_eq!(change["value"]["messaging_product"], "whatsapp");
        assert_eq!(change["value"]["metadata"]["phone_number_id"], PNID);
        assert_eq!(
            change["value"]["metadata"]["display_phone_number"],
            "15550100001"
        );
        for status in post.statuses() {
            assert_eq!(status["id"], wamid.as_str());
            assert_eq!(status["recipient_id"], CUSTOMER);
            assert_eq!(status["biz_opaque_callback_data"], "our-message-42");
            assert!(status["timestamp"].is_string());
            seen.push(status["status"].as_str().unwrap().to_owned());
            if status["status"] != "read" {
                assert_eq!(status["pricing"]["pricing_model"], "PMP");
                assert_eq!(status["pricing"]["billable"], false);
                assert_eq!(status["pricing"]["category"], "service");
                assert_eq!(status["pricing"]["type"], "free_customer_service");
            }
        }
    }
    seen.sort();
    assert_eq!(seen, ["delivered", "read", "sent"]);
}

#[tokio::test]
async fn templates_are_billable_and_categorised() {
    let (sim, receiver) = with_receiver(&[], quick_webhooks()).await;
    let body = json!({"messaging_product": "whatsapp", "to": "15550001111", "type": "template",
        "template": {"name": "greeting", "language": {"code": "en_US"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ada"}, {"type": "text", "text": "7"}]}]}});
    assert_eq!(send(&sim, &body).await.0, 200);
    let received = receiver.wait_statuses(3).await;
    let sent = received
        .iter()
        .flat_map(Received::statuses)
        .find(|s| s["status"] == "sent")
        .unwrap();
    assert_eq!(sent["pricing"]["billable"], true);
    assert_eq!(sent["pricing"]["category"], "marketing");
    assert_eq!(sent["pricing"]["type"], "regular");
}

#[tokio::test]
async fn signatures_cover_ascii_bodies_with_unicode_escapes() {
    let (sim, receiver) = with_receiver(&[], quick_webhooks()).await;
    let text = "שלום 😀 café";
    sim.control()
        .inject_inbound(InboundRequest::new(
            PNID,
            CustomerRef::phone(CUSTOMER, "דנה"),
            InboundContent::Text { body: text.into() },
        ))
        .unwrap();
    let received = receiver.wait_until(|all| !all.is_empty()).await;
    let post = &received[0];
    assert!(post.body.is_ascii(), "body must be pure ASCII");
    let raw = std::str::from_utf8(&post.body).unwrap();
    assert!(
        raw.contains(r"\u05e9\u05dc\u05d5\u05dd \ud83d\ude00 caf\u00e9"),
        "{raw}"
    );
    assert!(!raw.contains('\n'), "compact JSON");
    assert!(verify(post.signature.as_deref().unwrap(), &post.body));
    // A re-serialisation of the parsed body would not verify: that is why receivers must use
    // the raw bytes.
    let reserialised = serde_json::to_vec(&post.json()).unwrap();
    assert!(!verify(post.signature.as_deref().unwrap(), &reserialised));
    let message = &post.messages()[0];
    assert_eq!(message["text"]["body"], text);
    assert_eq!(
        post.json()["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"],
        "דנה"
    );
}

#[tokio::test]
async fn deliveries_are_retried_until_exactly_200() {
    let (sim, receiver) = with_receiver(&[500, 503, 202, 204], quick_webhooks()).await;
    sim.control()
        .inject_inbound(InboundRequest::new(
            PNID,
            CustomerRef::phone(CUSTOMER, "Ada"),
            InboundContent::Text {
                body: "retry me".into(),
            },
        ))
        .unwrap();
    let received = receiver.wait_until(|all| all.len() >= 5).await;
    assert!(received.iter().all(|r| r.body == received[0].body));
    eventually(|| {
        sim.control()
            .webhooks()
            .iter()
            .any(|d| d.state == DeliveryState::Delivered)
    })
    .await;
    let delivery = &sim.control().webhooks()[0];
    let statuses: Vec<Option<u16>> = delivery.attempts.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        [Some(500), Some(503), Some(202), Some(204), Some(200)]
    );
    // Backoff: each wait is at least the doubling delay (10, 20, 40 ms), capped at 50 ms.
    let gaps: Vec<u64> = delivery
        .attempts
        .windows(2)
        .map(|pair| pair[1].at_ms - pair[0].at_ms)
        .collect();
    for (gap, least) in gaps.iter().zip([10, 20, 40, 50]) {
        assert!(*gap >= least, "gaps {gaps:?}");
    }
}

#[tokio::test]
async fn deliveries_give_up_after_max_attempts() {
    let behaviour = WebhookBehaviour {
        max_attempts: 3,
        ..quick_webhooks()
    };
    let (sim, receiver) = with_receiver(&[500, 500, 500, 500], behaviour).await;
    sim.control()
        .inject_inbound(InboundRequest::new(
            PNID,
            CustomerRef::phone(CUSTOMER, "Ada"),
            InboundContent::Text { body: "x".into() },
        ))
        .unwrap();
    eventually(|| {
        sim.control()
            .webhooks()
            .iter()
            .any(|d| d.state == DeliveryState::GaveUp)
    })
    .await;
    assert_eq!(receiver.received().len(), 3);
}

#[tokio::test]
async fn batching_puts_several_updates_in_one_post() {
    let behaviour = WebhookBehaviour {
        batch_max: 100,
        batch_window_ms: 50,
        ..quick_webhooks()
    };
    let (sim, receiver) = with_receiver(&[], behaviour).await;
    assert_eq!(send(&sim, &text_to(CUSTOMER, "batch")).await.0, 200);
    let received = receiver.wait_statuses(3).await;
    assert_eq!(received.len(), 1, "one POST");
    assert_eq!(received[0].statuses().len(), 3);
    let contacts = &received[0].json()["entry"][0]["changes"][0]["value"]["contacts"];
    assert_eq!(
        contacts.as_array().unwrap().len(),
        1,
        "contacts listed once"
    );
}

#[tokio::test]
async fn reordering_permutes_a_batch() {
    let behaviour = WebhookBehaviour {
        batch_max: 100,
        batch_window_ms: 50,
        reorder_rate: 1.0,
        seed: Some(7),
        ..quick_webhooks()
    };
    let (sim, receiver) = with_receiver(&[], behaviour).await;
    assert_eq!(send(&sim, &text_to(CUSTOMER, "shuffle")).await.0, 200);
    let received = receiver.wait_statuses(3).await;
    let order: Vec<String> = received[0]
        .statuses()
        .iter()
        .map(|s| s["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order.len(), 3);
    assert_ne!(order, ["sent", "delivered", "read"]);
}

#[tokio::test]
async fn duplicates_deliver_updates_twice() {
    let behaviour = WebhookBehaviour {
        duplicate_rate: 1.0,
        ..quick_webhooks()
    };
    let (sim, receiver) = with_receiver(&[], behaviour).await;
    assert_eq!(send(&sim, &text_to(CUSTOMER, "twice")).await.0, 200);
    let received = receiver.wait_statuses(6).await;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for status in received.iter().flat_map(Received::statuses) {
        *counts
            .entry(status["status"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(counts.len(), 3);
    assert!(counts.values().all(|n| *n == 2), "{counts:?}");
    assert!(sim.control().webhooks().iter().any(|d| d.duplicate));
}

#[tokio::test]
async fn drops_never_send_and_are_recorded() {
    let behaviour = WebhookBehaviour {
        drop_rate: 1.0,
        ..quick_webhooks()
    };
    let (sim, receiver) = with_receiver(&[], behaviour).await;
    assert_eq!(send(&sim, &text_to(CUSTOMER, "lost")).await.0, 200);
    eventually(|| {
        sim.control()
            .webhooks()
            .iter()
            .filter(|d| d.state == DeliveryState::Dropped)
            .count()
            == 3
    })
    .await;
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn reactions_get_only_a_sent_status() {
    let (sim, receiver) = with_receiver(&[], quick_webhooks()).await;
    let (_, answer) = send(&sim, &text_to(CUSTOMER, "hi")).await;
    let wamid = answer["messages"][0]["id"].as_str().unwrap();
    let reaction = json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "reaction",
        "reaction": {"message_id": wamid, "emoji": "❤️"}});
    let (_, answer) = send(&sim, &reaction).await;
    let reaction_id = answer["messages"][0]["id"].as_str().unwrap().to_owned();
    let received = receiver.wait_statuses(4).await;
    // Let any stray delivered/read for the reaction arrive before counting.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let _ = received;
    let statuses: Vec<Value> = receiver
        .received()
        .iter()
        .flat_map(Received::statuses)
        .filter(|s| s["id"] == reaction_id.as_str())
        .collect();
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0]["status"], "sent");
}

#[tokio::test]
async fn injected_failures_send_only_a_failed_status() {
    let behaviour = WebhookBehaviour {
        fail_rate: 1.0,
        fail_code: 131026,
        ..quick_webhooks()
    };
    let (sim, receiver) = with_receiver(&[], behaviour).await;
    let (status, answer) = send(&sim, &text_to(CUSTOMER, "doomed")).await;
    assert_eq!(status, 200);
    let received = receiver.wait_statuses(1).await;
    let failed = &received[0].statuses()[0];
    assert_eq!(failed["id"], answer["messages"][0]["id"]);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["errors"][0]["code"], 131026);
    assert_eq!(failed["errors"][0]["title"], "Message Undeliverable");
    assert!(
        received[0].json()["entry"][0]["changes"][0]["value"]
            .get("contacts")
            .is_none(),
        "failed statuses carry no contacts"
    );
}

#[tokio::test]
async fn the_callback_verification_handshake_is_metas() {
    let (sim, receiver) = with_receiver(&[], quick_webhooks()).await;
    sim.control()
        .verify_callback(None, "verify-me")
        .await
        .unwrap();
    let error = sim
        .control()
        .verify_callback(Some(&receiver.url), "wrong-token")
        .await
        .unwrap_err();
    assert!(matches!(error, wa_sim::ControlError::Verification(_)));
}

/// The `status` of every status update, in the order the simulator produced its POSTs.
fn produced_statuses(sim: &RunningSim) -> Vec<String> {
    let mut deliveries = sim.control().webhooks();
    deliveries.sort_by_key(|d| d.id);
    deliveries
        .iter()
        .flat_map(|d| {
            let body: Value = serde_json::from_str(&d.body).unwrap();
            body["entry"][0]["changes"][0]["value"]["statuses"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|s| s["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn delays_set_the_order_and_no_read_delay_means_never_read() {
    // Delays in the opposite order of Meta's: the statuses come out in delay order.
    let behaviour = WebhookBehaviour {
        sent_delay_ms: 120,
        delivered_delay_ms: 60,
        read_delay_ms: Some(0),
        ..quick_webhooks()
    };
    let (sim, receiver) = with_receiver(&[], behaviour).await;
    assert_eq!(send(&sim, &text_to(CUSTOMER, "late")).await.0, 200);
    receiver.wait_statuses(3).await;
    assert_eq!(produced_statuses(&sim), ["read", "delivered", "sent"]);

    // A user who never reads: `sent` and `delivered` only. An inbound message sent afterwards
    // (no delay) is a barrier: by the time it arrives, a `read` due at once would have gone.
    sim.control().reset().unwrap();
    sim.control().set_webhook_behaviour(WebhookBehaviour {
        read_delay_ms: None,
        ..quick_webhooks()
    });
    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
    let receiver_before = receiver.received().len();
    assert_eq!(send(&sim, &text_to(CUSTOMER, "unread")).await.0, 200);
    sim.control()
        .inject_inbound(InboundRequest::new(
            PNID,
            CustomerRef::phone(CUSTOMER, "Ada"),
            InboundContent::Text {
                body: "barrier".into(),
            },
        ))
        .unwrap();
    let received = receiver
        .wait_until(|all| {
            all.iter()
                .flat_map(Received::messages)
                .any(|m| m["text"]["body"] == "barrier")
        })
        .await;
    assert_eq!(produced_statuses(&sim), ["sent", "delivered"]);
    let statuses: Vec<Value> = received[receiver_before..]
        .iter()
        .flat_map(Received::statuses)
        .collect();
    assert!(
        statuses.iter().all(|s| s["status"] != "read"),
        "{statuses:?}"
    );
}
