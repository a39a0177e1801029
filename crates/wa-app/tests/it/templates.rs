//! Template management through the tenant API, over real HTTP against the simulator, which
//! reviews templates like Meta: a tenant creates, edits and deletes a template; Meta's rules
//! are checked locally first (naming the field, nothing sent); Meta's own refusals come back as
//! 422; review outcomes arrive by webhook, update the catalogue and are events.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wa_sim::TemplateReview;

use crate::support::{Backend, NUMBER_A, TestApp, quick_webhooks, spawn};

fn draft(name: &str) -> Value {
    json!({
        "name": name,
        "language": "en_US",
        "category": "utility",
        "components": [
            {"type": "header", "format": "text", "text": "Order update"},
            {"type": "body", "text": "Hi {{1}}, order {{2}} has shipped.",
             "examples": [{"value": "Ada"}, {"value": "42"}]},
            {"type": "footer", "text": "Thanks for shopping"},
            {"type": "buttons", "buttons": [
                {"type": "quick_reply", "text": "Stop"},
                {"type": "url", "text": "Track", "url": "https://shop.test/t/{{1}}",
                 "example": "https://shop.test/t/42"}
            ]}
        ]
    })
}

async fn templates(app: &TestApp, tenant: &str, key: &str) -> Vec<Value> {
    let (status, list) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/templates"),
            key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["templates"].as_array().unwrap().clone()
}

/// Waits until the catalogue holds template `id` with `status`.
async fn wait_status(app: &TestApp, tenant: &str, key: &str, id: &str, status: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        if let Some(found) = templates(app, tenant, key)
            .await
            .into_iter()
            .find(|t| t["id"] == id)
        {
            if found["status"] == status {
                return found;
            }
            last = found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("template {id} never became {status}: {last}");
}

fn template_requests(app: &TestApp) -> usize {
    app.sim
        .control()
        .requests()
        .iter()
        .filter(|r| r.path.contains("message_templates") && r.method == "POST")
        .count()
}

async fn manage_templates(backend: Backend) {
    let app = spawn(backend, quick_webhooks()).await;
    app.sim.control().set_template_review(TemplateReview {
        delay_ms: 50,
        ..TemplateReview::default()
    });
    let (tenant, key) = app.connected_tenant("Templates", &NUMBER_A).await;
    let path = format!("/v1/tenants/{tenant}/templates");

    // Meta's rules are checked here first: the field is named and Meta is not asked.
    let mut bad = draft("Order Update");
    let (status, refused) = app.call(Method::POST, &path, &key, Some(bad.clone())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(
        (&refused["code"], &refused["field"]),
        (&json!("invalid_input"), &json!("name"))
    );
    bad["name"] = json!("order_update");
    bad["components"][1]["examples"] = json!([]);
    let (status, refused) = app.call(Method::POST, &path, &key, Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["field"], "components[1].examples");
    assert_eq!(template_requests(&app), 0, "nothing reached Meta");

    // Created: stored as Meta answered, then reviewed.
    let (status, created) = app
        .call(Method::POST, &path, &key, Some(draft("order_update")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "PENDING");
    assert_eq!(created["category"], "UTILITY");
    assert_eq!(created["parameters"]["body"]["count"], 2);
    let id = created["id"].as_str().unwrap().to_owned();
    let approved = wait_status(&app, &tenant, &key, &id, "APPROVED").await;
    assert_eq!(approved["name"], "order_update");

    // Meta's own refusal (the name exists in that language) is the caller's to fix: 422.
    let (status, refused) = app
        .call(Method::POST, &path, &key, Some(draft("order_update")))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["code"], "meta_refused");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{refused}"
    );

    // The catalogue is current: a message for the new template passes the local check.
    let (status, queued) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/messages"),
            &key,
            Some(json!({"to": "+15550001111", "content": {"type": "template",
                "name": "order_update", "language": "en_US",
                "body": [{"type": "text", "text": "Ada"}, {"type": "text", "text": "42"}],
                "buttons": [{"sub_type": "url", "index": 1, "text": "42"}]}})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");

    // Edited: back in review with the new components, then approved again.
    let (status, edited) = app
        .call(
            Method::PATCH,
            &format!("{path}/{id}"),
            &key,
            Some(json!({"components": [
                {"type": "body", "text": "Hello {{1}}, your order is on its way.",
                 "examples": [{"value": "Ada"}]}
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["status"], "PENDING");
    assert_eq!(edited["parameters"]["body"]["count"], 1);
    wait_status(&app, &tenant, &key, &id, "APPROVED").await;
    let (status, refused) = app
        .call(
            Method::PATCH,
            &format!("{path}/{id}"),
            &key,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");

    // Meta's review can reject (fault injection): the reason's status reaches the catalogue.
    app.sim.control().set_template_review(TemplateReview {
        delay_ms: 50,
        reject_rate: 1.0,
        reject_reason: "PROMOTIONAL".into(),
    });
    let (status, created) = app
        .call(Method::POST, &path, &key, Some(draft("flash_sale")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let rejected_id = created["id"].as_str().unwrap().to_owned();
    wait_status(&app, &tenant, &key, &rejected_id, "REJECTED").await;

    // Each change is an event for the tenant's application.
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/events?after=0&limit=1000"),
            &key,
            None,
        )
        .await;
    let statuses: Vec<(String, String)> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "template.status")
        .map(|e| {
            (
                e["data"]["name"].as_str().unwrap().to_owned(),
                e["data"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let of = |name: &str| -> Vec<&str> {
        statuses
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, s)| s.as_str())
            .collect()
    };
    assert_eq!(
        of("order_update"),
        ["PENDING", "APPROVED", "PENDING", "APPROVED"]
    );
    assert_eq!(of("flash_sale"), ["PENDING", "REJECTED"]);

    // Deleted, at Meta and from the catalogue.
    let (status, deleted) = app
        .call(Method::DELETE, &format!("{path}/{id}"), &key, None)
        .await;
    assert_eq!((status, &deleted), (StatusCode::OK, &json!({"deleted": 1})));
    assert!(
        !templates(&app, &tenant, &key)
            .await
            .iter()
            .any(|t| t["name"] == "order_update")
    );
    let (status, deleted) = app
        .call(
            Method::DELETE,
            &format!("{path}?name=flash_sale"),
            &key,
            None,
        )
        .await;
    assert_eq!((status, &deleted), (StatusCode::OK, &json!({"deleted": 1})));
    let (status, _) = app
        .call(Method::DELETE, &format!("{path}/{id}"), &key, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A sync from Meta agrees with the catalogue: the deleted templates are gone there too.
    let (status, synced) = app
        .call(Method::POST, &format!("{path}/sync"), &key, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{synced}");
    let names: Vec<&str> = synced["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["hello_world"]);
    app.shutdown().await;
}

#[tokio::test]
async fn a_tenant_creates_edits_and_deletes_templates_on_sqlite() {
    manage_templates(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_tenant_creates_edits_and_deletes_templates_on_postgres() {
    manage_templates(Backend::Postgres).await;
}
