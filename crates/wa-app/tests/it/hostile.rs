//! Hostile traffic at the HTTP edge: clients that send headers or bodies a byte at a time are cut
//! off by the header, body and request deadlines, on the webhook route as on the API, and counted;
//! hundreds of large webhook bodies at once (slow, oversized, chunked past the cap) keep the
//! resident memory of a real `wa serve` process under a stated bound; a signed body that is not
//! an envelope is refused and not stored.

use std::{
    process::{Child, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use futures::StreamExt as _;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{
    support::{ADMIN, Backend, fresh_database, quick_webhooks, spawn, wa_command},
    webhooks::sign,
};

/// What a client that sends one byte at a time saw.
struct Dripped {
    /// When the server closed the connection, if it did within the bound.
    closed_after: Option<Duration>,
    /// What the server answered before it closed.
    answer: String,
}

/// Sends `head`, then one byte of `drip` (cycled) each `every` while the server stays silent,
/// until the server closes the connection or `bound` passes.
async fn drip(addr: &str, head: &[u8], drip: &[u8], every: Duration, bound: Duration) -> Dripped {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head).await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let mut next = 0;
    let closed = |answer: &[u8]| Dripped {
        closed_after: Some(started.elapsed()),
        answer: String::from_utf8_lossy(answer).into_owned(),
    };
    while started.elapsed() < bound {
        match tokio::time::timeout(every, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return closed(&answer),
            Ok(Ok(read)) => answer.extend_from_slice(&buffer[..read]),
            Err(_) => {
                if drip.is_empty() {
                    continue;
                }
                let at = next % drip.len();
                next += 1;
                if stream.write_all(&drip[at..=at]).await.is_err() {
                    return closed(&answer);
                }
            }
        }
    }
    Dripped {
        closed_after: None,
        answer: String::from_utf8_lossy(&answer).into_owned(),
    }
}

/// The JSON body of a raw HTTP/1.1 answer.
fn json_of(answer: &str) -> Value {
    let (_, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no body in {answer:?}"));
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not a JSON body: {answer:?}"))
}

/// The value of a counter with these labels in Prometheus text (0 when absent).
pub(crate) fn counter(metrics: &str, name_and_labels: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name_and_labels))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn slow_headers_and_bodies_are_cut_off_on_every_route_and_counted() {
    let mut app = spawn(Backend::Sqlite, quick_webhooks()).await;
    app.restart_with(&[
        ("WA_HTTP_HEADER_TIMEOUT_SECONDS", "1"),
        ("WA_HTTP_REQUEST_TIMEOUT_SECONDS", "2"),
        ("WA_WEBHOOK_REQUEST_TIMEOUT_SECONDS", "2"),
    ])
    .await;
    let before = app.metrics_text().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let every = Duration::from_millis(300);
    let bound = Duration::from_secs(12);

    // Headers a byte at a time, to the webhook route and to the API; and a silent connection.
    for (head, slow) in [
        (
            "POST /webhooks/whatsapp HTTP/1.1\r\n",
            &b"X-Slow: aaaaaaaa\r\n"[..],
        ),
        ("GET /v1/tenants HTTP/1.1\r\n", &b"X-Slow: aaaaaaaa\r\n"[..]),
        ("", &b""[..]),
    ] {
        let seen = drip(&addr, head.as_bytes(), slow, every, bound).await;
        assert!(
            seen.closed_after.is_some(),
            "a client sending the headers of {head:?} slowly is still connected after {bound:?}"
        );
    }

    // Bodies a byte at a time: Meta's route (unsigned, so nothing could be stored) and the API.
    let webhook = "POST /webhooks/whatsapp HTTP/1.1\r\nHost: wa\r\nContent-Type: application/json\r\n\
        X-Hub-Signature-256: sha256=00\r\nContent-Length: 100000\r\n\r\n{";
    let api = format!(
        "POST /v1/tenants HTTP/1.1\r\nHost: wa\r\nAuthorization: Bearer {ADMIN}\r\n\
        Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{"
    );
    for head in [webhook.to_owned(), api] {
        let seen = drip(&addr, head.as_bytes(), b" ", every, bound).await;
        assert!(
            seen.closed_after.is_some(),
            "a client sending a body slowly is still connected after {bound:?}: {head:?}"
        );
        assert!(
            seen.answer.starts_with("HTTP/1.1 408"),
            "{head:?} answered {:?}",
            seen.answer
        );
        let body = json_of(&seen.answer);
        assert_eq!(body["code"], "timeout", "{body}");
    }

    let after = app.metrics_text().await;
    let grew = |name: &str| counter(&after, name) - counter(&before, name);
    assert!(
        grew("wa_http_timeouts_total{phase=\"headers\"}") >= 3.0,
        "slow headers counted: {after}"
    );
    assert!(
        grew("wa_http_timeouts_total{phase=\"request\"}") >= 2.0,
        "slow bodies counted: {after}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn slow_bodies_are_cut_off_by_the_body_read_timeout_before_the_request_deadline() {
    let mut app = spawn(Backend::Sqlite, quick_webhooks()).await;
    app.restart_with(&[
        ("WA_HTTP_BODY_TIMEOUT_SECONDS", "2"),
        ("WA_HTTP_REQUEST_TIMEOUT_SECONDS", "20"),
        ("WA_WEBHOOK_REQUEST_TIMEOUT_SECONDS", "20"),
    ])
    .await;
    let before = app.metrics_text().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    // One byte every 1.5 s: steady, but far too slow to finish the body.
    let every = Duration::from_millis(1_500);
    let bound = Duration::from_secs(25);
    let webhook = "POST /webhooks/whatsapp HTTP/1.1\r\nHost: wa\r\nContent-Type: application/json\r\n\
        X-Hub-Signature-256: sha256=00\r\nContent-Length: 1000\r\n\r\n{";
    let api = format!(
        "POST /v1/tenants HTTP/1.1\r\nHost: wa\r\nAuthorization: Bearer {ADMIN}\r\n\
        Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
    );
    for head in [webhook.to_owned(), api] {
        let seen = drip(&addr, head.as_bytes(), b" ", every, bound).await;
        let closed_after = seen
            .closed_after
            .unwrap_or_else(|| panic!("a slow body is still being read after {bound:?}: {head:?}"));
        // Cut off by the 2 s body timeout (with a byte's interval of slack), long before the
        // 20 s request deadline.
        assert!(
            closed_after < Duration::from_secs(8),
            "a slow body was cut off only after {closed_after:?}: {head:?}"
        );
        assert!(
            seen.answer.starts_with("HTTP/1.1 408"),
            "{head:?} answered {:?}",
            seen.answer
        );
        assert_eq!(json_of(&seen.answer)["code"], "timeout");
    }
    let after = app.metrics_text().await;
    let grew = |name: &str| counter(&after, name) - counter(&before, name);
    assert_eq!(
        grew("wa_http_timeouts_total{phase=\"body\"}"),
        2.0,
        "slow bodies counted as body timeouts: {after}"
    );
    assert_eq!(grew("wa_http_timeouts_total{phase=\"request\"}"), 0.0);
    app.shutdown().await;
}

/// Resident memory of a process, from `/proc/<pid>/status`, in bytes.
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .expect("VmRSS in /proc/<pid>/status");
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

/// `wa serve` as a child on SQLite, with its own port.
fn serve_child(database_url: &str, port: u16, data_dir: &std::path::Path) -> Child {
    let mut command = wa_command();
    command
        .env("WA_DATABASE_URL", database_url)
        .env("WA_LISTEN", format!("127.0.0.1:{port}"))
        .env("WA_META_APP_SECRET", crate::support::APP_SECRET)
        .env("WA_ADMIN_TOKEN", ADMIN)
        .env("WA_WEBHOOK_VERIFY_TOKEN", "verify-me")
        .env(
            "WA_VAULT_KEYS",
            "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .env("RUST_LOG", "error")
        .current_dir(data_dir)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command.spawn().expect("wa serve starts")
}

/// The bound this test holds the process to: its resident memory once ready plus this much, with
/// 300 connections pushing webhook bodies at once, 200 of them holding a body just under the cap
/// short of its last byte for 3 s (before the fix, 200 such bodies held 600 MB). The receiver
/// reads at most
/// `WA_WEBHOOK_CONCURRENCY` (16) bodies of at most 3 MB at a time: 48 MB of bodies, the rest
/// being the connections' buffers and the allocator's slack.
const RSS_BOUND_OVER_BASELINE: u64 = 160 * 1024 * 1024;

#[tokio::test]
// The figures are printed for the record (`--nocapture`).
#[allow(clippy::print_stderr)]
async fn hundreds_of_large_webhook_bodies_at_once_keep_memory_bounded() {
    let database_url = fresh_database(Backend::Sqlite).await;
    let data_dir = std::env::temp_dir().join(format!("wa-rss-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = serve_child(&database_url, port, &data_dir);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..300 {
        if let Ok(response) = http.get(format!("{base}/readyz")).send().await
            && response.status().is_success()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "wa serve never became ready");
    let pid = child.id();
    let baseline = rss_bytes(pid);

    // Just under the 3 MB cap, with a wrong signature: nothing is ever stored.
    let size = wa_graph::webhook::MAX_BODY_BYTES - 16;
    let body: Arc<Vec<u8>> = Arc::new(vec![b' '; size]);
    let addr = format!("127.0.0.1:{port}");
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(baseline));
    let sampling = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                let now = rss_bytes(pid);
                peak.fetch_max(now, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    // 200 bodies with a Content-Length under the cap, 50 announced over it, 50 chunked past it.
    let kinds = (0..300).map(|n| match n % 6 {
        0..=3 => "under",
        4 => "announced_over",
        _ => "chunked_over",
    });
    let statuses: Vec<String> = futures::stream::iter(kinds)
        .map(|kind| {
            let body = body.clone();
            let addr = addr.clone();
            async move { push_body(&addr, kind, &body).await }
        })
        .buffer_unordered(300)
        .collect()
        .await;
    sampling.abort();
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    let after = rss_bytes(pid);
    let _ = child.kill();
    let _ = child.wait();
    let mb = |bytes: u64| bytes / (1024 * 1024);
    eprintln!(
        "RSS: baseline {} MB, peak {} MB, after {} MB; answers: {:?}",
        mb(baseline),
        mb(peak),
        mb(after),
        tally(&statuses)
    );
    assert!(
        peak < baseline + RSS_BOUND_OVER_BASELINE,
        "resident memory peaked at {} MB over a baseline of {} MB (bound: +{} MB); answers {:?}",
        mb(peak),
        mb(baseline),
        mb(RSS_BOUND_OVER_BASELINE),
        tally(&statuses)
    );
    for status in &statuses {
        assert!(
            ["401", "413", "408", "503"].contains(&status.as_str()),
            "every body refused, none stored or crashed: {:?}",
            tally(&statuses)
        );
    }
}

fn tally(statuses: &[String]) -> std::collections::BTreeMap<&str, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for status in statuses {
        *counts.entry(status.as_str()).or_insert(0) += 1;
    }
    counts
}

/// How long a body under the cap is held back short of its last byte.
const HOLD: Duration = Duration::from_secs(3);

/// Pushes one webhook body as fast as the server takes it (one under the cap is held short of
/// its last byte for [`HOLD`]); returns the status answered (or what happened instead).
async fn push_body(addr: &str, kind: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = match kind {
        "under" => format!(
            "POST /webhooks/whatsapp HTTP/1.1\r\nHost: wa\r\nContent-Type: application/json\r\n\
            X-Hub-Signature-256: sha256=00\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ),
        "announced_over" => format!(
            "POST /webhooks/whatsapp HTTP/1.1\r\nHost: wa\r\nContent-Type: application/json\r\n\
            X-Hub-Signature-256: sha256=00\r\nContent-Length: {}\r\n\r\n",
            body.len() * 4
        ),
        _ => "POST /webhooks/whatsapp HTTP/1.1\r\nHost: wa\r\nContent-Type: application/json\r\n\
            X-Hub-Signature-256: sha256=00\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_owned(),
    };
    let (mut reader, mut writer) = stream.split();
    let write = async {
        writer.write_all(head.as_bytes()).await?;
        match kind {
            // All but the last byte, then a pause: the server holds what it has read.
            "under" => {
                writer.write_all(&body[..body.len() - 1]).await?;
                tokio::time::sleep(HOLD).await;
                writer.write_all(&body[body.len() - 1..]).await?;
            }
            "announced_over" => {
                for _ in 0..4 {
                    writer.write_all(body).await?;
                }
            }
            _ => {
                for _ in 0..4 {
                    writer
                        .write_all(format!("{:x}\r\n", body.len()).as_bytes())
                        .await?;
                    writer.write_all(body).await?;
                    writer.write_all(b"\r\n").await?;
                }
                writer.write_all(b"0\r\n\r\n").await?;
            }
        }
        std::io::Result::Ok(())
    };
    let read = async {
        let mut answer = Vec::new();
        let mut buffer = [0u8; 1024];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buffer[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
        answer
    };
    // The server may answer before it has read everything (413 at once): stop writing then.
    let (_, answer) = tokio::join!(
        async {
            let _ = tokio::time::timeout(Duration::from_secs(60), write).await;
        },
        tokio::time::timeout(Duration::from_secs(60), read)
    );
    match answer {
        Ok(answer) if answer.len() >= 12 => String::from_utf8_lossy(&answer[9..12]).into_owned(),
        Ok(answer) => format!("closed without an answer ({} bytes)", answer.len()),
        Err(_) => "no answer in 60 s".to_owned(),
    }
}

#[tokio::test]
async fn a_signed_body_that_is_not_an_envelope_is_refused_and_not_stored() {
    let app = spawn(Backend::Sqlite, quick_webhooks()).await;
    for body in [
        &b"[]"[..],
        b"[{\"object\":\"whatsapp_business_account\"}]",
        b"\"x\"",
    ] {
        let response = app
            .http
            .post(format!("{}/webhooks/whatsapp", app.base))
            .header("X-Hub-Signature-256", sign(body))
            .header("Content-Type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    assert_eq!(app.count_rows("webhook_inbox").await, 0);
    app.shutdown().await;
}
