//! Embedded Signup, connection health and templates over real HTTP against the simulator, on
//! both databases: a full signup; a failure at each step then a successful retry; lost session
//! info; a second signup replacing the connection; a revoked token found by the health check; a
//! template paused by webhook and then refused locally; a parameter mismatch refused.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wa_sim::{Faults, SignupRequest, StepError, TemplateConfig};

use crate::support::{ADMIN, Backend, TestApp, quick_webhooks, spawn};

/// The simulator's default app id.
const APP_ID: &str = "900000000000001";

/// Restarts the service with the signup settings and a health check every
/// `health_interval` seconds.
pub(crate) async fn onboarding_app(backend: Backend, health_interval: u32) -> TestApp {
    let mut app = spawn(backend, quick_webhooks()).await;
    app.stop_server().await;
    let mut settings = app.settings();
    settings.insert("WA_META_APP_ID".to_owned(), APP_ID.to_owned());
    settings.insert("WA_SIGNUP_CONFIG_ID".to_owned(), "cfg-1".to_owned());
    settings.insert(
        "WA_SIGNUP_SDK_URL".to_owned(),
        format!("{}/sdk.js", app.sim.base_url()),
    );
    settings.insert(
        "WA_HEALTH_CHECK_INTERVAL_SECONDS".to_owned(),
        health_interval.to_string(),
    );
    let mut config = wa_app::config::Config::from_values(&settings).unwrap();
    config.dev_key_dir = Some(app.data_dir.clone());
    let server = wa_app::server::start(config).await.unwrap();
    app.base = format!("http://{}", server.api_addr);
    app.sim.control().set_callback_url(Some(format!(
        "http://{}/webhooks/whatsapp",
        server.webhook_addr
    )));
    app.server = Some(server);
    app
}

/// A new tenant: (id, api key).
pub(crate) async fn tenant(app: &TestApp, name: &str) -> (String, String) {
    let (status, created) = app
        .call(
            Method::POST,
            "/v1/tenants",
            ADMIN,
            Some(json!({"name": name})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (
        created["id"].as_str().unwrap().to_owned(),
        created["api_key"].as_str().unwrap().to_owned(),
    )
}

async fn post_signup(app: &TestApp, tenant: &str, key: &str, body: Value) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/v1/tenants/{tenant}/signup"),
        key,
        Some(body),
    )
    .await
}

async fn connection(app: &TestApp, tenant: &str, key: &str) -> Value {
    let (status, connection) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/connection"),
            key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{connection}");
    connection
}

fn step_fault(step: &str, code: u32) -> Faults {
    Faults {
        step_errors: vec![StepError {
            step: step.to_owned(),
            code,
        }],
        ..Faults::default()
    }
}

async fn full_signup(backend: Backend) {
    let app = onboarding_app(backend, 300).await;
    let (tenant, key) = tenant(&app, "Signup").await;
    let grant = app.sim.control().create_signup(SignupRequest::default());
    let (status, body) = post_signup(
        &app,
        &tenant,
        &key,
        json!({"code": grant.code, "waba_id": grant.waba_id,
            "phone_number_id": grant.phone_number_id, "business_id": grant.business_id}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "active");
    assert_eq!(body["step"], "activate");
    assert_eq!(body["templates_synced"], 1, "hello_world is synced");
    let stored = connection(&app, &tenant, &key).await;
    assert_eq!(stored["phone_number_id"], grant.phone_number_id.as_str());
    assert_eq!(
        stored["display_phone_number"],
        grant.display_phone_number.as_str()
    );
    assert_eq!(stored["health"], "active");
    assert!(stored["verified_at"].is_string(), "{stored}");
    // Meta's side: the WABA is subscribed and the number registered (sends work).
    let (status, sent) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/messages"),
            &key,
            Some(json!({"to": "+15550001111",
                "content": {"type": "template", "name": "hello_world", "language": "en_US"}})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let id = sent["id"].as_str().unwrap();
    app.wait_message(&tenant, &key, id, |m| m["status"] != "pending")
        .await;
    let (_, templates) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/templates"),
            &key,
            None,
        )
        .await;
    assert_eq!(templates["templates"][0]["name"], "hello_world");
    assert_eq!(templates["templates"][0]["status"], "APPROVED");
    // The code is single-use: sent again it starts nothing new (the signup is complete, the
    // same code is refused by Meta at step 1).
    let (status, again) = post_signup(&app, &tenant, &key, json!({"code": grant.code})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
    assert_eq!(again["step"], "exchange_code");
    assert_eq!(again["meta_code"], 100);
    assert_eq!(
        connection(&app, &tenant, &key).await["health"],
        "active",
        "a refused code leaves the working connection alone"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_full_signup_connects_the_tenant_on_sqlite() {
    full_signup(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_full_signup_connects_the_tenant_on_postgres() {
    full_signup(Backend::Postgres).await;
}

/// For each step: the fault answers Meta's error, the answer names the step, code and action,
/// and a retry after the fault is cleared completes without exchanging the code again.
async fn failure_at_each_step_then_retry(backend: Backend) {
    let app = onboarding_app(backend, 300).await;
    // (fault, expected step in the answer, Meta code, lose the session info?)
    let cases = [
        ("exchange_code", "exchange_code", 2, false),
        ("debug_token", "discover", 2, true),
        ("phone_numbers", "discover", 2, true),
        ("subscribe", "subscribe", 2, false),
        ("register", "register", 133_005, false),
        ("number", "activate", 2, false),
    ];
    for (fault, step, code, lose_session) in cases {
        let (tenant, key) = tenant(&app, fault).await;
        let grant = app.sim.control().create_signup(SignupRequest::default());
        let body = if lose_session {
            json!({"code": grant.code})
        } else {
            json!({"code": grant.code, "waba_id": grant.waba_id, "phone_number_id": grant.phone_number_id})
        };
        app.sim.control().set_faults(step_fault(fault, code));
        let (status, failed) = post_signup(&app, &tenant, &key, body.clone()).await;
        // Meta unavailable (2) is retryable: 502; a wrong PIN (133005) needs the user: 422.
        let expected = if code == 2 {
            StatusCode::BAD_GATEWAY
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(status, expected, "{fault}: {failed}");
        assert_eq!(failed["step"], step, "{fault}: {failed}");
        assert_eq!(failed["meta_code"], code, "{fault}: {failed}");
        assert!(
            failed["action"].as_str().is_some_and(|a| !a.is_empty()),
            "{failed}"
        );
        if step == "subscribe" || step == "register" || step == "activate" {
            let pending = connection(&app, &tenant, &key).await;
            assert_eq!(pending["health"], "pending", "{fault}: {pending}");
            assert!(
                pending["health_reason"].as_str().unwrap().contains(step),
                "{fault}: {pending}"
            );
        }
        app.sim.control().clear_faults();
        let exchanges_before = exchanges(&app);
        // The retry sends the same body (the page posts again); step 1 is not redone.
        let (status, done) = post_signup(&app, &tenant, &key, body).await;
        assert_eq!(status, StatusCode::OK, "{fault}: {done}");
        assert_eq!(done["status"], "active", "{fault}: {done}");
        let expected_exchanges = usize::from(step == "exchange_code");
        assert_eq!(
            exchanges(&app) - exchanges_before,
            expected_exchanges,
            "{fault}: the code is exchanged again only when step 1 failed"
        );
        assert_eq!(
            connection(&app, &tenant, &key).await["phone_number_id"],
            grant.phone_number_id.as_str()
        );
    }
    app.shutdown().await;
}

fn exchanges(app: &TestApp) -> usize {
    app.sim
        .control()
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/oauth/access_token"))
        .count()
}

#[tokio::test]
async fn a_failure_at_each_step_is_named_and_a_retry_resumes_on_sqlite() {
    failure_at_each_step_then_retry(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_failure_at_each_step_is_named_and_a_retry_resumes_on_postgres() {
    failure_at_each_step_then_retry(Backend::Postgres).await;
}

async fn lost_session_and_second_signup(backend: Backend) {
    let app = onboarding_app(backend, 300).await;
    let (tenant, key) = tenant(&app, "Lost").await;
    let first = app.sim.control().create_signup(SignupRequest::default());
    let (status, body) = post_signup(&app, &tenant, &key, json!({"code": first.code})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["connection"]["waba_id"],
        first.waba_id.as_str(),
        "found via debug_token"
    );
    assert_eq!(
        body["connection"]["phone_number_id"],
        first.phone_number_id.as_str()
    );
    // A second signup (a new code, another number) adds the number; the first stays the
    // default.
    let second = app.sim.control().create_signup(SignupRequest::default());
    let (status, body) = post_signup(
        &app,
        &tenant,
        &key,
        json!({"code": second.code, "waba_id": second.waba_id, "phone_number_id": second.phone_number_id}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["connection"]["phone_number_id"],
        second.phone_number_id.as_str()
    );
    assert_eq!(body["connection"]["waba_id"], second.waba_id.as_str());
    assert_eq!(body["connection"]["health"], "active");
    assert_eq!(body["connection"]["is_default"], false);
    let connection = connection(&app, &tenant, &key).await;
    assert_eq!(
        connection["phone_number_id"],
        first.phone_number_id.as_str()
    );
    assert_eq!(connection["is_default"], true);
    assert_eq!(app.count_rows("whatsapp_connections").await, 2);
    assert_eq!(app.count_rows("signup_attempts").await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn lost_session_info_is_discovered_and_a_second_signup_adds_on_sqlite() {
    lost_session_and_second_signup(Backend::Sqlite).await;
}

#[tokio::test]
async fn lost_session_info_is_discovered_and_a_second_signup_adds_on_postgres() {
    lost_session_and_second_signup(Backend::Postgres).await;
}

/// Signs a tenant up; returns (tenant, key, grant's phone number id, waba id).
async fn signed_up(app: &TestApp, name: &str) -> (String, String, String, String) {
    let (tenant, key) = tenant(app, name).await;
    let grant = app.sim.control().create_signup(SignupRequest::default());
    let (status, body) = post_signup(
        app,
        &tenant,
        &key,
        json!({"code": grant.code, "waba_id": grant.waba_id, "phone_number_id": grant.phone_number_id}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (tenant, key, grant.phone_number_id, grant.waba_id)
}

/// Polls the connection until `done` holds, or panics after 20 s.
async fn wait_connection(
    app: &TestApp,
    tenant: &str,
    key: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        last = connection(app, tenant, key).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the connection never reached the expected state; last seen: {last}");
}

async fn health_checks(backend: Backend) {
    let app = onboarding_app(backend, 1).await;
    let (tenant, key, number, _) = signed_up(&app, "Health").await;
    // Quality and throughput from a webhook: the connection re-reads the number, and the
    // outbox paces at the stored throughput.
    app.sim
        .control()
        .update_number_quality(
            &number,
            wa_sim::QualityChange {
                event: "THROUGHPUT_UPGRADE".to_owned(),
                quality_rating: Some("YELLOW".to_owned()),
                throughput_mps: Some(1000),
                messaging_limit_tier: Some("TIER_10K".to_owned()),
            },
        )
        .unwrap();
    let upgraded = wait_connection(&app, &tenant, &key, |c| c["throughput_mps"] == 1000).await;
    assert_eq!(upgraded["quality_rating"], "YELLOW");
    assert_eq!(upgraded["messaging_limit"], "TIER_10K");
    // The periodic check (every second here) finds the revoked token.
    let token = app
        .sim
        .control()
        .numbers()
        .into_iter()
        .find(|n| n.phone_number_id == number)
        .unwrap()
        .access_token;
    app.sim.control().revoke_token(&token);
    let invalid = wait_connection(&app, &tenant, &key, |c| c["health"] == "invalid").await;
    assert!(invalid["health_changed_at"].is_string());
    assert!(
        invalid["health_reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{invalid}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn health_follows_webhooks_and_the_periodic_check_on_sqlite() {
    health_checks(Backend::Sqlite).await;
}

#[tokio::test]
async fn health_follows_webhooks_and_the_periodic_check_on_postgres() {
    health_checks(Backend::Postgres).await;
}

async fn templates_checked_before_queueing(backend: Backend) {
    let app = onboarding_app(backend, 300).await;
    let mut order = TemplateConfig::new(
        "order_update",
        "en_US",
        "UTILITY",
        "Hi {{first_name}}, order {{order_id}} ships today",
    );
    order.components.push(json!({"type": "BUTTONS", "buttons": [
        {"type": "URL", "text": "Track", "url": "https://shop.test/track/{{1}}"}]}));
    app.sim.control().add_template(order).unwrap();
    let (tenant, key, _, waba) = signed_up(&app, "Templates").await;
    let send = |mut content: Value| {
        let app = &app;
        let tenant = tenant.clone();
        let key = key.clone();
        content["type"] = json!("template");
        async move {
            app.call(
                Method::POST,
                &format!("/v1/tenants/{tenant}/messages"),
                &key,
                Some(json!({"to": "+15550001111", "content": content})),
            )
            .await
        }
    };
    // Parameter mismatches are refused with 422 naming the mismatch.
    let (status, refused) = send(json!({"name": "order_update", "language": "en_US",
        "body": [{"type": "text", "parameter_name": "first_name", "text": "Ada"}],
        "buttons": [{"sub_type": "url", "index": 0, "text": "42"}]}))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["code"], "template_mismatch");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("body expects 2"),
        "{refused}"
    );
    let (status, refused) = send(json!({"name": "order_update", "language": "en_US",
        "body": [{"type": "text", "parameter_name": "first_name", "text": "Ada"},
                 {"type": "text", "parameter_name": "order", "text": "42"}],
        "buttons": [{"sub_type": "url", "index": 0, "text": "42"}]}))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("missing: order_id"),
        "{refused}"
    );
    let (status, refused) = send(json!({"name": "order_update", "language": "fr"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("no fr version"),
        "{refused}"
    );
    // A matching message is queued.
    let (status, queued) = send(json!({"name": "order_update", "language": "en_US",
        "body": [{"type": "text", "parameter_name": "first_name", "text": "Ada"},
                 {"type": "text", "parameter_name": "order_id", "text": "42"}],
        "buttons": [{"sub_type": "url", "index": 0, "text": "42"}]}))
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    // Meta pauses hello_world: the webhook updates the synced copy and the next send is
    // refused locally.
    app.sim
        .control()
        .set_template_status("hello_world", "en_US", "PAUSED", Some("LOW_QUALITY"))
        .unwrap();
    let mut last = Value::Null;
    for _ in 0..200 {
        let (status, answer) = send(json!({"name": "hello_world", "language": "en_US"})).await;
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            last = answer;
            break;
        }
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        last["code"], "template_mismatch",
        "the pause never arrived: {last}"
    );
    assert!(
        last["message"].as_str().unwrap().contains("PAUSED"),
        "{last}"
    );
    let (_, templates) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/templates"),
            &key,
            None,
        )
        .await;
    let hello = templates["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "hello_world")
        .unwrap()
        .clone();
    assert_eq!(hello["status"], "PAUSED");
    // The tenant's application was told.
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/events?after=0&limit=1000"),
            &key,
            None,
        )
        .await;
    let paused: Vec<&Value> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "template.status")
        .collect();
    assert_eq!(paused.len(), 1, "{page}");
    assert_eq!(
        (&paused[0]["data"]["name"], &paused[0]["data"]["status"]),
        (&json!("hello_world"), &json!("PAUSED"))
    );
    // An account restriction marks the connection disconnected with Meta's event as the reason
    // (no periodic check runs in this test to re-verify it).
    app.sim
        .control()
        .account_update(&waba, "ACCOUNT_RESTRICTION", None);
    let restricted = wait_connection(&app, &tenant, &key, |c| c["health"] == "disconnected").await;
    assert!(
        restricted["health_reason"]
            .as_str()
            .unwrap()
            .contains("ACCOUNT_RESTRICTION"),
        "{restricted}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn templates_are_checked_before_queueing_on_sqlite() {
    templates_checked_before_queueing(Backend::Sqlite).await;
}

#[tokio::test]
async fn templates_are_checked_before_queueing_on_postgres() {
    templates_checked_before_queueing(Backend::Postgres).await;
}
