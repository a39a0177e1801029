//! The message types added after the first set, each sent through the client and compared with
//! Meta's own documented example of it (the `examples` of `POST /{Phone-Number-ID}/messages` in
//! Meta's OpenAPI description, `business-messaging-api_v23.0.yaml`, or where it has none the
//! request of Meta's guide for the type; placeholders filled in), then
//! pinned whole as an insta snapshot (`snapshots/`), so any change of a public wire shape shows.

use serde_json::{Value, json};
use wa_domain::{
    content::{
        CallPermissionRequest, FlowAction, FlowMessage, FlowMessageFields, FlowMode, Interactive,
        InteractiveHeader, JsonObject, LocationRequest, MAX_FLOW_DATA_BYTES, MAX_RAW_BYTES,
        OutboundContent, RawContent, RawKind,
    },
    ids::{MessageId, PhoneNumber, Recipient, WaMessageId},
    message::OutboundMessage,
};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::support::{PNID, client, sender};

const OUR_ID: &str = "01920000-0000-7000-8000-000000000002";
const PHONE: &str = "16505551234";
const QUOTED: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUI=";

/// The body Meta receives when the client sends `content` (replying to `reply_to`).
async fn sent_body(content: OutboundContent, reply_to: Option<&str>) -> Value {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PNID}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": format!("+{PHONE}"), "wa_id": PHONE}],
            "messages": [{"id": "wamid.SENT"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let message = OutboundMessage {
        recipient: Recipient::Phone(PhoneNumber::parse(PHONE).unwrap()),
        content,
        reply_to: reply_to.map(|wamid| WaMessageId::parse(wamid).unwrap()),
    };
    let our_id: MessageId = serde_json::from_value(json!(OUR_ID)).unwrap();
    client(&server)
        .send_message(&sender(), &message, Some(our_id))
        .await
        .expect("the send succeeds");
    let requests = server.received_requests().await.unwrap();
    requests[0].body_json().unwrap()
}

/// Meta's example envelope around `object` of `kind`, as the client writes it to our number:
/// the same fields plus our id as `biz_opaque_callback_data`.
fn meta_example(kind: &str, object: Value) -> Value {
    let mut example = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": format!("+{PHONE}"),
        "type": kind,
        "biz_opaque_callback_data": OUR_ID,
    });
    example[kind] = object;
    example
}

fn flow(change: impl FnOnce(&mut FlowMessageFields)) -> OutboundContent {
    let mut fields = FlowMessageFields {
        header: Some(InteractiveHeader::Text {
            text: "<HEADER_TEXT>".into(),
        }),
        body: "<BODY_TEXT>".into(),
        footer: Some("<FOOTER_TEXT>".into()),
        flow_id: Some("1234567890".into()),
        flow_name: None,
        flow_cta: "Open Flow!".into(),
        mode: FlowMode::Published,
        flow_token: Some("<FLOW_TOKEN>".into()),
        flow_action: FlowAction::Navigate,
        screen: Some("<SCREEN_ID>".into()),
        data: Some(
            JsonObject::new(
                "data",
                json!({"<CUSTOM_KEY>": "<CUSTOM_VALUE>"}),
                MAX_FLOW_DATA_BYTES,
            )
            .unwrap(),
        ),
    };
    change(&mut fields);
    OutboundContent::Interactive(Interactive::Flow(FlowMessage::new(fields).unwrap()))
}

/// Meta's "Send Published Flow by ID".
#[tokio::test]
async fn flow_published_by_id_is_metas_example() {
    let body = sent_body(flow(|_| {}), None).await;
    let expected = meta_example(
        "interactive",
        json!({
            "type": "flow",
            "header": {"type": "text", "text": "<HEADER_TEXT>"},
            "body": {"text": "<BODY_TEXT>"},
            "footer": {"text": "<FOOTER_TEXT>"},
            "action": {"name": "flow", "parameters": {
                "flow_message_version": "3",
                "flow_token": "<FLOW_TOKEN>",
                "flow_id": "1234567890",
                "flow_cta": "Open Flow!",
                "flow_action": "navigate",
                "flow_action_payload": {"screen": "<SCREEN_ID>", "data": {"<CUSTOM_KEY>": "<CUSTOM_VALUE>"}}
            }}
        }),
    );
    assert_eq!(body, expected);
    insta::assert_json_snapshot!("flow_published_by_id", body);
}

/// Meta's "Send Draft Flow by Name".
#[tokio::test]
async fn flow_draft_by_name_is_metas_example() {
    let content = flow(|f| {
        f.flow_id = None;
        f.flow_name = Some("appointment_booking".into());
        f.mode = FlowMode::Draft;
        f.flow_cta = "Not shown in draft mode".into();
    });
    let body = sent_body(content, None).await;
    let parameters = &body["interactive"]["action"]["parameters"];
    assert_eq!(parameters["mode"], "draft");
    assert_eq!(parameters["flow_name"], "appointment_booking");
    assert!(parameters.get("flow_id").is_none(), "{body}");
    insta::assert_json_snapshot!("flow_draft_by_name", body);
}

/// A `data_exchange` Flow, replying in context: no payload, the context on the envelope.
#[tokio::test]
async fn flow_data_exchange_in_reply_has_no_payload() {
    let content = flow(|f| {
        f.flow_action = FlowAction::DataExchange;
        f.screen = None;
        f.data = None;
        f.header = None;
        f.footer = None;
    });
    let body = sent_body(content, Some(QUOTED)).await;
    assert_eq!(body["context"], json!({"message_id": QUOTED}));
    let parameters = &body["interactive"]["action"]["parameters"];
    assert_eq!(parameters["flow_action"], "data_exchange");
    assert!(parameters.get("flow_action_payload").is_none(), "{body}");
    insta::assert_json_snapshot!("flow_data_exchange_in_reply", body);
}

/// Meta's guide "Location request messages": body and a `send_location` action, nothing else.
#[tokio::test]
async fn location_request_is_metas_example() {
    let text = "Let's start with your pickup. You can either manually *enter an address* or *share your current location*.";
    let content = OutboundContent::Interactive(Interactive::LocationRequest(
        LocationRequest::new(text).unwrap(),
    ));
    let body = sent_body(content, Some(QUOTED)).await;
    let mut expected = meta_example(
        "interactive",
        json!({
            "type": "location_request_message",
            "body": {"text": text},
            "action": {"name": "send_location"}
        }),
    );
    expected["context"] = json!({"message_id": QUOTED});
    assert_eq!(body, expected);
    insta::assert_json_snapshot!("location_request_in_reply", body);
}

/// The passthrough with Meta's "Send Catalog Message" object: forwarded exactly as given.
#[tokio::test]
async fn raw_interactive_is_forwarded_as_given() {
    let object = json!({
        "type": "catalog_message",
        "body": {"text": "Hello! Thanks for your interest. Ordering is easy. Just visit our catalog and add items to purchase."},
        "action": {"name": "catalog_message", "parameters": {"thumbnail_product_retailer_id": "2lc20305pt"}},
        "footer": {"text": "Best grocery deals on WhatsApp!"}
    });
    let raw = RawContent::new(
        RawKind::Interactive,
        JsonObject::new("object", object.clone(), MAX_RAW_BYTES).unwrap(),
    )
    .unwrap();
    let body = sent_body(OutboundContent::Raw(raw), None).await;
    assert_eq!(body, meta_example("interactive", object));
    insta::assert_json_snapshot!("raw_interactive_catalog_message", body);
}

/// A raw template (Meta's "Send Flow Template Message") goes under `template`, as given.
#[tokio::test]
async fn raw_template_is_forwarded_as_given() {
    let object = json!({
        "name": "<TEMPLATE_NAME>",
        "language": {"code": "en_US"},
        "components": [{"type": "button", "sub_type": "flow", "index": "0", "parameters": [
            {"type": "action", "action": {"flow_token": "<FLOW_TOKEN>", "flow_action_data": {"<CUSTOM_KEY>": "<CUSTOM_VALUE>"}}}
        ]}]
    });
    let raw = RawContent::new(
        RawKind::Template,
        JsonObject::new("object", object.clone(), MAX_RAW_BYTES).unwrap(),
    )
    .unwrap();
    let body = sent_body(OutboundContent::Raw(raw), None).await;
    assert_eq!(body, meta_example("template", object));
    insta::assert_json_snapshot!("raw_template_flow_button", body);
}

/// Meta's "Send call permission request" (`InteractiveObject` type `call_permission_request`).
#[tokio::test]
async fn call_permission_request_is_metas_example() {
    let text = "We would like to call you to help support your query on Order No: ON-12853.";
    let content = OutboundContent::Interactive(Interactive::CallPermissionRequest(
        CallPermissionRequest::new(text).unwrap(),
    ));
    let body = sent_body(content, None).await;
    let expected = meta_example(
        "interactive",
        json!({
            "type": "call_permission_request",
            "action": {"name": "call_permission_request"},
            "body": {"text": text}
        }),
    );
    assert_eq!(body, expected);
    insta::assert_json_snapshot!("call_permission_request", body);
}
