//! The tenant API end to end: lifecycle, idempotency, isolation, errors.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{ADMIN, Backend, NUMBER_A, NUMBER_B, quick_webhooks, spawn};

const DANA: &str = "972541234567";

async fn lifecycle_reaches_read(backend: Backend) {
    let app = spawn(backend, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    app.sim
        .control()
        .inject_inbound(wa_sim::InboundRequest::new(
            NUMBER_A.phone_number_id,
            wa_sim::CustomerRef::phone(DANA, "Dana"),
            wa_sim::InboundContent::Text {
                body: "שלום 👋".into(),
            },
        ))
        .unwrap();
    app.wait_window_open(&tenant, &key, DANA).await;

    let (status, accepted) = app
        .call(Method::POST, &format!("/v1/tenants/{tenant}/messages"), &key,
            Some(json!({"to": format!("+{DANA}"), "content": {"type": "text", "body": "Hello Dana"}})))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    assert_eq!(accepted["status"], "pending");
    let id = accepted["id"].as_str().unwrap();

    // Parallel inbox workers may apply `read` before `delivered`: the late `delivered` then
    // fills its timestamp without moving the state back, so wait for every timestamp too.
    let read = app
        .wait_message(&tenant, &key, id, |m| {
            m["status"] == "read"
                && ["accepted_at", "sent_at", "delivered_at", "read_at"]
                    .iter()
                    .all(|state| m["timestamps"][state].is_string())
        })
        .await;
    let t = &read["timestamps"];
    for state in ["accepted_at", "sent_at", "delivered_at", "read_at"] {
        assert!(t[state].is_string(), "{state} missing: {read}");
    }
    assert!(read["wamid"].as_str().unwrap().starts_with("wamid."));
    assert_eq!(read["customer"]["phone"], DANA);
    assert!(read["pricing"].is_object(), "{read}");

    // The inbound message is listed too, with its content.
    let (_, inbound) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/messages?direction=inbound"),
            &key,
            None,
        )
        .await;
    assert_eq!(inbound["items"].as_array().unwrap().len(), 1);
    assert_eq!(inbound["items"][0]["content"]["body"], "שלום 👋");
    app.shutdown().await;
}

#[tokio::test]
async fn a_message_goes_from_pending_to_read_on_sqlite() {
    lifecycle_reaches_read(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_message_goes_from_pending_to_read_on_postgres() {
    lifecycle_reaches_read(Backend::Postgres).await;
}

#[tokio::test]
async fn the_idempotency_key_prevents_a_double_send() {
    let app = spawn(Backend::Sqlite, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let body = json!({"to": DANA, "content": {"type": "template", "name": "hello_world", "language": "en_US"}});
    let path = format!("/v1/tenants/{tenant}/messages");
    let (first_status, first) = app
        .call_with(
            Method::POST,
            &path,
            &key,
            Some(body.clone()),
            &[("Idempotency-Key", "order-1")],
        )
        .await;
    let (second_status, second) = app
        .call_with(
            Method::POST,
            &path,
            &key,
            Some(body),
            &[("Idempotency-Key", "order-1")],
        )
        .await;
    assert_eq!(first_status, StatusCode::ACCEPTED, "{first}");
    assert_eq!(second_status, StatusCode::OK, "{second}");
    assert_eq!(first["id"], second["id"]);
    app.wait_message(&tenant, &key, first["id"].as_str().unwrap(), |m| {
        m["status"] != "pending"
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        app.sim.control().messages().len(),
        1,
        "Meta must have received exactly one send"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn one_tenants_key_cannot_reach_another_tenant() {
    let app = spawn(Backend::Sqlite, quick_webhooks()).await;
    let (a, key_a) = app.connected_tenant("A", &NUMBER_A).await;
    let (b, key_b) = app.connected_tenant("B", &NUMBER_B).await;
    let template = json!({"to": DANA, "content": {"type": "template", "name": "hello_world", "language": "en_US"}});
    let (_, sent) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{a}/messages"),
            &key_a,
            Some(template.clone()),
        )
        .await;
    let id = sent["id"].as_str().unwrap();

    for (method, path, body) in [
        (Method::GET, format!("/v1/tenants/{a}/messages/{id}"), None),
        (Method::GET, format!("/v1/tenants/{a}/messages"), None),
        (
            Method::POST,
            format!("/v1/tenants/{a}/messages"),
            Some(template.clone()),
        ),
        (Method::GET, format!("/v1/tenants/{a}/connection"), None),
        (Method::GET, format!("/v1/tenants/{a}"), None),
    ] {
        let (status, body) = app.call(method, &path, &key_b, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["code"], "forbidden");
    }
    // Even through its own path, B cannot see A's message by id.
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{b}/messages/{id}"),
            &key_b,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Tenant keys cannot manage tenants; no key at all is 401.
    let (status, _) = app.call(Method::GET, "/v1/tenants", &key_a, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(Method::GET, "/v1/tenants", "wak_not-a-key", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.shutdown().await;
}

#[tokio::test]
async fn errors_are_json_with_a_stable_code() {
    let app = spawn(Backend::Sqlite, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let path = format!("/v1/tenants/{tenant}/messages");

    let (status, body) = app
        .call(
            Method::POST,
            &path,
            &key,
            Some(json!({"to": "12", "content": {"type": "text", "body": "x"}})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input")),
        "{body}"
    );
    assert_eq!(body["field"], "to");

    let long = "א".repeat(4097);
    let (status, body) = app
        .call(
            Method::POST,
            &path,
            &key,
            Some(json!({"to": DANA, "content": {"type": "text", "body": long}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("4096"), "{body}");

    let (status, body) = app
        .call(
            Method::POST,
            &path,
            &key,
            Some(json!({"to": DANA, "content": {"type": "text", "body": "hi"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "window_closed");
    assert!(body["message"].as_str().unwrap().contains("template"));

    let (status, body) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{}", uuid::Uuid::now_v7()),
            ADMIN,
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    let (status, _) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/disable"),
            ADMIN,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let template = json!({"to": DANA, "content": {"type": "template", "name": "hello_world", "language": "en_US"}});
    let (status, body) = app.call(Method::POST, &path, &key, Some(template)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("tenant_disabled")),
        "{body}"
    );

    let (status, doc) = app.call(Method::GET, "/openapi.json", "", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["paths"]["/v1/tenants/{tenant_id}/messages"].is_object());
    app.shutdown().await;
}
