//! Webhook verify+parse throughput of wa-graph, in the JSON-lines contract of
//! `../shared/bench/README.md`: `wa-webhook-bench --fixtures DIR --iters N`.
//!
//! For `status.json` and `inbound.json` it prints, per mode (`parse`, `verify+parse`):
//! - `wa-graph`: [`wa_graph::parse`] into typed, domain-level events (statuses as
//!   `StatusUpdate`, messages as `InboundMessage`), after [`SignatureVerifier::verify`] in
//!   `verify+parse` mode;
//! - `serde_json::Value (same process)`: the reference parse, run here too so the ratio can be
//!   checked within one process as well as against the peers' run.
//!
//! Before timing, each body's result is checked (one status or one message, the right ids), so a
//! parser that silently drops content cannot look fast.

use std::{hint::black_box, path::PathBuf, time::Instant};

use anyhow::{Context, bail, ensure};
use wa_graph::{SignatureVerifier, webhook::WebhookBatch};

const WARMUP: usize = 2_000;

struct Body {
    name: &'static str,
    bytes: Vec<u8>,
    signature: String,
}

fn main() -> anyhow::Result<()> {
    let mut fixtures = PathBuf::from("../shared/bench/fixtures");
    let mut iters = 200_000usize;
    let mut only: Option<String> = None;
    let mut only_body: Option<String> = None;
    let mut only_mode: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--fixtures" => fixtures = PathBuf::from(value()?),
            "--iters" => iters = value()?.parse().context("--iters: not a number")?,
            // Runs one peer only (`wa-graph` or `value`), for profiling.
            "--peer" => only = Some(value()?),
            // Runs one body only (`status` or `inbound`), for profiling.
            "--body" => only_body = Some(value()?),
            // Runs one mode only (`parse` or `verify+parse`), for profiling.
            "--mode" => only_mode = Some(value()?),
            other => bail!("unknown argument {other}"),
        }
    }
    let read =
        |file: &str| std::fs::read(fixtures.join(file)).with_context(|| format!("reading {file}"));
    let secret = read("app_secret.txt")?;
    let verifier = SignatureVerifier::new([secret.as_slice()])?;
    let load = |name: &'static str| -> anyhow::Result<Body> {
        let signature = String::from_utf8(read(&format!("{name}.sig"))?)?
            .trim()
            .to_owned();
        Ok(Body {
            name,
            bytes: read(&format!("{name}.json"))?,
            signature,
        })
    };
    let bodies = [load("status")?, load("inbound")?];
    for body in &bodies {
        verifier
            .verify(&body.bytes, Some(&body.signature))
            .with_context(|| format!("{}: fixture signature rejected", body.name))?;
        check(body.name, &wa_graph::parse(&body.bytes)?)?;
    }

    for body in &bodies {
        if only_body.as_deref().is_some_and(|name| name != body.name) {
            continue;
        }
        for with_verify in [false, true] {
            let mode = if with_verify { "verify+parse" } else { "parse" };
            if only_mode.as_deref().is_some_and(|only| only != mode) {
                continue;
            }
            let wa_graph = || {
                let raw = black_box(body.bytes.as_slice());
                if with_verify {
                    verifier
                        .verify(raw, Some(black_box(body.signature.as_str())))
                        .unwrap_or_else(|_| std::process::exit(2));
                }
                let batch = wa_graph::parse(raw).unwrap_or_else(|_| std::process::exit(2));
                black_box(batch);
            };
            if only.as_deref().is_none_or(|peer| peer == "wa-graph") {
                report("wa-graph", body, with_verify, iters, wa_graph);
            }
            let value = || {
                let raw = black_box(body.bytes.as_slice());
                if with_verify {
                    verifier
                        .verify(raw, Some(black_box(body.signature.as_str())))
                        .unwrap_or_else(|_| std::process::exit(2));
                }
                let parsed: serde_json::Value =
                    serde_json::from_slice(raw).unwrap_or_else(|_| std::process::exit(2));
                black_box(parsed);
            };
            if only.as_deref().is_none_or(|peer| peer == "value") {
                report(
                    "serde_json::Value (same process)",
                    body,
                    with_verify,
                    iters,
                    value,
                );
            }
        }
    }
    Ok(())
}

/// The fixtures hold one delivered status and one text message; make sure both were read.
fn check(name: &str, batch: &WebhookBatch) -> anyhow::Result<()> {
    ensure!(
        batch.problems.is_empty(),
        "{name}: problems {:?}",
        batch.problems
    );
    ensure!(
        batch.numbers.len() == 1,
        "{name}: expected one business number"
    );
    match name {
        "status" => {
            let status = batch.statuses().next().context("status: no status")?;
            ensure!(status.update.wamid.as_str().starts_with("wamid."));
            ensure!(status.update.status.as_str() == "delivered");
            ensure!(status.update.pricing.is_some(), "status: pricing lost");
        }
        _ => {
            let message = batch.messages().next().context("inbound: no message")?;
            ensure!(message.message.profile_name.as_deref() == Some("Sheena Nelson"));
            ensure!(
                message.message.customer.bsuid().is_some(),
                "inbound: BSUID lost"
            );
        }
    }
    Ok(())
}

fn report(peer: &str, body: &Body, with_verify: bool, iters: usize, mut op: impl FnMut()) {
    for _ in 0..WARMUP {
        op();
    }
    let started = Instant::now();
    for _ in 0..iters {
        op();
    }
    let secs = started.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "bench": "webhook",
        "lang": "rust",
        "peer": peer,
        "body": body.name,
        "mode": if with_verify { "verify+parse" } else { "parse" },
        "verifier": if with_verify { "hmac 0.13 + sha2 0.11 (wa-graph SignatureVerifier)" } else { "-" },
        "iters": iters,
        "secs": secs,
        "per_s": iters as f64 / secs,
        "ns_per_op": secs * 1e9 / iters as f64,
    });
    #[allow(clippy::print_stdout)] // The benchmark contract is JSON lines on stdout.
    {
        println!("{line}");
    }
}
