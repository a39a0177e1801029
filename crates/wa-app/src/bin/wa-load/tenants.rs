//! Connected tenants: created through the API, numbers verified by the Graph stand-in.

use futures::{StreamExt, TryStreamExt, stream};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{args::Args, expect_status};

/// Requests in flight while creating tenants.
const SETUP_CONCURRENCY: usize = 16;

/// A tenant the driver can act for.
pub(crate) struct Tenant {
    pub(crate) id: String,
    pub(crate) key: String,
    pub(crate) phone_number_id: String,
}

/// Creates `args.tenants` tenants with a connection each; the first `args.load_tenants` also get
/// an event endpoint posting to `receiver_url`. Returns them in that order.
pub(crate) async fn create(
    http: &reqwest::Client,
    args: &Args,
    receiver_url: &str,
) -> anyhow::Result<Vec<Tenant>> {
    stream::iter(0..args.tenants)
        .map(|index| async move {
            let with_endpoint = index < args.load_tenants;
            create_one(http, args, index, with_endpoint.then_some(receiver_url)).await
        })
        .buffered(SETUP_CONCURRENCY)
        .try_collect()
        .await
}

async fn create_one(
    http: &reqwest::Client,
    args: &Args,
    index: usize,
    receiver_url: Option<&str>,
) -> anyhow::Result<Tenant> {
    let created: Value = expect_status(
        http.post(format!("{}/v1/tenants", args.api))
            .bearer_auth(&args.admin_token)
            .json(&json!({"name": format!("bench-{index}")}))
            .send()
            .await?,
        StatusCode::CREATED,
    )
    .await?
    .json()
    .await?;
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let key = created["api_key"].as_str().unwrap_or_default().to_owned();
    let phone_number_id = format!("{}", 100_000_000_000u64 + index as u64);
    let waba_id = format!("{}", 200_000_000_000u64 + index as u64);
    let connection: Value = expect_status(
        http.put(format!("{}/v1/tenants/{id}/connection", args.api))
            .bearer_auth(&key)
            .json(&json!({"waba_id": waba_id, "phone_number_id": phone_number_id,
                "display_phone_number": "+1 555-010-0001", "business_name": format!("Bench {index}"),
                "access_token": format!("bench-token-{index}")}))
            .send()
            .await?,
        StatusCode::OK,
    )
    .await?
    .json()
    .await?;
    anyhow::ensure!(
        connection["health"] == "active",
        "tenant {index}: connection not active: {connection}"
    );
    if let Some(url) = receiver_url {
        expect_status(
            http.post(format!("{}/v1/tenants/{id}/event-endpoints", args.api))
                .bearer_auth(&key)
                .json(&json!({"url": url, "event_types": ["message.status"]}))
                .send()
                .await?,
            StatusCode::CREATED,
        )
        .await?;
    }
    Ok(Tenant {
        id,
        key,
        phone_number_id,
    })
}
