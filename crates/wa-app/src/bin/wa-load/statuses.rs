//! Phases 3 and 4: Meta's status webhooks for the sent messages, paced and then flat out.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use futures::{StreamExt, TryStreamExt, stream};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::json;
use sha2::Sha256;
use tokio::{sync::Semaphore, task::JoinSet};

use crate::{
    args::Args, expect_status, latency::Latencies, millis, receiver::Receiver, scrape, sends::Sent,
    wait_until,
};

/// Webhook requests in flight at most in the paced phase; beyond it, requests wait (and their
/// latency, counted from when they were due, shows it).
const PACED_IN_FLIGHT: usize = 4_096;
/// Webhook requests in flight in the flat-out phase.
const BURST_IN_FLIGHT: usize = 16;

pub(crate) struct Paced {
    /// Acknowledgement latency, from when each webhook was due.
    pub(crate) ack: Latencies,
    /// Webhooks not answered 200.
    pub(crate) errors: usize,
    /// Statuses applied per second over the phase (bounded by the offered rate).
    pub(crate) applied_per_s: f64,
    /// From posting a status webhook to its `message.status` event reaching the tenant.
    pub(crate) event: Latencies,
}

pub(crate) struct Burst {
    /// From the first post until the server applied every status.
    pub(crate) applied_secs: f64,
    /// `read` events delivered to the receiver per second over the phase.
    pub(crate) events_per_s: f64,
}

/// One `delivered` webhook per message at `args.status_rate` per second.
pub(crate) async fn paced(
    http: &reqwest::Client,
    args: &Args,
    messages: &[Sent],
    receiver: &Receiver,
) -> anyhow::Result<Paced> {
    let before = applied(http, args).await?;
    let permits = Arc::new(Semaphore::new(PACED_IN_FLIGHT));
    let interval = Duration::from_secs_f64(1.0 / args.status_rate as f64);
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for (index, message) in messages.iter().enumerate() {
        let due = started + interval * index as u32;
        tokio::time::sleep_until(due.into()).await;
        let permit = Arc::clone(&permits).acquire_owned().await?;
        let body = webhook_body(&message.phone_number_id, &[(message, "delivered")]);
        let request = signed_post(http, args, body);
        let wamid = message.wamid.clone();
        tasks.spawn(async move {
            let sent_at = Instant::now();
            let ok =
                matches!(request.send().await, Ok(response) if response.status() == StatusCode::OK);
            drop(permit);
            (wamid, sent_at, Instant::now() - due, ok)
        });
    }
    let mut acks = Vec::with_capacity(messages.len());
    let mut sent_at = Vec::with_capacity(messages.len());
    let mut errors = 0;
    while let Some(joined) = tasks.join_next().await {
        let (wamid, at, took, ok) = joined?;
        acks.push(took);
        sent_at.push((wamid, at));
        errors += usize::from(!ok);
    }
    let target = before + messages.len() as f64;
    let applied_at = wait_until(
        "every delivered status applied",
        Duration::from_secs(600),
        async || Ok(applied(http, args).await? >= target),
    )
    .await?;
    wait_until(
        "every delivered event",
        Duration::from_secs(300),
        async || Ok(receiver.delivered_count() >= messages.len()),
    )
    .await?;
    let mut event = Vec::with_capacity(sent_at.len());
    for (wamid, at) in &sent_at {
        let arrived = receiver
            .delivered_at(wamid)
            .with_context(|| format!("no delivered event for {wamid}"))?;
        event.push(arrived.saturating_duration_since(*at));
    }
    Ok(Paced {
        ack: millis(acks),
        errors,
        applied_per_s: messages.len() as f64 / (applied_at - started).as_secs_f64(),
        event: millis(event),
    })
}

/// `read` for every message, `args.batch` statuses of one number per webhook, as fast as the
/// server acknowledges them.
pub(crate) async fn burst(
    http: &reqwest::Client,
    args: &Args,
    messages: &[Sent],
    receiver: &Receiver,
) -> anyhow::Result<Burst> {
    let mut by_number: BTreeMap<&str, Vec<&Sent>> = BTreeMap::new();
    for message in messages {
        by_number
            .entry(message.phone_number_id.as_str())
            .or_default()
            .push(message);
    }
    let bodies: Vec<String> = by_number
        .iter()
        .flat_map(|(number, sent)| {
            sent.chunks(args.batch).map(|chunk| {
                let items: Vec<(&Sent, &str)> = chunk.iter().map(|m| (*m, "read")).collect();
                webhook_body(number, &items)
            })
        })
        .collect();
    let before = applied(http, args).await?;
    let (reads_before, _) = receiver.read_events();
    let started = Instant::now();
    stream::iter(bodies)
        .map(|body| async move {
            expect_status(signed_post(http, args, body).send().await?, StatusCode::OK).await?;
            anyhow::Ok(())
        })
        .buffer_unordered(BURST_IN_FLIGHT)
        .try_collect::<()>()
        .await?;
    let target = before + messages.len() as f64;
    let applied_at = wait_until(
        "every read status applied",
        Duration::from_secs(600),
        async || Ok(applied(http, args).await? >= target),
    )
    .await?;
    wait_until("every read event", Duration::from_secs(300), async || {
        Ok(receiver.read_events().0 >= reads_before + messages.len())
    })
    .await?;
    let (_, last) = receiver.read_events();
    let events_secs = last.map_or(f64::EPSILON, |last| (last - started).as_secs_f64());
    Ok(Burst {
        applied_secs: (applied_at - started).as_secs_f64(),
        events_per_s: messages.len() as f64 / events_secs,
    })
}

/// Status updates the server has applied so far.
async fn applied(http: &reqwest::Client, args: &Args) -> anyhow::Result<f64> {
    scrape::counter(http, &args.api, "wa_webhook_statuses_total", "").await
}

/// A `messages` webhook of one business number carrying `statuses`, in Meta's shape.
fn webhook_body(phone_number_id: &str, statuses: &[(&Sent, &str)]) -> String {
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let statuses: Vec<_> = statuses
        .iter()
        .map(|(sent, status)| {
            json!({"id": sent.wamid, "status": status, "timestamp": timestamp,
                "recipient_id": sent.recipient})
        })
        .collect();
    json!({"object": "whatsapp_business_account", "entry": [{"id": "200000000000", "changes": [{
        "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550100001", "phone_number_id": phone_number_id},
            "statuses": statuses},
        "field": "messages"}]}]})
    .to_string()
}

/// A webhook POST signed the way Meta signs (`X-Hub-Signature-256` over the raw body).
fn signed_post(http: &reqwest::Client, args: &Args, body: String) -> reqwest::RequestBuilder {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(args.app_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(body.as_bytes());
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    http.post(format!("{}/webhooks/whatsapp", args.webhooks))
        .header("X-Hub-Signature-256", signature)
        .header("Content-Type", "application/json")
        .body(body)
}
