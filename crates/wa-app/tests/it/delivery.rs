//! The durable outbox under pressure, over real HTTP with the simulator's fault injection: a Meta
//! outage loses and duplicates nothing, a burst of 5,000 stays under the number's throughput, a
//! burst to one recipient respects Meta's pair rate, and two `wa serve` processes on one
//! PostgreSQL never send a message twice.

use std::{collections::HashMap, time::Duration};

use reqwest::{Method, StatusCode};
use serde_json::json;
use wa_sim::{Faults, Outage, OutageMode};

use crate::support::{
    Backend, NUMBER_A, TestApp, any_in_state, assert_each_sent_once, list_messages,
    queue_templates, quick_webhooks, spawn,
};

/// Waits until every message has left `pending` (or panics after `limit`), returns their states.
async fn wait_all_sent(
    app: &TestApp,
    tenant: &str,
    key: &str,
    ids: &[String],
    limit: Duration,
) -> HashMap<String, String> {
    let started = tokio::time::Instant::now();
    while any_in_state(&app.http, &app.base, tenant, key, "", &["pending"]).await {
        assert!(
            started.elapsed() < limit,
            "still pending after {limit:?}: {}",
            list_messages(&app.http, &app.base, tenant, key, "status=pending")
                .await
                .len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut listed = list_messages(&app.http, &app.base, tenant, key, "").await;
    ids.iter()
        .map(|id| {
            let message = listed
                .remove(id)
                .unwrap_or_else(|| panic!("message {id} is not listed"));
            (id.clone(), message["status"].as_str().unwrap().to_owned())
        })
        .collect()
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
    let ids = queue_templates(
        &app,
        std::slice::from_ref(&app.base),
        &tenant,
        &key,
        40,
        40,
        16,
    )
    .await;
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
async fn a_burst_of_5000_stays_under_the_numbers_throughput() {
    const COUNT: usize = 5_000;
    const MPS: usize = 80;
    // Statuses in batches, as Meta sends them under load: they are not what this test is
    // about, and one POST each would take the CPU the queueing needs.
    let batched = wa_sim::WebhookBehaviour {
        batch_max: 100,
        batch_window_ms: 200,
        ..quick_webhooks()
    };
    let app = spawn(Backend::Postgres, batched).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    // 5,000 messages on one number at Meta's default 80 per second: a minute of sending if
    // paced, 130429 from the simulator if not. Queued 64 at a time, as fast as the API takes
    // them (a debug build on two loaded cores takes about twice the number's rate).
    let ids = queue_templates(
        &app,
        std::slice::from_ref(&app.base),
        &tenant,
        &key,
        COUNT,
        COUNT,
        64,
    )
    .await;
    let sent_when_queued = app.sim.control().messages().len();
    // The number, not the queueing, was the bottleneck: a backlog waited for it.
    assert!(
        sent_when_queued <= COUNT * 9 / 10,
        "queueing was too slow to make a burst: {sent_when_queued} of {COUNT} already sent"
    );
    let states = wait_all_sent(&app, &tenant, &key, &ids, Duration::from_secs(240)).await;
    assert!(
        states.values().all(|s| s != "failed"),
        "{} failed",
        states.values().filter(|s| *s == "failed").count()
    );
    let throttled = answered_with(&app, 130_429);
    assert_eq!(
        throttled, 0,
        "the simulator answered 130429 {throttled} times"
    );
    assert_each_sent_once(&app.sim, &ids);
    // The pace, from the simulator's clock: Meta's limiter lets a second's worth (80) through at
    // once, then one per 1/80 s, so the 5,000 accepted sends span at least (5000 - 80) / 80 s.
    // A second of slack covers the first send's extra latency (cold connections).
    let accepted: Vec<u64> = app
        .sim
        .control()
        .messages()
        .iter()
        .map(|m| m.at_ms)
        .collect();
    let span_ms = accepted.iter().max().unwrap() - accepted.iter().min().unwrap();
    let floor_ms = ((COUNT - MPS) * 1_000 / MPS) as u64 - 1_000;
    assert!(
        span_ms >= floor_ms,
        "{COUNT} sends in {span_ms} ms: faster than {MPS} per second"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_burst_to_one_recipient_respects_the_pair_rate() {
    // Meta's pair rate, as the simulator enforces it and wa paces it (wa has no setting for it,
    // so the test runs Meta's real figures): 45 messages to one user at once, then one per 6 s.
    // 48 messages: 45 at once, the last three 6, 12 and 18 s after the first.
    const COUNT: usize = 48;
    let app = spawn(Backend::Postgres, quick_webhooks()).await;
    let limits = app.sim.control().limits();
    assert_eq!((limits.pair_interval_ms, limits.pair_burst), (6_000, 45));
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let ids = queue_templates(
        &app,
        std::slice::from_ref(&app.base),
        &tenant,
        &key,
        COUNT,
        1,
        16,
    )
    .await;
    let states = wait_all_sent(&app, &tenant, &key, &ids, Duration::from_secs(90)).await;
    assert!(states.values().all(|s| s != "failed"), "{states:?}");
    let refused = app
        .sim
        .control()
        .requests()
        .iter()
        .filter(|r| r.error_code.is_some())
        .map(|r| r.error_code)
        .collect::<Vec<_>>();
    assert!(
        refused.is_empty(),
        "the simulator refused sends (131056 is the pair rate): {refused:?}"
    );
    assert_each_sent_once(&app.sim, &ids);
    // Those beyond the burst were spread out: the k-th accepted (from 0) came at least
    // (k - 44) × 6 s after the first, on the simulator's clock.
    let mut accepted: Vec<u64> = app
        .sim
        .control()
        .messages()
        .iter()
        .map(|m| m.at_ms)
        .collect();
    accepted.sort_unstable();
    let first = accepted[0];
    let offsets: Vec<u64> = accepted.iter().map(|at| at - first).collect();
    for (k, offset) in offsets.iter().enumerate().skip(45) {
        assert!(
            *offset >= (k as u64 - 44) * 6_000,
            "message {k} left {offset} ms after the first: {offsets:?}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn two_processes_on_one_postgres_never_send_a_message_twice() {
    let app = spawn(Backend::Postgres, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let second = wa_app::server::start(app.config()).await.unwrap();
    let bases = [app.base.clone(), format!("http://{}", second.api_addr)];
    let ids = queue_templates(&app, &bases, &tenant, &key, 240, 60, 16).await;
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
    let ids = queue_templates(&app, &bases, &tenant, &key, 120, 120, 16).await;
    wait_all_sent(&app, &tenant, &key, &ids, Duration::from_secs(90)).await;
    let throttled = answered_with(&app, 130_429);
    assert_eq!(
        throttled, 0,
        "the simulator answered 130429 {throttled} times: both processes paced the number"
    );
    assert_each_sent_once(&app.sim, &ids);
    second.shutdown().await;
    app.shutdown().await;
}

/// How many Graph calls the simulator answered with the error `code`.
fn answered_with(app: &TestApp, code: u32) -> usize {
    app.sim
        .control()
        .requests()
        .iter()
        .filter(|r| r.error_code == Some(code))
        .count()
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
    let flood = queue_templates(
        &app,
        std::slice::from_ref(&app.base),
        &a,
        &key_a,
        200,
        200,
        16,
    )
    .await;
    let quiet = queue_templates(&app, std::slice::from_ref(&app.base), &b, &key_b, 5, 5, 16).await;
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
    let flowing = queue_templates(
        &app,
        std::slice::from_ref(&app.base),
        &b,
        &key_b,
        20,
        20,
        16,
    )
    .await;
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
