//! Onboarding: Embedded Signup's code exchange, `debug_token`, WABA phone numbers and
//! templates, `subscribed_apps`, `register`, and the phone number's fields.

use serde_json::{Value, json};
use wa_sim::{CustomerRef, DeliveryState, InboundContent, InboundRequest, SignupRequest};

use crate::helpers::*;

async fn get_json(url: &str, token: Option<&str>, query: &[(&str, &str)]) -> (u16, Value) {
    let mut request = client().get(url).query(query);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn embedded_signup_end_to_end() {
    let receiver = Receiver::start(&[]).await;
    let sim = builder()
        .app_id("900100")
        .callback_url(&receiver.url)
        .start()
        .await
        .unwrap();
    let grant = sim.control().create_signup(SignupRequest::default());

    let exchange = graph(&sim, "oauth/access_token");
    let (status, answer) = get_json(
        &exchange,
        None,
        &[
            ("client_id", "900100"),
            ("client_secret", "wrong"),
            ("code", &grant.code),
        ],
    )
    .await;
    assert_eq!((status, error_code(&answer)), (400, 1));
    let (status, answer) = get_json(
        &exchange,
        None,
        &[
            ("client_id", "900100"),
            ("client_secret", SECRET),
            ("code", &grant.code),
        ],
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["token_type"], "bearer");
    let token = answer["access_token"].as_str().unwrap().to_owned();
    let (_, answer) = get_json(
        &exchange,
        None,
        &[
            ("client_id", "900100"),
            ("client_secret", SECRET),
            ("code", &grant.code),
        ],
    )
    .await;
    assert_eq!(error_code(&answer), 100, "codes are single-use");

    let app_token = format!("900100|{SECRET}");
    let (status, answer) = get_json(
        &graph(&sim, "debug_token"),
        Some(&app_token),
        &[("input_token", &token)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["data"]["is_valid"], true);
    let scopes = answer["data"]["granular_scopes"].as_array().unwrap();
    assert!(
        scopes
            .iter()
            .all(|s| s["target_ids"] == json!([grant.waba_id]))
    );

    let (_, answer) = get_json(
        &graph(&sim, &format!("{}/phone_numbers", grant.waba_id)),
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(answer["data"][0]["id"], grant.phone_number_id.as_str());
    assert_eq!(answer["data"][0]["platform_type"], "NOT_APPLICABLE");

    // Not registered yet: sends fail with 133010.
    let send_url = graph(&sim, &format!("{}/messages", grant.phone_number_id));
    let template = json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template",
        "template": {"name": "hello_world", "language": {"code": "en_US"}}});
    let answer: Value = client()
        .post(&send_url)
        .bearer_auth(&token)
        .json(&template)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&answer), 133010);

    let register = graph(&sim, &format!("{}/register", grant.phone_number_id));
    let bad: Value = client()
        .post(&register)
        .bearer_auth(&token)
        .json(&json!({"messaging_product": "whatsapp", "pin": "12"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&bad), 100);
    let ok: Value = client()
        .post(&register)
        .bearer_auth(&token)
        .json(&json!({"messaging_product": "whatsapp", "pin": "123456"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ok, json!({"success": true}));
    let answer: Value = client()
        .post(&send_url)
        .bearer_auth(&token)
        .json(&template)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer["messages"][0]["id"].is_string(), "{answer}");

    // No webhooks until the WABA is subscribed.
    sim.control()
        .inject_inbound(InboundRequest::new(
            &grant.phone_number_id,
            CustomerRef::phone(CUSTOMER, "Ada"),
            InboundContent::Text {
                body: "early".into(),
            },
        ))
        .unwrap();
    eventually(|| {
        sim.control()
            .webhooks()
            .iter()
            .any(|d| d.state == DeliveryState::Undeliverable)
    })
    .await;
    let subscribe: Value = client()
        .post(graph(&sim, &format!("{}/subscribed_apps", grant.waba_id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(subscribe, json!({"success": true}));
    let (_, apps) = get_json(
        &graph(&sim, &format!("{}/subscribed_apps", grant.waba_id)),
        Some(&token),
        &[],
    )
    .await;
    assert_eq!(
        apps["data"][0]["whatsapp_business_api_data"]["id"],
        "900100"
    );
    sim.control()
        .inject_inbound(InboundRequest::new(
            &grant.phone_number_id,
            CustomerRef::phone(CUSTOMER, "Ada"),
            InboundContent::Text { body: "now".into() },
        ))
        .unwrap();
    let received = receiver
        .wait_until(|all| all.iter().any(|r| !r.messages().is_empty()))
        .await;
    let message = received.iter().flat_map(|r| r.messages()).next().unwrap();
    assert_eq!(message["text"]["body"], "now");
}

#[tokio::test]
async fn signup_codes_expire() {
    let sim = start().await;
    let grant = sim.control().create_signup(SignupRequest {
        code_ttl_ms: Some(30_000),
        ..SignupRequest::default()
    });
    sim.control()
        .advance_clock(std::time::Duration::from_secs(31));
    let settings_app_id = "900000000000001";
    let (status, answer) = get_json(
        &graph(&sim, "oauth/access_token"),
        None,
        &[
            ("client_id", settings_app_id),
            ("client_secret", SECRET),
            ("code", &grant.code),
        ],
    )
    .await;
    assert_eq!((status, error_code(&answer)), (400, 100));
    assert_eq!(answer["error"]["error_subcode"], 36007);
}

#[tokio::test]
async fn phone_number_fields_and_templates() {
    let sim = start().await;
    let fields = "display_phone_number,verified_name,quality_rating,code_verification_status,name_status,throughput{level},platform_type,whatsapp_business_manager_messaging_limit";
    let (status, answer) = get_json(&graph(&sim, PNID), Some(TOKEN), &[("fields", fields)]).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["id"], PNID);
    assert_eq!(answer["display_phone_number"], DISPLAY);
    assert_eq!(answer["quality_rating"], "GREEN");
    assert_eq!(answer["code_verification_status"], "VERIFIED");
    assert_eq!(answer["name_status"], "APPROVED");
    assert_eq!(answer["throughput"], json!({"level": "STANDARD"}));
    assert_eq!(answer["platform_type"], "CLOUD_API");
    assert_eq!(
        answer["whatsapp_business_manager_messaging_limit"],
        "TIER_2K"
    );
    let (status, answer) = get_json(
        &graph(&sim, PNID),
        Some(TOKEN),
        &[("fields", "favourite_colour")],
    )
    .await;
    assert_eq!((status, error_code(&answer)), (400, 100));

    let (_, answer) = get_json(
        &graph(&sim, &format!("{WABA}/message_templates")),
        Some(TOKEN),
        &[],
    )
    .await;
    let names: Vec<&str> = answer["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["hello_world", "greeting"]);
    assert_eq!(
        answer["data"][1]["components"][0]["text"],
        "Hi {{1}}, your code is {{2}}"
    );
    assert_eq!(answer["data"][1]["status"], "APPROVED");
    let (_, answer) = get_json(
        &graph(&sim, &format!("{WABA}/message_templates")),
        Some(TOKEN),
        &[("name", "greeting")],
    )
    .await;
    assert_eq!(answer["data"].as_array().unwrap().len(), 1);

    // Any version works, and a bad token still answers 190 here.
    let (status, _) = get_json(
        &format!("{}/v21.0/{PNID}", sim.base_url()),
        Some(TOKEN),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    let (status, answer) = get_json(
        &graph(&sim, &format!("{WABA}/phone_numbers")),
        Some("nope"),
        &[],
    )
    .await;
    assert_eq!((status, error_code(&answer)), (401, 190));
}

#[tokio::test]
async fn reset_returns_to_the_initial_scenario() {
    let sim = start().await;
    sim.control().revoke_token(TOKEN);
    assert_eq!(send(&sim, &text_to(CUSTOMER, "x")).await.0, 401);
    let response = client()
        .post(format!("{}/_sim/reset", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(sim.control().requests().len(), 0);
    let (_, answer) = send(&sim, &text_to(CUSTOMER, "x")).await;
    assert_eq!(
        error_code(&answer),
        131047,
        "token is valid again; the window is closed"
    );
}

/// One Graph call of the versions test: method, path after the version, query, JSON body.
struct Call {
    method: reqwest::Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
}

impl Call {
    fn new(method: reqwest::Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }

    fn query(mut self, key: &str, value: &str) -> Self {
        self.query.push((key.to_owned(), value.to_owned()));
        self
    }

    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// Sends `call` under `prefix` (`/v18.0`, ..., or nothing); returns the status and the answer.
async fn call_under(sim: &wa_sim::RunningSim, prefix: &str, call: &Call) -> (u16, Value) {
    let url = format!("{}{prefix}/{}", sim.base_url(), call.path);
    let mut request = client()
        .request(call.method.clone(), &url)
        .bearer_auth(TOKEN)
        .query(&call.query);
    if let Some(body) = &call.body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_endpoint_answers_under_any_version() {
    use reqwest::Method;
    let sim = start().await;
    sim.control()
        .open_window(PNID, &CustomerRef::phone(CUSTOMER, "Ada"))
        .unwrap();
    let app_token = format!("900000000000001|{SECRET}");
    for prefix in ["/v18.0", "/v23.0", "/v25.0", "/v99.0", ""] {
        let inbound = sim
            .control()
            .inject_inbound(InboundRequest::new(
                PNID,
                CustomerRef::phone(CUSTOMER, "Ada"),
                InboundContent::Text { body: "hi".into() },
            ))
            .unwrap();
        let grant = sim.control().create_signup(SignupRequest::default());
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .part(
                "file",
                reqwest::multipart::Part::bytes(&b"%PDF-1.4"[..])
                    .file_name("a.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            );
        let upload = client()
            .post(format!("{}{prefix}/{PNID}/media", sim.base_url()))
            .bearer_auth(TOKEN)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(upload.status(), 200, "upload under {prefix:?}");
        let media: Value = upload.json().await.unwrap();
        let media_id = media["id"].as_str().unwrap().to_owned();

        let calls = [
            Call::new(Method::POST, format!("{PNID}/messages")).body(text_to(CUSTOMER, "hi")),
            Call::new(Method::POST, format!("{PNID}/messages")).body(
                json!({"messaging_product": "whatsapp", "status": "read", "message_id": inbound.wamid}),
            ),
            Call::new(Method::GET, media_id.clone()).query("phone_number_id", PNID),
            Call::new(Method::GET, PNID).query("fields", "display_phone_number,quality_rating"),
            Call::new(Method::GET, format!("{WABA}/message_templates")),
            Call::new(Method::GET, format!("{WABA}/phone_numbers")),
            Call::new(Method::POST, format!("{WABA}/subscribed_apps")),
            Call::new(Method::GET, format!("{WABA}/subscribed_apps")),
            Call::new(Method::POST, format!("{PNID}/register"))
                .body(json!({"messaging_product": "whatsapp", "pin": "123456"})),
            Call::new(Method::GET, "oauth/access_token")
                .query("client_id", "900000000000001")
                .query("client_secret", SECRET)
                .query("code", &grant.code),
            Call::new(Method::DELETE, media_id.clone()).query("phone_number_id", PNID),
        ];
        for call in &calls {
            let (status, answer) = call_under(&sim, prefix, call).await;
            assert_eq!(
                status, 200,
                "{} {prefix}/{}: {answer}",
                call.method, call.path
            );
            assert!(answer.get("error").is_none(), "{answer}");
        }
        // debug_token takes the app's token, not the business one.
        let debug: Value = client()
            .get(format!("{}{prefix}/debug_token", sim.base_url()))
            .query(&[("input_token", TOKEN), ("access_token", &app_token)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(debug["data"]["is_valid"], true, "{prefix:?}: {debug}");
    }
    // `v23` is not a version: the segment is read as an object id, as Graph does.
    let (status, answer) = call_under(
        &sim,
        "/v23",
        &Call::new(reqwest::Method::POST, format!("{PNID}/messages")).body(text_to(CUSTOMER, "x")),
    )
    .await;
    assert_eq!((status, error_code(&answer)), (400, 100));
}
