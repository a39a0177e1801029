//! The control API and the CLI, as another process uses them: a scenario set up from nothing
//! over HTTP on the control API's own address, Graph calls against it, and the inspection of
//! what it received and sent; then the `wa-sim` binary serving and driving a simulator.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use wa_sim::Simulator;

use crate::helpers::*;

/// Calls `{control}/_sim/{path}`; returns the status and the JSON answer (`null` when empty).
async fn control_call(
    control: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client().request(method, format!("{control}/_sim/{path}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_scenario_is_set_up_and_inspected_over_the_control_api() {
    use reqwest::Method;
    let receiver = Receiver::start(&[]).await;
    let sim = Simulator::builder()
        .app_secret(SECRET)
        .control_bind("127.0.0.1:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    let control = sim.control_url().to_owned();
    assert_ne!(control, sim.base_url());
    // The Graph address serves Graph only: `_sim` is just an unknown object there.
    let (status, _) = control_call(sim.base_url(), Method::GET, "health", None).await;
    assert_ne!(status, 200);
    assert_eq!(
        control_call(&control, Method::GET, "health", None).await,
        (200, json!({"ok": true}))
    );

    let setup = [
        (
            Method::POST,
            "numbers",
            json!({"phone_number_id": PNID, "waba_id": WABA, "access_token": TOKEN,
                   "display_phone_number": DISPLAY}),
        ),
        (
            Method::POST,
            "templates",
            json!({"name": "welcome", "language": "en_US", "category": "MARKETING",
                   "components": [{"type": "BODY", "text": "Welcome, {{1}}!"}]}),
        ),
        (Method::PUT, "callback_url", json!({"url": receiver.url})),
        (
            Method::PUT,
            "webhooks/behaviour",
            json!({"sent_delay_ms": 0, "delivered_delay_ms": 0, "read_delay_ms": null}),
        ),
        (
            Method::POST,
            "windows/open",
            json!({"phone_number_id": PNID, "customer": {"wa_id": CUSTOMER, "name": "Ada"}}),
        ),
    ];
    for (method, path, body) in setup {
        let (status, answer) = control_call(&control, method, path, Some(body)).await;
        assert!((200..300).contains(&status), "{path}: {status} {answer}");
    }
    let (_, numbers) = control_call(&control, Method::GET, "numbers", None).await;
    assert_eq!(numbers[0]["phone_number_id"], PNID);
    assert!(
        !numbers.to_string().contains(TOKEN),
        "tokens are not listed back"
    );

    assert_eq!(send(&sim, &text_to(CUSTOMER, "hello")).await.0, 200);
    let template = json!({"messaging_product": "whatsapp", "to": "15550007777", "type": "template",
        "template": {"name": "welcome", "language": {"code": "en_US"},
                     "components": [{"type": "body", "parameters": [{"type": "text", "text": "Bo"}]}]}});
    assert_eq!(send(&sim, &template).await.0, 200);
    receiver.wait_statuses(4).await;

    let (_, messages) = control_call(&control, Method::GET, "messages", None).await;
    let kinds: Vec<&str> = messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["text", "template"]);
    let (_, requests) = control_call(&control, Method::GET, "requests", None).await;
    // The probe of `/_sim/health` on the Graph address, then the two sends.
    let statuses: Vec<i64> = requests
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses.len(), 3);
    assert_ne!(statuses[0], 200);
    assert_eq!(statuses[1..], [200, 200]);
    assert!(!requests.to_string().contains(TOKEN));
    let (_, webhooks) = control_call(&control, Method::GET, "webhooks", None).await;
    let delivered = webhooks
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["state"] == "delivered")
        .count();
    assert_eq!(delivered, 4, "sent and delivered for each, never read");
    let (_, totals) = control_call(&control, Method::GET, "totals", None).await;
    assert_eq!(totals, json!({"requests": 3, "webhooks": 4}));

    // Limits, revocation and reset.
    let (status, _) = control_call(
        &control,
        Method::PUT,
        "limits",
        Some(json!({"throughput_per_number": 1})),
    )
    .await;
    assert_eq!(status, 204);
    let (_, limits) = control_call(&control, Method::GET, "limits", None).await;
    assert_eq!(limits["throughput_per_number"], 1);
    let (status, _) = control_call(
        &control,
        Method::POST,
        "tokens/revoke",
        Some(json!({"token": TOKEN})),
    )
    .await;
    assert_eq!(status, 204);
    let (status, answer) = send(&sim, &text_to(CUSTOMER, "x")).await;
    assert_eq!((status, error_code(&answer)), (401, 190));
    let (status, _) = control_call(&control, Method::POST, "reset", None).await;
    assert_eq!(status, 204);
    let (_, numbers) = control_call(&control, Method::GET, "numbers", None).await;
    assert_eq!(numbers, json!([]), "back to the initial, empty scenario");
}

/// A `wa-sim serve` child process, killed when dropped.
struct Served {
    child: Child,
    graph: String,
    control: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_wa-sim")
}

/// Starts `wa-sim serve` on free ports and reads its addresses from its first stdout line.
fn serve(callback_url: &str) -> Served {
    let mut child = Command::new(binary())
        .args([
            "serve",
            "--port",
            "0",
            "--control-port",
            "0",
            "--callback-url",
            callback_url,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // `wa-sim listening: Graph http://…/v23.0 (any version), control http://…/_sim`
    let urls: Vec<&str> = line
        .split_whitespace()
        .filter(|word| word.starts_with("http://"))
        .collect();
    assert_eq!(urls.len(), 2, "{line}");
    Served {
        child,
        graph: urls[0].trim_end_matches("/v23.0").to_owned(),
        control: urls[1].trim_end_matches("/_sim").to_owned(),
    }
}

/// Runs a `wa-sim` command against `control`; returns its stdout as JSON (`null` if empty).
async fn cli(control: &str, args: &[&str]) -> Value {
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    if args != ["scenario"] {
        all.extend(["--sim".to_owned(), control.to_owned()]);
    }
    let output = tokio::task::spawn_blocking(move || {
        Command::new(binary())
            .args(&all)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "wa-sim {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    if output.stdout.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

#[tokio::test]
async fn the_binary_serves_the_demo_scenario_and_the_cli_drives_it() {
    let receiver = Receiver::start(&[]).await;
    let served = serve(&receiver.url);
    let control = served.control.clone();
    let demo_number = "100000000000001";
    let send_demo = |body: Value| {
        let url = format!("{}/v25.0/{demo_number}/messages", served.graph);
        async move {
            let response = client()
                .post(url)
                .bearer_auth("demo-token")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };

    // Nobody wrote yet: free-form text is refused, the demo template is not.
    let (status, answer) = send_demo(text_to(CUSTOMER, "hi")).await;
    assert_eq!((status, error_code(&answer)), (400, 131047));
    let hello = json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template",
                       "template": {"name": "hello_world", "language": {"code": "en_US"}}});
    assert_eq!(send_demo(hello).await.0, 200);

    // A customer writes through the CLI; the webhook is signed with the demo secret.
    let injected = cli(
        &control,
        &[
            "inbound",
            "--to",
            demo_number,
            "--from",
            CUSTOMER,
            "--name",
            "Ada",
            "--text",
            "Hi from the CLI",
        ],
    )
    .await;
    let wamid = injected["wamid"].as_str().unwrap().to_owned();
    let received = receiver
        .wait_until(|all| {
            all.iter()
                .flat_map(Received::messages)
                .any(|m| m["id"] == wamid.as_str())
        })
        .await;
    let post = received
        .iter()
        .find(|p| p.messages().iter().any(|m| m["id"] == wamid.as_str()))
        .unwrap();
    assert_eq!(
        post.signature.as_deref(),
        Some(wa_sim::signature_header("demo-app-secret", &post.body).as_str())
    );
    assert_eq!(send_demo(text_to(CUSTOMER, "hello Ada")).await.0, 200);

    // Faults and limits through the CLI.
    cli(
        &control,
        &[
            "faults",
            "--json",
            r#"{"error_rates":[{"code":131016,"rate":1.0}]}"#,
        ],
    )
    .await;
    let (status, answer) = send_demo(text_to(CUSTOMER, "x")).await;
    assert_eq!((status, error_code(&answer)), (503, 131016));
    cli(&control, &["faults", "--clear"]).await;
    cli(
        &control,
        &[
            "call",
            "put",
            "limits",
            "--json",
            r#"{"pair_burst":1,"pair_interval_ms":60000}"#,
        ],
    )
    .await;
    let limits = cli(&control, &["call", "GET", "/_sim/limits"]).await;
    assert_eq!(limits["pair_burst"], 1);
    let (status, answer) = send_demo(text_to(CUSTOMER, "too fast")).await;
    assert_eq!((status, error_code(&answer)), (400, 131056));

    // What it received and sent.
    let requests = cli(&control, &["requests"]).await;
    assert_eq!(requests.as_array().unwrap().len(), 5);
    let messages = cli(&control, &["messages"]).await;
    assert_eq!(messages.as_array().unwrap().len(), 2);
    assert_eq!(cli(&control, &["reads"]).await, json!([]));
    let webhooks = cli(&control, &["webhooks"]).await;
    assert!(!webhooks.as_array().unwrap().is_empty());
    cli(&control, &["reset"]).await;
    assert_eq!(cli(&control, &["requests"]).await, json!([]));

    // The scenario the binary serves by default is the one it prints.
    let scenario = cli(&control, &["scenario"]).await;
    assert_eq!(scenario["numbers"][0]["phone_number_id"], demo_number);
}
