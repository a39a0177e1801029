//! The simulator's answers and webhooks validated against Meta's OpenAPI description
//! (`tests/meta/business-messaging-api_v23.0.yaml`, Meta's document as published under its MIT
//! licence, kept in the repository so a clean clone checks it too) wherever Meta
//! describes them: every endpoint wa calls is called here, and each kind of webhook wa consumes
//! is emitted; `tests/sdk/openapi_check.py` (PyYAML from the pinned set in `target/`) checks each
//! body against Meta's schema and prints one line per check. Where Meta's document has no schema
//! for an answer the line says `undescribed`.

use std::path::Path;
use std::process::Command;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use wa_sim::{CustomerRef, InboundContent, InboundRequest, TemplateReview};

use crate::helpers::*;
use crate::sdk_conformance::{install_sdks, sdk_sources};

/// Meta's OpenAPI document, kept beside these tests.
fn openapi_file() -> std::path::PathBuf {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/meta/business-messaging-api_v23.0.yaml");
    assert!(
        path.exists(),
        "Meta's OpenAPI document is missing: {}",
        path.display()
    );
    path
}

struct Capture {
    items: Vec<Value>,
}

impl Capture {
    async fn call(
        &mut self,
        sim: &wa_sim::RunningSim,
        method: reqwest::Method,
        path: &str,
        template: &str,
        body: Option<Value>,
    ) -> Value {
        let mut request = client()
            .request(method.clone(), graph(sim, path))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap();
        self.items
            .push(json!({"method": method.as_str(), "path": template,
                               "status": status, "body": answer}));
        answer
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_and_webhooks_match_metas_openapi() {
    let dir = tokio::task::spawn_blocking(install_sdks).await.unwrap();
    let receiver = Receiver::start(&[]).await;
    let sim = builder().callback_url(&receiver.url).start().await.unwrap();
    sim.control().set_template_review(TemplateReview {
        delay_ms: 10,
        ..TemplateReview::default()
    });
    let mut capture = Capture { items: Vec::new() };
    let number = "/{Version}/{Phone-Number-ID}";
    let waba = "/{Version}/{WABA-ID}";
    use reqwest::Method;

    capture.call(&sim, Method::GET, PNID, number, None).await;
    capture
        .call(
            &sim,
            Method::GET,
            &format!("{PNID}?fields=name_status,code_verification_status"),
            number,
            None,
        )
        .await;
    capture
        .call(
            &sim,
            Method::GET,
            &format!("{PNID}?fields=nonsense"),
            number,
            None,
        )
        .await;
    let profile = format!("{number}/whatsapp_business_profile");
    capture
        .call(
            &sim,
            Method::POST,
            &format!("{PNID}/whatsapp_business_profile"),
            &profile,
            Some(
                json!({"messaging_product": "whatsapp", "about": "Hi", "vertical": "RETAIL",
                          "websites": ["https://example.com"]}),
            ),
        )
        .await;
    capture
        .call(
            &sim,
            Method::GET,
            &format!("{PNID}/whatsapp_business_profile"),
            &profile,
            None,
        )
        .await;
    capture
        .call(
            &sim,
            Method::POST,
            &format!("{PNID}/register"),
            &format!("{number}/register"),
            Some(json!({"messaging_product": "whatsapp", "pin": "123456"})),
        )
        .await;
    capture.call(&sim, Method::GET, WABA, waba, None).await;
    capture
        .call(
            &sim,
            Method::GET,
            &format!("{WABA}/phone_numbers"),
            &format!("{waba}/phone_numbers"),
            None,
        )
        .await;
    let apps = format!("{waba}/subscribed_apps");
    capture
        .call(
            &sim,
            Method::POST,
            &format!("{WABA}/subscribed_apps"),
            &apps,
            None,
        )
        .await;
    capture
        .call(
            &sim,
            Method::GET,
            &format!("{WABA}/subscribed_apps"),
            &apps,
            None,
        )
        .await;
    let templates = format!("{waba}/message_templates");
    capture
        .call(
            &sim,
            Method::GET,
            &format!("{WABA}/message_templates"),
            &templates,
            None,
        )
        .await;
    let created = capture
        .call(
            &sim,
            Method::POST,
            &format!("{WABA}/message_templates"),
            &templates,
            Some(
                json!({"name": "openapi_check", "language": "en_US", "category": "UTILITY",
                          "components": [{"type": "BODY", "text": "Hi {{1}}, thanks.",
                                          "example": {"body_text": [["Ada"]]}}]}),
            ),
        )
        .await;
    let template_id = created["id"].as_str().unwrap().to_owned();
    capture
        .call(
            &sim,
            Method::GET,
            &template_id,
            "/{Version}/{TEMPLATE_ID}",
            None,
        )
        .await;

    // Sends: an accepted text (the customer wrote first), and a refused one (window closed).
    let customer = CustomerRef::phone(CUSTOMER, "Ada");
    let seen = receiver.received().len();
    sim.control()
        .inject_inbound(InboundRequest::new(
            PNID,
            customer,
            InboundContent::Text {
                body: "Hello".into(),
            },
        ))
        .unwrap();
    receiver.wait_until(|all| all.len() > seen).await;
    let messages = format!("{number}/messages");
    capture
        .call(
            &sim,
            Method::POST,
            &format!("{PNID}/messages"),
            &messages,
            Some(text_to(CUSTOMER, "hi")),
        )
        .await;
    capture
        .call(
            &sim,
            Method::POST,
            &format!("{PNID}/messages"),
            &messages,
            Some(text_to("15550009999", "nobody wrote")),
        )
        .await;
    let form = Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", "image/png")
        .part(
            "file",
            Part::bytes(&b"\x89PNG"[..])
                .file_name("a.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let response = client()
        .post(graph(&sim, &format!("{PNID}/media")))
        .bearer_auth(TOKEN)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let uploaded: Value = response.json().await.unwrap();
    capture
        .items
        .push(json!({"method": "POST", "path": format!("{number}/media"),
                              "status": status, "body": uploaded}));
    let media_id = uploaded["id"].as_str().unwrap().to_owned();
    capture
        .call(&sim, Method::GET, &media_id, "/{Version}/{Media-ID}", None)
        .await;
    let response = client()
        .delete(graph(
            &sim,
            &format!("{WABA}/message_templates?name=openapi_check"),
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    capture.items.push(
        json!({"method": "DELETE", "path": templates, "status": response.status().as_u16(),
                              "body": response.json::<Value>().await.unwrap()}),
    );

    // Webhooks wa consumes: messages, statuses, template status, account and quality updates.
    sim.control().account_update(WABA, "VERIFIED_ACCOUNT", None);
    let posts = receiver
        .wait_until(|all| {
            all.iter()
                .any(|r| r.json()["entry"][0]["changes"][0]["field"] == "account_update")
                && all.iter().map(|r| r.statuses().len()).sum::<usize>() >= 3
        })
        .await;
    for post in posts {
        let body = post.json();
        let field = body["entry"][0]["changes"][0]["field"]
            .as_str()
            .unwrap_or("?")
            .to_owned();
        capture.items.push(json!({"kind": field, "webhook": body}));
    }

    let file = dir.join(format!("openapi-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(&capture.items).unwrap()).unwrap();
    let mut command = Command::new("python3");
    command
        .arg(sdk_sources().join("openapi_check.py"))
        .env("PYTHONPATH", dir.join("py"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("OPENAPI_FILE", openapi_file())
        .env("CAPTURED_FILE", &file);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&output.stdout);
    report(&stdout, &String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "answers departing from Meta's OpenAPI (see above)"
    );
    let checked = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(checked >= 15, "only {checked} answers were checked");
    sim.shutdown().await;
}

// The check's lines are the point of this test (CI's log shows them).
#[allow(clippy::print_stdout)]
fn report(stdout: &str, stderr: &str) {
    println!("{stdout}{stderr}");
}
