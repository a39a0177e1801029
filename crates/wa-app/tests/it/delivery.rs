//! The durable outbox under pressure, over real HTTP with the simulator's fault injection: a Meta
//! outage loses and duplicates nothing, a burst stays under the number's throughput, and two
//! `wa serve` processes on one PostgreSQL never send a message twice.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use reqwest::{Method, StatusCode};
use serde_json::json;
use wa_sim::{Faults, Outage, OutageMode};

use crate::support::{Backend, NUMBER_A, TestApp, quick_webhooks, spawn};

/// Queues `count` templates to `customers` distinct customers through `bases` in turn; returns
/// our message ids.
async fn queue_templates(
    app: &TestApp,
    bases: &[String],
    tenant: &str,
    key: &str,
    count: usize,
    customers: usize,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let base = &bases[n % bases.len()];
        let customer = format!("1555{:07}", n % customers);
        let response = app
            .http
            .post(format!("{base}/v1/tenants/{tenant}/messages"))
            .bearer_auth(key)
            .json(&json!({"to": customer, "content": {"type": "template", "name": "hello_world", "language": "en_US"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let body: serde_json::Value = response.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
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

/// How many times the simulator accepted each of our message ids (carried in
/// `biz_opaque_callback_data`).
fn accepted_per_id(app: &TestApp) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for message in app.sim.control().messages() {
        if let Some(id) = message.biz_opaque_callback_data {
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    counts
}

fn assert_each_sent_once(app: &TestApp, ids: &[String]) {
    let counts = accepted_per_id(app);
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    let sent: HashSet<&String> = counts.keys().collect();
    let ours: HashSet<&String> = ids.iter().collect();
    assert_eq!(sent, ours, "every message sent exactly once, no other");
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
    assert_each_sent_once(&app, &ids);
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
    assert_each_sent_once(&app, &ids);
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
    assert_each_sent_once(&app, &ids);
    second.shutdown().await;
    app.shutdown().await;
}
