//! Phase 2: template messages through the API until Meta (the stand-in) accepted them all.

use std::time::{Duration, Instant};

use anyhow::Context;
use futures::{StreamExt, TryStreamExt, stream};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    args::Args, expect_status, latency::Latencies, millis, receiver::Receiver, scrape,
    tenants::Tenant, wait_until,
};

/// A message the server accepted, with what its webhooks need.
pub(crate) struct Sent {
    pub(crate) phone_number_id: String,
    pub(crate) wamid: String,
    pub(crate) recipient: String,
}

pub(crate) struct SendFigures {
    pub(crate) messages: Vec<Sent>,
    /// API latency of each `POST …/messages`.
    pub(crate) api: Latencies,
    /// From the first call to the last answer.
    pub(crate) api_secs: f64,
    /// From the first call until the server counted every message `accepted`.
    pub(crate) accepted_secs: f64,
    /// `pending` and `accepted` events delivered to the receiver per second, over the phase.
    pub(crate) events_per_s: f64,
}

pub(crate) async fn run(
    http: &reqwest::Client,
    args: &Args,
    tenants: &[Tenant],
    receiver: &Receiver,
) -> anyhow::Result<SendFigures> {
    let accepted_before = scrape::counter(
        http,
        &args.api,
        "wa_send_outcomes_total",
        "outcome=\"accepted\"",
    )
    .await?;
    let started = Instant::now();
    let calls: Vec<(usize, String, Duration)> = stream::iter(0..args.messages)
        .map(|index| send_one(http, args, tenants, index))
        .buffer_unordered(args.concurrency)
        .try_collect()
        .await?;
    let api_secs = started.elapsed().as_secs_f64();
    let target = accepted_before + args.messages as f64;
    let accepted_at = wait_until(
        "every message accepted",
        Duration::from_secs(600),
        async || {
            Ok(scrape::counter(
                http,
                &args.api,
                "wa_send_outcomes_total",
                "outcome=\"accepted\"",
            )
            .await?
                >= target)
        },
    )
    .await?;
    wait_until(
        "every accepted event",
        Duration::from_secs(300),
        async || Ok(receiver.send_events().0 >= 2 * args.messages),
    )
    .await?;
    let (send_events, last_event) = receiver.send_events();
    let events_secs = last_event.map_or(0.0, |last| (last - started).as_secs_f64());

    let mut messages = Vec::with_capacity(calls.len());
    for (index, message_id, _) in &calls {
        let wamid = receiver
            .wamid(message_id)
            .with_context(|| format!("no accepted event for message {message_id}"))?;
        messages.push(Sent {
            phone_number_id: tenants[index % tenants.len()].phone_number_id.clone(),
            wamid,
            recipient: recipient(*index),
        });
    }
    Ok(SendFigures {
        messages,
        api: millis(calls.iter().map(|(_, _, took)| *took)),
        api_secs,
        accepted_secs: (accepted_at - started).as_secs_f64(),
        events_per_s: send_events as f64 / events_secs.max(f64::EPSILON),
    })
}

/// Message `index`'s recipient: one customer per message, so pair-rate pacing never applies.
fn recipient(index: usize) -> String {
    format!("1555{index:07}")
}

async fn send_one(
    http: &reqwest::Client,
    args: &Args,
    tenants: &[Tenant],
    index: usize,
) -> anyhow::Result<(usize, String, Duration)> {
    let tenant = &tenants[index % tenants.len()];
    let started = Instant::now();
    let response = http
        .post(format!("{}/v1/tenants/{}/messages", args.api, tenant.id))
        .bearer_auth(&tenant.key)
        .json(&json!({"to": recipient(index),
            "content": {"type": "template", "name": "hello_world", "language": "en_US"}}))
        .send()
        .await?;
    let body: Value = expect_status(response, StatusCode::ACCEPTED)
        .await?
        .json()
        .await?;
    let took = started.elapsed();
    let id = body["id"].as_str().context("no message id")?.to_owned();
    Ok((index, id, took))
}
