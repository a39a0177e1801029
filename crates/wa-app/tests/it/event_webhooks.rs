//! Outbound event webhooks end to end: customers write through the simulator, wa posts the
//! events to a receiver on 127.0.0.1 that this test runs, and the receiver checks them with the
//! verification recipe of `docs/events.md`.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode as AxumStatus},
    routing::post,
};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::support::{Backend, NUMBER_A, NUMBER_B, TestApp, quick_webhooks, spawn};

/// The Rust recipe of `docs/events.md`, as an integrator would copy it.
fn verify(secret: &str, header: &str, body: &[u8], now_unix: i64) -> bool {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => candidates.push(value),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    if (now_unix - timestamp).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    candidates
        .iter()
        .any(|candidate| bool::from(candidate.as_bytes().ct_eq(expected.as_bytes())))
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Vec<u8>,
    /// What the receiver answered.
    status: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap().to_str().unwrap()
    }
}

#[derive(Default)]
struct ReceiverState {
    received: Vec<Received>,
    /// Answer this status to the next `failures` requests, then 200.
    failures: usize,
    failing_status: u16,
}

/// A tenant's application on 127.0.0.1.
#[derive(Clone)]
struct Receiver {
    url: String,
    state: Arc<Mutex<ReceiverState>>,
}

impl Receiver {
    async fn start() -> Self {
        let state = Arc::new(Mutex::new(ReceiverState {
            failing_status: 503,
            ..ReceiverState::default()
        }));
        let router = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { url, state }
    }

    fn fail_next(&self, requests: usize, status: u16) {
        let mut state = self.state.lock().unwrap();
        state.failures = requests;
        state.failing_status = status;
    }

    fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// The requests it acknowledged with 2xx.
    fn acknowledged(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .collect()
    }

    /// Waits until `done` holds for the acknowledged requests, or panics after 20 s.
    async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..400 {
            let acknowledged = self.acknowledged();
            if done(&acknowledged) {
                return acknowledged;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the receiver never got {what}; it got {} requests",
            self.received().len()
        );
    }
}

async fn receive(
    State(state): State<Arc<Mutex<ReceiverState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> AxumStatus {
    let mut state = state.lock().unwrap();
    let status = if state.failures > 0 {
        state.failures -= 1;
        state.failing_status
    } else {
        200
    };
    state.received.push(Received {
        headers,
        body: body.to_vec(),
        status,
    });
    AxumStatus::from_u16(status).unwrap()
}

/// Restarts the service with outbound delivery allowed to 127.0.0.1 over http, quick polling
/// and retries, and the given dead-letter age.
async fn restart_with_events(app: &mut TestApp, max_age: time::Duration) {
    app.stop_server().await;
    let mut config = app.config();
    let events = &mut config.event_delivery;
    events.policy.allowed_nets = vec!["127.0.0.1/32".parse().unwrap()];
    events.policy.allow_http = true;
    events.poll = Duration::from_millis(50);
    events.retry_base = time::Duration::milliseconds(50);
    events.retry_cap = time::Duration::milliseconds(200);
    events.max_age = max_age;
    let server = wa_app::server::start(config).await.unwrap();
    app.base = format!("http://{}", server.api_addr);
    app.sim.control().set_callback_url(Some(format!(
        "http://{}/webhooks/whatsapp",
        server.webhook_addr
    )));
    app.server = Some(server);
}

async fn events_app(backend: Backend, max_age: time::Duration) -> TestApp {
    let mut app = spawn(backend, quick_webhooks()).await;
    restart_with_events(&mut app, max_age).await;
    app
}

/// Creates an endpoint; returns (id, secret, initial cursor).
async fn create_endpoint(
    app: &TestApp,
    tenant: &str,
    key: &str,
    url: &str,
    types: Option<&[&str]>,
) -> (String, String, u64) {
    let mut body = json!({"url": url});
    if let Some(types) = types {
        body["event_types"] = json!(types);
    }
    let (status, created) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/event-endpoints"),
            key,
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    (
        created["id"].as_str().unwrap().to_owned(),
        secret,
        created["cursor"].as_u64().unwrap(),
    )
}

fn customer_writes(app: &TestApp, number: &str, customer: &str, text: &str) {
    app.sim
        .control()
        .inject_inbound(wa_sim::InboundRequest::new(
            number,
            wa_sim::CustomerRef::phone(customer, "Customer"),
            wa_sim::InboundContent::Text { body: text.into() },
        ))
        .unwrap();
}

/// The tenant's events after `after`, by poll.
async fn log_after(app: &TestApp, tenant: &str, key: &str, after: u64) -> Vec<Value> {
    let (status, page) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/events?after={after}&limit=1000"),
            key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["events"].as_array().unwrap().clone()
}

/// Waits until the tenant's log holds `count` events of `kind` after `after`.
async fn wait_log(
    app: &TestApp,
    tenant: &str,
    key: &str,
    after: u64,
    kind: &str,
    count: usize,
) -> Vec<Value> {
    for _ in 0..400 {
        let events = log_after(app, tenant, key, after).await;
        if events.iter().filter(|e| e["type"] == kind).count() >= count {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the log never held {count} {kind} events");
}

async fn endpoint_view(app: &TestApp, tenant: &str, key: &str, endpoint: &str) -> Value {
    let (status, view) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/event-endpoints/{endpoint}"),
            key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view
}

/// Waits until the endpoint's cursor reaches `seq`.
async fn wait_cursor(app: &TestApp, tenant: &str, key: &str, endpoint: &str, seq: u64) {
    for _ in 0..400 {
        if endpoint_view(app, tenant, key, endpoint).await["cursor"]
            .as_u64()
            .unwrap()
            >= seq
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the endpoint's cursor never reached {seq}");
}

async fn a_customer_message_reaches_the_endpoint_once_signed(backend: Backend) {
    let mut app = events_app(backend, time::Duration::hours(24)).await;
    let receiver = Receiver::start().await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let (endpoint, secret, cursor) = create_endpoint(
        &app,
        &tenant,
        &key,
        &receiver.url,
        Some(&["message.received"]),
    )
    .await;
    customer_writes(&app, NUMBER_A.phone_number_id, "972541234567", "hello");

    let acknowledged = receiver.wait_for("the message", |r| !r.is_empty()).await;
    let request = &acknowledged[0];
    assert!(verify(
        &secret,
        request.header("x-wa-signature"),
        &request.body,
        now_unix()
    ));
    let event = request.json();
    assert_eq!(event["type"], "message.received");
    assert_eq!(event["tenant_id"], tenant.as_str());
    assert_eq!(event["data"]["message"]["content"]["body"], "hello");
    assert_eq!(
        request.header("x-wa-event-id"),
        event["id"].as_str().unwrap()
    );
    assert_eq!(request.header("x-wa-event-type"), "message.received");
    assert_eq!(request.header("content-type"), "application/json");
    let timestamp: i64 = request.header("x-wa-timestamp").parse().unwrap();
    assert!(
        request
            .header("x-wa-signature")
            .starts_with(&format!("t={timestamp},v1="))
    );

    // Exactly one message.received in the log, the one delivered; once the cursor has passed
    // every event (the window.opened beside it is filtered out), still one delivery.
    let log = wait_log(&app, &tenant, &key, cursor, "message.received", 1).await;
    let received: Vec<&Value> = log
        .iter()
        .filter(|e| e["type"] == "message.received")
        .collect();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["id"], event["id"]);
    let head = log.last().unwrap()["seq"].as_u64().unwrap();
    wait_cursor(&app, &tenant, &key, &endpoint, head).await;
    assert_eq!(receiver.received().len(), 1, "one post, no duplicate");

    // After a restart the cursor holds: nothing is posted again.
    app.stop_server().await;
    restart_with_events(&mut app, time::Duration::hours(24)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "not posted again after a restart"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_customer_message_reaches_the_endpoint_once_signed_on_sqlite() {
    a_customer_message_reaches_the_endpoint_once_signed(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_customer_message_reaches_the_endpoint_once_signed_on_postgres() {
    a_customer_message_reaches_the_endpoint_once_signed(Backend::Postgres).await;
}

/// The customer an event is about, as its lane key.
fn customer_of(event: &Value) -> String {
    let data = &event["data"];
    let customer = if data["message"].is_object() {
        &data["message"]["customer"]
    } else {
        &data["customer"]
    };
    customer.to_string()
}

async fn a_failing_endpoint_that_recovers_gets_every_event_once_in_order(backend: Backend) {
    let app = events_app(backend, time::Duration::hours(24)).await;
    let receiver = Receiver::start().await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let (endpoint, _secret, cursor) =
        create_endpoint(&app, &tenant, &key, &receiver.url, None).await;
    // The endpoint is down for its first 12 requests (errors and retries), then recovers.
    receiver.fail_next(12, 500);
    let customers = ["972541000001", "972541000002", "972541000003"];
    for round in 0..4 {
        for customer in customers {
            customer_writes(
                &app,
                NUMBER_A.phone_number_id,
                customer,
                &format!("message {round}"),
            );
        }
    }
    wait_log(&app, &tenant, &key, cursor, "message.received", 12).await;
    // Each customer's first message also opens a window, written after its message: wait for
    // those too, or the log read here may miss the last of them.
    let log = wait_log(
        &app,
        &tenant,
        &key,
        cursor,
        "window.opened",
        customers.len(),
    )
    .await;
    let expected: BTreeSet<String> = log.iter().map(|e| e["id"].to_string()).collect();
    let acknowledged = receiver
        .wait_for("every event", |r| {
            let got: BTreeSet<String> = r.iter().map(|r| r.json()["id"].to_string()).collect();
            expected.is_subset(&got)
        })
        .await;
    let head = log.last().unwrap()["seq"].as_u64().unwrap();
    wait_cursor(&app, &tenant, &key, &endpoint, head).await;
    let acknowledged_after = receiver.acknowledged();
    assert_eq!(acknowledged.len(), acknowledged_after.len());

    // Each event acknowledged exactly once, nothing else.
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for request in &acknowledged_after {
        *counts.entry(request.json()["id"].to_string()).or_default() += 1;
    }
    assert!(counts.values().all(|n| *n == 1), "duplicates: {counts:?}");
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), expected);
    // The failures happened (and were retried).
    assert!(receiver.received().len() >= acknowledged_after.len() + 12);

    // Per customer, in seq order, in the order requests arrived.
    let mut last_seq: BTreeMap<String, u64> = BTreeMap::new();
    for request in &acknowledged_after {
        let event = request.json();
        let seq = event["seq"].as_u64().unwrap();
        if let Some(previous) = last_seq.insert(customer_of(&event), seq) {
            assert!(
                previous < seq,
                "customer order broken: {previous} then {seq}"
            );
        }
    }
    // Nothing became a dead letter.
    let (_, letters) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/event-endpoints/{endpoint}/dead-letters"),
            &key,
            None,
        )
        .await;
    assert_eq!(letters["items"].as_array().unwrap().len(), 0, "{letters}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_failing_endpoint_that_recovers_gets_every_event_once_in_order_on_sqlite() {
    a_failing_endpoint_that_recovers_gets_every_event_once_in_order(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_failing_endpoint_that_recovers_gets_every_event_once_in_order_on_postgres() {
    a_failing_endpoint_that_recovers_gets_every_event_once_in_order(Backend::Postgres).await;
}

async fn a_dead_endpoint_ends_in_dead_letters_that_redeliver(backend: Backend) {
    // Events become dead letters after one second of failures.
    let app = events_app(backend, time::Duration::seconds(1)).await;
    let receiver = Receiver::start().await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let (endpoint, secret, cursor) = create_endpoint(
        &app,
        &tenant,
        &key,
        &receiver.url,
        Some(&["message.received"]),
    )
    .await;
    receiver.fail_next(usize::MAX, 503);
    customer_writes(&app, NUMBER_A.phone_number_id, "972541234567", "first");
    customer_writes(&app, NUMBER_A.phone_number_id, "972541234567", "second");
    let log = wait_log(&app, &tenant, &key, cursor, "message.received", 2).await;
    let head = log.last().unwrap()["seq"].as_u64().unwrap();
    let dead_path = format!("/v1/tenants/{tenant}/event-endpoints/{endpoint}/dead-letters");

    let mut letters = Value::Null;
    for _ in 0..400 {
        letters = app.call(Method::GET, &dead_path, &key, None).await.1;
        if letters["items"].as_array().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let items = letters["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{letters}");
    for item in items {
        assert_eq!(item["event_type"], "message.received");
        assert_eq!(item["last_status"], 503);
        assert!(item["attempts"].as_u64().unwrap() >= 1);
        assert!(item["first_attempt_at"].is_string() && item["last_attempt_at"].is_string());
    }
    // The endpoint moved on past them.
    wait_cursor(&app, &tenant, &key, &endpoint, head).await;

    // It recovers; a redeliver call posts both again.
    receiver.fail_next(0, 503);
    assert!(receiver.acknowledged().is_empty());
    let (status, answer) = app
        .call(
            Method::POST,
            &format!("{dead_path}/redeliver"),
            &key,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["requested"], 2);
    let acknowledged = receiver
        .wait_for("both redelivered", |r| r.len() >= 2)
        .await;
    let ids: BTreeSet<String> = acknowledged
        .iter()
        .map(|r| r.json()["id"].to_string())
        .collect();
    let expected: BTreeSet<String> = items.iter().map(|i| i["event_id"].to_string()).collect();
    assert_eq!(ids, expected);
    for request in &acknowledged {
        assert!(verify(
            &secret,
            request.header("x-wa-signature"),
            &request.body,
            now_unix()
        ));
    }
    let mut empty = Value::Null;
    for _ in 0..200 {
        empty = app.call(Method::GET, &dead_path, &key, None).await.1;
        if empty["items"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(empty["items"].as_array().unwrap().is_empty(), "{empty}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.acknowledged().len(), 2, "each redelivered once");
    app.shutdown().await;
}

#[tokio::test]
async fn a_dead_endpoint_ends_in_dead_letters_that_redeliver_on_sqlite() {
    a_dead_endpoint_ends_in_dead_letters_that_redeliver(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_dead_endpoint_ends_in_dead_letters_that_redeliver_on_postgres() {
    a_dead_endpoint_ends_in_dead_letters_that_redeliver(Backend::Postgres).await;
}

#[tokio::test]
async fn forged_replayed_and_rotated_signatures_are_told_apart_by_the_recipe() {
    let app = events_app(Backend::Sqlite, time::Duration::hours(24)).await;
    let receiver = Receiver::start().await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let (endpoint, secret, _) = create_endpoint(
        &app,
        &tenant,
        &key,
        &receiver.url,
        Some(&["message.received"]),
    )
    .await;
    customer_writes(&app, NUMBER_A.phone_number_id, "972541234567", "hello");
    let request = receiver.wait_for("the message", |r| !r.is_empty()).await[0].clone();
    let header = request.header("x-wa-signature").to_owned();
    let now = now_unix();
    assert!(verify(&secret, &header, &request.body, now));

    // A forged body.
    let mut forged = request.body.clone();
    let at = forged.len() / 2;
    forged[at] ^= 0x01;
    assert!(!verify(&secret, &header, &forged, now));
    // A forged signature.
    let (prefix, signature) = header.split_once("v1=").unwrap();
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    let forged_header = format!("{prefix}v1={flipped}{}", &signature[1..]);
    assert!(!verify(&secret, &forged_header, &request.body, now));
    // A changed timestamp breaks the signature.
    let timestamp: i64 = request.header("x-wa-timestamp").parse().unwrap();
    let moved = header.replacen(
        &format!("t={timestamp}"),
        &format!("t={}", timestamp + 1),
        1,
    );
    assert!(!verify(&secret, &moved, &request.body, timestamp + 1));
    // The same request replayed six minutes later.
    assert!(!verify(&secret, &header, &request.body, now + 360));
    // Another endpoint's secret.
    assert!(!verify("whsec_other", &header, &request.body, now));

    // Rotation: the next event is signed by both secrets.
    let (status, rotated) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/event-endpoints/{endpoint}/rotate-secret"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated["previous_secret_valid_until"].is_string());
    // The worker re-reads the endpoint when it renews its lease; a restart makes that immediate.
    customer_writes(&app, NUMBER_A.phone_number_id, "972541234567", "again");
    let second = receiver.wait_for("the second", |r| r.len() >= 2).await[1].clone();
    let header = second.header("x-wa-signature");
    if header.matches("v1=").count() == 2 {
        assert!(verify(&new_secret, header, &second.body, now_unix()));
        assert!(verify(&secret, header, &second.body, now_unix()));
    } else {
        // Posted before the worker re-read the endpoint (it does so every lease/3): still valid.
        assert!(verify(&secret, header, &second.body, now_unix()));
    }
    // The secret never shows in a listing.
    let (_, list) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/event-endpoints"),
            &key,
            None,
        )
        .await;
    let text = list.to_string();
    assert!(!text.contains(&secret) && !text.contains(&new_secret));
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn tenant_a_endpoint_never_receives_tenant_b_events() {
    let app = events_app(Backend::Sqlite, time::Duration::hours(24)).await;
    let receiver_a = Receiver::start().await;
    let receiver_b = Receiver::start().await;
    let (tenant_a, key_a) = app.connected_tenant("A", &NUMBER_A).await;
    let (tenant_b, key_b) = app.connected_tenant("B", &NUMBER_B).await;
    let (endpoint_a, _, cursor_a) =
        create_endpoint(&app, &tenant_a, &key_a, &receiver_a.url, None).await;
    let (_, _, cursor_b) = create_endpoint(&app, &tenant_b, &key_b, &receiver_b.url, None).await;
    for i in 0..3 {
        customer_writes(
            &app,
            NUMBER_A.phone_number_id,
            "972541111111",
            &format!("to A {i}"),
        );
        customer_writes(
            &app,
            NUMBER_B.phone_number_id,
            "972542222222",
            &format!("to B {i}"),
        );
    }
    let log_a = wait_log(&app, &tenant_a, &key_a, cursor_a, "message.received", 3).await;
    let log_b = wait_log(&app, &tenant_b, &key_b, cursor_b, "message.received", 3).await;
    let got_a = receiver_a
        .wait_for("A's events", |r| r.len() >= log_a.len())
        .await;
    let got_b = receiver_b
        .wait_for("B's events", |r| r.len() >= log_b.len())
        .await;
    for request in &got_a {
        assert_eq!(request.json()["tenant_id"], tenant_a.as_str());
    }
    for request in &got_b {
        assert_eq!(request.json()["tenant_id"], tenant_b.as_str());
    }
    // B's key reaches none of A's endpoints.
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant_a}/event-endpoints/{endpoint_a}"),
            &key_b,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant_b}/event-endpoints/{endpoint_a}"),
            &key_b,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.shutdown().await;
}

#[tokio::test]
async fn a_private_address_endpoint_is_refused_without_the_allow_setting() {
    // The default settings: no allowed networks, https only.
    let app = spawn(Backend::Sqlite, quick_webhooks()).await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let path = format!("/v1/tenants/{tenant}/event-endpoints");
    for url in [
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.7/hook",
        "https://[::ffff:192.168.1.1]/hook",
        "https://100.64.0.1/hook",
        "https://0x7f000001/hook",
        "http://hooks.example.com/hook",
    ] {
        let (status, error) = app
            .call(Method::POST, &path, &key, Some(json!({"url": url})))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {error}");
        assert_eq!(error["field"], "url", "{url}: {error}");
    }
    let (_, list) = app.call(Method::GET, &path, &key, None).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    // A public https URL is accepted (nothing is called until an event exists).
    let (status, created) = app
        .call(
            Method::POST,
            &path,
            &key,
            Some(json!({"url": "https://hooks.example.com/wa", "enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    app.shutdown().await;
}

/// A fenced code block of `docs/events.md`, found by its `<!-- recipe:NAME -->` marker.
fn recipe(name: &str) -> String {
    let guide =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/events.md"))
            .unwrap();
    let marker = format!("<!-- recipe:{name} -->");
    let start = guide.find(&marker).expect("the recipe marker") + marker.len();
    let rest = &guide[start..];
    let open = rest.find("```").unwrap();
    let code_start = open + rest[open..].find('\n').unwrap() + 1;
    let close = rest[code_start..].find("```").unwrap();
    rest[code_start..code_start + close].to_owned()
}

#[test]
#[ignore = "runs python3 and node: cargo test -p wa-app --test it recipes -- --ignored"]
fn the_python_and_node_recipes_verify_a_wa_signature() {
    let secret = wa_app::events::signature::generate_secret();
    let body = br#"{"id":"019ab4f2-1c1e-7d52-8a3e-5f0d1b2c3d4e","type":"message.received","data":{"text":"h\u00e9llo"}}"#;
    let header = wa_app::events::signature::header(std::slice::from_ref(&secret), now_unix(), body);
    let dir = std::env::temp_dir().join(format!("wa-recipes-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let body_file = dir.join("body.json");
    let forged_file = dir.join("forged.json");
    std::fs::write(&body_file, body).unwrap();
    std::fs::write(&forged_file, [&body[..], b" "].concat()).unwrap();
    let python = format!(
        "{}\nimport sys\nprint(verify(sys.argv[1], sys.argv[2], open(sys.argv[3], 'rb').read()))\n",
        recipe("python")
    );
    let node = format!(
        "{}\nconst fs = require('node:fs');\nconst [secret, header, file] = process.argv.slice(2);\nconsole.log(verify(secret, header, fs.readFileSync(file)) ? 'True' : 'False');\n",
        recipe("node")
    );
    std::fs::write(dir.join("verify.py"), python).unwrap();
    std::fs::write(dir.join("verify.js"), node).unwrap();
    use secrecy::ExposeSecret;
    for (program, script) in [("python3", "verify.py"), ("node", "verify.js")] {
        for (file, expected) in [(&body_file, "True"), (&forged_file, "False")] {
            let output = std::process::Command::new(program)
                .arg(dir.join(script))
                .arg(secret.expose_secret())
                .arg(&header)
                .arg(file)
                .output()
                .unwrap_or_else(|e| panic!("{program} must be installed: {e}"));
            assert!(output.status.success(), "{program}: {output:?}");
            let answer = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            assert_eq!(answer, expected, "{program} on {}", file.display());
        }
        // Another secret fails.
        let output = std::process::Command::new(program)
            .arg(dir.join(script))
            .arg("whsec_wrong")
            .arg(&header)
            .arg(&body_file)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "False");
    }
}
