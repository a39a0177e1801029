//! A tenant's access token never shows: not in any log line of a full send (connect with a
//! token, send, statuses back), not in the `Debug` of the values that carry or describe it,
//! not in an API answer. Also when Meta refuses a wrong token.
//!
//! Every event is captured, at TRACE and from every crate (the service, its libraries, the
//! simulator), by a subscriber installed for this test's thread: `#[tokio::test]` runs the
//! service, the simulator and the test on one thread, so nothing escapes the capture, and other
//! tests running in parallel threads do not write into it. The capture is checked to have seen
//! the service's own lines, so a capture that silently missed them fails the test.

use std::{
    io,
    sync::{Arc, Mutex},
};

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use uuid::Uuid;
use wa_app::compose::Adapters;
use wa_domain::{
    credential::CredentialKind,
    graph::Sender,
    ids::{MessageId, PhoneNumberId, TenantId},
    ports::SealedCredentialStore,
};
use wa_sim::{NumberConfig, SimConfig, Simulator, TemplateConfig};

use crate::support::{ADMIN, APP_SECRET, Number, TestApp, fresh_database, quick_webhooks};

/// Shaped like Meta's system-user tokens, and long enough that nothing else matches it.
const TOKEN: &str = "EAAJq7ZBsecretSYSTEMuserTOKENxZCZBmV2pL9tR4kW8nQ3sD6fH1jG5yU0oI7aE";
/// What a tenant pastes by mistake; Meta refuses it.
const WRONG_TOKEN: &str = "EAAJwrongTOKENpastedBYmistakeZCZBq4R8tY2uI6oP0aS3dF7gH1jK5lZ9xC";

const NUMBER: Number = Number {
    phone_number_id: "100000000000077",
    waba_id: "200000000000077",
    token: TOKEN,
};
/// A second number, which a tenant tries to connect with the wrong token.
const OTHER_NUMBER: Number = Number {
    phone_number_id: "100000000000078",
    waba_id: "200000000000078",
    token: "EAAJtheRIGHTtokenOFtheOTHERnumberZCZBw3E7rT1yU5iO9pA2sD6fG0hJ4k",
};
const DANA: &str = "972541234567";

/// A writer into a shared buffer, for the log subscriber.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub(crate) fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// The simulator with our two numbers, and the service over a fresh SQLite database.
async fn spawn_app() -> TestApp {
    let database_url = fresh_database(crate::support::Backend::Sqlite).await;
    let sim = Simulator::builder()
        .config(SimConfig {
            app_secret: Some(APP_SECRET.into()),
            numbers: [&NUMBER, &OTHER_NUMBER]
                .iter()
                .map(|n| {
                    NumberConfig::new(n.phone_number_id, n.waba_id, n.token, "+1 555-010-0077")
                })
                .collect(),
            templates: vec![TemplateConfig::new(
                "hello_world",
                "en_US",
                "UTILITY",
                "Hello from wa!",
            )],
            webhooks: quick_webhooks(),
            ..SimConfig::base()
        })
        .start()
        .await
        .unwrap();
    let mut app = TestApp {
        sim,
        server: None,
        database_url,
        http: reqwest::Client::new(),
        base: String::new(),
        data_dir: std::env::temp_dir().join(format!("wa-app-keys-{}", Uuid::now_v7())),
        app_secrets: crate::support::APP_SECRET.to_owned(),
    };
    app.start_server().await;
    app
}

/// Every fragment of a token that must never show: the whole, and each half.
fn fragments(token: &str) -> [&str; 3] {
    let half = token.len() / 2;
    [token, &token[..half], &token[half..]]
}

fn assert_clean(what: &str, shown: &str) {
    for token in [TOKEN, WRONG_TOKEN] {
        for fragment in fragments(token) {
            assert!(
                !shown.contains(fragment),
                "{what} shows the token ({fragment}):\n{shown}"
            );
        }
    }
}

#[tokio::test]
async fn the_token_never_shows_in_logs_or_debug_across_a_full_send_on_sqlite() {
    // tracing caches each callsite's interest for the whole process. While only one dispatcher
    // exists, it asks just the default of the thread that reaches the callsite first: a line
    // first logged by another test's thread (which has no subscriber) would be cached as
    // "never" and missed here. With a second, inert dispatcher alive, tracing combines the
    // interest of every dispatcher and each event asks its own thread's subscriber.
    let _inert = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer({
            let captured = captured.clone();
            move || captured.clone()
        })
        .finish();
    let _capture = tracing::subscriber::set_default(subscriber);

    let app = spawn_app().await;
    // Everything the API answers, to be checked too.
    let mut answers: Vec<(&str, Value)> = Vec::new();

    // Connect a tenant with its token: stored in the vault, verified against "Meta".
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER).await;
    let (_, connection) = app
        .call(
            Method::GET,
            &format!("/v1/tenants/{tenant}/connection"),
            &key,
            None,
        )
        .await;
    assert_eq!(connection["health"], "active", "{connection}");
    answers.push(("connection", connection));

    // The customer writes, the tenant answers, the statuses come back up to `read`.
    app.sim
        .control()
        .inject_inbound(wa_sim::InboundRequest::new(
            NUMBER.phone_number_id,
            wa_sim::CustomerRef::phone(DANA, "Dana"),
            wa_sim::InboundContent::Text {
                body: "Are you open today?".into(),
            },
        ))
        .unwrap();
    app.wait_window_open(&tenant, &key, DANA).await;
    let messages = format!("/v1/tenants/{tenant}/messages");
    let (status, accepted) = app
        .call(
            Method::POST,
            &messages,
            &key,
            Some(json!({"to": DANA, "content": {"type": "text", "body": "Yes, until 6pm"}})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let id = accepted["id"].as_str().unwrap().to_owned();
    answers.push(("accepted", accepted));
    let read = app
        .wait_message(&tenant, &key, &id, |m| m["status"] == "read")
        .await;
    answers.push(("read", read));
    let (_, listed) = app.call(Method::GET, &messages, &key, None).await;
    answers.push(("listed", listed));

    // Another tenant pastes a wrong token: Meta refuses it, the connection is marked invalid.
    let (status, created) = app
        .call(
            Method::POST,
            "/v1/tenants",
            ADMIN,
            Some(json!({"name": "Bakery"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (other, other_key) = (
        created["id"].as_str().unwrap().to_owned(),
        created["api_key"].as_str().unwrap().to_owned(),
    );
    let (status, refused) = app
        .call(
            Method::PUT,
            &format!("/v1/tenants/{other}/connection"),
            &other_key,
            Some(json!({"waba_id": OTHER_NUMBER.waba_id,
                "phone_number_id": OTHER_NUMBER.phone_number_id,
                "display_phone_number": "+1 555-010-0078", "business_name": "Bakery",
                "access_token": WRONG_TOKEN})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refused}");
    assert_ne!(refused["health"], "active", "{refused}");
    answers.push(("refused connection", refused));
    let (_, refused_send) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{other}/messages"),
            &other_key,
            Some(
                json!({"to": DANA, "content": {"type": "template", "name": "hello_world",
                "language": "en_US"}}),
            ),
        )
        .await;
    answers.push(("send with a refused token", refused_send));

    // The values that carry or describe the token, built the way the service builds them.
    let config = app.config();
    let adapters = Adapters::build(&config).await.unwrap();
    let tenant_id = TenantId::from_uuid(tenant.parse::<Uuid>().unwrap());
    let kind = CredentialKind::AccessToken;
    let secret = adapters.ports.vault.get(tenant_id, kind).await.unwrap();
    // The right value is being looked at: the vault does give the token back.
    assert_eq!(secret.expose_secret(), TOKEN);
    let sender = Sender {
        phone_number_id: PhoneNumberId::parse(NUMBER.phone_number_id).unwrap(),
        token: secret.clone(),
    };
    let info = adapters.ports.graph.phone_number_info(&sender).await;
    assert!(info.is_ok(), "the stored token works: {info:?}");
    let wrong_sender = Sender {
        phone_number_id: PhoneNumberId::parse(OTHER_NUMBER.phone_number_id).unwrap(),
        token: SecretString::from(WRONG_TOKEN),
    };
    let refused_call = adapters.ports.graph.phone_number_info(&wrong_sender).await;
    assert!(refused_call.is_err(), "Meta refuses the wrong token");
    let message_id = MessageId::from_uuid(id.parse::<Uuid>().unwrap()).unwrap();
    let shown = [
        ("config", format!("{config:?}")),
        ("vault", format!("{:?}", adapters.vault)),
        ("secret", format!("{secret:?}")),
        ("sender", format!("{sender:?} {wrong_sender:?}")),
        ("phone number info", format!("{info:?}")),
        ("refused Graph call", format!("{refused_call:?}")),
        (
            "credential metadata",
            format!("{:?}", adapters.ports.vault.metadata(tenant_id, kind).await),
        ),
        (
            "credential row",
            format!(
                "{:?}",
                adapters.store.credentials().get(tenant_id, kind).await
            ),
        ),
        (
            "connection",
            format!("{:?}", adapters.ports.connections.get(tenant_id).await),
        ),
        (
            "message",
            format!(
                "{:?}",
                adapters.ports.messages.get(tenant_id, message_id).await
            ),
        ),
    ];
    app.shutdown().await;

    let logs = captured.text();
    // The capture did see the whole send, the refusal and the service's own lines.
    for expected in ["connection stored", "wa is serving", "POST", "messages"] {
        assert!(
            logs.contains(expected),
            "no {expected:?} in the logs:\n{logs}"
        );
    }
    assert_clean("the logs", &logs);
    for (what, text) in &shown {
        assert_clean(what, text);
    }
    for (what, answer) in &answers {
        assert_clean(what, &answer.to_string());
    }
}
