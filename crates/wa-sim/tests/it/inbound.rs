//! Customer behaviour: inbound messages of every type, username-only users (BSUID, no phone),
//! replies to our messages, reactions and their removal, a change of number, and the CLI.

use serde_json::{Value, json};
use wa_sim::{
    CustomerRef, InboundContent, InboundContext, InboundMedia, InboundRequest, RunningSim,
};

use crate::helpers::*;

async fn with_receiver() -> (RunningSim, Receiver) {
    let receiver = Receiver::start(&[]).await;
    let sim = builder().callback_url(&receiver.url).start().await.unwrap();
    (sim, receiver)
}

fn ada() -> CustomerRef {
    CustomerRef::phone(CUSTOMER, "Ada")
}

/// Injects `request` and returns the webhook's message item and the value that holds it
/// (found by wamid: status webhooks of earlier sends may arrive in between).
async fn inject(sim: &RunningSim, receiver: &Receiver, request: InboundRequest) -> (Value, Value) {
    let result = sim.control().inject_inbound(request).unwrap();
    let holds = |post: &Received| {
        post.messages()
            .iter()
            .any(|m| m["id"] == result.wamid.as_str())
    };
    let received = receiver.wait_until(|all| all.iter().any(holds)).await;
    let post = received.iter().find(|post| holds(post)).unwrap();
    let message = post.messages()[0].clone();
    assert_eq!(message["id"], result.wamid.as_str());
    let value = post.json()["entry"][0]["changes"][0]["value"].clone();
    (message, value)
}

#[tokio::test]
async fn every_inbound_type_has_metas_shape() {
    let (sim, receiver) = with_receiver().await;
    let cases: Vec<(InboundContent, &str, Value)> = vec![
        (
            InboundContent::Text { body: "hi".into() },
            "text",
            json!({"body": "hi"}),
        ),
        (
            InboundContent::Location {
                latitude: 1.5,
                longitude: 2.5,
                name: Some("Here".into()),
                address: None,
                url: None,
            },
            "location",
            json!({"latitude": 1.5, "longitude": 2.5, "name": "Here"}),
        ),
        (
            InboundContent::Contacts {
                contacts: vec![json!({"name": {"formatted_name": "Bo"}})],
            },
            "contacts",
            json!([{"name": {"formatted_name": "Bo"}}]),
        ),
        (
            InboundContent::ButtonReply {
                id: "yes".into(),
                title: "Yes".into(),
            },
            "interactive",
            json!({"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}),
        ),
        (
            InboundContent::ListReply {
                id: "r1".into(),
                title: "One".into(),
                description: Some("d".into()),
            },
            "interactive",
            json!({"type": "list_reply", "list_reply": {"id": "r1", "title": "One", "description": "d"}}),
        ),
        (
            InboundContent::FlowReply {
                response_json: "{\"a\":1}".into(),
                body: None,
            },
            "interactive",
            json!({"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"a\":1}"}}),
        ),
        (
            InboundContent::Button {
                payload: "STOP".into(),
                text: "Stop".into(),
            },
            "button",
            json!({"payload": "STOP", "text": "Stop"}),
        ),
        (
            InboundContent::Order {
                catalog_id: "c1".into(),
                text: None,
                product_items: vec![
                    json!({"product_retailer_id": "p", "quantity": 1, "item_price": 9.5, "currency": "USD"}),
                ],
            },
            "order",
            json!({"catalog_id": "c1", "product_items": [{"product_retailer_id": "p", "quantity": 1, "item_price": 9.5, "currency": "USD"}]}),
        ),
        (
            InboundContent::Unsupported {
                original_type: "poll".into(),
            },
            "unsupported",
            json!({"type": "poll"}),
        ),
    ];
    for (content, kind, object) in cases {
        let (message, value) =
            inject(&sim, &receiver, InboundRequest::new(PNID, ada(), content)).await;
        assert_eq!(message["type"], kind);
        assert_eq!(message[kind], object, "{kind}");
        assert_eq!(message["from"], CUSTOMER);
        assert!(message["from_user_id"].as_str().unwrap().starts_with("US."));
        assert!(message["timestamp"].is_string());
        assert_eq!(value["contacts"][0]["wa_id"], CUSTOMER);
        assert_eq!(value["contacts"][0]["profile"]["name"], "Ada");
        if kind == "unsupported" {
            assert_eq!(message["errors"][0]["code"], 131051);
        }
    }
}

#[tokio::test]
async fn media_messages_carry_downloadable_media() {
    let (sim, receiver) = with_receiver().await;
    let voice = InboundMedia {
        voice: true,
        data_base64: Some("T2dnUw==".into()),
        ..InboundMedia::default()
    };
    let (message, _) = inject(
        &sim,
        &receiver,
        InboundRequest::new(PNID, ada(), InboundContent::Audio(voice)),
    )
    .await;
    assert_eq!(message["audio"]["voice"], true);
    assert_eq!(message["audio"]["mime_type"], "audio/ogg; codecs=opus");
    assert!(message["audio"]["sha256"].is_string());
    let url = message["audio"]["url"].as_str().unwrap();
    let bytes = client()
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"OggS");
    for kind in ["image", "video", "document", "sticker"] {
        let media = InboundMedia {
            caption: Some("c".into()),
            filename: Some("f.pdf".into()),
            ..InboundMedia::default()
        };
        let content = match kind {
            "image" => InboundContent::Image(media),
            "video" => InboundContent::Video(media),
            "document" => InboundContent::Document(media),
            _ => InboundContent::Sticker(media),
        };
        let (message, _) = inject(&sim, &receiver, InboundRequest::new(PNID, ada(), content)).await;
        assert!(message[kind]["id"].is_string(), "{kind}");
        if kind == "document" {
            assert_eq!(message[kind]["filename"], "f.pdf");
        }
        if kind == "sticker" {
            assert_eq!(message[kind]["animated"], false);
        }
    }
}

#[tokio::test]
async fn username_only_users_have_no_phone_anywhere() {
    let (sim, receiver) = with_receiver().await;
    let user = CustomerRef::username_only("US.13491208655302741918", "@ada");
    let (message, value) = inject(
        &sim,
        &receiver,
        InboundRequest::new(
            PNID,
            user.clone(),
            InboundContent::Text { body: "hi".into() },
        ),
    )
    .await;
    assert!(message.get("from").is_none());
    assert_eq!(message["from_user_id"], "US.13491208655302741918");
    let contact = &value["contacts"][0];
    assert!(contact.get("wa_id").is_none());
    assert_eq!(contact["user_id"], "US.13491208655302741918");
    assert_eq!(contact["profile"]["username"], "@ada");

    // The window is open for that user; we answer by BSUID.
    let body = json!({"messaging_product": "whatsapp", "recipient": "US.13491208655302741918",
                      "type": "text", "text": {"body": "hello"}});
    let (status, answer) = send(&sim, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["contacts"][0]["input"], "US.13491208655302741918");
    assert_eq!(answer["contacts"][0]["user_id"], "US.13491208655302741918");
    assert!(answer["contacts"][0].get("wa_id").is_none());
    let received = receiver
        .wait_until(|all| all.iter().flat_map(Received::statuses).count() >= 1)
        .await;
    let status = received.iter().flat_map(Received::statuses).next().unwrap();
    assert!(status.get("recipient_id").is_none());
    assert_eq!(status["recipient_user_id"], "US.13491208655302741918");
}

#[tokio::test]
async fn replies_reactions_and_forwards_carry_context() {
    let (sim, receiver) = with_receiver().await;
    sim.control().open_window(PNID, &ada()).unwrap();
    let (_, answer) = send(&sim, &text_to(CUSTOMER, "pick one")).await;
    let ours = answer["messages"][0]["id"].as_str().unwrap().to_owned();

    let reply = InboundRequest::new(
        PNID,
        ada(),
        InboundContent::ButtonReply {
            id: "a".into(),
            title: "A".into(),
        },
    )
    .replying_to(&ours);
    let (message, _) = inject(&sim, &receiver, reply).await;
    assert_eq!(message["context"]["id"], ours.as_str());
    assert_eq!(message["context"]["from"], "15550100001");

    let react = InboundRequest::new(
        PNID,
        ada(),
        InboundContent::Reaction {
            message_id: ours.clone(),
            emoji: Some("👍".into()),
        },
    );
    let (message, _) = inject(&sim, &receiver, react).await;
    assert_eq!(
        message["reaction"],
        json!({"message_id": ours, "emoji": "👍"})
    );
    let unreact = InboundRequest::new(
        PNID,
        ada(),
        InboundContent::Reaction {
            message_id: ours.clone(),
            emoji: None,
        },
    );
    let (message, _) = inject(&sim, &receiver, unreact).await;
    assert!(
        message["reaction"].get("emoji").is_none(),
        "removal has no emoji"
    );

    let mut forwarded =
        InboundRequest::new(PNID, ada(), InboundContent::Text { body: "fw".into() });
    forwarded.context = Some(InboundContext {
        frequently_forwarded: true,
        ..InboundContext::default()
    });
    forwarded.referral = Some(json!({"source_type": "ad", "source_id": "1", "ctwa_clid": "x"}));
    let (message, _) = inject(&sim, &receiver, forwarded).await;
    assert_eq!(message["context"], json!({"frequently_forwarded": true}));
    assert_eq!(message["referral"]["source_type"], "ad");
}

#[tokio::test]
async fn inbound_messages_can_be_marked_read_with_a_typing_indicator() {
    let (sim, _receiver) = with_receiver().await;
    let result = sim
        .control()
        .inject_inbound(InboundRequest::new(
            PNID,
            ada(),
            InboundContent::Text { body: "hi".into() },
        ))
        .unwrap();
    let body = json!({"messaging_product": "whatsapp", "status": "read", "message_id": result.wamid,
                      "typing_indicator": {"type": "text"}});
    let (status, answer) = send(&sim, &body).await;
    assert_eq!((status, answer), (200, json!({"success": true})));
    let reads = sim.control().reads();
    assert_eq!(reads.len(), 1);
    assert!(reads[0].typing_indicator);
}

#[tokio::test]
async fn a_change_of_number_is_a_system_message_and_moves_the_user() {
    let (sim, receiver) = with_receiver().await;
    let (first, _) = inject(
        &sim,
        &receiver,
        InboundRequest::new(PNID, ada(), InboundContent::Text { body: "hi".into() }),
    )
    .await;
    let user_id = first["from_user_id"].as_str().unwrap().to_owned();
    let change = InboundRequest::new(
        PNID,
        ada(),
        InboundContent::ChangedNumber {
            new_wa_id: "15557770000".into(),
        },
    );
    let (message, value) = inject(&sim, &receiver, change).await;
    assert_eq!(message["type"], "system");
    assert_eq!(message["system"]["type"], "user_changed_number");
    assert_eq!(message["system"]["wa_id"], "15557770000");
    assert!(
        value.get("contacts").is_none(),
        "system messages have no contacts"
    );
    // The same user (same BSUID) now writes from the new number.
    let (next, _) = inject(
        &sim,
        &receiver,
        InboundRequest::new(
            PNID,
            CustomerRef {
                user_id: Some(user_id.clone()),
                ..CustomerRef::default()
            },
            InboundContent::Text {
                body: "new phone".into(),
            },
        ),
    )
    .await;
    assert_eq!(next["from"], "15557770000");
    assert_eq!(next["from_user_id"], user_id.as_str());

    let change_id = InboundRequest::new(
        PNID,
        CustomerRef {
            user_id: Some(user_id.clone()),
            ..CustomerRef::default()
        },
        InboundContent::ChangedUserId {
            new_user_id: "US.999".into(),
        },
    );
    let (message, _) = inject(&sim, &receiver, change_id).await;
    assert_eq!(message["system"]["type"], "user_changed_user_id");
    assert_eq!(message["system"]["user_id"], "US.999");
}

#[tokio::test]
async fn the_control_api_and_the_cli_inject_too() {
    let (sim, receiver) = with_receiver().await;
    let answer: Value = client()
        .post(format!("{}/_sim/inbound", sim.base_url()))
        .json(
            &json!({"phone_number_id": PNID, "from": {"wa_id": CUSTOMER, "name": "Ada"},
                      "type": "reaction", "message_id": "wamid.x", "emoji": "🎉"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer["wamid"].as_str().unwrap().starts_with("wamid."));
    receiver.wait_until(|all| !all.is_empty()).await;

    let binary = env!("CARGO_BIN_EXE_wa-sim");
    let base = sim.base_url().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(binary)
            .args([
                "inbound",
                "--sim",
                &base,
                "--to",
                PNID,
                "--from",
                "15550002222",
                "--text",
                "from the CLI",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(printed["wamid"].is_string());
    receiver
        .wait_until(|all| {
            all.iter()
                .flat_map(Received::messages)
                .any(|m| m["text"]["body"] == "from the CLI")
        })
        .await;

    let webhooks: Value = client()
        .get(format!("{}/_sim/webhooks", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(webhooks.as_array().unwrap().len() >= 2);
}
