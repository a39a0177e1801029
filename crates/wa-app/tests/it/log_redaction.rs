//! No secret in any log line at any level: with every event captured at TRACE (as in
//! `secrets.rs`), a session that uses each secret the service knows (the admin token, an API
//! key, also wrongly sent in a query string, the app secret signing a webhook, the verify token
//! of Meta's handshake, a tenant's access token, the signup page's token) leaves none of them,
//! whole or in part, in the logs.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{
    secrets::Captured,
    support::{ADMIN, APP_SECRET, Backend, NUMBER_A, quick_webhooks, spawn},
    webhooks::{inbound_body, sign},
};

/// The whole secret, and each of its halves when they are long enough to mean something.
fn fragments(secret: &str) -> Vec<&str> {
    if secret.len() < 24 {
        return vec![secret];
    }
    let half = secret.len() / 2;
    vec![secret, &secret[..half], &secret[half..]]
}

#[tokio::test]
async fn no_secret_shows_in_any_log_line_at_trace() {
    // See `secrets.rs`: a second, inert dispatcher makes every callsite ask this thread's
    // subscriber.
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

    let mut app = spawn(Backend::Sqlite, quick_webhooks()).await;
    app.restart_with(&[
        ("WA_SIGNUP_CONFIG_ID", "1234567890"),
        ("WA_META_APP_ID", "987654321"),
    ])
    .await;
    let (tenant, key) = app.connected_tenant("Cafe", &NUMBER_A).await;
    let mut secrets: Vec<(&str, String)> = vec![
        ("admin token", ADMIN.to_owned()),
        ("API key", key.clone()),
        ("app secret", APP_SECRET.to_owned()),
        ("verify token", "verify-me".to_owned()),
        ("access token", NUMBER_A.token.to_owned()),
    ];

    // The API key, wrongly, in a query string; the admin token too.
    for query in [format!("api_key={key}"), format!("access_token={ADMIN}")] {
        let response = app
            .http
            .get(format!("{}/v1/tenants/{tenant}/messages?{query}", app.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success() || response.status().is_client_error());
    }
    // Meta's handshake and a signed webhook.
    let handshake = app
        .http
        .get(format!(
            "{}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=77",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(handshake.status(), StatusCode::OK);
    let body = inbound_body("wamid.logs", "972541234567", "hello");
    let response = app
        .http
        .post(format!("{}/webhooks/whatsapp", app.base))
        .header("X-Hub-Signature-256", sign(&body))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    app.wait_window_open(&tenant, &key, "972541234567").await;
    // The signup page, reached by its token.
    let (status, link) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/signup/page-link"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let path = link["path"].as_str().unwrap().to_owned();
    let token = path.split_once("token=").unwrap().1.to_owned();
    let page = app
        .http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let _ = page.text().await;
    secrets.push(("signup page token", token));
    // An endpoint's signing secret, shown once.
    let (status, endpoint) = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/event-endpoints"),
            &key,
            Some(json!({"url": "https://hooks.example.com/wa", "enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{endpoint}");
    secrets.push((
        "event endpoint secret",
        endpoint["secret"].as_str().unwrap().to_owned(),
    ));
    app.shutdown().await;

    let logs = captured.text();
    // The capture saw the service's request lines, so a silent capture cannot pass.
    assert!(
        logs.contains("/webhooks/whatsapp"),
        "no request lines captured"
    );
    assert!(logs.contains("/signup/page"), "no page request captured");
    for (what, secret) in &secrets {
        for fragment in fragments(secret) {
            assert!(
                !logs.contains(fragment),
                "the {what} shows in the logs ({fragment}):\n{}",
                logs.lines()
                    .filter(|line| line.contains(fragment))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}
