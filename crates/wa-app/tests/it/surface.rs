//! The rest of the service's surface: pagination and filters, the OpenAPI document, health and
//! metrics endpoints, a database outage answered with 503, and a revoked token marking the
//! connection invalid.

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::support::{Backend, NUMBER_A, quick_webhooks, spawn};

const CUSTOMERS: [&str; 3] = ["15550000001", "15550000002", "15550000003"];

fn template_to(customer: &str) -> Value {
    json!({"to": customer, "content": {"type": "template", "name": "hello_world", "language": "en_US"}})
}

/// Every page of a listing, following `next` until it is absent.
async fn all_pages(
    app: &crate::support::TestApp,
    path: &str,
    key: &str,
    limit: u32,
) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let url = match &after {
            Some(after) => format!("{path}&limit={limit}&after={after}"),
            None => format!("{path}&limit={limit}"),
        };
        let (status, page) = app.call(Method::GET, &url, key, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let ids: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(ids.len() <= limit as usize);
        pages.push(ids);
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
        assert!(pages.len() < 50, "pagination does not end");
    }
    pages
}

#[tokio::test]
async fn messages_are_listed_by_customer_and_status_page_by_page() {
    let app = spawn(Backend::Sqlite, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let path = format!("/v1/tenants/{tenant}/messages");
    let mut sent = Vec::new();
    for round in 0..3 {
        for customer in CUSTOMERS {
            let (status, body) = app
                .call(Method::POST, &path, &key, Some(template_to(customer)))
                .await;
            assert_eq!(status, StatusCode::ACCEPTED, "round {round}: {body}");
            sent.push((customer, body["id"].as_str().unwrap().to_owned()));
        }
    }
    for (_, id) in &sent {
        app.wait_message(&tenant, &key, id, |m| m["status"] == "read")
            .await;
    }

    // All nine, newest first, in pages of four: 4 + 4 + 1, no id twice, none missing.
    let pages = all_pages(&app, &format!("{path}?direction=outbound"), &key, 4).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [4, 4, 1]);
    let listed: Vec<String> = pages.concat();
    let mut newest_first: Vec<String> = sent.iter().map(|(_, id)| id.clone()).collect();
    newest_first.reverse();
    assert_eq!(listed, newest_first);

    // One customer's three, in pages of two, given with a leading + as users type it.
    let customer = CUSTOMERS[1];
    let pages = all_pages(&app, &format!("{path}?customer=%2B{customer}"), &key, 2).await;
    let listed: Vec<String> = pages.concat();
    let expected: Vec<String> = sent
        .iter()
        .rev()
        .filter(|(c, _)| *c == customer)
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(listed, expected);

    // By status: all nine are read, none failed.
    let read = all_pages(&app, &format!("{path}?status=read"), &key, 50).await;
    assert_eq!(read.concat().len(), 9);
    let failed = all_pages(&app, &format!("{path}?status=failed"), &key, 50).await;
    assert!(failed.concat().is_empty());

    // Bad filters name their field.
    for (query, field) in [
        ("status=lost", "status"),
        ("customer=abc", "customer"),
        ("direction=sideways", "direction"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
    ] {
        let (status, body) = app
            .call(Method::GET, &format!("{path}?{query}"), &key, None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn openapi_health_and_metrics_are_served() {
    let app = spawn(Backend::Sqlite, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/messages"),
            &key,
            Some(template_to(CUSTOMERS[0])),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let (status, doc) = app.call(Method::GET, "/openapi.json", "", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/tenants",
        "/v1/tenants/{tenant_id}",
        "/v1/tenants/{tenant_id}/connection",
        "/v1/tenants/{tenant_id}/messages",
        "/v1/tenants/{tenant_id}/messages/{message_id}",
        "/v1/tenants/{tenant_id}/conversations",
        "/v1/tenants/{tenant_id}/conversations/{customer}",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }

    let text = |path: &'static str| {
        let http = app.http.clone();
        let url = format!("{}{path}", app.base);
        async move {
            let response = http.get(url).send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    assert_eq!(text("/healthz").await, (StatusCode::OK, "ok".to_owned()));
    assert_eq!(text("/readyz").await, (StatusCode::OK, "ready".to_owned()));
    let (status, metrics) = text("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        metrics.contains("wa_webhook_inbox_backlog"),
        "metrics: {metrics}"
    );
    assert!(
        !metrics.contains(NUMBER_A.token),
        "a token leaked into metrics"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_database_outage_is_answered_with_503_and_no_internals() {
    let app = spawn(Backend::Postgres, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;

    // Take the database away: refuse new connections and end the service's current ones.
    let (server, name) = app.database_url.rsplit_once('/').unwrap();
    let admin = Database::connect(format!("{server}/test")).await.unwrap();
    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();

    let (status, body) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/messages"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "unavailable");
    let text = body.to_string().to_lowercase();
    for internal in [
        "sqlx",
        "postgres",
        "connection",
        "terminat",
        &name.to_lowercase(),
    ] {
        assert!(
            !text.contains(internal),
            "{internal} reached the client: {body}"
        );
    }
    let ready = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);

    // The database comes back: so does the service, without a restart.
    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    let mut recovered = false;
    for _ in 0..100 {
        let (status, _) = app
            .call(
                Method::GET,
                &format!("/v1/tenants/{tenant}/messages"),
                &key,
                None,
            )
            .await;
        if status == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "the service did not recover after the database came back"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_revoked_token_marks_the_connection_invalid_and_holds_sends() {
    let app = spawn(Backend::Sqlite, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    app.sim.control().revoke_token(NUMBER_A.token);

    let path = format!("/v1/tenants/{tenant}/messages");
    let (status, queued) = app
        .call(Method::POST, &path, &key, Some(template_to(CUSTOMERS[0])))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");

    // Meta answers 190: the connection turns invalid and the message is held, not failed.
    let connection_path = format!("/v1/tenants/{tenant}/connection");
    let mut health = Value::Null;
    for _ in 0..200 {
        let (_, connection) = app.call(Method::GET, &connection_path, &key, None).await;
        health = connection["health"].clone();
        if health == "invalid" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(health, "invalid");
    let (_, held) = app
        .call(
            Method::GET,
            &format!("{path}/{}", queued["id"].as_str().unwrap()),
            &key,
            None,
        )
        .await;
    assert_eq!(held["status"], "pending", "{held}");

    // New sends are refused while the connection is invalid, with a code a caller can act on.
    let (status, refused) = app
        .call(Method::POST, &path, &key, Some(template_to(CUSTOMERS[1])))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");

    // The business reconnects with a fresh token: the connection is active again and the held
    // message goes out.
    app.renew_token(&tenant, &key, &NUMBER_A, "token-a-renewed")
        .await;
    app.wait_message(&tenant, &key, queued["id"].as_str().unwrap(), |m| {
        m["status"] == "read"
    })
    .await;
    app.shutdown().await;
}
