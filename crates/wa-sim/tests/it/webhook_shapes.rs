//! The simulator's webhook bodies, pinned whole as insta snapshots (`snapshots/`): every inbound
//! message type, every status (and the failed status with its errors) and every account and
//! template field it sends. A change of any of these public shapes is a visible diff.
//!
//! The simulator's clock is a [`ManualClock`], so timestamps are fixed; the identifiers it draws
//! at random (wamids, media ids) are replaced by named placeholders before the snapshot, each
//! taken from what the simulator answered, and so is its base URL (a free port) in media URLs;
//! nothing else in the body is hidden.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use wa_sim::{
    CustomerRef, InboundContent, InboundContext, InboundMedia, InboundRequest, ManualClock,
    NumberConfig, QualityChange, RunningSim, SimConfig, SimulatorBuilder, TemplateConfig,
    WebhookBehaviour, WindowErrorMode,
};

use crate::helpers::{
    CUSTOMER, DISPLAY, PNID, Receiver, SECRET, TOKEN, WABA, builder, quick_webhooks, send, text_to,
};

/// The simulator's time: 2026-01-01T00:00:00Z.
const NOW: Duration = Duration::from_secs(1_767_225_600);

/// A simulator on a manual clock that posts its webhooks to a fresh receiver, one update per POST.
async fn start(
    change: impl FnOnce(SimulatorBuilder) -> SimulatorBuilder,
) -> (RunningSim, Receiver) {
    let receiver = Receiver::start(&[]).await;
    let mut template = TemplateConfig::new("order_update", "en_US", "UTILITY", "Your order {{1}}");
    template.id = Some("700000000000001".into());
    let sim = change(builder())
        .clock(Arc::new(ManualClock::new(NOW)))
        .template(template)
        .callback_url(&receiver.url)
        .start()
        .await
        .expect("simulator starts");
    (sim, receiver)
}

/// The `count`-th POST's body (1-based), once it arrived, with each `(value, placeholder)`
/// replaced.
async fn body(receiver: &Receiver, count: usize, placeholders: &[(&str, &str)]) -> Value {
    let received = receiver.wait_until(|all| all.len() >= count).await;
    let mut text = String::from_utf8(received[count - 1].body.to_vec()).expect("UTF-8 body");
    for (value, placeholder) in placeholders {
        assert!(!value.is_empty());
        text = text.replace(value, placeholder);
    }
    serde_json::from_str(&text).expect("a JSON body")
}

/// Injects `content` from the customer and returns the webhook body it caused.
async fn inbound(content: InboundContent) -> Value {
    inbound_request(|request| request, content).await
}

async fn inbound_request(
    change: impl FnOnce(InboundRequest) -> InboundRequest,
    content: InboundContent,
) -> Value {
    let (sim, receiver) = start(|builder| builder).await;
    let request = change(InboundRequest::new(
        PNID,
        CustomerRef::phone(CUSTOMER, "Ada"),
        content,
    ));
    let result = sim.control().inject_inbound(request).expect("injected");
    let mut placeholders = vec![
        (result.wamid.clone(), "<inbound wamid>"),
        (sim.base_url().to_owned(), "<simulator>"),
    ];
    if let Some(media_id) = &result.media_id {
        placeholders.push((media_id.clone(), "<media id>"));
    }
    let placeholders: Vec<(&str, &str)> = placeholders
        .iter()
        .map(|(value, placeholder)| (value.as_str(), *placeholder))
        .collect();
    let body = body(&receiver, 1, &placeholders).await;
    sim.shutdown().await;
    body
}

fn media() -> InboundMedia {
    InboundMedia {
        data_base64: Some("aGVsbG8=".into()),
        ..InboundMedia::default()
    }
}

#[tokio::test]
async fn inbound_text() {
    insta::assert_json_snapshot!(
        "inbound_text",
        inbound(InboundContent::Text {
            body: "Hello שלום 👋".into()
        })
        .await
    );
}

#[tokio::test]
async fn inbound_text_replying_forwarded_from_an_ad() {
    let body = inbound_request(
        |mut request| {
            request.context = Some(InboundContext {
                reply_to: Some("wamid.OURS".into()),
                forwarded: true,
                ..InboundContext::default()
            });
            request.referral = Some(json!({
                "source_url": "https://fb.me/ad", "source_type": "ad", "source_id": "1234",
                "headline": "Sale", "body": "Today only", "media_type": "image",
                "ctwa_clid": "clid-1"
            }));
            request
        },
        InboundContent::Text { body: "Yes".into() },
    )
    .await;
    insta::assert_json_snapshot!("inbound_text_in_context", body);
}

#[tokio::test]
async fn inbound_text_from_a_username_only_user() {
    let (sim, receiver) = start(|builder| builder).await;
    let result = sim
        .control()
        .inject_inbound(InboundRequest::new(
            PNID,
            CustomerRef::username_only("US.13491208655302741918", "@ada"),
            InboundContent::Text { body: "Hi".into() },
        ))
        .expect("injected");
    let body = body(&receiver, 1, &[(&result.wamid, "<inbound wamid>")]).await;
    insta::assert_json_snapshot!("inbound_text_username_only", body);
    sim.shutdown().await;
}

#[tokio::test]
async fn inbound_media_of_every_kind() {
    let voice = InboundMedia {
        voice: true,
        ..media()
    };
    let document = InboundMedia {
        caption: Some("The invoice".into()),
        filename: Some("invoice.pdf".into()),
        mime_type: Some("application/pdf".into()),
        ..media()
    };
    let image = InboundMedia {
        caption: Some("A photo".into()),
        ..media()
    };
    let sticker = InboundMedia {
        animated: true,
        ..media()
    };
    insta::assert_json_snapshot!("inbound_image", inbound(InboundContent::Image(image)).await);
    insta::assert_json_snapshot!(
        "inbound_video",
        inbound(InboundContent::Video(media())).await
    );
    insta::assert_json_snapshot!(
        "inbound_audio_voice",
        inbound(InboundContent::Audio(voice)).await
    );
    insta::assert_json_snapshot!(
        "inbound_document",
        inbound(InboundContent::Document(document)).await
    );
    insta::assert_json_snapshot!(
        "inbound_sticker",
        inbound(InboundContent::Sticker(sticker)).await
    );
}

#[tokio::test]
async fn inbound_location_and_contacts() {
    insta::assert_json_snapshot!(
        "inbound_location",
        inbound(InboundContent::Location {
            latitude: 32.0853,
            longitude: 34.7818,
            name: Some("Office".into()),
            address: Some("1 Main St".into()),
            url: Some("https://example.com".into()),
        })
        .await
    );
    insta::assert_json_snapshot!(
        "inbound_contacts",
        inbound(InboundContent::Contacts {
            contacts: vec![json!({
                "name": {"formatted_name": "Grace Hopper", "first_name": "Grace"},
                "phones": [{"phone": "+1 555 010 0002", "type": "CELL", "wa_id": "15550100002"}]
            })],
        })
        .await
    );
}

#[tokio::test]
async fn inbound_interactive_replies() {
    insta::assert_json_snapshot!(
        "inbound_button_reply",
        inbound(InboundContent::ButtonReply {
            id: "yes".into(),
            title: "Yes".into()
        })
        .await
    );
    insta::assert_json_snapshot!(
        "inbound_list_reply",
        inbound(InboundContent::ListReply {
            id: "row-1".into(),
            title: "First".into(),
            description: Some("The first row".into()),
        })
        .await
    );
    insta::assert_json_snapshot!(
        "inbound_flow_reply",
        inbound(InboundContent::FlowReply {
            response_json: r#"{"flow_token":"T","answer":"42"}"#.into(),
            body: None,
        })
        .await
    );
    insta::assert_json_snapshot!(
        "inbound_call_permission_reply",
        inbound(InboundContent::CallPermissionReply {
            response: "accept".into(),
            is_permanent: false,
            expiration_timestamp: Some(1_767_830_400),
        })
        .await
    );
    insta::assert_json_snapshot!(
        "inbound_template_button",
        inbound(InboundContent::Button {
            payload: "STOP".into(),
            text: "Stop promotions".into()
        })
        .await
    );
}

#[tokio::test]
async fn inbound_reaction_order_unsupported_and_system() {
    insta::assert_json_snapshot!(
        "inbound_reaction",
        inbound(InboundContent::Reaction {
            message_id: "wamid.OURS".into(),
            emoji: Some("👍".into()),
        })
        .await
    );
    insta::assert_json_snapshot!(
        "inbound_order",
        inbound(InboundContent::Order {
            catalog_id: "catalog-1".into(),
            text: Some("Two please".into()),
            product_items: vec![json!({
                "product_retailer_id": "sku-1", "quantity": 2, "item_price": 9.5, "currency": "USD"
            })],
        })
        .await
    );
    insta::assert_json_snapshot!(
        "inbound_unsupported",
        inbound(InboundContent::Unsupported {
            original_type: "poll".into()
        })
        .await
    );
    insta::assert_json_snapshot!(
        "inbound_system_changed_number",
        inbound(InboundContent::ChangedNumber {
            new_wa_id: "15550100003".into()
        })
        .await
    );
    insta::assert_json_snapshot!(
        "inbound_system_changed_user_id",
        inbound(InboundContent::ChangedUserId {
            new_user_id: "US.99".into()
        })
        .await
    );
}

/// Opens the customer's window, sends a text and returns its wamid.
async fn send_text(sim: &RunningSim) -> String {
    sim.control()
        .inject_inbound(InboundRequest::new(
            PNID,
            CustomerRef::phone(CUSTOMER, "Ada"),
            InboundContent::Text { body: "Hi".into() },
        ))
        .expect("injected");
    let (status, answer) = send(sim, &text_to(CUSTOMER, "Hello")).await;
    assert_eq!(status, 200, "{answer}");
    answer["messages"][0]["id"]
        .as_str()
        .expect("a wamid")
        .to_owned()
}

#[tokio::test]
async fn statuses_sent_delivered_read() {
    let (sim, receiver) = start(|builder| builder).await;
    let wamid = send_text(&sim).await;
    // POST 1 is the customer's message; 2, 3 and 4 the statuses, in order (no delays, no jitter).
    let mut bodies = Vec::new();
    for count in 2..=4 {
        bodies.push(body(&receiver, count, &[(&wamid, "<sent wamid>")]).await);
    }
    let status_of =
        |body: &Value| body["entry"][0]["changes"][0]["value"]["statuses"][0]["status"].clone();
    let mut by_status: Vec<(String, Value)> = bodies
        .into_iter()
        .map(|body| {
            (
                status_of(&body).as_str().unwrap_or_default().to_owned(),
                body,
            )
        })
        .collect();
    by_status.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<&str> = by_status.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["delivered", "read", "sent"]);
    for (name, body) in by_status {
        insta::assert_json_snapshot!(format!("status_{name}"), body);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn status_sent_before_webhook_version_24_carries_the_conversation() {
    let (sim, receiver) = start(|builder| {
        let mut config = SimConfig::base();
        config.webhook_version = "v23.0".into();
        builder.config(SimConfig {
            numbers: vec![NumberConfig::new(PNID, WABA, TOKEN, DISPLAY)],
            app_secret: Some(SECRET.into()),
            webhooks: quick_webhooks(),
            ..config
        })
    })
    .await;
    let wamid = send_text(&sim).await;
    let body = receiver
        .wait_until(|all| {
            all.iter()
                .any(|post| post.statuses().iter().any(|s| s["status"] == "sent"))
        })
        .await
        .into_iter()
        .find(|post| post.statuses().iter().any(|s| s["status"] == "sent"))
        .map(|post| {
            String::from_utf8(post.body.to_vec())
                .expect("UTF-8")
                .replace(&wamid, "<sent wamid>")
        })
        .expect("a sent status");
    insta::assert_json_snapshot!(
        "status_sent_v23",
        serde_json::from_str::<Value>(&body).unwrap()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn failed_statuses_carry_their_errors() {
    let (sim, receiver) = start(|builder| builder.window_error(WindowErrorMode::Webhook)).await;
    let (status, answer) = send(&sim, &text_to(CUSTOMER, "Hello")).await;
    assert_eq!(status, 200, "{answer}");
    let wamid = answer["messages"][0]["id"].as_str().expect("a wamid");
    insta::assert_json_snapshot!(
        "status_failed_window_closed",
        body(&receiver, 1, &[(wamid, "<sent wamid>")]).await
    );
    sim.shutdown().await;

    let (sim, receiver) = start(|builder| {
        builder.webhooks(WebhookBehaviour {
            fail_rate: 1.0,
            fail_code: 131026,
            ..quick_webhooks()
        })
    })
    .await;
    let wamid = send_text(&sim).await;
    insta::assert_json_snapshot!(
        "status_failed_undeliverable",
        body(&receiver, 2, &[(&wamid, "<sent wamid>")]).await
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn account_and_template_fields() {
    let (sim, receiver) = start(|builder| builder).await;
    let control = sim.control();
    control.account_update(WABA, "ACCOUNT_RESTRICTION", Some(PNID));
    insta::assert_json_snapshot!("account_update", body(&receiver, 1, &[]).await);
    control
        .update_number_quality(
            PNID,
            QualityChange {
                event: "DOWNGRADE".into(),
                quality_rating: Some("YELLOW".into()),
                throughput_mps: None,
                messaging_limit_tier: Some("TIER_1K".into()),
            },
        )
        .expect("a known number");
    insta::assert_json_snapshot!("phone_number_quality_update", body(&receiver, 2, &[]).await);
    control
        .set_template_status("order_update", "en_US", "PAUSED", Some("LOW_QUALITY"))
        .expect("a known template");
    insta::assert_json_snapshot!(
        "message_template_status_update",
        body(&receiver, 3, &[]).await
    );
    control
        .set_template_quality("order_update", "en_US", "RED")
        .expect("a known template");
    insta::assert_json_snapshot!(
        "message_template_quality_update",
        body(&receiver, 4, &[]).await
    );
    sim.shutdown().await;
}
