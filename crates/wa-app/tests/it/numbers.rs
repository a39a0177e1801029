//! A tenant with two WhatsApp numbers, over real HTTP with the simulator: each number is paced on
//! its own, and the customer-service window is kept per number (a customer who wrote to one
//! number has not opened a window with the other).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wa_sim::NumberConfig;

use crate::support::{
    Backend, NUMBER_A, TestApp, any_in_state, list_messages, quick_webhooks, spawn,
};

/// The tenant's second number: in the same WABA as `NUMBER_A`, reached with the same token (one
/// business token covers a business's numbers).
const SALES: &str = "100000000000003";
const SALES_DISPLAY: &str = "+1 555-010-0003";

/// Sends `body` as the tenant; returns the status and the answer.
async fn send(app: &TestApp, tenant: &str, key: &str, body: Value) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/v1/tenants/{tenant}/messages"),
        key,
        Some(body),
    )
    .await
}

async fn two_numbers(backend: Backend) {
    let app = spawn(backend, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    app.sim.control().add_number(NumberConfig::new(
        SALES,
        NUMBER_A.waba_id,
        NUMBER_A.token,
        SALES_DISPLAY,
    ));
    let (status, added) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/numbers"),
            &key,
            Some(
                json!({"waba_id": NUMBER_A.waba_id, "phone_number_id": SALES,
                "display_phone_number": SALES_DISPLAY, "business_name": "Cafe sales",
                "access_token": NUMBER_A.token}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["health"], "active", "{added}");
    assert_eq!(added["is_default"], false, "{added}");
    let (_, numbers) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/numbers"),
            &key,
            None,
        )
        .await;
    let listed: Vec<(&str, bool)> = numbers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["phone_number_id"].as_str().unwrap(),
                n["is_default"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [(NUMBER_A.phone_number_id, true), (SALES, false)],
        "{numbers}"
    );
    // `/connection` is the default number's.
    let (_, default) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/connection"),
            &key,
            None,
        )
        .await;
    assert_eq!(default["phone_number_id"], NUMBER_A.phone_number_id);

    // The customer writes to the default number only.
    let customer = "972541234567";
    app.sim
        .control()
        .inject_inbound(wa_sim::InboundRequest::new(
            NUMBER_A.phone_number_id,
            wa_sim::CustomerRef::phone(customer, "Dana"),
            wa_sim::InboundContent::Text { body: "hi".into() },
        ))
        .unwrap();
    app.wait_window_open(&tenant, &key, customer).await;
    let (_, inbound) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/messages?direction=inbound"),
            &key,
            None,
        )
        .await;
    assert_eq!(
        inbound["items"][0]["phone_number_id"], NUMBER_A.phone_number_id,
        "routed to the number it reached: {inbound}"
    );
    let (_, sales_window) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/conversations/{customer}?from={SALES}"),
            &key,
            None,
        )
        .await;
    assert_eq!(sales_window["open"], false, "{sales_window}");
    assert_eq!(sales_window["phone_number_id"], SALES, "{sales_window}");

    // Free-form text: accepted from the default number, refused from the sales number (named by
    // its display number in another notation), whose window with the customer never opened.
    let text = |from: Option<&str>| {
        let mut body = json!({"to": customer, "content": {"type": "text", "body": "your order"}});
        if let Some(from) = from {
            body["from"] = json!(from);
        }
        body
    };
    let (status, replied) = send(&app, &tenant, &key, text(None)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{replied}");
    assert_eq!(replied["phone_number_id"], NUMBER_A.phone_number_id);
    let (status, refused) = send(&app, &tenant, &key, text(Some("1 (555) 010-0003"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["code"], "window_closed", "{refused}");
    // Another tenant's number, or one nobody has, is a clear 4xx.
    let (status, unknown) = send(&app, &tenant, &key, text(Some("100000000000002"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{unknown}");
    assert_eq!(unknown["code"], "unknown_number", "{unknown}");
    // A template goes from the sales number whatever its window.
    let template = |to: &str, from: &str| {
        json!({"to": to, "from": from,
            "content": {"type": "template", "name": "hello_world", "language": "en_US"}})
    };
    let (status, sales_template) = send(&app, &tenant, &key, template(customer, SALES)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sales_template}");
    assert_eq!(sales_template["phone_number_id"], SALES);
    let reply_id = replied["id"].as_str().unwrap().to_owned();
    let template_id = sales_template["id"].as_str().unwrap().to_owned();
    app.wait_message(&tenant, &key, &reply_id, |m| m["status"] == "read")
        .await;
    app.wait_message(&tenant, &key, &template_id, |m| m["status"] == "read")
        .await;

    // Each number is paced on its own: both at 4 messages per second, at Meta and in wa, and 24
    // templates queued from each. Meta (the simulator) never answers 130429, so neither number
    // went over its own throughput; and both numbers' sends interleave, so neither waited for
    // the other's budget.
    let mut limits = app.sim.control().limits();
    limits.throughput_per_number = 4;
    app.sim.control().set_limits(limits);
    {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
        db.execute_unprepared("UPDATE whatsapp_connections SET throughput_mps = 4")
            .await
            .unwrap();
    }
    let before = app.sim.control().requests().len();
    let mut ids = Vec::new();
    for n in 0..24 {
        for from in [NUMBER_A.phone_number_id, SALES] {
            let (status, queued) =
                send(&app, &tenant, &key, template(&format!("1555{n:07}"), from)).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
            ids.push(queued["id"].as_str().unwrap().to_owned());
        }
    }
    let started = tokio::time::Instant::now();
    while any_in_state(&app.http, &app.base, &tenant, &key, "", &["pending"]).await {
        assert!(started.elapsed() < Duration::from_secs(90), "still pending");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let listed = list_messages(&app.http, &app.base, &tenant, &key, "direction=outbound").await;
    for id in &ids {
        assert_ne!(listed[id]["status"], "failed", "{}", listed[id]);
    }
    let sends: Vec<_> = app.sim.control().requests()[before..]
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
        .cloned()
        .collect();
    assert_eq!(
        sends
            .iter()
            .filter(|r| r.error_code == Some(130_429))
            .count(),
        0,
        "a number went over its throughput"
    );
    let first_half: Vec<bool> = sends[..sends.len() / 2]
        .iter()
        .map(|r| r.path.contains(SALES))
        .collect();
    assert!(
        first_half.contains(&true) && first_half.contains(&false),
        "both numbers send side by side: {first_half:?}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_tenant_sends_from_two_numbers_on_sqlite() {
    two_numbers(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_tenant_sends_from_two_numbers_on_postgres() {
    two_numbers(Backend::Postgres).await;
}
