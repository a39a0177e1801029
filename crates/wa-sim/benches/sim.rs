//! The simulator's own cost per message, to show it is not the bottleneck of a load test.
//!
//! - `wa_sim/send_text_in_process`, `wa_sim/send_text_loopback`: wall time of one accepted
//!   `POST /{phone_number_id}/messages`, through the router without a socket, and over loopback
//!   HTTP with a keep-alive reqwest client (client cost included).
//! - `wa_sim_cpu/*`: **CPU time per message**, reported by criterion in place of wall time
//!   (`iter_custom`). One "message" is an accepted send *and* its three status webhooks
//!   (`sent`, `delivered`, `read`) built, signed, recorded and, where a receiver is set, POSTed
//!   and answered 200. The figure is the CPU of the whole process (every thread: handler,
//!   dispatcher, delivery tasks, reqwest) minus the CPU of the receiver, which runs on its own
//!   thread and runtime and is measured there: what remains is what the simulator costs.
//!   - `statuses_built_no_receiver`: no callback URL (webhooks built, signed and recorded only);
//!   - `three_posts_per_message`: Meta's usual shape, one update per POST;
//!   - `batched_posts`: up to 100 updates per POST (`batch_max`), the load-test setting.
//!
//! CPU time is steadier than wall time on a shared machine, and `cores / CPU per message` is the
//! rate at which the simulator alone would saturate the machine.
//!
//! Run: `cargo bench -p wa-sim --bench sim`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use cpu_time::{ProcessTime, ThreadTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use tower::ServiceExt;
use wa_sim::{CustomerRef, NumberConfig, RunningSim, Simulator, WebhookBehaviour};

const PNID: &str = "100000000000001";
const TOKEN: &str = "bench-token";

/// Webhooks at once, as fast as they can go.
fn immediate() -> WebhookBehaviour {
    WebhookBehaviour {
        sent_delay_ms: 0,
        delivered_delay_ms: 0,
        read_delay_ms: Some(0),
        concurrency: 64,
        ..WebhookBehaviour::default()
    }
}

async fn sim(callback: Option<&str>, webhooks: WebhookBehaviour) -> RunningSim {
    let mut builder = Simulator::builder()
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
        .webhooks(webhooks);
    if let Some(url) = callback {
        builder = builder.callback_url(url);
    }
    let sim = builder.start().await.unwrap();
    sim.control()
        .open_window(PNID, &CustomerRef::phone("15551234567", "Ada"))
        .unwrap();
    sim
}

fn payload() -> String {
    json!({"messaging_product": "whatsapp", "to": "15551234567", "type": "text",
           "text": {"body": "Hello from the benchmark, with some ordinary length to it."},
           "biz_opaque_callback_data": "0190d7c6-0000-7000-8000-000000000000"})
    .to_string()
}

fn send_request(payload: &str) -> Request<Body> {
    Request::post(format!("/v23.0/{PNID}/messages"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from(payload.to_owned()))
        .unwrap()
}

/// A webhook receiver on its own OS thread and single-threaded runtime, so its CPU can be
/// measured apart (and subtracted): it counts status updates and answers 200.
struct Receiver {
    url: String,
    updates: Arc<AtomicU64>,
    cpu_requests: mpsc::UnboundedSender<oneshot::Sender<Duration>>,
}

impl Receiver {
    fn start() -> Self {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let updates = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&updates);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr: SocketAddr = listener.local_addr().unwrap();
                let (cpu_tx, mut cpu_rx) = mpsc::unbounded_channel::<oneshot::Sender<Duration>>();
                // Answers run on this thread, so ThreadTime here is the receiver's CPU.
                tokio::spawn(async move {
                    while let Some(reply) = cpu_rx.recv().await {
                        let _ = reply.send(ThreadTime::now().as_duration());
                    }
                });
                ready_tx
                    .send((format!("http://{addr}/webhook"), cpu_tx))
                    .unwrap();
                let app = Router::new()
                    .route("/webhook", post(receive))
                    .with_state(counted);
                axum::serve(listener, app).await.unwrap();
            });
        });
        let (url, cpu_requests) = ready_rx.recv().unwrap();
        Self {
            url,
            updates,
            cpu_requests,
        }
    }

    async fn cpu(&self) -> Duration {
        let (tx, rx) = oneshot::channel();
        self.cpu_requests.send(tx).unwrap();
        rx.await.unwrap()
    }
}

async fn receive(State(updates): State<Arc<AtomicU64>>, body: Bytes) -> StatusCode {
    let needle = br#""status":""#;
    let count = body.windows(needle.len()).filter(|w| w == needle).count();
    updates.fetch_add(count as u64, Ordering::Relaxed);
    StatusCode::OK
}

/// Sends `count` messages in-process, waits until all their webhooks are done, and returns the
/// process CPU spent minus the receiver's.
async fn cpu_for(
    sim: &RunningSim,
    router: &Router,
    payload: &str,
    receiver: Option<&Receiver>,
    count: u64,
) -> Duration {
    let updates_before = receiver.map_or(0, |r| r.updates.load(Ordering::Relaxed));
    let posts_before = sim.control().totals().webhooks;
    let receiver_before = match receiver {
        Some(r) => r.cpu().await,
        None => Duration::ZERO,
    };
    let process_before = ProcessTime::now();
    for _ in 0..count {
        let response = router.clone().oneshot(send_request(payload)).await.unwrap();
        assert_eq!(response.status(), 200);
    }
    // Every status must be POSTed and answered (or, without a receiver, built and recorded).
    // Waiting sleeps: idle time costs no CPU.
    loop {
        let done = match receiver {
            Some(r) => r.updates.load(Ordering::Relaxed) - updates_before >= 3 * count,
            None => sim.control().totals().webhooks - posts_before >= 3 * count,
        };
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let process = process_before.elapsed();
    let receiver_cpu = match receiver {
        Some(r) => r.cpu().await - receiver_before,
        None => Duration::ZERO,
    };
    process.saturating_sub(receiver_cpu)
}

fn wall_time(c: &mut Criterion, runtime: &tokio::runtime::Runtime) {
    let sim = runtime.block_on(sim(None, immediate()));
    let router = sim.router();
    let payload = payload();
    let mut group = c.benchmark_group("wa_sim");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("send_text_in_process", |b| {
        b.to_async(runtime).iter(|| {
            let request = send_request(&payload);
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
        b.to_async(runtime).iter(|| {
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
    runtime.block_on(sim.shutdown());
}

fn cpu_per_message(c: &mut Criterion, runtime: &tokio::runtime::Runtime) {
    let receiver = Receiver::start();
    let batched = WebhookBehaviour {
        batch_max: 100,
        batch_window_ms: 5,
        ..immediate()
    };
    let cases: [(&str, Option<&Receiver>, WebhookBehaviour); 3] = [
        ("statuses_built_no_receiver", None, immediate()),
        ("three_posts_per_message", Some(&receiver), immediate()),
        ("batched_posts", Some(&receiver), batched),
    ];
    let payload = payload();
    let mut group = c.benchmark_group("wa_sim_cpu");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    for (name, receiver, behaviour) in cases {
        let sim = runtime.block_on(sim(receiver.map(|r| r.url.as_str()), behaviour));
        let router = sim.router();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                runtime.block_on(cpu_for(&sim, &router, &payload, receiver, iters))
            });
        });
        runtime.block_on(sim.shutdown());
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    wall_time(c, &runtime);
    cpu_per_message(c, &runtime);
}

criterion_group!(benches, bench);
criterion_main!(benches);
