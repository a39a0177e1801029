//! The simulator's own cost per message: `POST /{phone_number_id}/messages` handled in-process
//! through the router (no socket), and over loopback HTTP with a keep-alive client.
//!
//! After the criterion groups, `send_text_cpu` prints CPU time instead of wall time: the CPU all
//! of the process's threads spent per message (handler, webhook dispatcher, records) over 20 000
//! sends, from Linux's `/proc/self/stat`. On a shared machine it is steadier than wall time, and
//! it is the figure that says whether the simulator can be the bottleneck of a load test.

use std::io::Write;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tower::ServiceExt;
use wa_sim::{CustomerRef, NumberConfig, RunningSim, Simulator, WebhookBehaviour};

const PNID: &str = "100000000000001";
const TOKEN: &str = "bench-token";

async fn sim() -> RunningSim {
    let sim = Simulator::builder()
        .app_secret("bench-secret")
        .number(NumberConfig::new(
            PNID,
            "200000000000001",
            TOKEN,
            "+1 555-010-0001",
        ))
        // No limits in the way: the bench measures handling, not refusals.
        .throughput_per_number(u32::MAX / 2)
        .pair_rate(Duration::from_millis(1), u32::MAX / 2)
        // No callback URL: statuses are built and queued, then recorded as undeliverable.
        .webhooks(WebhookBehaviour {
            sent_delay_ms: 0,
            delivered_delay_ms: 0,
            read_delay_ms: Some(0),
            ..WebhookBehaviour::default()
        })
        .start()
        .await
        .unwrap();
    sim.control()
        .open_window(PNID, &CustomerRef::phone("15551234567", "Ada"))
        .unwrap();
    sim
}

fn body() -> String {
    json!({"messaging_product": "whatsapp", "to": "15551234567", "type": "text",
           "text": {"body": "Hello from the benchmark, with some ordinary length to it."},
           "biz_opaque_callback_data": "0190d7c6-0000-7000-8000-000000000000"})
    .to_string()
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat` (Linux; clock ticks
/// of 10 ms), or `None` where unavailable.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at field 3 (state);
    // utime and stime are fields 14 and 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Sends `count` messages in-process and reports the process CPU spent per message.
fn cpu_per_message(
    runtime: &tokio::runtime::Runtime,
    router: &axum::Router,
    payload: &str,
    count: u32,
) {
    let Some(before) = process_cpu() else {
        return;
    };
    runtime.block_on(async {
        for _ in 0..count {
            let response = router.clone().oneshot(send_request(payload)).await.unwrap();
            assert_eq!(response.status(), 200);
        }
        // Let the dispatcher build and record the queued webhooks; idle time costs no CPU.
        tokio::time::sleep(Duration::from_millis(500)).await;
    });
    let Some(after) = process_cpu() else {
        return;
    };
    let per_message = (after - before) / count;
    let _ = writeln!(
        std::io::stderr(),
        "wa_sim/send_text_cpu: {per_message:?} CPU per message, all threads ({count} sends, 3 statuses each)"
    );
}

fn send_request(payload: &str) -> Request<Body> {
    Request::post(format!("/v23.0/{PNID}/messages"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from(payload.to_owned()))
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime.block_on(sim());
    let router = sim.router();
    let payload = body();
    let mut group = c.benchmark_group("wa_sim");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("send_text_in_process", |b| {
        b.to_async(&runtime).iter(|| {
            let request = Request::post(format!("/v23.0/{PNID}/messages"))
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("content-type", "application/json")
                .body(Body::from(payload.clone()))
                .unwrap();
            let router = router.clone();
            async move {
                let response = router.oneshot(request).await.unwrap();
                assert_eq!(response.status(), 200);
            }
        });
    });
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}/v23.0/{PNID}/messages", sim.base_url());
    group.bench_function("send_text_loopback", |b| {
        b.to_async(&runtime).iter(|| {
            let request = client
                .post(&url)
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(payload.clone());
            async move {
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 200);
                let _ = response.bytes().await.unwrap();
            }
        });
    });
    group.finish();
    cpu_per_message(&runtime, &router, &payload, 20_000);
    runtime.block_on(sim.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
