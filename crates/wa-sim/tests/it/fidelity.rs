//! Where the simulator once departed from Meta (issue 25): `fields` on every node and listing,
//! Graph's error text in `message`, the business profile, template management with Meta's
//! review, resumable uploads, and the fields account and template webhooks carry (`entry[].time`,
//! the template category, the old limit), with status shapes by the app's webhook version.

use std::time::Duration;

use serde_json::{Value, json};
use wa_sim::{QualityChange, SimConfig, TemplateReview};

use crate::helpers::*;

async fn get(sim: &wa_sim::RunningSim, path: &str) -> (u16, Value) {
    let response = client()
        .get(graph(sim, path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(sim: &wa_sim::RunningSim, path: &str, body: &Value) -> (u16, Value) {
    let response = client()
        .post(graph(sim, path))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn number_fields_meta_serves_are_answered_and_unknown_ones_named_in_the_message() {
    let sim = start().await;
    let (status, number) = get(
        &sim,
        &format!("{PNID}?fields=conversational_automation,status,quality_score,health_status,whatsapp_business_manager_messaging_limit,is_pin_enabled"),
    )
    .await;
    assert_eq!(status, 200, "{number}");
    assert_eq!(number["status"], "CONNECTED");
    assert_eq!(number["quality_score"]["score"], "GREEN");
    assert_eq!(number["health_status"]["can_send_message"], "AVAILABLE");
    assert_eq!(
        number["whatsapp_business_manager_messaging_limit"],
        "TIER_2K"
    );
    assert_eq!(number["id"], PNID);
    // Nothing set yet: the field exists but holds no value, so Meta leaves it out.
    assert!(number.get("conversational_automation").is_none());
    assert!(
        number.get("display_phone_number").is_none(),
        "only what was asked"
    );

    let (status, answer) = post(
        &sim,
        &format!("{PNID}/conversational_automation"),
        &json!({"enable_welcome_message": true, "prompts": ["Track my order"],
                "commands": [{"command_name": "help", "command_description": "Get help"}]}),
    )
    .await;
    assert_eq!((status, &answer), (200, &json!({"success": true})));
    let (_, number) = get(&sim, &format!("{PNID}?fields=conversational_automation")).await;
    assert_eq!(
        number["conversational_automation"]["prompts"],
        json!(["Track my order"])
    );

    let (status, answer) = get(&sim, &format!("{PNID}?fields=id,nonsense")).await;
    assert_eq!((status, error_code(&answer)), (400, 100));
    assert_eq!(
        answer["error"]["message"],
        "(#100) Tried accessing nonexisting field (nonsense) on node type (WhatsAppBusinessPhoneNumber)"
    );
    assert!(answer["error"].get("error_data").is_none());

    let (_, list) = get(&sim, &format!("{WABA}/phone_numbers?fields=id,status")).await;
    assert_eq!(list["data"][0], json!({"id": PNID, "status": "CONNECTED"}));
    let (_, waba) = get(&sim, &format!("{WABA}?fields=name,account_review_status")).await;
    assert_eq!(waba["account_review_status"], "APPROVED");
    assert!(waba.get("currency").is_none());
}

#[tokio::test]
async fn templates_listing_honours_fields_and_carries_parameter_format() {
    let sim = start().await;
    let (status, list) = get(&sim, &format!("{WABA}/message_templates")).await;
    assert_eq!(status, 200);
    let first = &list["data"][0];
    for field in [
        "name",
        "parameter_format",
        "components",
        "language",
        "status",
        "category",
        "id",
    ] {
        assert!(first.get(field).is_some(), "{field} missing from {first}");
    }
    assert_eq!(first["parameter_format"], "POSITIONAL");
    let (_, list) = get(
        &sim,
        &format!("{WABA}/message_templates?fields=name,quality_score&limit=1&summary=total_count"),
    )
    .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let keys: Vec<&String> = list["data"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "name", "quality_score"]);
    assert_eq!(list["summary"]["total_count"], 2);
    let after = list["paging"]["cursors"]["after"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, rest) = get(
        &sim,
        &format!("{WABA}/message_templates?fields=name&after={after}"),
    )
    .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    assert_ne!(rest["data"][0]["name"], list["data"][0]["name"]);
}

#[tokio::test]
async fn business_profile_is_served() {
    let sim = start().await;
    let path = format!("{PNID}/whatsapp_business_profile");
    let (status, profile) = get(&sim, &path).await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["data"][0]["messaging_product"], "whatsapp");
    let (status, answer) = post(
        &sim,
        &path,
        &json!({"messaging_product": "whatsapp", "about": "Open 9-5", "vertical": "RETAIL",
                "websites": ["https://example.com"], "email": "a@example.com"}),
    )
    .await;
    assert_eq!((status, &answer), (200, &json!({"success": true})));
    let (_, profile) = get(&sim, &format!("{path}?fields=about,vertical")).await;
    assert_eq!(
        profile["data"][0],
        json!({"about": "Open 9-5", "vertical": "RETAIL", "messaging_product": "whatsapp"})
    );
    let (status, answer) = post(
        &sim,
        &path,
        &json!({"messaging_product": "whatsapp", "vertical": "SPACESHIPS"}),
    )
    .await;
    assert_eq!((status, error_code(&answer)), (400, 100));
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("(#100) Param vertical must be one of")
    );
}

fn template_body(name: &str) -> Value {
    json!({
        "name": name,
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            {"type": "BODY", "text": "Hi {{1}}, order {{2}} shipped.",
             "example": {"body_text": [["Ada", "42"]]}},
            {"type": "FOOTER", "text": "Thanks"}
        ]
    })
}

/// Waits until the template `id` has `status`; returns its view.
async fn wait_template(sim: &wa_sim::RunningSim, id: &str, status: &str) -> Value {
    for _ in 0..500 {
        let (_, template) = get(sim, id).await;
        if template["status"] == status {
            return template;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("template {id} never became {status}");
}

#[tokio::test]
async fn templates_are_created_reviewed_edited_and_deleted_like_meta() {
    let receiver = Receiver::start(&[]).await;
    let sim = builder().callback_url(&receiver.url).start().await.unwrap();
    sim.control().set_template_review(TemplateReview {
        delay_ms: 20,
        ..TemplateReview::default()
    });
    let path = format!("{WABA}/message_templates");
    let (status, created) = post(&sim, &path, &template_body("order_shipped")).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["status"], "PENDING");
    assert_eq!(created["category"], "UTILITY");
    let id = created["id"].as_str().unwrap().to_owned();
    let approved = wait_template(&sim, &id, "APPROVED").await;
    assert_eq!(approved["rejected_reason"], "NONE");

    // The review is announced, with the entry's time and the category.
    let posts = receiver
        .wait_until(|all| {
            all.iter().any(|r| {
                r.json()["entry"][0]["changes"][0]["field"] == "message_template_status_update"
            })
        })
        .await;
    let hook = posts
        .iter()
        .map(Received::json)
        .find(|b| b["entry"][0]["changes"][0]["field"] == "message_template_status_update")
        .unwrap();
    assert!(hook["entry"][0]["time"].as_u64().unwrap() > 0);
    let value = &hook["entry"][0]["changes"][0]["value"];
    assert_eq!(value["event"], "APPROVED");
    assert_eq!(value["message_template_category"], "UTILITY");
    assert_eq!(value["message_template_name"], "order_shipped");

    // Meta's rules, checked before anything is stored.
    let (status, answer) = post(&sim, &path, &template_body("order_shipped")).await;
    assert_eq!(
        (status, answer["error"]["error_subcode"].as_u64()),
        (400, Some(2_388_024))
    );
    assert!(answer["error"]["error_user_title"].is_string());
    let (_, answer) = post(&sim, &path, &template_body("Order Shipped")).await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Param name")
    );
    let mut no_example = template_body("no_example");
    no_example["components"][0]
        .as_object_mut()
        .unwrap()
        .remove("example");
    let (_, answer) = post(&sim, &path, &no_example).await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("example.body_text"),
        "{answer}"
    );

    // An edit goes back to review; the answer is Meta's {"success": true}.
    let (status, answer) = post(
        &sim,
        &id,
        &json!({"components": [{"type": "BODY", "text": "Hello {{1}}, order {{2}} left.",
                                 "example": {"body_text": [["Ada", "42"]]}}]}),
    )
    .await;
    assert_eq!((status, &answer), (200, &json!({"success": true})));
    let (_, pending) = get(&sim, &id).await;
    assert_eq!(pending["status"], "PENDING");
    wait_template(&sim, &id, "APPROVED").await;

    // Fault injection: the next review rejects with a reason.
    sim.control().set_template_review(TemplateReview {
        delay_ms: 20,
        reject_rate: 1.0,
        reject_reason: "PROMOTIONAL".into(),
    });
    let (_, created) = post(&sim, &path, &template_body("promo_later")).await;
    let rejected_id = created["id"].as_str().unwrap().to_owned();
    let rejected = wait_template(&sim, &rejected_id, "REJECTED").await;
    assert_eq!(rejected["rejected_reason"], "PROMOTIONAL");

    let response = client()
        .delete(graph(
            &sim,
            &format!("{path}?name=order_shipped&hsm_id={id}"),
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, answer) = get(&sim, &id).await;
    assert_eq!((status, error_code(&answer)), (400, 100));
}

#[tokio::test]
async fn resumable_uploads_give_a_handle() {
    let sim = builder().app_id("900000000000009").start().await.unwrap();
    let (status, session) = post(
        &sim,
        "900000000000009/uploads?file_name=a.png&file_length=4&file_type=image/png",
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    let id = session["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("upload:"));
    let response = client()
        .post(graph(&sim, &id))
        .header("Authorization", format!("OAuth {TOKEN}"))
        .header("file_offset", "0")
        .body(b"\x89PNG".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert!(answer["h"].as_str().unwrap().starts_with("4:"), "{answer}");
}

#[tokio::test]
async fn account_webhooks_carry_entry_time_and_the_old_limit() {
    let receiver = Receiver::start(&[]).await;
    let sim = builder().callback_url(&receiver.url).start().await.unwrap();
    sim.control()
        .update_number_quality(
            PNID,
            QualityChange {
                event: "UPGRADE".into(),
                messaging_limit_tier: Some("TIER_10K".into()),
                ..QualityChange::default()
            },
        )
        .unwrap();
    sim.control().account_update(WABA, "VERIFIED_ACCOUNT", None);
    let posts = receiver.wait_until(|all| all.len() >= 2).await;
    let bodies: Vec<Value> = posts.iter().map(Received::json).collect();
    let quality = bodies
        .iter()
        .find(|b| b["entry"][0]["changes"][0]["field"] == "phone_number_quality_update")
        .unwrap();
    assert!(quality["entry"][0]["time"].as_u64().unwrap() > 0);
    let value = &quality["entry"][0]["changes"][0]["value"];
    assert_eq!(value["current_limit"], "TIER_10K");
    assert_eq!(value["old_limit"], "TIER_2K");
    let account = bodies
        .iter()
        .find(|b| b["entry"][0]["changes"][0]["field"] == "account_update")
        .unwrap();
    assert!(account["entry"][0]["time"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn statuses_follow_the_apps_webhook_version() {
    for (version, conversation) in [("v23.0", true), ("v25.0", false)] {
        let receiver = Receiver::start(&[]).await;
        let mut config = SimConfig::base();
        config.webhook_version = version.into();
        let sim = builder()
            .config(SimConfig {
                numbers: vec![wa_sim::NumberConfig::new(PNID, WABA, TOKEN, DISPLAY)],
                app_secret: Some(SECRET.into()),
                webhooks: quick_webhooks(),
                ..config
            })
            .callback_url(&receiver.url)
            .start()
            .await
            .unwrap();
        sim.control()
            .open_window(PNID, &wa_sim::CustomerRef::phone(CUSTOMER, "Ada"))
            .unwrap();
        let (status, _) = send(&sim, &text_to(CUSTOMER, "hi")).await;
        assert_eq!(status, 200);
        let posts = receiver.wait_statuses(2).await;
        let sent = posts
            .iter()
            .flat_map(Received::statuses)
            .find(|s| s["status"] == "sent")
            .unwrap();
        assert_eq!(
            sent.get("conversation").is_some(),
            conversation,
            "{version}: {sent}"
        );
        if conversation {
            assert!(sent["conversation"]["expiration_timestamp"].is_u64());
            assert_eq!(sent["conversation"]["origin"]["type"], "service");
        }
        sim.shutdown().await;
    }
}
