//! Sending every outbound content type: method, versioned path, bearer token, `appsecret_proof`,
//! the exact JSON body Meta documents (cloud-api.md §1.2-1.3), and the parse of the answer.

use serde_json::{Value, json};
use wa_domain::{
    content::{
        Audio, BodyParameter, ContactAddress, ContactCard, ContactEmail, ContactName, ContactOrg,
        ContactPhone, ContactUrl, Contacts, CtaUrl, CtaUrlFields, Currency, DateTime, Document,
        HeaderParameter, Image, Interactive, InteractiveHeader, ListMessage, ListMessageFields,
        ListRow, ListSection, Location, MediaSource, OutboundContent, Reaction, ReplyButton,
        ReplyButtons, ReplyButtonsFields, Sticker, Template, TemplateButton, TemplateFields, Text,
        Video,
    },
    error_class::ErrorClass,
    graph::SendReceipt,
    ids::{Bsuid, LanguageCode, MessageId, PhoneNumber, Recipient, TemplateName, WaMessageId},
    message::OutboundMessage,
};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path, query_param, query_param_is_missing},
};

use crate::support::{PNID, PROOF, TOKEN, client, client_with, sender};

/// Our id of the message, echoed by Meta as `biz_opaque_callback_data`.
const OUR_ID: &str = "01920000-0000-7000-8000-000000000001";
/// The customer's number as stored (digits only).
const PHONE: &str = "15551234567";
/// The wamid of the customer's message we quote or react to.
const QUOTED: &str = "wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQUI=";
/// Meta's id of the message we send.
const SENT: &str = "wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI5QTND";

fn our_id() -> MessageId {
    serde_json::from_value(json!(OUR_ID)).expect("a UUID v7")
}

fn to_phone() -> Recipient {
    Recipient::Phone(PhoneNumber::parse(PHONE).expect("a valid number"))
}

fn media_id(id: &str) -> MediaSource {
    MediaSource::id(id).expect("a valid media id")
}

fn link(url: &str) -> MediaSource {
    MediaSource::link(url).expect("an https URL")
}

fn location() -> Location {
    Location::new(
        32.0853,
        34.781768,
        Some("Dizengoff Center".to_owned()),
        Some("Dizengoff St 50, Tel Aviv".to_owned()),
    )
    .expect("a valid location")
}

/// Meta's success answer for a phone recipient.
fn success_body() -> Value {
    json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": format!("+{PHONE}"), "wa_id": PHONE}],
        "messages": [{"id": SENT}]
    })
}

/// Serves `answer` on the messages endpoint when the request carries the bearer token and the
/// proof, sends `message` with our id, and returns the receipt and the JSON body Meta received.
async fn send_with(message: &OutboundMessage, answer: Value) -> (SendReceipt, Value) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PNID}/messages")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(query_param("appsecret_proof", PROOF))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .expect(1)
        .mount(&server)
        .await;
    let receipt = client(&server)
        .send_message(&sender(), message, Some(our_id()))
        .await
        .expect("the send succeeds");
    let requests = server.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 1, "exactly one call");
    let body = requests[0].body_json::<Value>().expect("a JSON body");
    (receipt, body)
}

/// Sends `content` to the phone number and asserts the exact body: the envelope plus `typed`
/// under `"type": kind`, then pins it whole as the insta snapshot `snapshot` (`snapshots/`), so a
/// change of Meta's send body for any content type is a visible diff.
async fn assert_sends(snapshot: &str, content: OutboundContent, kind: &str, typed: Value) {
    let message = OutboundMessage {
        recipient: to_phone(),
        content,
        reply_to: None,
    };
    let (receipt, body) = send_with(&message, success_body()).await;
    let mut expected = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": format!("+{PHONE}"),
        "biz_opaque_callback_data": OUR_ID,
        "type": kind,
    });
    expected[kind] = typed;
    assert_eq!(body, expected);
    insta::assert_json_snapshot!(snapshot, body);
    assert_eq!(receipt.wamid.as_str(), SENT);
    assert_eq!(receipt.wa_id.as_deref(), Some(PHONE));
}

#[tokio::test]
async fn text_goes_to_the_phone_number_with_a_plus_and_our_id() {
    assert_sends(
        "text_goes_to_the_phone_number_with_a_plus_and_our_id",
        OutboundContent::Text(Text::new("Hello https://example.com", true).unwrap()),
        "text",
        json!({"body": "Hello https://example.com", "preview_url": true}),
    )
    .await;
}

#[tokio::test]
async fn a_reply_carries_the_context_and_the_success_answer_is_read() {
    let message = OutboundMessage {
        recipient: to_phone(),
        content: OutboundContent::Text(Text::new("שלום 👋", false).unwrap()),
        reply_to: Some(WaMessageId::parse(QUOTED).unwrap()),
    };
    let answer = json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+15551234567", "wa_id": "15551234567"}],
        "messages": [{"id": SENT, "message_status": "accepted"}]
    });
    let (receipt, body) = send_with(&message, answer).await;
    assert_eq!(
        body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+15551234567",
            "context": {"message_id": QUOTED},
            "biz_opaque_callback_data": OUR_ID,
            "type": "text",
            "text": {"body": "שלום 👋", "preview_url": false}
        })
    );
    insta::assert_json_snapshot!("text_in_reply", body);
    assert_eq!(
        receipt,
        SendReceipt {
            wamid: WaMessageId::parse(SENT).unwrap(),
            wa_id: Some(PHONE.to_owned()),
            user_id: None,
            message_status: Some("accepted".to_owned()),
        }
    );
}

#[tokio::test]
async fn a_bsuid_recipient_is_sent_as_recipient_and_its_user_id_comes_back() {
    let bsuid = "US.13491208655302741918";
    let message = OutboundMessage {
        recipient: Recipient::User(Bsuid::parse(bsuid).unwrap()),
        content: OutboundContent::Text(Text::new("hi", false).unwrap()),
        reply_to: None,
    };
    let answer = json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": bsuid, "user_id": bsuid}],
        "messages": [{"id": SENT, "message_status": "held_for_quality_assessment"}]
    });
    let (receipt, body) = send_with(&message, answer).await;
    assert_eq!(
        body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "recipient": bsuid,
            "biz_opaque_callback_data": OUR_ID,
            "type": "text",
            "text": {"body": "hi", "preview_url": false}
        })
    );
    assert!(body.get("to").is_none(), "no `to` for a BSUID");
    insta::assert_json_snapshot!("text_to_a_bsuid", body);
    assert_eq!(receipt.wa_id, None);
    assert_eq!(receipt.user_id.as_ref().map(Bsuid::as_str), Some(bsuid));
    assert_eq!(
        receipt.message_status.as_deref(),
        Some("held_for_quality_assessment")
    );
}

#[tokio::test]
async fn image_by_id_with_caption() {
    assert_sends(
        "image_by_id_with_caption",
        OutboundContent::Image(
            Image::new(media_id("1013859600285441"), Some("The menu".into())).unwrap(),
        ),
        "image",
        json!({"id": "1013859600285441", "caption": "The menu"}),
    )
    .await;
}

#[tokio::test]
async fn video_by_link_without_caption() {
    assert_sends(
        "video_by_link_without_caption",
        OutboundContent::Video(Video::new(link("https://cdn.example.com/clip.mp4"), None).unwrap()),
        "video",
        json!({"link": "https://cdn.example.com/clip.mp4"}),
    )
    .await;
}

#[tokio::test]
async fn audio_by_id() {
    assert_sends(
        "audio_by_id",
        OutboundContent::Audio(Audio::new(media_id("5678"))),
        "audio",
        json!({"id": "5678"}),
    )
    .await;
}

#[tokio::test]
async fn document_with_caption_and_filename() {
    assert_sends(
        "document_with_caption_and_filename",
        OutboundContent::Document(
            Document::new(
                link("https://cdn.example.com/invoice.pdf"),
                Some("Your invoice".into()),
                Some("invoice-42.pdf".into()),
            )
            .unwrap(),
        ),
        "document",
        json!({
            "link": "https://cdn.example.com/invoice.pdf",
            "caption": "Your invoice",
            "filename": "invoice-42.pdf"
        }),
    )
    .await;
}

#[tokio::test]
async fn sticker_by_id() {
    assert_sends(
        "sticker_by_id",
        OutboundContent::Sticker(Sticker::new(media_id("798882015472548"))),
        "sticker",
        json!({"id": "798882015472548"}),
    )
    .await;
}

#[tokio::test]
async fn location_with_name_and_address() {
    assert_sends(
        "location_with_name_and_address",
        OutboundContent::Location(location()),
        "location",
        json!({
            "latitude": 32.0853,
            "longitude": 34.781768,
            "name": "Dizengoff Center",
            "address": "Dizengoff St 50, Tel Aviv"
        }),
    )
    .await;
}

#[tokio::test]
async fn contacts_is_an_array_of_full_cards() {
    let full = ContactCard {
        name: ContactName {
            formatted_name: "Dr. Dana Levi".into(),
            first_name: Some("Dana".into()),
            last_name: Some("Levi".into()),
            middle_name: Some("R".into()),
            prefix: Some("Dr.".into()),
            suffix: Some("PhD".into()),
        },
        phones: vec![ContactPhone {
            phone: "+972 50 123 4567".into(),
            kind: Some("CELL".into()),
            wa_id: Some("972501234567".into()),
        }],
        emails: vec![ContactEmail {
            email: "dana@example.com".into(),
            kind: Some("WORK".into()),
        }],
        urls: vec![ContactUrl {
            url: "https://example.com".into(),
            kind: None,
        }],
        addresses: vec![ContactAddress {
            street: Some("Herzl 1".into()),
            city: Some("Haifa".into()),
            state: None,
            zip: Some("3303101".into()),
            country: Some("Israel".into()),
            country_code: Some("IL".into()),
            kind: Some("HOME".into()),
        }],
        org: Some(ContactOrg {
            company: Some("Acme".into()),
            department: Some("Support".into()),
            title: Some("Lead".into()),
        }),
        birthday: Some("1990-02-28".into()),
    };
    let cards = Contacts::new(vec![full, ContactCard::named("Reception")]).unwrap();
    assert_sends(
        "contacts_is_an_array_of_full_cards",
        OutboundContent::Contacts(cards),
        "contacts",
        json!([
            {
                "name": {
                    "formatted_name": "Dr. Dana Levi",
                    "first_name": "Dana",
                    "last_name": "Levi",
                    "middle_name": "R",
                    "prefix": "Dr.",
                    "suffix": "PhD"
                },
                "phones": [{"phone": "+972 50 123 4567", "type": "CELL", "wa_id": "972501234567"}],
                "emails": [{"email": "dana@example.com", "type": "WORK"}],
                "urls": [{"url": "https://example.com"}],
                "addresses": [{
                    "street": "Herzl 1",
                    "city": "Haifa",
                    "zip": "3303101",
                    "country": "Israel",
                    "country_code": "IL",
                    "type": "HOME"
                }],
                "org": {"company": "Acme", "department": "Support", "title": "Lead"},
                "birthday": "1990-02-28"
            },
            {"name": {"formatted_name": "Reception"}}
        ]),
    )
    .await;
}

#[tokio::test]
async fn reaction_and_its_removal_with_an_empty_emoji() {
    let quoted = WaMessageId::parse(QUOTED).unwrap();
    assert_sends(
        "reaction",
        OutboundContent::Reaction(Reaction::new(quoted.clone(), "👍").unwrap()),
        "reaction",
        json!({"message_id": QUOTED, "emoji": "👍"}),
    )
    .await;
    assert_sends(
        "reaction_removal",
        OutboundContent::Reaction(Reaction::removal(quoted)),
        "reaction",
        json!({"message_id": QUOTED, "emoji": ""}),
    )
    .await;
}

#[tokio::test]
async fn a_reaction_with_a_reply_context_is_refused_before_any_call() {
    let server = MockServer::start().await;
    let message = OutboundMessage {
        recipient: to_phone(),
        content: OutboundContent::Reaction(
            Reaction::new(WaMessageId::parse(QUOTED).unwrap(), "👍").unwrap(),
        ),
        reply_to: Some(WaMessageId::parse(QUOTED).unwrap()),
    };
    let error = client(&server)
        .send_message(&sender(), &message, Some(our_id()))
        .await
        .expect_err("Meta refuses a context on a reaction");
    assert_eq!(error.class, ErrorClass::Permanent);
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn interactive_reply_buttons_with_an_image_header() {
    let buttons = ReplyButtons::new(ReplyButtonsFields {
        header: Some(InteractiveHeader::Image {
            media: link("https://cdn.example.com/banner.png"),
        }),
        body: "Pick a slot".into(),
        footer: Some("Reply within 24h".into()),
        buttons: vec![
            ReplyButton::new("slot-9", "9:00"),
            ReplyButton::new("slot-10", "10:00"),
        ],
    })
    .unwrap();
    assert_sends(
        "interactive_reply_buttons_with_an_image_header",
        OutboundContent::Interactive(Interactive::Buttons(buttons)),
        "interactive",
        json!({
            "type": "button",
            "header": {"type": "image", "image": {"link": "https://cdn.example.com/banner.png"}},
            "body": {"text": "Pick a slot"},
            "footer": {"text": "Reply within 24h"},
            "action": {"buttons": [
                {"type": "reply", "reply": {"id": "slot-9", "title": "9:00"}},
                {"type": "reply", "reply": {"id": "slot-10", "title": "10:00"}}
            ]}
        }),
    )
    .await;
}

#[tokio::test]
async fn interactive_list_with_sections() {
    let mut described = ListRow::new("pizza", "Pizza");
    described.description = Some("Margherita, 30 cm".into());
    let list = ListMessage::new(ListMessageFields {
        header: Some("Menu".into()),
        body: "What would you like?".into(),
        footer: None,
        button: "See menu".into(),
        sections: vec![
            ListSection {
                title: Some("Mains".into()),
                rows: vec![described, ListRow::new("pasta", "Pasta")],
            },
            ListSection {
                title: Some("Drinks".into()),
                rows: vec![ListRow::new("water", "Water")],
            },
        ],
    })
    .unwrap();
    assert_sends(
        "interactive_list_with_sections",
        OutboundContent::Interactive(Interactive::List(list)),
        "interactive",
        json!({
            "type": "list",
            "header": {"type": "text", "text": "Menu"},
            "body": {"text": "What would you like?"},
            "action": {
                "button": "See menu",
                "sections": [
                    {"title": "Mains", "rows": [
                        {"id": "pizza", "title": "Pizza", "description": "Margherita, 30 cm"},
                        {"id": "pasta", "title": "Pasta"}
                    ]},
                    {"title": "Drinks", "rows": [{"id": "water", "title": "Water"}]}
                ]
            }
        }),
    )
    .await;
}

#[tokio::test]
async fn interactive_cta_url_with_a_text_header() {
    let cta = CtaUrl::new(CtaUrlFields {
        header: Some(InteractiveHeader::Text {
            text: "Your order".into(),
        }),
        body: "Track it here".into(),
        footer: Some("Acme".into()),
        display_text: "Track".into(),
        url: "https://example.com/track?id=42".into(),
    })
    .unwrap();
    assert_sends(
        "interactive_cta_url_with_a_text_header",
        OutboundContent::Interactive(Interactive::CtaUrl(cta)),
        "interactive",
        json!({
            "type": "cta_url",
            "header": {"type": "text", "text": "Your order"},
            "body": {"text": "Track it here"},
            "footer": {"text": "Acme"},
            "action": {
                "name": "cta_url",
                "parameters": {"display_text": "Track", "url": "https://example.com/track?id=42"}
            }
        }),
    )
    .await;
}

fn template(fields: TemplateFields) -> OutboundContent {
    OutboundContent::Template(Template::new(fields).expect("a valid template"))
}

#[tokio::test]
async fn template_without_parameters() {
    assert_sends(
        "template_without_parameters",
        OutboundContent::Template(Template::without_parameters(
            TemplateName::parse("hello_world").unwrap(),
            LanguageCode::parse("en_US").unwrap(),
        )),
        "template",
        json!({
            "name": "hello_world",
            "language": {"policy": "deterministic", "code": "en_US"}
        }),
    )
    .await;
}

#[tokio::test]
async fn template_with_positional_parameters_of_every_kind_and_every_button() {
    let content = template(TemplateFields {
        name: TemplateName::parse("order_update").unwrap(),
        language: LanguageCode::parse("pt_BR").unwrap(),
        header: Some(HeaderParameter::Image {
            media: media_id("2762702990552401"),
        }),
        body: vec![
            BodyParameter::text("Ana"),
            BodyParameter::Currency {
                parameter_name: None,
                currency: Currency {
                    fallback_value: "R$12,34".into(),
                    code: "BRL".into(),
                    amount_1000: 12340,
                },
            },
            BodyParameter::DateTime {
                parameter_name: None,
                date_time: DateTime {
                    fallback_value: "25 de dezembro".into(),
                },
            },
        ],
        buttons: vec![
            TemplateButton::QuickReply {
                index: 0,
                payload: "STOP_PROMOS".into(),
            },
            TemplateButton::Url {
                index: 1,
                text: "order/42".into(),
            },
            TemplateButton::CopyCode {
                index: 2,
                coupon_code: "SAVE25".into(),
            },
            TemplateButton::Flow {
                index: 3,
                flow_token: Some("flow-token-1".into()),
                flow_action_data: Some(r#"{"order_id":"42","items":[1,2]}"#.into()),
            },
        ],
    });
    assert_sends(
        "template_with_positional_parameters_of_every_kind_and_every_button",
        content,
        "template",
        json!({
            "name": "order_update",
            "language": {"policy": "deterministic", "code": "pt_BR"},
            "components": [
                {"type": "header", "parameters": [
                    {"type": "image", "image": {"id": "2762702990552401"}}
                ]},
                {"type": "body", "parameters": [
                    {"type": "text", "text": "Ana"},
                    {"type": "currency", "currency": {
                        "fallback_value": "R$12,34", "code": "BRL", "amount_1000": 12340
                    }},
                    {"type": "date_time", "date_time": {"fallback_value": "25 de dezembro"}}
                ]},
                {"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [
                    {"type": "payload", "payload": "STOP_PROMOS"}
                ]},
                {"type": "button", "sub_type": "url", "index": "1", "parameters": [
                    {"type": "text", "text": "order/42"}
                ]},
                {"type": "button", "sub_type": "copy_code", "index": "2", "parameters": [
                    {"type": "coupon_code", "coupon_code": "SAVE25"}
                ]},
                {"type": "button", "sub_type": "flow", "index": "3", "parameters": [
                    {"type": "action", "action": {
                        "flow_token": "flow-token-1",
                        "flow_action_data": {"order_id": "42", "items": [1, 2]}
                    }}
                ]}
            ]
        }),
    )
    .await;
}

#[tokio::test]
async fn template_with_named_parameters() {
    let content = template(TemplateFields {
        name: TemplateName::parse("order_shipped").unwrap(),
        language: LanguageCode::parse("en_US").unwrap(),
        header: Some(HeaderParameter::Text {
            parameter_name: Some("order_no".into()),
            text: "#42".into(),
        }),
        body: vec![
            BodyParameter::named_text("first_name", "Jessica"),
            BodyParameter::Currency {
                parameter_name: Some("total".into()),
                currency: Currency {
                    fallback_value: "$10.50".into(),
                    code: "USD".into(),
                    amount_1000: 10500,
                },
            },
            BodyParameter::DateTime {
                parameter_name: Some("eta".into()),
                date_time: DateTime {
                    fallback_value: "Friday".into(),
                },
            },
        ],
        buttons: vec![],
    });
    assert_sends(
        "template_with_named_parameters",
        content,
        "template",
        json!({
            "name": "order_shipped",
            "language": {"policy": "deterministic", "code": "en_US"},
            "components": [
                {"type": "header", "parameters": [
                    {"type": "text", "parameter_name": "order_no", "text": "#42"}
                ]},
                {"type": "body", "parameters": [
                    {"type": "text", "parameter_name": "first_name", "text": "Jessica"},
                    {"type": "currency", "parameter_name": "total", "currency": {
                        "fallback_value": "$10.50", "code": "USD", "amount_1000": 10500
                    }},
                    {"type": "date_time", "parameter_name": "eta",
                     "date_time": {"fallback_value": "Friday"}}
                ]}
            ]
        }),
    )
    .await;
}

#[tokio::test]
async fn template_headers_document_video_and_location() {
    let cases = [
        (
            HeaderParameter::Document {
                media: link("https://cdn.example.com/ticket.pdf"),
                filename: Some("ticket.pdf".into()),
            },
            json!({"type": "document", "document": {
                "link": "https://cdn.example.com/ticket.pdf", "filename": "ticket.pdf"
            }}),
        ),
        (
            HeaderParameter::Video {
                media: media_id("1234"),
            },
            json!({"type": "video", "video": {"id": "1234"}}),
        ),
        (
            HeaderParameter::Location {
                location: location(),
            },
            json!({"type": "location", "location": {
                "latitude": 32.0853,
                "longitude": 34.781768,
                "name": "Dizengoff Center",
                "address": "Dizengoff St 50, Tel Aviv"
            }}),
        ),
    ];
    let snapshots = [
        "template_header_document",
        "template_header_video",
        "template_header_location",
    ];
    for (snapshot, (header, expected)) in snapshots.into_iter().zip(cases) {
        let content = template(TemplateFields {
            name: TemplateName::parse("with_header").unwrap(),
            language: LanguageCode::parse("he").unwrap(),
            header: Some(header),
            body: vec![],
            buttons: vec![],
        });
        assert_sends(
            snapshot,
            content,
            "template",
            json!({
                "name": "with_header",
                "language": {"policy": "deterministic", "code": "he"},
                "components": [{"type": "header", "parameters": [expected]}]
            }),
        )
        .await;
    }
}

#[tokio::test]
async fn without_an_app_secret_no_proof_is_sent_and_without_a_callback_none_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PNID}/messages")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(query_param_is_missing("appsecret_proof"))
        .respond_with(ResponseTemplate::new(200).set_body_json(success_body()))
        .expect(1)
        .mount(&server)
        .await;
    let message = OutboundMessage {
        recipient: to_phone(),
        content: OutboundContent::Text(Text::new("hi", false).unwrap()),
        reply_to: None,
    };
    let receipt = client_with(&server, None)
        .send_message(&sender(), &message, None)
        .await
        .expect("the send succeeds");
    assert_eq!(receipt.wamid.as_str(), SENT);
    let requests = server.received_requests().await.unwrap();
    let body = requests[0].body_json::<Value>().unwrap();
    assert!(body.get("biz_opaque_callback_data").is_none());
    assert_eq!(requests[0].url.query(), None, "no query string at all");
}

#[tokio::test]
async fn the_gateway_port_sends_our_message_id_as_callback_data() {
    use wa_domain::ports::GraphGateway;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PNID}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(success_body()))
        .expect(1)
        .mount(&server)
        .await;
    let gateway: &dyn GraphGateway = &client(&server);
    let message = OutboundMessage {
        recipient: to_phone(),
        content: OutboundContent::Text(Text::new("hi", false).unwrap()),
        reply_to: None,
    };
    let id = MessageId::generate();
    gateway.send(&sender(), &message, id).await.unwrap();
    let body = server.received_requests().await.unwrap()[0]
        .body_json::<Value>()
        .unwrap();
    assert_eq!(body["biz_opaque_callback_data"], json!(id.to_string()));
}
