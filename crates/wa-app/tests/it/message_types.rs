//! The later message types end to end over real HTTP, on SQLite and on PostgreSQL: each is
//! accepted by the tenant API, sent through the outbox to the simulator (which checks it the way
//! Meta does), comes back as statuses, and where it has one, its inbound reply reaches the
//! tenant as a typed `message.received` event in the context of the message it answers.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Backend, NUMBER_A, TestApp, quick_webhooks, spawn};

const DANA: &str = "972541234567";

/// A connected tenant whose customer Dana just wrote: `(app, tenant, key, Dana's wamid)`.
async fn with_open_window(backend: Backend) -> (TestApp, String, String, String) {
    let app = spawn(backend, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let written = app
        .sim
        .control()
        .inject_inbound(wa_sim::InboundRequest::new(
            NUMBER_A.phone_number_id,
            wa_sim::CustomerRef::phone(DANA, "Dana"),
            wa_sim::InboundContent::Text {
                body: "Can I book a table?".into(),
            },
        ))
        .unwrap();
    app.wait_window_open(&tenant, &key, DANA).await;
    (app, tenant, key, written.wamid)
}

/// Posts `content` to Dana (quoting `reply_to`).
async fn send(
    app: &TestApp,
    tenant: &str,
    key: &str,
    content: Value,
    reply_to: Option<&str>,
) -> (StatusCode, Value) {
    let mut body = json!({"to": format!("+{DANA}"), "content": content});
    if let Some(wamid) = reply_to {
        body["reply_to"] = json!(wamid);
    }
    app.call(
        Method::POST,
        &format!("/v1/tenants/{tenant}/messages"),
        key,
        Some(body),
    )
    .await
}

/// Sends `content` quoting `reply_to`, waits until Meta (the simulator) reports it delivered,
/// and returns the message as the API shows it then, and the body the simulator accepted.
async fn delivered(
    app: &TestApp,
    tenant: &str,
    key: &str,
    content: Value,
    reply_to: &str,
) -> (Value, Value) {
    let (status, accepted) = send(app, tenant, key, content, Some(reply_to)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let id = accepted["id"].as_str().unwrap().to_owned();
    let message = app
        .wait_message(tenant, key, &id, |m| {
            m["status"] == "delivered" || m["status"] == "read"
        })
        .await;
    let wamid = message["wamid"].as_str().unwrap();
    let sent = app
        .sim
        .control()
        .messages()
        .into_iter()
        .find(|m| m.wamid == wamid)
        .expect("the simulator accepted it");
    assert_eq!(
        sent.body["context"]["message_id"], reply_to,
        "sent in context: {}",
        sent.body
    );
    (message, sent.body)
}

/// The first `message.received` event whose content is of `kind`, polling up to 15 s.
async fn received(app: &TestApp, tenant: &str, key: &str, kind: &str) -> Value {
    for _ in 0..150 {
        let (status, page) = app
            .call(
                Method::GET,
                &format!("/v1/tenants/{tenant}/events?after=0&limit=1000"),
                key,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        if let Some(event) = page["events"].as_array().unwrap().iter().find(|e| {
            e["type"] == "message.received" && e["data"]["message"]["content"]["type"] == kind
        }) {
            return event["data"]["message"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no message.received of type {kind}");
}

/// The customer answers our message `wamid` with `content`.
fn reply(app: &TestApp, wamid: &str, content: wa_sim::InboundContent) {
    app.sim
        .control()
        .inject_inbound(
            wa_sim::InboundRequest::new(
                NUMBER_A.phone_number_id,
                wa_sim::CustomerRef::phone(DANA, "Dana"),
                content,
            )
            .replying_to(wamid),
        )
        .unwrap();
}

async fn flow_round_trip(backend: Backend) {
    let (app, tenant, key, dana_wrote) = with_open_window(backend).await;
    let flow = json!({"type": "interactive", "kind": "flow",
        "header": {"type": "text", "text": "Book a table"},
        "body": "Pick a time that suits you.", "footer": "Cafe Dizengoff",
        "flow_id": "1234567890", "flow_cta": "Book", "flow_token": "booking-42",
        "flow_action": "navigate", "screen": "WELCOME", "data": {"party_size": 2, "dates": ["2026-12-24"]}});

    // Meta's limits are checked before anything is stored, naming the field.
    let mut long_cta = flow.clone();
    long_cta["flow_cta"] = json!("x".repeat(31));
    let (status, error) = send(&app, &tenant, &key, long_cta, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(
        error
            .to_string()
            .contains("interactive.action.parameters.flow_cta"),
        "{error}"
    );
    let mut both = flow.clone();
    both["flow_name"] = json!("booking");
    let (status, error) = send(&app, &tenant, &key, both, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(error.to_string().contains("flow_id"), "{error}");

    // Sent in reply to Dana, in Meta's shape, and delivered.
    let (message, body) = delivered(&app, &tenant, &key, flow.clone(), &dana_wrote).await;
    assert_eq!(message["content"]["kind"], "flow", "{message}");
    assert_eq!(body["type"], "interactive");
    let parameters = &body["interactive"]["action"]["parameters"];
    assert_eq!(body["interactive"]["type"], "flow", "{body}");
    assert_eq!(parameters["flow_message_version"], "3");
    assert_eq!(parameters["flow_token"], "booking-42");
    assert_eq!(
        parameters["flow_action_payload"],
        json!({"screen": "WELCOME", "data": {"party_size": 2, "dates": ["2026-12-24"]}})
    );

    // Dana completes the Flow: the nfm_reply reaches the tenant, in the context of our message.
    let our_wamid = message["wamid"].as_str().unwrap();
    reply(
        &app,
        our_wamid,
        wa_sim::InboundContent::FlowReply {
            response_json: r#"{"flow_token":"booking-42","time":"20:00"}"#.into(),
            body: None,
        },
    );
    let answer = received(&app, &tenant, &key, "flow_reply").await;
    assert_eq!(answer["context"]["message_id"], our_wamid, "{answer}");
    assert_eq!(answer["content"]["name"], "flow");
    let response: Value =
        serde_json::from_str(answer["content"]["response_json"].as_str().unwrap()).unwrap();
    assert_eq!(response["flow_token"], "booking-42");

    // Outside the window a Flow is refused like any free-form message.
    let (status, error) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/messages"),
            &key,
            Some(json!({"to": "+15550009999", "content": flow})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_flow_goes_out_and_its_reply_comes_back_on_sqlite() {
    flow_round_trip(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_flow_goes_out_and_its_reply_comes_back_on_postgres() {
    flow_round_trip(Backend::Postgres).await;
}

async fn location_request_round_trip(backend: Backend) {
    let (app, tenant, key, dana_wrote) = with_open_window(backend).await;
    let request = json!({"type": "interactive", "kind": "location_request",
        "body": "Where shall we deliver?"});
    let mut too_long = request.clone();
    too_long["body"] = json!("x".repeat(1025));
    let (status, error) = send(&app, &tenant, &key, too_long, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(
        error.to_string().contains("interactive.body.text"),
        "{error}"
    );

    let (message, body) = delivered(&app, &tenant, &key, request, &dana_wrote).await;
    assert_eq!(message["content"]["kind"], "location_request", "{message}");
    assert_eq!(
        body["interactive"],
        json!({"type": "location_request_message", "body": {"text": "Where shall we deliver?"},
            "action": {"name": "send_location"}})
    );

    // Dana shares her location in answer.
    let our_wamid = message["wamid"].as_str().unwrap();
    reply(
        &app,
        our_wamid,
        wa_sim::InboundContent::Location {
            latitude: 32.0853,
            longitude: 34.781768,
            name: Some("Home".into()),
            address: Some("Dizengoff St 50, Tel Aviv".into()),
            url: None,
        },
    );
    let answer = received(&app, &tenant, &key, "location").await;
    assert_eq!(answer["context"]["message_id"], our_wamid, "{answer}");
    assert_eq!(answer["content"]["latitude"], 32.0853, "{answer}");
    assert_eq!(answer["content"]["address"], "Dizengoff St 50, Tel Aviv");
    app.shutdown().await;
}

#[tokio::test]
async fn a_location_request_is_answered_with_a_location_on_sqlite() {
    location_request_round_trip(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_location_request_is_answered_with_a_location_on_postgres() {
    location_request_round_trip(Backend::Postgres).await;
}

async fn raw_passthrough(backend: Backend) {
    let (app, tenant, key, dana_wrote) = with_open_window(backend).await;
    // A single-product message wa does not model: forwarded exactly as given, marked raw.
    let object = json!({"type": "product", "body": {"text": "Our best seller"},
        "action": {"catalog_id": "146265584024623", "product_retailer_id": "sku-42"}});
    let (message, body) = delivered(
        &app,
        &tenant,
        &key,
        json!({"type": "raw", "kind": "interactive", "object": object}),
        &dana_wrote,
    )
    .await;
    assert_eq!(message["raw"], true, "{message}");
    assert_eq!(message["content"]["type"], "raw");
    assert_eq!(message["type"], "interactive");
    assert_eq!(body["interactive"], object, "forwarded unchanged");

    // Only the size and shape are checked.
    let big = json!({"type": "raw", "kind": "interactive", "object": {"blob": "x".repeat(70_000)}});
    let (status, error) = send(&app, &tenant, &key, big, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(error.to_string().contains("raw.object"), "{error}");

    // A raw template follows the template rules: it may go to a customer who never wrote.
    let stranger = "15550009999";
    let (status, accepted) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/messages"),
            &key,
            Some(
                json!({"to": stranger, "content": {"type": "raw", "kind": "template",
                "object": {"name": "hello_world", "language": {"code": "en_US"}}}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let id = accepted["id"].as_str().unwrap();
    let sent = app
        .wait_message(&tenant, &key, id, |m| {
            m["status"] == "delivered" || m["status"] == "read"
        })
        .await;
    assert_eq!(sent["raw"], true);
    // A raw interactive does not: the window rule holds for it as for any free-form message.
    let (status, error) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/messages"),
            &key,
            Some(json!({"to": stranger, "content": {"type": "raw", "kind": "interactive", "object": object}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    // What wa cannot check, Meta refuses: an unknown template fails with Meta's code.
    let (status, accepted) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/messages"),
            &key,
            Some(
                json!({"to": stranger, "content": {"type": "raw", "kind": "template",
                "object": {"name": "no_such_template", "language": {"code": "en_US"}}}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let failed = app
        .wait_message(&tenant, &key, accepted["id"].as_str().unwrap(), |m| {
            m["status"] == "failed"
        })
        .await;
    assert_eq!(failed["error"]["code"], 132001, "{failed}");
    app.shutdown().await;
}

#[tokio::test]
async fn the_raw_passthrough_forwards_unchanged_on_sqlite() {
    raw_passthrough(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_raw_passthrough_forwards_unchanged_on_postgres() {
    raw_passthrough(Backend::Postgres).await;
}

async fn call_permission_round_trip(backend: Backend) {
    let (app, tenant, key, dana_wrote) = with_open_window(backend).await;
    let request = json!({"type": "interactive", "kind": "call_permission_request",
        "body": "May we call you about your booking?"});
    let mut with_header = request.clone();
    with_header["header"] = json!({"type": "text", "text": "Call"});
    let (status, error) = send(&app, &tenant, &key, with_header, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");

    let (message, body) = delivered(&app, &tenant, &key, request, &dana_wrote).await;
    assert_eq!(
        message["content"]["kind"], "call_permission_request",
        "{message}"
    );
    assert_eq!(
        body["interactive"],
        json!({"type": "call_permission_request", "body": {"text": "May we call you about your booking?"},
            "action": {"name": "call_permission_request"}})
    );

    // Dana accepts for a week: the reply reaches the tenant typed, with its expiry.
    let our_wamid = message["wamid"].as_str().unwrap();
    reply(
        &app,
        our_wamid,
        wa_sim::InboundContent::CallPermissionReply {
            response: "accept".into(),
            is_permanent: false,
            expiration_timestamp: Some(1_900_000_000),
        },
    );
    let answer = received(&app, &tenant, &key, "call_permission_reply").await;
    assert_eq!(answer["context"]["message_id"], our_wamid, "{answer}");
    assert_eq!(answer["content"]["response"], "accept");
    assert_eq!(answer["content"]["is_permanent"], false);
    assert_eq!(answer["content"]["expires_at"], "2030-03-17T17:46:40Z");
    assert_eq!(answer["content"]["response_source"], "user_action");
    app.shutdown().await;
}

#[tokio::test]
async fn a_call_permission_request_gets_its_reply_on_sqlite() {
    call_permission_round_trip(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_call_permission_request_gets_its_reply_on_postgres() {
    call_permission_round_trip(Backend::Postgres).await;
}
