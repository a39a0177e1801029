//! Conformance with real SDKs: pywa and whatsapp-api-js, at the exact versions pinned in
//! `tests/sdk/requirements.txt` and `tests/sdk/package.json`, are installed into
//! `target/sdk-conformance/` (once; again when a pin changes) and driven against a running
//! simulator by `tests/sdk/pywa_conformance.py` and `tests/sdk/wajs_conformance.mjs`.
//!
//! Before the scripts run, this test makes the simulator emit every kind of webhook it sends
//! (each inbound message type, each status, template status and quality, number quality,
//! account update) and hands the exact bodies and signatures to both SDKs' own signature checks
//! and parsers. Each script prints every operation with its result; the test prints them and
//! fails on any `FAIL` or a missing operation. Where an SDK departs from Meta's documentation
//! the script says so (`sdk-wrong`) and the simulator keeps Meta's behaviour.
//!
//! Needs `python3` with pip and `node` (20+) with npm, and the registries reachable on the first
//! run; without them the test fails, never skips.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use wa_sim::{
    CustomerRef, InboundContent, InboundMedia, InboundRequest, NumberConfig, QualityChange,
    RunningSim, Simulator, TemplateConfig, TemplateReview, WebhookBehaviour,
};

use crate::helpers::{Received, Receiver, client, quick_webhooks};

const PNID: &str = "100000000000077";
const WABA: &str = "200000000000077";
const TOKEN: &str = "token-sdk";
const APP_ID: &str = "900000000000077";
const SECRET: &str = "sdk-app-secret";
const CUSTOMER: &str = "15551239876";
const VERSION: &str = "25.0";

pub(crate) fn sdk_sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

/// `target/sdk-conformance`, next to the test binary's profile directory.
fn install_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/it-… → target
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the test binary lives under target/<profile>/deps");
    target.join("sdk-conformance")
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Installs both SDKs at their pinned versions unless this exact pin set is installed.
pub(crate) fn install_sdks() -> PathBuf {
    let dir = install_dir();
    let requirements = std::fs::read_to_string(sdk_sources().join("requirements.txt")).unwrap();
    let package = std::fs::read_to_string(sdk_sources().join("package.json")).unwrap();
    let pins = format!("{requirements}\n{package}");
    let marker = dir.join("installed-pins");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(pins.as_str()) {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("node")).unwrap();
    run(
        Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--target",
            ])
            .arg(dir.join("py"))
            .arg("-r")
            .arg(sdk_sources().join("requirements.txt")),
        "pip install of the pinned pywa",
    );
    std::fs::write(dir.join("node/package.json"), &package).unwrap();
    run(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                "--save-exact",
                "--loglevel=error",
            ])
            .current_dir(dir.join("node")),
        "npm install of the pinned whatsapp-api-js",
    );
    std::fs::write(&marker, pins).unwrap();
    dir
}

async fn start(receiver: &Receiver) -> RunningSim {
    let mut config = TemplateConfig::new("order_update", "en_US", "UTILITY", "");
    config.components = vec![
        json!({"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped.",
               "example": {"body_text": [["Ada", "42"]]}}),
        json!({"type": "BUTTONS", "buttons": [
            {"type": "URL", "text": "Track", "url": "https://example.com/track/{{1}}", "example": ["https://example.com/track/42"]},
            {"type": "QUICK_REPLY", "text": "Stop"}
        ]}),
    ];
    let mut number = NumberConfig::new(PNID, WABA, TOKEN, "+1 555-010-0077");
    number.messaging_limit_tier = "TIER_2K".into();
    let sim = Simulator::builder()
        .app_id(APP_ID)
        .app_secret(SECRET)
        .callback_url(&receiver.url)
        .number(number)
        .template(TemplateConfig::new(
            "hello_world",
            "en_US",
            "UTILITY",
            "Hello from wa!",
        ))
        .template(config)
        .webhooks(quick_webhooks())
        .start()
        .await
        .expect("simulator starts");
    sim.control().set_template_review(TemplateReview {
        delay_ms: 30,
        ..TemplateReview::default()
    });
    sim
}

/// Waits for the POSTs after the first `seen` and returns them.
async fn next_posts(receiver: &Receiver, seen: usize, n: usize) -> Vec<Received> {
    receiver
        .wait_until(|all| all.len() >= seen + n)
        .await
        .into_iter()
        .skip(seen)
        .collect()
}

fn captured(kind: &str, post: &Received) -> Value {
    json!({
        "kind": kind,
        "body": String::from_utf8(post.body.to_vec()).expect("webhook bodies are ASCII"),
        "signature": post.signature.clone().expect("signed"),
    })
}

fn media(mime: &str) -> InboundMedia {
    InboundMedia {
        mime_type: Some(mime.into()),
        data_base64: Some("aGVsbG8=".into()),
        ..InboundMedia::default()
    }
}

/// Makes the simulator emit every kind of webhook once; returns them with their kinds and the
/// wamid of the customer's text message.
async fn every_webhook(sim: &RunningSim, receiver: &Receiver) -> (Vec<Value>, String) {
    let mut out = Vec::new();
    let customer = CustomerRef::phone(CUSTOMER, "Ada");
    let inbound: Vec<(&str, InboundContent)> = vec![
        ("message.image", InboundContent::Image(media("image/jpeg"))),
        ("message.video", InboundContent::Video(media("video/mp4"))),
        ("message.audio", InboundContent::Audio(media("audio/ogg"))),
        (
            "message.document",
            InboundContent::Document(InboundMedia {
                filename: Some("a.pdf".into()),
                ..media("application/pdf")
            }),
        ),
        (
            "message.sticker",
            InboundContent::Sticker(media("image/webp")),
        ),
        (
            "message.location",
            InboundContent::Location {
                latitude: 52.52,
                longitude: 13.405,
                name: Some("Berlin".into()),
                address: None,
                url: None,
            },
        ),
        (
            "message.contacts",
            InboundContent::Contacts {
                contacts: vec![
                    json!({"name": {"formatted_name": "Bob", "first_name": "Bob"},
                                      "phones": [{"phone": "+15550001111", "type": "CELL"}]}),
                ],
            },
        ),
        (
            "message.button",
            InboundContent::Button {
                payload: "stop".into(),
                text: "Stop".into(),
            },
        ),
        (
            "message.interactive.button_reply",
            InboundContent::ButtonReply {
                id: "yes".into(),
                title: "Yes".into(),
            },
        ),
        (
            "message.interactive.list_reply",
            InboundContent::ListReply {
                id: "first".into(),
                title: "First".into(),
                description: None,
            },
        ),
        (
            "message.order",
            InboundContent::Order {
                catalog_id: "123456".into(),
                text: Some("An order".into()),
                product_items: vec![json!({"product_retailer_id": "sku-1", "quantity": 1,
                                           "item_price": 9.99, "currency": "USD"})],
            },
        ),
        (
            "message.unsupported",
            InboundContent::Unsupported {
                original_type: "poll".into(),
            },
        ),
    ];
    let seen = receiver.received().len();
    let wamid = sim
        .control()
        .inject_inbound(InboundRequest::new(
            PNID,
            customer.clone(),
            InboundContent::Text {
                body: "Hi there \u{1F44B}".into(),
            },
        ))
        .expect("inbound accepted")
        .wamid;
    out.push(captured(
        "message.text",
        &next_posts(receiver, seen, 1).await[0],
    ));
    // sent, delivered and read of one message; then a failed one.
    let seen = receiver.received().len();
    let answer = client()
        .post(format!("{}/v{VERSION}/{PNID}/messages", sim.base_url()))
        .bearer_auth(TOKEN)
        .json(
            &json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text",
                      "text": {"body": "status please"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    let business_wamid = answer["messages"][0]["id"].as_str().unwrap().to_owned();
    for post in next_posts(receiver, seen, 3).await {
        let status = post.statuses()[0]["status"].as_str().unwrap().to_owned();
        out.push(captured(&format!("status.{status}"), &post));
    }
    for (kind, content) in inbound {
        // Replies to buttons and lists quote the business message they answer, as at Meta.
        let reply = matches!(
            content,
            InboundContent::Button { .. }
                | InboundContent::ButtonReply { .. }
                | InboundContent::ListReply { .. }
        );
        let seen = receiver.received().len();
        let mut request = InboundRequest::new(PNID, customer.clone(), content);
        if reply {
            request.context = Some(wa_sim::InboundContext {
                reply_to: Some(business_wamid.clone()),
                ..wa_sim::InboundContext::default()
            });
        }
        sim.control()
            .inject_inbound(request)
            .expect("inbound accepted");
        out.push(captured(kind, &next_posts(receiver, seen, 1).await[0]));
    }
    let seen = receiver.received().len();
    sim.control()
        .inject_inbound(InboundRequest::new(
            PNID,
            customer.clone(),
            InboundContent::Reaction {
                message_id: wamid.clone(),
                emoji: Some("\u{2764}".into()),
            },
        ))
        .unwrap();
    out.push(captured(
        "message.reaction",
        &next_posts(receiver, seen, 1).await[0],
    ));
    let seen = receiver.received().len();
    sim.control()
        .inject_inbound(InboundRequest::new(
            PNID,
            // Another customer changes numbers: the first one's window stays where it is.
            CustomerRef::phone("15551230001", "Bob"),
            InboundContent::ChangedNumber {
                new_wa_id: "15551239999".into(),
            },
        ))
        .unwrap();
    out.push(captured(
        "message.system",
        &next_posts(receiver, seen, 1).await[0],
    ));

    let behaviour = sim.control().webhook_behaviour();
    sim.control().set_webhook_behaviour(WebhookBehaviour {
        fail_rate: 1.0,
        ..behaviour.clone()
    });
    let seen = receiver.received().len();
    client()
        .post(format!("{}/v{VERSION}/{PNID}/messages", sim.base_url()))
        .bearer_auth(TOKEN)
        .json(
            &json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text",
                      "text": {"body": "this one fails"}}),
        )
        .send()
        .await
        .unwrap();
    out.push(captured(
        "status.failed",
        &next_posts(receiver, seen, 1).await[0],
    ));
    sim.control().set_webhook_behaviour(behaviour);

    let seen = receiver.received().len();
    sim.control()
        .set_template_status("hello_world", "en_US", "PAUSED", None)
        .unwrap();
    out.push(captured(
        "message_template_status_update",
        &next_posts(receiver, seen, 1).await[0],
    ));
    let seen = receiver.received().len();
    sim.control()
        .set_template_status("hello_world", "en_US", "APPROVED", None)
        .unwrap();
    next_posts(receiver, seen, 1).await;
    let seen = receiver.received().len();
    sim.control()
        .set_template_quality("order_update", "en_US", "YELLOW")
        .unwrap();
    out.push(captured(
        "message_template_quality_update",
        &next_posts(receiver, seen, 1).await[0],
    ));
    let seen = receiver.received().len();
    sim.control()
        .update_number_quality(
            PNID,
            QualityChange {
                event: "UPGRADE".into(),
                messaging_limit_tier: Some("TIER_10K".into()),
                ..QualityChange::default()
            },
        )
        .unwrap();
    out.push(captured(
        "phone_number_quality_update",
        &next_posts(receiver, seen, 1).await[0],
    ));
    let seen = receiver.received().len();
    sim.control()
        .account_update(WABA, "VERIFIED_ACCOUNT", Some("15550100077"));
    out.push(captured(
        "account_update",
        &next_posts(receiver, seen, 1).await[0],
    ));
    (out, wamid)
}

/// Runs one script; returns its lines. Panics with the whole output if it failed.
// Printing every operation with its result is what this test is for (CI's log shows them).
#[allow(clippy::print_stdout)]
fn run_script(name: &str, mut command: Command) -> Vec<String> {
    let started = std::time::Instant::now();
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    println!(
        "---- {name} ({:.1} s)\n{stdout}",
        started.elapsed().as_secs_f64()
    );
    if !stderr.trim().is_empty() {
        println!("---- {name} stderr\n{stderr}");
    }
    assert!(
        output.status.success(),
        "{name} reported failures (see its output above)"
    );
    stdout.lines().map(str::to_owned).collect()
}

fn results(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter_map(|line| {
            let (head, _) = line.split_once(" :: ")?;
            let (result, operation) = head.split_once(' ')?;
            Some((result.to_owned(), operation.to_owned()))
        })
        .collect()
}

fn assert_ran(results: &[(String, String)], operation: &str, result: &str) {
    assert_ran_any(results, operation, &[result]);
}

fn assert_ran_any(results: &[(String, String)], operation: &str, allowed: &[&str]) {
    assert!(
        results
            .iter()
            .any(|(r, o)| o == operation && allowed.contains(&r.as_str())),
        "{operation} did not end {allowed:?}: {results:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pywa_and_whatsapp_api_js_work_against_the_simulator() {
    let dir = tokio::task::spawn_blocking(install_sdks).await.unwrap();
    let receiver = Receiver::start(&[]).await;
    let sim = start(&receiver).await;
    let (hooks, wamid) = every_webhook(&sim, &receiver).await;
    let kinds = hooks.len();
    let hooks_file = dir.join(format!("webhooks-{}.json", std::process::id()));
    std::fs::write(&hooks_file, serde_json::to_vec_pretty(&hooks).unwrap()).unwrap();
    // The window is open (the customer wrote); the scripts' own webhooks go to the receiver.
    let env = |command: &mut Command| {
        command
            .env("SIM_BASE_URL", sim.base_url())
            .env("GRAPH_VERSION", VERSION)
            .env("PHONE_ID", PNID)
            .env("WABA_ID", WABA)
            .env("TOKEN", TOKEN)
            .env("APP_ID", APP_ID)
            .env("APP_SECRET", SECRET)
            .env("CUSTOMER", CUSTOMER)
            .env("INBOUND_WAMID", &wamid)
            .env("WEBHOOKS_FILE", &hooks_file)
            .env("NO_PROXY", "127.0.0.1")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY")
            .env_remove("http_proxy")
            .env_remove("https_proxy");
    };
    let mut python = Command::new("python3");
    python
        .arg(sdk_sources().join("pywa_conformance.py"))
        .env("PYTHONPATH", dir.join("py"))
        .env("PYTHONDONTWRITEBYTECODE", "1");
    env(&mut python);
    let pywa = tokio::task::spawn_blocking(move || run_script("pywa", python))
        .await
        .unwrap();
    let mut node = Command::new("node");
    node.arg(sdk_sources().join("wajs_conformance.mjs"))
        .env("NODE_MODULES_DIR", dir.join("node/node_modules"));
    env(&mut node);
    let wajs = tokio::task::spawn_blocking(move || run_script("whatsapp-api-js", node))
        .await
        .unwrap();
    let _ = std::fs::remove_file(&hooks_file);

    let pywa = results(&pywa);
    let wajs = results(&wajs);
    // Every webhook kind went through both SDKs' signature checks and parsers.
    for hook in &hooks {
        let kind = hook["kind"].as_str().unwrap();
        assert_ran(&pywa, &format!("webhook.signature.{kind}"), "ok");
        // pywa's own departures from Meta are named in its output (`sdk-wrong`).
        assert_ran_any(
            &pywa,
            &format!("webhook.parse.{kind}"),
            &["ok", "sdk-wrong"],
        );
        assert_ran_any(
            &wajs,
            &format!("webhook.parse.{kind}"),
            &["ok", "sdk-limit"],
        );
        assert_ran(&wajs, &format!("webhook.signature.{kind}"), "ok");
    }
    assert_eq!(kinds, 23, "every webhook kind the simulator emits");
    for operation in [
        "send_message.text",
        "send_template.params",
        "upload_media.png",
        "get_media_bytes",
        "mark_message_as_read",
        "indicate_typing",
        "get_business_phone_number.all_pywa_fields",
        "get_business_profile",
        "update_business_profile",
        "get_templates",
        "create_template.positional",
        "create_template.named_with_media_header",
        "template_review.approved",
        "update_template.raw",
        "delete_template.by_id",
        "get_business_account",
        "get_waba_subscribed_apps",
    ] {
        assert_ran(&pywa, operation, "ok");
    }
    for operation in [
        "get_business_phone_number.unknown_field",
        "create_template.duplicate",
        "block_users",
    ] {
        assert_ran(&pywa, operation, "refused");
    }
    for operation in [
        "sendMessage.text",
        "sendMessage.template.params",
        "markAsRead.typing",
        "uploadMedia",
        "fetchMedia",
        "deleteMedia",
    ] {
        assert_ran(&wajs, operation, "ok");
    }
    assert!(
        !pywa.iter().chain(&wajs).any(|(result, _)| result == "FAIL"),
        "no operation failed"
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    sim.shutdown().await;
}
