//! Starting the service and the simulator for a test, on a fresh database; queueing many
//! messages and reading them back page by page.

use std::{
    collections::{BTreeMap, HashMap},
    path::PathBuf,
    time::Duration,
};

use futures::StreamExt as _;

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use uuid::Uuid;
use wa_app::{config::Config, server::RunningServer};
use wa_sim::{NumberConfig, RunningSim, SimConfig, Simulator, TemplateConfig, WebhookBehaviour};

pub(crate) const ADMIN: &str = "test-admin-token";
pub(crate) const APP_SECRET: &str = "test-app-secret";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database for one test.
pub(crate) async fn fresh_database(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("wa-app-test-{}", Uuid::now_v7()));
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}?mode=rwc", dir.join("wa.db").display())
        }
        Backend::Postgres => {
            let base = std::env::var("WA_TEST_POSTGRES_URL").expect(
                "WA_TEST_POSTGRES_URL must point at a PostgreSQL server (cargo xtask test sets it); PostgreSQL tests never skip",
            );
            let name = format!("wa_app_{}", Uuid::now_v7().simple());
            let admin = Database::connect(&base)
                .await
                .expect("connect to WA_TEST_POSTGRES_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let (prefix, _) = base.rsplit_once('/').expect("a database URL with a path");
            format!("{prefix}/{name}")
        }
    }
}

/// A business number of the test scenario.
pub(crate) struct Number {
    pub phone_number_id: &'static str,
    pub waba_id: &'static str,
    pub token: &'static str,
}

pub(crate) const NUMBER_A: Number = Number {
    phone_number_id: "100000000000001",
    waba_id: "200000000000001",
    token: "token-a",
};
pub(crate) const NUMBER_B: Number = Number {
    phone_number_id: "100000000000002",
    waba_id: "200000000000002",
    token: "token-b",
};

/// The simulator and the service, talking to each other.
pub(crate) struct TestApp {
    pub sim: RunningSim,
    pub server: Option<RunningServer>,
    pub database_url: String,
    pub http: reqwest::Client,
    pub base: String,
    pub data_dir: PathBuf,
    /// `WA_META_APP_SECRET` as the service gets it (one secret, or several during a rotation).
    pub app_secrets: String,
}

pub(crate) async fn spawn(backend: Backend, webhooks: WebhookBehaviour) -> TestApp {
    let database_url = fresh_database(backend).await;
    let sim = Simulator::builder()
        .config(SimConfig {
            app_secret: Some(APP_SECRET.into()),
            numbers: [&NUMBER_A, &NUMBER_B]
                .iter()
                .map(|n| {
                    NumberConfig::new(n.phone_number_id, n.waba_id, n.token, "+1 555-010-0001")
                })
                .collect(),
            templates: vec![TemplateConfig::new(
                "hello_world",
                "en_US",
                "UTILITY",
                "Hello from wa!",
            )],
            webhooks,
            // The large tests check every request, message and webhook the simulator saw: keep
            // them all (a ring that dropped the oldest could hide a duplicate).
            record_capacity: 100_000,
            ..SimConfig::base()
        })
        .start()
        .await
        .unwrap();
    let data_dir = std::env::temp_dir().join(format!("wa-app-keys-{}", Uuid::now_v7()));
    let mut app = TestApp {
        sim,
        server: None,
        database_url,
        http: reqwest::Client::new(),
        base: String::new(),
        data_dir,
        app_secrets: APP_SECRET.to_owned(),
    };
    app.start_server().await;
    app
}

/// Statuses come back quickly and in order, unless a test asks otherwise.
pub(crate) fn quick_webhooks() -> WebhookBehaviour {
    WebhookBehaviour {
        sent_delay_ms: 10,
        delivered_delay_ms: 20,
        read_delay_ms: Some(30),
        jitter_ms: 0,
        batch_max: 1,
        batch_window_ms: 0,
        duplicate_rate: 0.0,
        reorder_rate: 0.0,
        drop_rate: 0.0,
        fail_rate: 0.0,
        seed: Some(7),
        ..WebhookBehaviour::default()
    }
}

impl TestApp {
    /// The service's settings for this test, as `WA_*` variables.
    pub(crate) fn settings(&self) -> BTreeMap<String, String> {
        let mut values = BTreeMap::new();
        values.insert("WA_DATABASE_URL".to_owned(), self.database_url.clone());
        values.insert("WA_LISTEN".to_owned(), "127.0.0.1:0".to_owned());
        values.insert(
            "WA_GRAPH_BASE_URL".to_owned(),
            self.sim.base_url().to_owned(),
        );
        values.insert("WA_META_APP_SECRET".to_owned(), self.app_secrets.clone());
        values.insert("WA_WEBHOOK_VERIFY_TOKEN".to_owned(), "verify-me".to_owned());
        values.insert("WA_ADMIN_TOKEN".to_owned(), ADMIN.to_owned());
        // A lost answer waits this long for its status webhook before the message goes again.
        values.insert("WA_OUTBOX_IN_DOUBT_SECONDS".to_owned(), "10".to_owned());
        // A crashed process's stored webhooks come back after this (shorter than the grace).
        values.insert("WA_INBOX_LEASE_SECONDS".to_owned(), "5".to_owned());
        values.insert(
            "WA_VAULT_KEYS".to_owned(),
            "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_owned(),
        );
        values
    }

    pub(crate) fn config(&self) -> Config {
        let mut config = Config::from_values(&self.settings()).unwrap();
        config.dev_key_dir = Some(self.data_dir.clone());
        config
    }

    pub(crate) async fn start_server(&mut self) {
        let server = wa_app::server::start(self.config()).await.unwrap();
        self.base = format!("http://{}", server.api_addr);
        self.sim.control().set_callback_url(Some(format!(
            "http://{}/webhooks/whatsapp",
            server.webhook_addr
        )));
        self.server = Some(server);
    }

    /// Restarts the in-process service with `extra` settings over the test's own.
    pub(crate) async fn restart_with(&mut self, extra: &[(&str, &str)]) {
        self.stop_server().await;
        let mut values = self.settings();
        for (name, value) in extra {
            values.insert((*name).to_owned(), (*value).to_owned());
        }
        let mut config = Config::from_values(&values).unwrap();
        config.dev_key_dir = Some(self.data_dir.clone());
        let server = wa_app::server::start(config).await.unwrap();
        self.base = format!("http://{}", server.api_addr);
        self.sim.control().set_callback_url(Some(format!(
            "http://{}/webhooks/whatsapp",
            server.webhook_addr
        )));
        self.server = Some(server);
    }

    /// The service's Prometheus metrics as text.
    pub(crate) async fn metrics_text(&self) -> String {
        let response = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }

    pub(crate) async fn stop_server(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_with(method, path, bearer, body, &[]).await
    }

    pub(crate) async fn call_with(
        &self,
        method: Method,
        path: &str,
        bearer: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(bearer);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Creates a tenant, connects it to `number`, returns (id, api key).
    pub(crate) async fn connected_tenant(&self, name: &str, number: &Number) -> (String, String) {
        let (status, created) = self
            .call(
                Method::POST,
                "/v1/tenants",
                ADMIN,
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap().to_owned();
        let key = created["api_key"].as_str().unwrap().to_owned();
        let (status, connection) = self
            .call(
                Method::PUT,
                &format!("/v1/tenants/{id}/connection"),
                &key,
                Some(json!({"waba_id": number.waba_id, "phone_number_id": number.phone_number_id,
                    "display_phone_number": "+1 555-010-0001", "business_name": name, "access_token": number.token})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{connection}");
        assert_eq!(connection["health"], "active", "{connection}");
        (id, key)
    }

    /// Meta issues a new token for `number`, and the tenant stores it: the connection must be
    /// active again.
    pub(crate) async fn renew_token(&self, tenant: &str, key: &str, number: &Number, token: &str) {
        self.sim.control().add_number(NumberConfig::new(
            number.phone_number_id,
            number.waba_id,
            token,
            "+1 555-010-0001",
        ));
        let (status, connection) = self
            .call(
                Method::PUT,
                &format!("/v1/tenants/{tenant}/connection"),
                key,
                Some(json!({"waba_id": number.waba_id, "phone_number_id": number.phone_number_id,
                    "display_phone_number": "+1 555-010-0001", "business_name": "Renewed", "access_token": token})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{connection}");
        assert_eq!(connection["health"], "active", "{connection}");
    }

    /// Polls a message until `done` holds, or panics after 15 s.
    pub(crate) async fn wait_message(
        &self,
        tenant: &str,
        key: &str,
        id: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let mut last = Value::Null;
        for _ in 0..300 {
            let (status, message) = self
                .call(
                    Method::GET,
                    &format!("/v1/tenants/{tenant}/messages/{id}"),
                    key,
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{message}");
            if done(&message) {
                return message;
            }
            last = message;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("message {id} never reached the expected state; last seen: {last}");
    }

    /// Polls until the customer's window is open.
    pub(crate) async fn wait_window_open(&self, tenant: &str, key: &str, customer: &str) {
        for _ in 0..300 {
            let (_, window) = self
                .call(
                    Method::GET,
                    &format!("/v1/tenants/{tenant}/conversations/{customer}"),
                    key,
                    None,
                )
                .await;
            if window["open"] == true {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the window of {customer} never opened");
    }

    /// Rows in a table, read straight from the database.
    pub(crate) async fn count_rows(&self, table: &str) -> i64 {
        let db = Database::connect(&self.database_url).await.unwrap();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    pub(crate) async fn shutdown(mut self) {
        self.stop_server().await;
        self.sim.shutdown().await;
    }
}

/// The `wa` binary with none of the caller's `WA_*` settings, so a test sets exactly its own.
pub(crate) fn wa_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wa"));
    for (name, _) in std::env::vars() {
        if name.starts_with("WA_") {
            command.env_remove(name);
        }
    }
    command
}

/// Asserts the simulator accepted each of `ids` exactly once and nothing else (our id travels in
/// `biz_opaque_callback_data`).
pub(crate) fn assert_each_sent_once(sim: &RunningSim, ids: &[String]) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for message in sim.control().messages() {
        if let Some(id) = message.biz_opaque_callback_data {
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    let sent: std::collections::BTreeSet<&String> = counts.keys().collect();
    let ours: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(sent, ours, "every message sent exactly once, no other");
}

/// Queues `count` templates to `customers` distinct customers through `bases` in turn,
/// `concurrency` requests in flight at once; returns our message ids in queueing order.
pub(crate) async fn queue_templates(
    app: &TestApp,
    bases: &[String],
    tenant: &str,
    key: &str,
    count: usize,
    customers: usize,
    concurrency: usize,
) -> Vec<String> {
    futures::stream::iter(0..count)
        .map(|n| {
            let base = &bases[n % bases.len()];
            let customer = format!("1555{:07}", n % customers);
            let request = app
                .http
                .post(format!("{base}/v1/tenants/{tenant}/messages"))
                .bearer_auth(key)
                .json(&json!({"to": customer, "content": {"type": "template", "name": "hello_world", "language": "en_US"}}));
            async move {
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), StatusCode::ACCEPTED);
                let body: Value = response.json().await.unwrap();
                body["id"].as_str().unwrap().to_owned()
            }
        })
        .buffered(concurrency)
        .collect()
        .await
}

/// Every message of a tenant matching `filter` (a query string such as `direction=inbound`, or
/// empty), read through the list endpoint page by page: id → the message as the API shows it.
pub(crate) async fn list_messages(
    http: &reqwest::Client,
    base: &str,
    tenant: &str,
    key: &str,
    filter: &str,
) -> HashMap<String, Value> {
    let mut messages = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let mut url = format!("{base}/v1/tenants/{tenant}/messages?limit=200&{filter}");
        if let Some(after) = &after {
            url.push_str(&format!("&after={after}"));
        }
        let response = http.get(url).bearer_auth(key).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let page: Value = response.json().await.unwrap();
        for message in page["items"].as_array().unwrap() {
            let id = message["id"].as_str().unwrap().to_owned();
            assert!(
                messages.insert(id.clone(), message.clone()).is_none(),
                "message {id} listed twice"
            );
        }
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return messages,
        }
    }
}

/// Whether any message of the tenant matching `filter` (as for [`list_messages`]) is in one of
/// `states` (one short page per state).
pub(crate) async fn any_in_state(
    http: &reqwest::Client,
    base: &str,
    tenant: &str,
    key: &str,
    filter: &str,
    states: &[&str],
) -> bool {
    for state in states {
        let response = http
            .get(format!(
                "{base}/v1/tenants/{tenant}/messages?status={state}&limit=1&{filter}"
            ))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let page: Value = response.json().await.unwrap();
        if !page["items"].as_array().unwrap().is_empty() {
            return true;
        }
    }
    false
}
