//! Shared fixtures: a simulator with one number, a webhook receiver that records what it gets
//! and answers from a script, and small HTTP helpers.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use wa_sim::{
    NumberConfig, RunningSim, Simulator, SimulatorBuilder, TemplateConfig, WebhookBehaviour,
};

pub(crate) const PNID: &str = "100000000000001";
pub(crate) const WABA: &str = "200000000000001";
pub(crate) const TOKEN: &str = "token-one";
pub(crate) const DISPLAY: &str = "+1 555-010-0001";
pub(crate) const SECRET: &str = "app-secret-for-tests";
pub(crate) const CUSTOMER: &str = "15551234567";

/// Webhook timing for tests: no delays, quick retries.
pub(crate) fn quick_webhooks() -> WebhookBehaviour {
    WebhookBehaviour {
        sent_delay_ms: 0,
        delivered_delay_ms: 0,
        read_delay_ms: Some(0),
        retry_initial_ms: 10,
        retry_max_ms: 50,
        timeout_ms: 5_000,
        ..WebhookBehaviour::default()
    }
}

/// A builder with one number, an app secret, two templates and quick webhooks.
pub(crate) fn builder() -> SimulatorBuilder {
    Simulator::builder()
        .app_secret(SECRET)
        .number(NumberConfig::new(PNID, WABA, TOKEN, DISPLAY))
        .template(TemplateConfig::new(
            "hello_world",
            "en_US",
            "UTILITY",
            "Hello!",
        ))
        .template(TemplateConfig::new(
            "greeting",
            "en_US",
            "MARKETING",
            "Hi {{1}}, your code is {{2}}",
        ))
        .webhooks(quick_webhooks())
}

pub(crate) async fn start() -> RunningSim {
    builder().start().await.expect("simulator starts")
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub(crate) fn graph(sim: &RunningSim, path: &str) -> String {
    format!("{}/v23.0/{path}", sim.base_url())
}

/// POSTs a JSON body to `/{PNID}/messages` with `token`; returns the status and JSON answer.
pub(crate) async fn send_as(sim: &RunningSim, token: &str, body: &Value) -> (u16, Value) {
    let response = client()
        .post(graph(sim, &format!("{PNID}/messages")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn send(sim: &RunningSim, body: &Value) -> (u16, Value) {
    send_as(sim, TOKEN, body).await
}

pub(crate) fn text_to(to: &str, body: &str) -> Value {
    json!({"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}})
}

pub(crate) fn error_code(answer: &Value) -> i64 {
    answer["error"]["code"].as_i64().unwrap_or(-1)
}

/// A POST the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) signature: Option<String>,
    pub(crate) body: Bytes,
}

impl Received {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Every `statuses[]` item in this POST.
    pub(crate) fn statuses(&self) -> Vec<Value> {
        let body = self.json();
        let mut out = Vec::new();
        for entry in body["entry"].as_array().unwrap() {
            for change in entry["changes"].as_array().unwrap() {
                out.extend(
                    change["value"]["statuses"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                );
            }
        }
        out
    }

    /// Every `messages[]` item in this POST.
    pub(crate) fn messages(&self) -> Vec<Value> {
        let body = self.json();
        let mut out = Vec::new();
        for entry in body["entry"].as_array().unwrap() {
            for change in entry["changes"].as_array().unwrap() {
                out.extend(
                    change["value"]["messages"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                );
            }
        }
        out
    }
}

#[derive(Default)]
struct ReceiverState {
    received: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<u16>>,
}

/// A webhook receiver on 127.0.0.1 that answers from a script (then 200).
pub(crate) struct Receiver {
    pub(crate) url: String,
    state: Arc<ReceiverState>,
}

impl Receiver {
    pub(crate) async fn start(script: &[u16]) -> Self {
        let state = Arc::new(ReceiverState {
            received: Mutex::new(Vec::new()),
            script: Mutex::new(script.iter().copied().collect()),
        });
        let app = Router::new()
            .route("/webhook", post(receive).get(verify))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, state }
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until `predicate` holds over what was received.
    pub(crate) async fn wait_until(
        &self,
        predicate: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        for _ in 0..1000 {
            let received = self.received();
            if predicate(&received) {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "receiver never saw the expected webhooks: {:?}",
            self.received()
        );
    }

    /// Waits until at least `n` statuses (over all POSTs) arrived.
    pub(crate) async fn wait_statuses(&self, n: usize) -> Vec<Received> {
        self.wait_until(|all| all.iter().map(|r| r.statuses().len()).sum::<usize>() >= n)
            .await
    }
}

async fn receive(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    state.received.lock().unwrap().push(Received {
        signature: headers
            .get("x-hub-signature-256")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
    });
    let next = state.script.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(next).unwrap()
}

/// Meta's verification handshake, as a receiver implements it (verify token `verify-me`).
async fn verify(
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> (StatusCode, String) {
    let token_ok = query.get("hub.verify_token").map(String::as_str) == Some("verify-me");
    let mode_ok = query.get("hub.mode").map(String::as_str) == Some("subscribe");
    match query.get("hub.challenge") {
        Some(challenge) if token_ok && mode_ok => (StatusCode::OK, challenge.clone()),
        _ => (StatusCode::FORBIDDEN, String::new()),
    }
}

/// Waits (up to 10 s) until `predicate` holds.
pub(crate) async fn eventually(mut predicate: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if predicate() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition never became true");
}
