//! A send whose answer is lost is "in doubt": Meta may have accepted it. The outbox waits for the
//! status webhook (which carries our id) before sending again, so a lost answer never turns into
//! a message sent twice.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::json;
use wa_sim::Faults;

use crate::support::{Backend, NUMBER_A, assert_each_sent_once, quick_webhooks, spawn};

#[tokio::test]
async fn a_lost_answer_is_not_sent_again_before_its_status_webhook() {
    // Meta's `sent` webhook comes 3 s after the send: later than a plain retry (1-2 s) would go
    // again, sooner than the in-doubt grace (10 s in the tests' settings).
    let mut webhooks = quick_webhooks();
    webhooks.sent_delay_ms = 3_000;
    webhooks.delivered_delay_ms = 3_010;
    webhooks.read_delay_ms = Some(3_020);
    let app = spawn(Backend::Sqlite, webhooks).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    app.sim.control().set_faults(Faults {
        lost_answer_rate: 0.5,
        ..Faults::default()
    });

    let mut ids = Vec::new();
    for n in 0..30 {
        let (status, body) = app
            .call(
                Method::POST,
                &format!("/v1/tenants/{tenant}/messages"),
                &key,
                Some(json!({"to": format!("1555{n:07}"),
                    "content": {"type": "template", "name": "hello_world", "language": "en_US"}})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let mut views = Vec::new();
    for id in &ids {
        views.push(
            app.wait_message(&tenant, &key, id, |m| m["status"] == "read")
                .await,
        );
    }
    // Every message went out once, lost answer or not, and carries the wamid Meta gave it.
    assert_each_sent_once(&app.sim, &ids);
    let wamids: HashMap<String, String> = app
        .sim
        .control()
        .messages()
        .into_iter()
        .filter_map(|m| m.biz_opaque_callback_data.map(|id| (id, m.wamid)))
        .collect();
    for view in &views {
        let id = view["id"].as_str().unwrap();
        assert_eq!(
            view["wamid"].as_str(),
            wamids.get(id).map(String::as_str),
            "{view}"
        );
    }
    // The fault was felt: answers were lost, and those messages were settled by their webhook.
    let lost = views
        .iter()
        .filter(|m| m["attempts"].as_u64() >= Some(1))
        .count();
    assert!(
        lost > 0 && lost < ids.len(),
        "{lost} of {} answers lost: the test proves nothing",
        ids.len()
    );
    app.shutdown().await;
}
