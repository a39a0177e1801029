//! `kill -9` of a real `wa serve` process in the middle of a send, then a restart: every message
//! reaches a final state, none is sent twice, every status webhook is applied, and the event log
//! holds each state change exactly once.

use std::{
    collections::HashMap,
    net::TcpListener,
    process::{Child, Stdio},
    time::Duration,
};

use serde_json::{Value, json};

use crate::support::{
    Backend, NUMBER_A, TestApp, assert_each_sent_once, quick_webhooks, spawn, wa_command,
};

/// A free port on loopback (bound, then released for the child to take).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `wa serve` as its own process, configured like the test's in-process server.
fn serve(app: &TestApp, port: u16) -> Child {
    let mut command = wa_command();
    for (name, value) in app.settings() {
        command.env(name, value);
    }
    command
        .env("WA_LISTEN", format!("127.0.0.1:{port}"))
        // A short lease, so the killed process's claims come back within the test.
        .env("WA_OUTBOX_LEASE_SECONDS", "3")
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

#[tokio::test]
async fn kill_9_in_the_middle_of_a_send_loses_nothing_and_sends_nothing_twice() {
    const COUNT: usize = 600;
    let mut app = spawn(Backend::Postgres, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    app.stop_server().await;

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    app.sim
        .control()
        .set_callback_url(Some(format!("{base}/webhooks/whatsapp")));
    let mut child = serve(&app, port);
    wait_ready(&app.http, &base).await;

    // Queue everything (the worker starts sending at once, 80 per second).
    let mut ids = Vec::with_capacity(COUNT);
    for n in 0..COUNT {
        let response = app
            .http
            .post(format!("{base}/v1/tenants/{tenant}/messages"))
            .bearer_auth(&key)
            .json(&json!({"to": format!("1555{:07}", n % 200),
                "content": {"type": "template", "name": "hello_world", "language": "en_US"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);
        let body: Value = response.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    // Kill it mid-send: some sent, most not.
    for _ in 0..200 {
        if app.sim.control().messages().len() >= COUNT / 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let sent_before = app.sim.control().messages().len();
    assert!(
        sent_before > 0 && sent_before < COUNT,
        "the kill must land mid-send (sent {sent_before} of {COUNT})"
    );

    // Restart on the same database and port.
    let mut child = serve(&app, port);
    wait_ready(&app.http, &base).await;
    let mut states: HashMap<String, String> = HashMap::new();
    for _ in 0..600 {
        states.clear();
        let mut after: Option<String> = None;
        loop {
            let url = match &after {
                Some(after) => {
                    format!("{base}/v1/tenants/{tenant}/messages?limit=200&after={after}")
                }
                None => format!("{base}/v1/tenants/{tenant}/messages?limit=200"),
            };
            let page: Value = app
                .http
                .get(url)
                .bearer_auth(&key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for m in page["items"].as_array().unwrap() {
                states.insert(
                    m["id"].as_str().unwrap().to_owned(),
                    m["status"].as_str().unwrap().to_owned(),
                );
            }
            match page["next"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
        }
        if states.len() == COUNT && states.values().all(|s| s == "read") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let events = all_events(&app.http, &base, &tenant, &key).await;
    child.kill().ok();
    child.wait().ok();

    let not_read: Vec<_> = states.iter().filter(|(_, s)| *s != "read").collect();
    assert!(
        states.len() == COUNT && not_read.is_empty(),
        "{} of {COUNT} read; others: {:?}",
        states.len() - not_read.len(),
        not_read.iter().take(5).collect::<Vec<_>>()
    );
    assert_each_sent_once(&app.sim, &ids);
    each_change_has_one_event(&events, &ids);
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
