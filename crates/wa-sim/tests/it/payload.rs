//! Payload shape (131008 missing, 100 bad value or too long), templates (132001, 132000,
//! 132015) and the success body.

use serde_json::{Value, json};
use wa_sim::{CustomerRef, TemplateConfig};

use crate::helpers::*;

async fn open(sim: &wa_sim::RunningSim) {
    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
}

#[tokio::test]
async fn success_body_is_metas() {
    let sim = start().await;
    open(&sim).await;
    let (status, answer) = send(&sim, &text_to("+1 (555) 123-4567", "hi")).await;
    assert_eq!(status, 200);
    assert_eq!(answer["messaging_product"], "whatsapp");
    assert_eq!(answer["contacts"][0]["input"], "+1 (555) 123-4567");
    assert_eq!(answer["contacts"][0]["wa_id"], CUSTOMER);
    assert!(answer["contacts"][0].get("user_id").is_none());
    let id = answer["messages"][0]["id"].as_str().unwrap();
    assert!(id.starts_with("wamid."));
    assert!(answer["messages"][0].get("message_status").is_none());
    let accepted = sim.control().messages();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].wamid, id);
}

#[tokio::test]
async fn missing_fields_answer_131008() {
    let sim = start().await;
    open(&sim).await;
    let cases = [
        json!({"to": CUSTOMER, "type": "text", "text": {"body": "hi"}}),
        json!({"messaging_product": "whatsapp", "type": "text", "text": {"body": "hi"}}),
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text"}),
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {}}),
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template", "template": {"name": "hello_world"}}),
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "location", "location": {"latitude": 1.0}}),
    ];
    for body in cases {
        let (status, answer) = send(&sim, &body).await;
        assert_eq!((status, error_code(&answer)), (400, 131008), "{body}");
        assert_eq!(
            answer["error"]["message"],
            "(#131008) Required parameter is missing"
        );
        assert_eq!(
            answer["error"]["error_data"]["messaging_product"],
            "whatsapp"
        );
    }
}

#[tokio::test]
async fn bad_values_and_long_texts_answer_100() {
    let sim = start().await;
    open(&sim).await;
    let long = "x".repeat(4097);
    let cases = [
        text_to(CUSTOMER, &long),
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "telepathy"}),
        json!({"messaging_product": "sms", "to": CUSTOMER, "text": {"body": "hi"}}),
        json!({"messaging_product": "whatsapp", "to": "call me", "text": {"body": "hi"}}),
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "text": {"body": 5}}),
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "image", "image": {"link": "ftp://x/y.png"}}),
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "interactive", "interactive": {
            "type": "button", "body": {"text": "Pick"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A title longer than twenty"}}]}}}),
    ];
    for body in cases {
        let (status, answer) = send(&sim, &body).await;
        assert_eq!((status, error_code(&answer)), (400, 100), "{body}");
    }
    // 4096 characters (not bytes) is still fine, even in Hebrew.
    let (status, _) = send(&sim, &text_to(CUSTOMER, &"ש".repeat(4096))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn every_message_type_is_accepted_in_its_documented_shape() {
    let sim = start().await;
    open(&sim).await;
    let (_, first) = send(&sim, &text_to(CUSTOMER, "first")).await;
    let wamid = first["messages"][0]["id"].as_str().unwrap().to_owned();
    let base =
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER});
    let payloads: Vec<(&str, Value)> = vec![
        (
            "text",
            json!({"body": "see https://example.com", "preview_url": true}),
        ),
        (
            "image",
            json!({"link": "https://example.com/a.jpg", "caption": "A"}),
        ),
        ("video", json!({"link": "https://example.com/a.mp4"})),
        ("audio", json!({"link": "https://example.com/a.ogg"})),
        (
            "document",
            json!({"link": "https://example.com/a.pdf", "filename": "a.pdf"}),
        ),
        ("sticker", json!({"link": "https://example.com/a.webp"})),
        (
            "location",
            json!({"latitude": 32.08, "longitude": 34.78, "name": "Tel Aviv"}),
        ),
        (
            "contacts",
            json!([{"name": {"formatted_name": "Ada L"}, "phones": [{"phone": "+15550001", "type": "CELL"}]}]),
        ),
        ("reaction", json!({"message_id": wamid, "emoji": "👍"})),
        (
            "interactive",
            json!({"type": "button", "body": {"text": "Pick"}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
            {"type": "reply", "reply": {"id": "no", "title": "No"}}]}}),
        ),
        (
            "interactive",
            json!({"type": "list", "body": {"text": "Pick"}, "action": {"button": "Options", "sections": [
            {"title": "A", "rows": [{"id": "1", "title": "One", "description": "The first"}]}]}}),
        ),
        (
            "interactive",
            json!({"type": "cta_url", "body": {"text": "Visit"}, "action": {"name": "cta_url",
            "parameters": {"display_text": "Open", "url": "https://example.com"}}}),
        ),
        (
            "template",
            json!({"name": "hello_world", "language": {"code": "en_US"}}),
        ),
    ];
    for (kind, object) in payloads {
        let mut body = base.clone();
        body["type"] = json!(kind);
        body[kind] = object;
        if kind == "text" {
            body["context"] = json!({"message_id": wamid});
        }
        let (status, answer) = send(&sim, &body).await;
        assert_eq!(status, 200, "{kind}: {answer}");
    }
    // Mark as read with a typing indicator needs a message we received.
    let (status, answer) = send(
        &sim,
        &json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.unknown"}),
    )
    .await;
    assert_eq!((status, error_code(&answer)), (400, 131009));
}

#[tokio::test]
async fn templates_are_checked_by_name_language_status_and_parameter_count() {
    let sim = start().await;
    sim.control()
        .add_template(TemplateConfig {
            status: "PAUSED".into(),
            ..TemplateConfig::new("paused_one", "en_US", "MARKETING", "Hi")
        })
        .unwrap();
    let template = |name: &str, lang: &str, components: Value| {
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template",
               "template": {"name": name, "language": {"code": lang}, "components": components}})
    };
    let (status, answer) = send(&sim, &template("nope", "en_US", json!([]))).await;
    assert_eq!((status, error_code(&answer)), (400, 132001));
    let (_, answer) = send(&sim, &template("hello_world", "he", json!([]))).await;
    assert_eq!(error_code(&answer), 132001);
    let (_, answer) = send(&sim, &template("paused_one", "en_US", json!([]))).await;
    assert_eq!(error_code(&answer), 132015);

    let one = json!([{"type": "body", "parameters": [{"type": "text", "text": "Ada"}]}]);
    let (status, answer) = send(&sim, &template("greeting", "en_US", one)).await;
    assert_eq!((status, error_code(&answer)), (400, 132000));
    let none = json!([]);
    let (_, answer) = send(&sim, &template("greeting", "en_US", none)).await;
    assert_eq!(error_code(&answer), 132000);

    let two = json!([{"type": "body", "parameters": [
        {"type": "text", "text": "Ada"}, {"type": "text", "text": "1234"}]}]);
    let (status, answer) = send(&sim, &template("greeting", "en_US", two)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["messages"][0]["message_status"], "accepted");
}
