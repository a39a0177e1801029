//! Webhook bodies that cannot be applied: a NUL in a customer's text is replaced, so the message
//! and the window are applied on PostgreSQL as on SQLite; a body that keeps failing is parked
//! after `WA_INBOX_MAX_ATTEMPTS` with its error, counted, listed for the operator (API and CLI)
//! and replayed, without ever holding up the bodies beside it.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::{
    hostile::counter,
    support::{ADMIN, Backend, NUMBER_A, TestApp, quick_webhooks, spawn, wa_command},
    webhooks::{inbound_body, sign},
};

async fn post_webhook(app: &TestApp, body: &[u8]) {
    let response = app
        .http
        .post(format!("{}/webhooks/whatsapp", app.base))
        .header("X-Hub-Signature-256", sign(body))
        .header("Content-Type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn a_nul_in_a_webhook_is_replaced_and_applied(backend: Backend) {
    let app = spawn(backend, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let customer = "972541234567";
    let sent = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": NUMBER_A.waba_id, "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100001", "phone_number_id": NUMBER_A.phone_number_id},
        "contacts": [{"profile": {"name": "Da\u{0}na"}, "wa_id": customer}],
        "messages": [{"from": customer, "id": "wamid.nul", "timestamp": sent, "type": "text", "text": {"body": "hi\u{0}there"}}]
    }}]}]});
    let body = serde_json::to_vec(&body).unwrap();
    assert!(String::from_utf8_lossy(&body).contains("\\u0000"));
    post_webhook(&app, &body).await;
    app.wait_window_open(&tenant, &key, customer).await;
    let (status, reply) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/messages"),
            &key,
            Some(json!({"to": customer, "content": {"type": "text", "body": "thanks"}})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    let (_, inbound) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/messages?direction=inbound"),
            &key,
            None,
        )
        .await;
    let items = inbound["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{inbound}");
    assert_eq!(items[0]["content"]["body"], "hi\u{FFFD}there", "{inbound}");
    assert_eq!(
        app.count_rows("webhook_inbox WHERE processed_at IS NULL")
            .await,
        0
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_nul_in_a_webhook_is_replaced_and_applied_on_sqlite() {
    a_nul_in_a_webhook_is_replaced_and_applied(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_nul_in_a_webhook_is_replaced_and_applied_on_postgres() {
    a_nul_in_a_webhook_is_replaced_and_applied(Backend::Postgres).await;
}

/// Makes the database refuse one wamid, as a row the store can never write would.
async fn refuse_wamid(app: &TestApp, backend: Backend, wamid: &str) {
    let db = Database::connect(&app.database_url).await.unwrap();
    match backend {
        Backend::Postgres => {
            db.execute_unprepared(&format!(
                "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN \
                 IF NEW.wa_message_id = '{wamid}' THEN RAISE EXCEPTION 'poison row refused by the test'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ))
            .await
            .unwrap();
            db.execute_unprepared(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON whatsapp_messages \
                 FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
            )
            .await
            .unwrap();
        }
        Backend::Sqlite => {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON whatsapp_messages \
                 WHEN NEW.wa_message_id = '{wamid}' \
                 BEGIN SELECT RAISE(ABORT, 'poison row refused by the test'); END"
            ))
            .await
            .unwrap();
        }
    }
}

async fn accept_wamids_again(app: &TestApp, backend: Backend) {
    let db = Database::connect(&app.database_url).await.unwrap();
    let drop = match backend {
        Backend::Postgres => "DROP TRIGGER refuse_poison ON whatsapp_messages",
        Backend::Sqlite => "DROP TRIGGER refuse_poison",
    };
    db.execute_unprepared(drop).await.unwrap();
}

async fn parked(app: &TestApp) -> Vec<Value> {
    let (status, list) = app
        .call(Method::GET, "/v1/admin/webhook-inbox/parked", ADMIN, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"].as_array().unwrap().clone()
}

async fn a_body_that_keeps_failing_is_parked_listed_and_replayed(backend: Backend) {
    let mut app = spawn(backend, quick_webhooks()).await;
    app.restart_with(&[("WA_INBOX_MAX_ATTEMPTS", "3")]).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    refuse_wamid(&app, backend, "wamid.POISON").await;
    let before = app.metrics_text().await;

    let poisoned = "972500000001";
    let healthy = "972500000002";
    post_webhook(
        &app,
        &inbound_body("wamid.POISON", poisoned, "never stored"),
    )
    .await;
    post_webhook(&app, &inbound_body("wamid.fine", healthy, "hello")).await;
    // The body beside the poisoned one is applied.
    app.wait_window_open(&tenant, &key, healthy).await;

    let mut items = Vec::new();
    for _ in 0..300 {
        items = parked(&app).await;
        if !items.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(items.len(), 1, "one body parked: {items:?}");
    let item = &items[0];
    assert_eq!(item["attempts"], 3, "{item}");
    assert!(
        item["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{item}"
    );
    assert!(item["parked_at"].is_string(), "{item}");
    let id = item["id"].as_i64().unwrap();
    // Parked means left alone: no further attempts.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(parked(&app).await[0]["attempts"], 3);

    let after = app.metrics_text().await;
    assert!(
        counter(&after, "wa_webhook_inbox_parked_total")
            - counter(&before, "wa_webhook_inbox_parked_total")
            >= 1.0,
        "{after}"
    );
    assert_eq!(counter(&after, "wa_webhook_inbox_parked "), 1.0, "{after}");

    // Operators only.
    let (status, _) = app
        .call(Method::GET, "/v1/admin/webhook-inbox/parked", &key, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The CLI lists it too.
    let output = wa_command()
        .env("RUST_LOG", "warn")
        .envs(app.settings())
        .args(["inbox", "parked"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(listed.contains(&id.to_string()), "{listed}");
    assert!(listed.contains("poison"), "{listed}");

    // Once the cause is fixed, a replay applies it.
    accept_wamids_again(&app, backend).await;
    let (status, replayed) = app
        .call(
            Method::POST,
            &format!("/v1/admin/webhook-inbox/parked/{id}/replay"),
            ADMIN,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replayed}");
    app.wait_window_open(&tenant, &key, poisoned).await;
    assert!(parked(&app).await.is_empty());
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/v1/admin/webhook-inbox/parked/{id}/replay"),
            ADMIN,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.shutdown().await;
}

#[tokio::test]
async fn a_body_that_keeps_failing_is_parked_listed_and_replayed_on_sqlite() {
    a_body_that_keeps_failing_is_parked_listed_and_replayed(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_body_that_keeps_failing_is_parked_listed_and_replayed_on_postgres() {
    a_body_that_keeps_failing_is_parked_listed_and_replayed(Backend::Postgres).await;
}
