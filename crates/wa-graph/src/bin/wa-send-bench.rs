//! Send throughput and CPU per message of wa-graph against the Graph API stand-in of
//! `../shared/bench` (its README's JSON contract):
//! `wa-send-bench --base-url URL --n N --concurrency C --warmup W`.
//!
//! Each message goes through the same path the app uses: an `OutboundMessage` built from
//! validated domain values, sent with [`GraphGateway::send`] (so it carries our message id as
//! `biz_opaque_callback_data`) on one shared [`GraphClient`]. Message *i* goes to `"1555"` + *i*
//! (7 digits, zero padded) with the text `"hello i"`; every answer is checked (a wamid starting
//! with `wamid.`). Only loopback addresses are accepted.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use cpu_time::ProcessTime;
use secrecy::SecretString;
use wa_domain::{
    content::{OutboundContent, Text},
    graph::Sender,
    ids::{MessageId, PhoneNumber, PhoneNumberId, Recipient},
    message::OutboundMessage,
    ports::GraphGateway,
};
use wa_graph::{GraphClient, GraphConfig};

const TOKEN: &str = "bench-access-token";
const PHONE_NUMBER_ID: &str = "106540352242922";

struct Args {
    base_url: String,
    api_version: Option<String>,
    app_secret: Option<String>,
    n: usize,
    concurrency: usize,
    warmup: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut parsed = Args {
        base_url: "http://127.0.0.1:18080".to_owned(),
        api_version: None,
        app_secret: None,
        n: 20_000,
        concurrency: 64,
        warmup: 1_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--base-url" => parsed.base_url = value()?,
            "--api-version" => parsed.api_version = Some(value()?),
            // Adds appsecret_proof to every call, as in production with "Require App Secret".
            "--app-secret" => parsed.app_secret = Some(value()?),
            "--n" => parsed.n = value()?.parse().context("--n")?,
            "--concurrency" => parsed.concurrency = value()?.parse().context("--concurrency")?,
            "--warmup" => parsed.warmup = value()?.parse().context("--warmup")?,
            other => bail!("unknown argument {other}"),
        }
    }
    if parsed.concurrency == 0 {
        bail!("--concurrency must be > 0");
    }
    let url = url::Url::parse(&parsed.base_url).context("--base-url")?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    if !loopback {
        bail!("refusing a non-loopback base URL");
    }
    Ok(parsed)
}

struct Outcome {
    latencies_us: Vec<u32>,
    errors: usize,
    first_error: Option<String>,
}

/// Sends messages `start..start + n` from `concurrency` tasks pulling from one counter.
async fn drive(
    client: &GraphClient,
    sender: &Arc<Sender>,
    start: usize,
    n: usize,
    concurrency: usize,
) -> Outcome {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let sender = Arc::clone(sender);
        let next = Arc::clone(&next);
        tasks.spawn(async move {
            let mut outcome = Outcome {
                latencies_us: Vec::with_capacity(n / concurrency + 1),
                errors: 0,
                first_error: None,
            };
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= n {
                    break;
                }
                let started = Instant::now();
                if let Err(error) = send_one(&client, &sender, start + k).await {
                    outcome.errors += 1;
                    outcome.first_error.get_or_insert(error);
                }
                let micros = started.elapsed().as_micros().min(u128::from(u32::MAX));
                outcome.latencies_us.push(micros as u32);
            }
            outcome
        });
    }
    let mut total = Outcome {
        latencies_us: Vec::with_capacity(n),
        errors: 0,
        first_error: None,
    };
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(outcome) => {
                total.latencies_us.extend(outcome.latencies_us);
                total.errors += outcome.errors;
                if total.first_error.is_none() {
                    total.first_error = outcome.first_error;
                }
            }
            Err(error) => {
                total.errors += 1;
                total.first_error.get_or_insert(error.to_string());
            }
        }
    }
    total
}

async fn send_one(client: &GraphClient, sender: &Sender, i: usize) -> Result<(), String> {
    let phone = PhoneNumber::parse(format!("1555{i:07}")).map_err(|e| e.to_string())?;
    let text = Text::new(format!("hello {i}"), false).map_err(|e| e.to_string())?;
    let message = OutboundMessage {
        recipient: Recipient::Phone(phone),
        content: OutboundContent::Text(text),
        reply_to: None,
    };
    let receipt = client
        .send(sender, &message, MessageId::generate())
        .await
        .map_err(|e| e.to_string())?;
    if receipt.wamid.as_str().starts_with("wamid.") {
        Ok(())
    } else {
        Err(format!("unexpected message id {}", receipt.wamid))
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[index]) / 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let mut config = GraphConfig::with_base_url(args.base_url.clone());
    if let Some(version) = &args.api_version {
        config.api_version.clone_from(version);
    }
    config.app_secret = args.app_secret.clone().map(SecretString::from);
    config.timeouts.request = Duration::from_secs(30);
    let client = GraphClient::new(config)?;
    let sender = Arc::new(Sender {
        phone_number_id: PhoneNumberId::parse(PHONE_NUMBER_ID)?,
        token: SecretString::from(TOKEN),
    });

    if args.warmup > 0 {
        let warm = drive(&client, &sender, 0, args.warmup, args.concurrency).await;
        if warm.errors > 0 {
            bail!(
                "warm-up failed: {} errors, first: {:?}",
                warm.errors,
                warm.first_error
            );
        }
    }
    let cpu = ProcessTime::now();
    let started = Instant::now();
    let mut outcome = drive(&client, &sender, args.warmup, args.n, args.concurrency).await;
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu.elapsed().as_secs_f64();
    outcome.latencies_us.sort_unstable();
    let line = serde_json::json!({
        "bench": "send",
        "client": "wa-graph",
        "n": args.n,
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "ok": args.n - outcome.errors,
        "errors": outcome.errors,
        "first_error": outcome.first_error,
        "wall_s": wall,
        "msgs_per_s": args.n as f64 / wall,
        "cpu_s": cpu,
        "cpu_us_per_msg": cpu * 1e6 / args.n as f64,
        "lat_p50_ms": percentile(&outcome.latencies_us, 0.50),
        "lat_p99_ms": percentile(&outcome.latencies_us, 0.99),
        "runtime": format!(
            "tokio multi-thread, {} workers; wa-graph GraphGateway::send{}",
            tokio::runtime::Handle::current().metrics().num_workers(),
            if args.app_secret.is_some() { " with appsecret_proof" } else { "" }
        ),
    });
    #[allow(clippy::print_stdout)] // The benchmark contract is one JSON line on stdout.
    {
        println!("{line}");
    }
    if outcome.errors > 0 {
        std::process::exit(1);
    }
    Ok(())
}
