//! The durable outbox under pressure, over real HTTP with the simulator's fault injection: a Meta
//! outage loses and duplicates nothing, a burst stays under the number's throughput, and two
//! `wa serve` processes on one PostgreSQL never send a message twice.

use std::{collections::HashMap, time::Duration};

use reqwest::{Method, StatusCode};
use serde_json::json;
use wa_sim::{Faults, Outage, OutageMode};

use crate::support::{Backend, NUMBER_A, TestApp, assert_each_sent_once, quick_webhooks, spawn};

/// Queues `count` templates to `customers` distinct customers through `bases` in turn, sixteen
/// requests at a time; returns our message ids in queueing order.
async fn queue_templates(
    app: &TestApp,
    bases: &[String],
    tenant: &str,
    key: &str,
    count: usize,
    customers: usize,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    let numbers: Vec<usize> = (0..count).collect();
    for chunk in numbers.chunks(16) {
        let requests = chunk.iter().map(|&n| {
            let base = &bases[n % bases.len()];
            let customer = format!("1555{:07}", n % customers);
            app.http
                .post(format!("{base}/v1/tenants/{tenant}/messages"))
                .bearer_auth(key)
                .json(&json!({"to": customer, "content": {"type": "template", "name": "hello_world", "language": "en_US"}}))
                .send()
        });
        for response in futures::future::join_all(requests).await {
            let response = response.unwrap();
            assert_eq!(response.status(), StatusCode::ACCEPTED);
            let body: serde_json::Value = response.json().await.unwrap();
            ids.push(body["id"].as_str().unwrap().to_owned());
        }
    }
    ids
}

/// Waits until every message has left `pending` (or panics after `limit`), returns their states.
async fn wait_all_sent(
    app: &TestApp,
    tenant: &str,
    key: &str,
    ids: &[String],
    limit: Duration,
) -> HashMap<String, String> {
    let started = tokio::time::Instant::now();
    loop {
        let mut states = HashMap::new();
        for id in ids {
            let (_, message) = app
                .call(
                    Method::GET,
                    &format!("/v1/tenants/{tenant}/messages/{id}"),
                    key,
                    None,
                )
                .await;
            states.insert(
                id.clone(),
                message["status"].as_str().unwrap_or("?").to_owned(),
            );
        }
        if states.values().all(|s| s != "pending") {
            return states;
        }
        assert!(
            started.elapsed() < limit,
            "still pending after {limit:?}: {:?}",
            states.values().filter(|s| *s == "pending").count()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn outage(backend: Backend) {
    let app = spawn(backend, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    // Meta drops connections, then answers with an HTML 502 from its front end, then recovers.
    app.sim.control().set_faults(Faults {
        outage: Some(Outage {
            mode: OutageMode::Reset,
            duration_ms: Some(1_500),
        }),
        ..Faults::default()
    });
    let ids = queue_templates(&app, std::slice::from_ref(&app.base), &tenant, &key, 40, 40).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    app.sim.control().set_faults(Faults {
        outage: Some(Outage {
            mode: OutageMode::Http { status: 502 },
            duration_ms: Some(1_500),
        }),
        ..Faults::default()
    });
    let states = wait_all_sent(&app, &tenant, &key, &ids, Duration::from_secs(90)).await;
    assert!(
        states.values().all(|s| s != "failed"),
        "an outage must not fail messages: {states:?}"
    );
    let failed_calls = app
        .sim
        .control()
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages") && r.status != 200)
        .count();
    assert!(
        failed_calls > 0,
        "the outage was not felt: the test proves nothing"
    );
    assert_each_sent_once(&app.sim, &ids);
    app.shutdown().await;
}

#[tokio::test]
async fn a_meta_outage_loses_and_duplicates_nothing_on_sqlite() {
    outage(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_meta_outage_loses_and_duplicates_nothing_on_postgres() {
    outage(Backend::Postgres).await;
}

#[tokio::test]
async fn a_burst_stays_under_the_numbers_throughput() {
    let app = spawn(Backend::Postgres, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    // 400 messages at 80 per second: five seconds of sending if paced, 130429 if not.
    let ids = queue_templates(
        &app,
        std::slice::from_ref(&app.base),
        &tenant,
        &key,
        400,
        400,
    )
    .await;
    wait_all_sent(&app, &tenant, &key, &ids, Duration::from_secs(90)).await;
    let throttled = app
        .sim
        .control()
        .requests()
        .iter()
        .filter(|r| r.error_code == Some(130_429))
        .count();
    assert_eq!(
        throttled, 0,
        "the simulator answered 130429 {throttled} times"
    );
    assert_each_sent_once(&app.sim, &ids);
    app.shutdown().await;
}

#[tokio::test]
async fn two_processes_on_one_postgres_never_send_a_message_twice() {
    let app = spawn(Backend::Postgres, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let second = wa_app::server::start(app.config()).await.unwrap();
    let bases = [app.base.clone(), format!("http://{}", second.api_addr)];
    let ids = queue_templates(&app, &bases, &tenant, &key, 240, 60).await;
    wait_all_sent(&app, &tenant, &key, &ids, Duration::from_secs(90)).await;
    assert_each_sent_once(&app.sim, &ids);
    second.shutdown().await;
    app.shutdown().await;
}

#[tokio::test]
async fn two_processes_pace_one_number_as_one() {
    let app = spawn(Backend::Postgres, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    // A number of 10 messages per second, at Meta (the simulator) and in wa: slow enough that
    // queueing is far faster than sending, whatever the machine's load.
    let mut limits = app.sim.control().limits();
    limits.throughput_per_number = 10;
    app.sim.control().set_limits(limits);
    {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
        db.execute_unprepared(&format!(
            "UPDATE whatsapp_connections SET throughput_mps = 10 WHERE tenant_id = '{tenant}'"
        ))
        .await
        .unwrap();
    }
    let second = wa_app::server::start(app.config()).await.unwrap();
    let bases = [app.base.clone(), format!("http://{}", second.api_addr)];
    // 120 messages queued through both processes: each would pace the number at 10 per second
    // on its own, 20 together, and Meta would answer 130429. The number's lease makes one
    // process pace it at a time.
    let ids = queue_templates(&app, &bases, &tenant, &key, 120, 120).await;
    wait_all_sent(&app, &tenant, &key, &ids, Duration::from_secs(90)).await;
    let throttled = app
        .sim
        .control()
        .requests()
        .iter()
        .filter(|r| r.error_code == Some(130_429))
        .count();
    assert_eq!(
        throttled, 0,
        "the simulator answered 130429 {throttled} times: both processes paced the number"
    );
    assert_each_sent_once(&app.sim, &ids);
    second.shutdown().await;
    app.shutdown().await;
}

/// How many of `ids` are still `pending`.
async fn pending_count(app: &TestApp, tenant: &str, key: &str) -> usize {
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/messages?status=pending&limit=200"),
            key,
            None,
        )
        .await;
    page["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_flood_on_one_tenant_does_not_hold_up_another() {
    let app = spawn(Backend::Postgres, quick_webhooks()).await;
    let (a, key_a) = app.connected_tenant("Flood", &NUMBER_A).await;
    let (b, key_b) = app
        .connected_tenant("Quiet", &crate::support::NUMBER_B)
        .await;
    // A's number is paced at 5 messages per second, so its flood of 200 takes 40 seconds
    // whatever the machine's load; B's number keeps Meta's default.
    {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
        db.execute_unprepared(&format!(
            "UPDATE whatsapp_connections SET throughput_mps = 5 WHERE tenant_id = '{a}'"
        ))
        .await
        .unwrap();
    }
    let flood = queue_templates(&app, std::slice::from_ref(&app.base), &a, &key_a, 200, 200).await;
    let quiet = queue_templates(&app, std::slice::from_ref(&app.base), &b, &key_b, 5, 5).await;
    wait_all_sent(&app, &b, &key_b, &quiet, Duration::from_secs(60)).await;
    // The bound: B's messages are out while at least half of A's flood (queued before them)
    // still waits its turn. Sending 100 of A's takes A's number 20 seconds, so B was not queued
    // behind A: it has its own lane and its own number.
    let a_pending = pending_count(&app, &a, &key_a).await;
    assert!(
        a_pending >= flood.len() / 2,
        "B finished only after {} of A's flood had gone: B was held up",
        flood.len() - a_pending
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_holds_one_tenant_while_others_continue() {
    let app = spawn(Backend::Sqlite, quick_webhooks()).await;
    let (a, key_a) = app.connected_tenant("Expired", &NUMBER_A).await;
    let (b, key_b) = app
        .connected_tenant("Healthy", &crate::support::NUMBER_B)
        .await;
    app.sim.control().revoke_token(NUMBER_A.token);
    // The first send meets Meta's 190 and marks the connection invalid; from then on new
    // messages are refused (409) and the ones already queued wait.
    let mut held = Vec::new();
    for n in 0..10 {
        let (status, body) = app
            .call(
                Method::POST,
                &format!("/v1/tenants/{a}/messages"),
                &key_a,
                Some(json!({
                "to": format!("1444{n:07}"),
                "content": {"type": "template", "name": "hello_world", "language": "en_US"}})),
            )
            .await;
        match status {
            StatusCode::ACCEPTED => held.push(body["id"].as_str().unwrap().to_owned()),
            StatusCode::CONFLICT => break,
            other => panic!("{other}: {body}"),
        }
    }
    assert!(!held.is_empty());
    let flowing = queue_templates(&app, std::slice::from_ref(&app.base), &b, &key_b, 20, 20).await;
    let states = wait_all_sent(&app, &b, &key_b, &flowing, Duration::from_secs(60)).await;
    assert!(states.values().all(|s| s != "failed"), "{states:?}");
    // A's messages wait, none failed, none sent.
    assert_eq!(pending_count(&app, &a, &key_a).await, held.len());
    let (_, connection) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{a}/connection"),
            &key_a,
            None,
        )
        .await;
    assert_eq!(connection["health"], "invalid");

    // New credentials: A's held messages go out, each once.
    app.renew_token(&a, &key_a, &NUMBER_A, "token-a-renewed")
        .await;
    wait_all_sent(&app, &a, &key_a, &held, Duration::from_secs(60)).await;
    let mut all = held.clone();
    all.extend(flowing);
    assert_each_sent_once(&app.sim, &all);
    app.shutdown().await;
}
