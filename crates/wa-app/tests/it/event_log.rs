//! The event log over real HTTP with the simulator: long-poll and SSE read the same log, resume
//! exactly after a cursor, and never show one tenant another's events.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{ADMIN, Backend, NUMBER_A, NUMBER_B, TestApp, quick_webhooks, spawn};

/// Polls once: `(events, next_after)`.
async fn poll(app: &TestApp, tenant: &str, key: &str, query: &str) -> (Vec<Value>, u64) {
    let (status, page) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/events?{query}"),
            key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    (
        page["events"].as_array().unwrap().clone(),
        page["next_after"].as_u64().unwrap(),
    )
}

/// Every event after `after`, polling until `done` holds for them (15 s at most).
async fn events_until(
    app: &TestApp,
    tenant: &str,
    key: &str,
    after: u64,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor = after;
    for _ in 0..30 {
        let (events, next) = poll(app, tenant, key, &format!("after={cursor}&wait=1")).await;
        all.extend(events);
        cursor = next;
        if done(&all) {
            return all;
        }
    }
    panic!("the expected events never arrived; got {all:?}");
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

/// Reads SSE frames until `count` events came: `(id, event, data)` each.
async fn read_sse(
    app: &TestApp,
    tenant: &str,
    key: &str,
    header: Option<&str>,
    query: &str,
    count: usize,
) -> Vec<(u64, String, Value)> {
    let mut request = app
        .http
        .get(format!(
            "{}/v1/tenants/{tenant}/events/stream{query}",
            app.base
        ))
        .bearer_auth(key);
    if let Some(last) = header {
        request = request.header("Last-Event-ID", last);
    }
    let mut response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut text = String::new();
    let mut frames = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while frames.len() < count {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("the stream delivered the events in time")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let frame: String = text.drain(..end + 2).collect();
            let (mut id, mut event, mut data) = (None, None, None);
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = Some(v.parse::<u64>().unwrap());
                } else if let Some(v) = line.strip_prefix("event: ") {
                    event = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str::<Value>(v).unwrap());
                }
            }
            // Keep-alive comments carry no id.
            if let (Some(id), Some(event), Some(data)) = (id, event, data) {
                frames.push((id, event, data));
            }
        }
    }
    frames
}

async fn poll_and_stream_read_one_log(backend: Backend) {
    // Statuses far enough apart that parallel inbox workers apply them in order: otherwise a
    // `read` overtaking `delivered` makes `delivered` stale, which (rightly) logs nothing.
    let spaced = wa_sim::WebhookBehaviour {
        sent_delay_ms: 100,
        delivered_delay_ms: 500,
        read_delay_ms: Some(900),
        ..quick_webhooks()
    };
    let app = spawn(backend, spaced).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let (before, head) = poll(&app, &tenant, &key, "").await;
    assert!(
        before.iter().all(|e| e["tenant_id"] == tenant.as_str()),
        "{before:?}"
    );

    // A long-poll waiting at the head returns when the customer writes.
    let waiting = {
        let (http, base, tenant, key) = (
            app.http.clone(),
            app.base.clone(),
            tenant.clone(),
            key.clone(),
        );
        tokio::spawn(async move {
            let response = http
                .get(format!(
                    "{base}/v1/tenants/{tenant}/events?after={head}&wait=20"
                ))
                .bearer_auth(key)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let customer = "972541234567";
    app.sim
        .control()
        .inject_inbound(wa_sim::InboundRequest::new(
            NUMBER_A.phone_number_id,
            wa_sim::CustomerRef::phone(customer, "Dana"),
            wa_sim::InboundContent::Text { body: "hi".into() },
        ))
        .unwrap();
    let woken = waiting.await.unwrap();
    let first = &woken["events"][0];
    assert_eq!(first["type"], "message.received", "{woken}");
    assert_eq!(first["seq"], head + 1);
    assert_eq!(first["schema"], 1);
    assert_eq!(first["data"]["message"]["content"]["body"], "hi", "{first}");
    assert_eq!(first["data"]["message"]["profile_name"], "Dana");

    // A reply goes out and is read: its states arrive in order.
    app.wait_window_open(&tenant, &key, customer).await;
    let (status, sent) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/messages"),
            &key,
            Some(json!({"to": customer, "content": {"type": "text", "body": "hello"}})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let id = sent["id"].as_str().unwrap().to_owned();
    let statuses_of = |events: &[Value]| -> Vec<String> {
        of_type(events, "message.status")
            .into_iter()
            .filter(|e| e["data"]["message_id"] == id.as_str())
            .map(|e| e["data"]["status"].as_str().unwrap().to_owned())
            .collect()
    };
    let events = events_until(&app, &tenant, &key, head, |events| {
        statuses_of(events).last().map(String::as_str) == Some("read")
    })
    .await;
    assert_eq!(
        statuses_of(&events),
        ["pending", "accepted", "sent", "delivered", "read"],
        "{events:?}"
    );
    assert_eq!(of_type(&events, "message.received").len(), 1, "exactly one");
    assert_eq!(of_type(&events, "window.opened").len(), 1);
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    let expected: Vec<u64> = (head + 1..=head + seqs.len() as u64).collect();
    assert_eq!(seqs, expected, "gapless, in order");
    let last = *seqs.last().unwrap();

    // Resuming: `after` returns exactly the rest, and nothing after the end.
    let middle = head + 2;
    let (rest, next) = poll(&app, &tenant, &key, &format!("after={middle}&limit=1000")).await;
    assert_eq!(rest.len() as u64, last - middle);
    assert_eq!(rest[0]["seq"], middle + 1);
    assert_eq!(next, last);
    let (nothing, same) = poll(&app, &tenant, &key, &format!("after={last}")).await;
    assert!(nothing.is_empty());
    assert_eq!(same, last);
    let (page, cursor) = poll(&app, &tenant, &key, "after=0&limit=2").await;
    assert_eq!(page.len(), 2);
    assert_eq!(cursor, page[1]["seq"].as_u64().unwrap());

    // SSE: from Last-Event-ID, the same events as the poll; `?after=` likewise.
    let frames = read_sse(
        &app,
        &tenant,
        &key,
        Some(&middle.to_string()),
        "",
        rest.len(),
    )
    .await;
    let polled: Vec<(u64, String, Value)> = rest
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().unwrap(),
                e["type"].as_str().unwrap().to_owned(),
                e.clone(),
            )
        })
        .collect();
    assert_eq!(frames, polled, "SSE frames are the log's events");
    let frames = read_sse(&app, &tenant, &key, None, &format!("?after={head}"), 1).await;
    assert_eq!(frames[0].1, "message.received");
    assert_eq!(frames[0].0, head + 1);

    // Bad cursors are refused, not guessed at.
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/events?wait=31"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.shutdown().await;
}

#[tokio::test]
async fn poll_and_stream_read_one_log_on_sqlite() {
    poll_and_stream_read_one_log(Backend::Sqlite).await;
}

#[tokio::test]
async fn poll_and_stream_read_one_log_on_postgres() {
    poll_and_stream_read_one_log(Backend::Postgres).await;
}

async fn tenants_never_see_each_others_events(backend: Backend) {
    let app = spawn(backend, quick_webhooks()).await;
    let (a, key_a) = app.connected_tenant("A", &NUMBER_A).await;
    let (b, key_b) = app.connected_tenant("B", &NUMBER_B).await;
    app.sim
        .control()
        .inject_inbound(wa_sim::InboundRequest::new(
            NUMBER_A.phone_number_id,
            wa_sim::CustomerRef::phone("972541234567", "Dana"),
            wa_sim::InboundContent::Text {
                body: "for A".into(),
            },
        ))
        .unwrap();
    let a_events = events_until(&app, &a, &key_a, 0, |events| {
        !of_type(events, "message.received").is_empty()
    })
    .await;
    assert!(a_events.iter().all(|e| e["tenant_id"] == a.as_str()));
    // B's key cannot read A's log, by poll or by stream.
    for path in [
        format!("/v1/tenants/{a}/events"),
        format!("/v1/tenants/{a}/events/stream"),
    ] {
        let status = app
            .http
            .get(format!("{}{path}", app.base))
            .bearer_auth(&key_b)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    // B's own log holds only B's events (its connection), never A's message.
    let (b_events, _) = poll(&app, &b, &key_b, "after=0&limit=1000").await;
    assert!(b_events.iter().all(|e| e["tenant_id"] == b.as_str()));
    assert!(of_type(&b_events, "message.received").is_empty());
    // An unknown tenant is 404 for the admin.
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{}/events", uuid::Uuid::now_v7()),
            ADMIN,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.shutdown().await;
}

#[tokio::test]
async fn tenants_never_see_each_others_events_on_sqlite() {
    tenants_never_see_each_others_events(Backend::Sqlite).await;
}

#[tokio::test]
async fn tenants_never_see_each_others_events_on_postgres() {
    tenants_never_see_each_others_events(Backend::Postgres).await;
}
