//! `wa-load`: the end-to-end load driver of `cargo xtask bench e2e` (issues 9 and 10).
//!
//! It drives a running `wa serve` the way a SaaS and Meta would, over real HTTP, and prints one
//! JSON line of figures:
//! 1. **Tenants**: creates `--tenants` connected tenants (the Graph stand-in verifies each
//!    number) and reads the server's resident memory before and after, idle, for the memory per
//!    tenant. The first `--load-tenants` get an event endpoint on this process's receiver.
//! 2. **Sends**: `--messages` template messages through `POST …/messages`, `--concurrency` in
//!    flight, spread over the load tenants; API latency per call, and the time until the server
//!    counts every one `accepted` by Meta (the stand-in).
//! 3. **Statuses at a fixed rate**: one signed `delivered` webhook per message at `--status-rate`
//!    per second, open loop (latency counts from when a request was due, not when it went out);
//!    acknowledgement latency, and the time from each webhook to its `message.status` event
//!    reaching the tenant's endpoint.
//! 4. **Statuses flat out**: `read` for every message in bodies of `--batch` statuses; status
//!    updates applied per second and events delivered per second.
//!
//! The receiver answers 200 at once and does not check signatures (wa-app's tests do that); it
//! shares the machine with the server, so its cost is part of every figure.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod latency;
mod receiver;
mod scrape;
mod sends;
mod statuses;
mod tenants;

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::json;

use crate::{args::Args, latency::Latencies};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse()?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(60))
        .build()?;
    let receiver = receiver::start().await?;

    let rss_before = scrape::rss_kib(args.server_pid)?;
    let started = Instant::now();
    let tenants = tenants::create(&http, &args, &receiver.url).await?;
    let setup_secs = started.elapsed().as_secs_f64();
    // Let start-up work (first health checks, pool growth) settle before reading memory.
    tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;
    let rss_after = scrape::rss_kib(args.server_pid)?;
    let per_tenant = (rss_after.saturating_sub(rss_before) as f64 * 1024.0) / args.tenants as f64;
    eprintln!(
        "wa-load: {} tenants in {setup_secs:.1}s; RSS {rss_before} -> {rss_after} KiB ({per_tenant:.0} B/tenant)",
        args.tenants
    );

    let load = &tenants[..args.load_tenants];
    let sent = sends::run(&http, &args, load, &receiver).await?;
    eprintln!(
        "wa-load: {} accepted in {:.2}s ({:.0}/s end to end)",
        args.messages,
        sent.accepted_secs,
        args.messages as f64 / sent.accepted_secs
    );

    let paced = statuses::paced(&http, &args, &sent.messages, &receiver).await?;
    eprintln!(
        "wa-load: {} delivered statuses at {}/s; ack p99 {:.1} ms; event p99 {:.1} ms",
        args.messages,
        args.status_rate,
        paced.ack.percentile(0.99),
        paced.event.percentile(0.99)
    );
    let burst = statuses::burst(&http, &args, &sent.messages, &receiver).await?;
    eprintln!(
        "wa-load: {} read statuses applied in {:.2}s ({:.0}/s); events {:.0}/s",
        args.messages,
        burst.applied_secs,
        args.messages as f64 / burst.applied_secs,
        burst.events_per_s
    );
    ensure!(
        receiver.duplicates() == 0,
        "the receiver got {} events twice",
        receiver.duplicates()
    );

    let line = json!({
        "bench": "e2e",
        "database": args.database,
        "tenants": args.tenants,
        "load_tenants": args.load_tenants,
        "messages": args.messages,
        "concurrency": args.concurrency,
        "setup_s": setup_secs,
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "bytes_per_idle_tenant": per_tenant,
        "send_api_s": sent.api_secs,
        "send_accepted_s": sent.accepted_secs,
        "send_msgs_per_s": args.messages as f64 / sent.accepted_secs,
        "api_p50_ms": sent.api.percentile(0.50),
        "api_p99_ms": sent.api.percentile(0.99),
        "send_events_per_s": sent.events_per_s,
        "status_rate": args.status_rate,
        "status_ack_p50_ms": paced.ack.percentile(0.50),
        "status_ack_p99_ms": paced.ack.percentile(0.99),
        "status_ack_errors": paced.errors,
        "status_paced_applied_per_s": paced.applied_per_s,
        "event_latency_p50_ms": paced.event.percentile(0.50),
        "event_latency_p99_ms": paced.event.percentile(0.99),
        "status_batch": args.batch,
        "status_burst_applied_per_s": args.messages as f64 / burst.applied_secs,
        "status_burst_events_per_s": burst.events_per_s,
        "events_received": receiver.received(),
    });
    println!("{line}");
    Ok(())
}

/// Waits until `done` returns true, polling every 20 ms, for at most `limit`.
async fn wait_until(
    what: &str,
    limit: Duration,
    mut done: impl AsyncFnMut() -> anyhow::Result<bool>,
) -> anyhow::Result<Instant> {
    let deadline = Instant::now() + limit;
    loop {
        if done().await? {
            return Ok(Instant::now());
        }
        if Instant::now() > deadline {
            anyhow::bail!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `Latencies` in milliseconds from a list of durations.
fn millis(durations: impl IntoIterator<Item = Duration>) -> Latencies {
    Latencies::new(durations.into_iter().map(|d| d.as_secs_f64() * 1e3))
}

/// A response's body when its status is not the expected one, for the error.
async fn expect_status(
    response: reqwest::Response,
    expected: reqwest::StatusCode,
) -> anyhow::Result<reqwest::Response> {
    if response.status() == expected {
        return Ok(response);
    }
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    Err(anyhow::anyhow!("HTTP {status}: {body}")).context("unexpected answer")
}
