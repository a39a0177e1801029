//! Meta's webhooks end to end: signatures, duplicates and reordering, restarts.

use hmac::{Hmac, KeyInit, Mac};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sha2::Sha256;

use crate::support::{APP_SECRET, Backend, NUMBER_A, quick_webhooks, spawn};

pub(crate) fn sign(body: &[u8]) -> String {
    sign_with(APP_SECRET, body)
}

fn sign_with(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A customer's text message sent just now (the window opens from Meta's timestamp).
pub(crate) fn inbound_body(wamid: &str, from: &str, text: &str) -> Vec<u8> {
    let sent = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": NUMBER_A.waba_id, "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100001", "phone_number_id": NUMBER_A.phone_number_id},
        "contacts": [{"profile": {"name": "Dana"}, "wa_id": from}],
        "messages": [{"from": from, "id": wamid, "timestamp": sent, "type": "text", "text": {"body": text}}]
    }}]}]});
    serde_json::to_vec(&body).unwrap()
}

#[tokio::test]
async fn a_bad_or_missing_signature_stores_nothing() {
    let app = spawn(Backend::Sqlite, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let body = inbound_body("wamid.forged", "972541234567", "forged");
    let url = format!("{}/webhooks/whatsapp", app.base);
    for signature in [
        Some("sha256=0000".to_owned()),
        None,
        Some(sign(b"another body")),
    ] {
        let mut request = app.http.post(&url).body(body.clone());
        if let Some(signature) = &signature {
            request = request.header("X-Hub-Signature-256", signature);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{signature:?}");
    }
    assert_eq!(app.count_rows("webhook_inbox").await, 0);
    let (_, messages) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/messages"),
            &key,
            None,
        )
        .await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 0);

    // The same body, signed, is stored and answered exactly 200.
    let response = app
        .http
        .post(&url)
        .header("X-Hub-Signature-256", sign(&body))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.count_rows("webhook_inbox").await, 1);
    // Not JSON at all: 400.
    let junk = b"<html>502</html>".to_vec();
    let response = app
        .http
        .post(&url)
        .header("X-Hub-Signature-256", sign(&junk))
        .body(junk)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    app.shutdown().await;
}

#[tokio::test]
async fn the_handshake_echoes_the_challenge() {
    let app = spawn(Backend::Sqlite, quick_webhooks()).await;
    let url = format!(
        "{}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444",
        app.base
    );
    let response = app.http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(response.text().await.unwrap(), "1158201444");
    let wrong = url.replace("verify-me", "nope");
    assert_eq!(
        app.http.get(&wrong).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    app.shutdown().await;
}

async fn duplicated_reordered_batched(backend: Backend) {
    let chaos = wa_sim::WebhookBehaviour {
        duplicate_rate: 1.0,
        reorder_rate: 1.0,
        batch_max: 10,
        batch_window_ms: 30,
        ..quick_webhooks()
    };
    let app = spawn(backend, chaos).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
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
    let mut ids = Vec::new();
    for n in 0..5 {
        let (status, sent) = app
            .call(Method::POST, &format!("/v1/tenants/{tenant}/messages"), &key,
                Some(json!({"to": customer, "content": {"type": "text", "body": format!("reply {n}")}})))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        ids.push(sent["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        app.wait_message(&tenant, &key, id, |m| m["status"] == "read")
            .await;
    }
    // The duplicated inbound message was recorded once.
    let (_, inbound) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/messages?direction=inbound"),
            &key,
            None,
        )
        .await;
    assert_eq!(inbound["items"].as_array().unwrap().len(), 1, "{inbound}");
    app.shutdown().await;
}

#[tokio::test]
async fn duplicated_reordered_and_batched_webhooks_on_sqlite() {
    duplicated_reordered_batched(Backend::Sqlite).await;
}

#[tokio::test]
async fn duplicated_reordered_and_batched_webhooks_on_postgres() {
    duplicated_reordered_batched(Backend::Postgres).await;
}

#[tokio::test]
async fn a_webhook_stored_before_a_crash_is_processed_after_restart() {
    let mut app = spawn(Backend::Sqlite, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    app.stop_server().await;

    // What a crash leaves behind: a stored body, received but never processed.
    let body = inbound_body("wamid.after-crash", "972541234567", "are you open?");
    {
        let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
        use sea_orm::ConnectionTrait;
        let now = time::OffsetDateTime::now_utc();
        // SQLite keeps times as fixed-width UTC text (see wa-store's timestamp module).
        let stamp = now
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
            ))
            .unwrap();
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO webhook_inbox (received_at, body, attempts, next_attempt_at) VALUES (?, ?, 0, ?)",
            [stamp.clone().into(), body.into(), stamp.into()],
        ))
        .await
        .unwrap();
    }

    app.start_server().await;
    app.wait_window_open(&tenant, &key, "972541234567").await;
    let (_, inbound) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/messages?direction=inbound"),
            &key,
            None,
        )
        .await;
    assert_eq!(inbound["items"][0]["content"]["body"], "are you open?");
    app.shutdown().await;
}

#[tokio::test]
async fn during_an_app_secret_rotation_both_secrets_are_accepted() {
    let mut app = spawn(Backend::Sqlite, quick_webhooks()).await;
    app.stop_server().await;
    app.app_secrets = format!("new-app-secret, {APP_SECRET}");
    app.start_server().await;
    let url = format!("{}/webhooks/whatsapp", app.base);
    let body = inbound_body("wamid.rotation", "972541234567", "hi");
    for (secret, expected) in [
        ("new-app-secret", StatusCode::OK),
        (APP_SECRET, StatusCode::OK),
        ("some-other-secret", StatusCode::UNAUTHORIZED),
    ] {
        let response = app
            .http
            .post(&url)
            .header("X-Hub-Signature-256", sign_with(secret, &body))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected, "signed with {secret}");
    }
    assert_eq!(app.count_rows("webhook_inbox").await, 2);
    app.shutdown().await;
}
