//! `kill -9` of a real `wa serve` process, then a restart on the same database and port:
//!
//! - in the middle of sending 10,000 messages: every message reaches a final state, none is
//!   sent twice, every status webhook is applied, and the event log holds each state change
//!   exactly once;
//! - in the middle of a flood of Meta's webhooks (inbound messages and statuses): every webhook
//!   is applied, none twice (the simulator retries what was not answered 200, as Meta does).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    net::TcpListener,
    process::{Child, Stdio},
    time::Duration,
};

use serde_json::Value;
use wa_sim::{CustomerRef, DeliveryState, InboundContent, InboundRequest, WebhookBehaviour};

use crate::support::{
    Backend, NUMBER_A, TestApp, any_in_state, assert_each_sent_once, list_messages,
    queue_templates, quick_webhooks, spawn, wa_command,
};

/// A free port on loopback (bound, then released for the child to take).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `wa serve` as its own process, configured like the test's in-process server, with claims on
/// the outbox leased for `lease_seconds`.
fn serve(app: &TestApp, port: u16, lease_seconds: u32) -> Child {
    let mut command = wa_command();
    for (name, value) in app.settings() {
        command.env(name, value);
    }
    command
        .env("WA_LISTEN", format!("127.0.0.1:{port}"))
        .env("WA_OUTBOX_LEASE_SECONDS", lease_seconds.to_string())
        .env("RUST_LOG", "warn")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("wa serve starts")
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if let Ok(response) = http.get(format!("{base}/readyz")).send().await
            && response.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("wa serve at {base} never became ready");
}

/// How long the children's claims on the outbox last. A send in flight at the kill (accepted by
/// Meta, its wamid not yet stored) is settled by its status webhook, which carries our id in
/// `biz_opaque_callback_data`: the restarted process applies the webhooks the dead one had stored
/// once their lease lapses (`WA_INBOX_LEASE_SECONDS`, 5 s in the tests), and a message whose
/// outbox claim lapsed unfinished waits the in-doubt grace (10 s in the tests) before it goes
/// again. Short only to keep the tests short; production keeps 60 s, 30 s and 60 s.
const LEASE_SECONDS: u32 = 20;

/// Meta's upgraded tier (1,000 messages per second) for `NUMBER_A`, at the simulator and in the
/// connection row wa paces by.
async fn upgrade_throughput(app: &TestApp, tenant: &str) {
    let mut limits = app.sim.control().limits();
    limits.throughput_per_number = 1_000;
    app.sim.control().set_limits(limits);
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared(&format!(
        "UPDATE whatsapp_connections SET throughput_mps = 1000 WHERE tenant_id = '{tenant}'"
    ))
    .await
    .unwrap();
}

/// Stops the in-process server and runs `wa serve` as a child on a free port instead, with the
/// simulator's webhooks pointed at it; returns the child, its port and its base URL.
async fn serve_child(app: &mut TestApp, lease_seconds: u32) -> (Child, u16, String) {
    app.stop_server().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    app.sim
        .control()
        .set_callback_url(Some(format!("{base}/webhooks/whatsapp")));
    let child = serve(app, port, lease_seconds);
    wait_ready(&app.http, &base).await;
    (child, port, base)
}

fn kill_9(mut child: Child) {
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
}

#[tokio::test]
async fn kill_9_in_the_middle_of_10_000_sends_loses_nothing_and_sends_nothing_twice() {
    const COUNT: usize = 10_000;
    // Ten messages per customer: far under the pair rate's burst of 45.
    const CUSTOMERS: usize = 1_000;
    // Statuses in batches, as Meta sends them under load (up to 1,000 per POST); what was not
    // answered 200 is retried soon, so the statuses of sends in flight at the kill reach the
    // restarted process well within the lease.
    let batched = WebhookBehaviour {
        batch_max: 50,
        batch_window_ms: 20,
        retry_initial_ms: 100,
        retry_max_ms: 1_000,
        max_attempts: 10_000,
        ..quick_webhooks()
    };
    let mut app = spawn(Backend::Postgres, batched).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    upgrade_throughput(&app, &tenant).await;
    let (child, port, base) = serve_child(&mut app, LEASE_SECONDS).await;

    // Queue everything (the worker starts sending at once).
    let ids = queue_templates(
        &app,
        std::slice::from_ref(&base),
        &tenant,
        &key,
        COUNT,
        CUSTOMERS,
        32,
    )
    .await;
    // Kill it mid-send: a good part sent, not all.
    let started = tokio::time::Instant::now();
    while app.sim.control().messages().len() < COUNT / 3 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "sending never got going"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kill_9(child);
    let sent_before = app.sim.control().messages().len();
    assert!(
        sent_before < COUNT,
        "the kill must land mid-send (sent {sent_before} of {COUNT})"
    );

    // Restart on the same database and port; wait until every message is read.
    let child = serve(&app, port, LEASE_SECONDS);
    wait_ready(&app.http, &base).await;
    let started = tokio::time::Instant::now();
    while any_in_state(
        &app.http,
        &base,
        &tenant,
        &key,
        "",
        &["pending", "accepted", "sent", "delivered"],
    )
    .await
    {
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "messages still on their way after 240 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let states = list_messages(&app.http, &base, &tenant, &key, "").await;
    let events = all_events(&app.http, &base, &tenant, &key).await;
    kill_9(child);

    let not_read: Vec<_> = states
        .values()
        .filter(|m| m["status"] != "read")
        .map(|m| (&m["id"], &m["status"]))
        .collect();
    assert!(
        states.len() == COUNT && not_read.is_empty(),
        "{} messages, {} not read: {:?}",
        states.len(),
        not_read.len(),
        not_read.iter().take(5).collect::<Vec<_>>()
    );
    assert_each_sent_once(&app.sim, &ids);
    each_change_has_one_event(&events, &ids);
    app.shutdown().await;
}

#[tokio::test]
async fn kill_9_during_a_webhook_flood_applies_every_webhook_once() {
    // 2,000 customer messages (from 400 customers, five each) and 1,500 status webhooks (sent,
    // delivered, read of 500 messages of ours): 3,500 webhooks, one per POST.
    const INBOUND: usize = 2_000;
    const WRITERS: usize = 400;
    const OUTBOUND: usize = 500;
    const WEBHOOKS: usize = INBOUND + 3 * OUTBOUND;
    // Meta retries what was not answered 200; the simulator does so quickly and never gives up
    // within the test.
    let retrying = WebhookBehaviour {
        retry_initial_ms: 100,
        retry_max_ms: 1_000,
        max_attempts: 10_000,
        ..quick_webhooks()
    };
    let mut app = spawn(Backend::Postgres, retrying).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    upgrade_throughput(&app, &tenant).await;
    let (child, port, base) = serve_child(&mut app, LEASE_SECONDS).await;

    let outbound = queue_templates(
        &app,
        std::slice::from_ref(&base),
        &tenant,
        &key,
        OUTBOUND,
        OUTBOUND,
        32,
    )
    .await;
    // Customers write, a thousand messages a second, while the statuses of our sends come in.
    let control = app.sim.control().clone();
    let injector = tokio::spawn(async move {
        let mut wamids = Vec::with_capacity(INBOUND);
        for n in 0..INBOUND {
            let customer = CustomerRef::phone(format!("1666{:07}", n % WRITERS), "Dana");
            let injected = control
                .inject_inbound(InboundRequest::new(
                    NUMBER_A.phone_number_id,
                    customer,
                    InboundContent::Text {
                        body: format!("message {n}"),
                    },
                ))
                .unwrap();
            wamids.push(injected.wamid);
            if n % 50 == 49 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        wamids
    });
    // Kill it mid-flood: a third of the webhooks answered, the rest still coming.
    let started = tokio::time::Instant::now();
    loop {
        let delivered = app
            .sim
            .control()
            .webhooks()
            .iter()
            .filter(|d| d.state == DeliveryState::Delivered)
            .count();
        if delivered >= WEBHOOKS / 3 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the flood never got going ({delivered} webhooks delivered)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    kill_9(child);
    let killed_at_ms = u64::try_from(app.sim.control().now().as_millis()).unwrap();
    let inbound = injector.await.unwrap();

    // Restart on the same database and port: the simulator's retries find it again.
    let child = serve(&app, port, LEASE_SECONDS);
    wait_ready(&app.http, &base).await;
    let started = tokio::time::Instant::now();
    loop {
        let stored = list_messages(&app.http, &base, &tenant, &key, "direction=inbound")
            .await
            .len();
        let retrying = app
            .sim
            .control()
            .webhooks()
            .iter()
            .filter(|d| d.state == DeliveryState::Pending)
            .count();
        let on_their_way = any_in_state(
            &app.http,
            &base,
            &tenant,
            &key,
            "direction=outbound",
            &["pending", "accepted", "sent", "delivered"],
        )
        .await;
        // Past the limit, the assertions below say what is missing.
        if (stored >= INBOUND && retrying == 0 && !on_their_way)
            || started.elapsed() > Duration::from_secs(180)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let stored = list_messages(&app.http, &base, &tenant, &key, "direction=inbound").await;
    let sent = list_messages(&app.http, &base, &tenant, &key, "direction=outbound").await;
    let events = all_events(&app.http, &base, &tenant, &key).await;
    kill_9(child);

    // Every customer message stored exactly once (the listing refuses an id seen twice).
    let stored_wamids: Vec<&str> = stored
        .values()
        .map(|m| m["wamid"].as_str().unwrap())
        .collect();
    let unique: HashSet<&str> = stored_wamids.iter().copied().collect();
    assert_eq!(
        unique.len(),
        stored_wamids.len(),
        "an inbound wamid stored twice"
    );
    let injected: HashSet<&str> = inbound.iter().map(String::as_str).collect();
    assert_eq!(
        unique, injected,
        "the stored inbound messages are the injected ones"
    );
    // Every status applied: each message of ours is read, and sent once.
    let not_read: Vec<_> = sent
        .values()
        .filter(|m| m["status"] != "read")
        .map(|m| (&m["id"], &m["status"]))
        .collect();
    assert!(
        sent.len() == OUTBOUND && not_read.is_empty(),
        "{} outbound, not read: {not_read:?}",
        sent.len()
    );
    assert_each_sent_once(&app.sim, &outbound);

    // The simulator: every webhook answered 200 in the end; the kill was felt (some attempts
    // failed) and landed mid-flood (some webhooks were answered before it).
    let deliveries = app.sim.control().webhooks();
    assert_eq!(
        deliveries.len(),
        INBOUND + 3 * app.sim.control().messages().len(),
        "one POST per webhook"
    );
    let not_delivered: Vec<_> = deliveries
        .iter()
        .filter(|d| d.state != DeliveryState::Delivered)
        .map(|d| (d.id, d.state))
        .collect();
    assert!(not_delivered.is_empty(), "not delivered: {not_delivered:?}");
    let refused = deliveries
        .iter()
        .filter(|d| d.attempts.iter().any(|a| a.status != Some(200)))
        .count();
    let before_kill = deliveries
        .iter()
        .filter(|d| d.attempts.iter().any(|a| a.at_ms < killed_at_ms))
        .count();
    assert!(
        refused > 0 && before_kill > 0 && before_kill < WEBHOOKS,
        "the kill must land mid-flood: {before_kill} webhooks tried before it, {refused} retried"
    );

    // The event log: gapless, each status change once, each customer message received once,
    // each writer's window opened once.
    each_change_has_one_event(&events, &outbound);
    let mut received: BTreeMap<&str, usize> = BTreeMap::new();
    for event in events.iter().filter(|e| e["type"] == "message.received") {
        *received
            .entry(event["data"]["message"]["wamid"].as_str().unwrap())
            .or_default() += 1;
    }
    let twice: Vec<_> = received.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "message.received more than once: {twice:?}"
    );
    let received: HashSet<&str> = received.keys().copied().collect();
    assert_eq!(
        received, injected,
        "one message.received per customer message"
    );
    let mut opened: HashMap<&str, usize> = HashMap::new();
    for event in events.iter().filter(|e| e["type"] == "window.opened") {
        *opened
            .entry(event["data"]["conversation_id"].as_str().unwrap())
            .or_default() += 1;
    }
    assert_eq!(opened.len(), WRITERS, "one window per writing customer");
    let twice: Vec<_> = opened.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "window.opened more than once: {twice:?}");
    app.shutdown().await;
}

/// The tenant's whole event log, by polling.
async fn all_events(http: &reqwest::Client, base: &str, tenant: &str, key: &str) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let after = events
            .last()
            .map_or(0, |e: &Value| e["seq"].as_u64().unwrap());
        let page: Value = http
            .get(format!(
                "{base}/v1/tenants/{tenant}/events?after={after}&limit=1000"
            ))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let batch = page["events"].as_array().unwrap();
        if batch.is_empty() {
            return events;
        }
        events.extend(batch.iter().cloned());
    }
}

/// The crash lost no event and wrote none twice: the log is gapless, and each message's
/// `message.status` events climb the lifecycle one state at a time (never a state twice, never
/// back), from `pending` to `read`. A state may be missing only where it was overtaken (a
/// `delivered` applied after `read` by a parallel worker moves nothing, so it has no event).
fn each_change_has_one_event(events: &[Value], ids: &[String]) {
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
    assert_eq!(seqs, expected, "the event log has gaps or repeats");
    let rank = |s: &str| {
        ["pending", "accepted", "sent", "delivered", "read"]
            .iter()
            .position(|x| *x == s)
            .unwrap_or_else(|| panic!("unexpected status {s}"))
    };
    let mut per_message: HashMap<&str, Vec<usize>> = HashMap::new();
    for event in events.iter().filter(|e| e["type"] == "message.status") {
        per_message
            .entry(event["data"]["message_id"].as_str().unwrap())
            .or_default()
            .push(rank(event["data"]["status"].as_str().unwrap()));
    }
    for id in ids {
        let ranks = per_message
            .get(id.as_str())
            .unwrap_or_else(|| panic!("no events for {id}"));
        assert!(
            ranks.first() == Some(&0)
                && ranks.last() == Some(&4)
                && ranks.windows(2).all(|w| w[0] < w[1]),
            "message {id}: statuses {ranks:?}"
        );
    }
    assert_eq!(per_message.len(), ids.len(), "events for unknown messages");
}
