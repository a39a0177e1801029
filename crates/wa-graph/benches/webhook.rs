//! Webhook verify+parse against `serde_json::Value` on the shared bench bodies
//! (`../shared/bench/fixtures`, the same bytes and signatures the peers are measured on).
//!
//! `cargo bench -p wa-graph --bench webhook`. Groups per body; in each, `value` parses into
//! `serde_json::Value` and `wa_graph` into typed events, with and without the signature check.

use std::{hint::black_box, path::PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wa_graph::SignatureVerifier;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/fixtures")
}

fn bench_bodies(c: &mut Criterion) {
    let dir = fixtures();
    let Ok(secret) = std::fs::read(dir.join("app_secret.txt")) else {
        // The shared fixtures live outside the repository; without them there is nothing to run.
        return;
    };
    let verifier = SignatureVerifier::new([secret]).expect("a non-empty secret");
    for name in ["status", "inbound"] {
        let body = std::fs::read(dir.join(format!("{name}.json"))).expect("fixture body");
        let signature = std::fs::read_to_string(dir.join(format!("{name}.sig")))
            .expect("fixture signature")
            .trim()
            .to_owned();
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        group.bench_function("value/parse", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap())
        });
        group.bench_function("wa_graph/parse", |b| {
            b.iter(|| wa_graph::parse(black_box(&body)).unwrap())
        });
        group.bench_function("value/verify+parse", |b| {
            b.iter(|| {
                verifier
                    .verify(black_box(&body), Some(black_box(&signature)))
                    .unwrap();
                serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap()
            })
        });
        group.bench_function("wa_graph/verify+parse", |b| {
            b.iter(|| {
                wa_graph::verify_and_parse(&verifier, black_box(&body), Some(black_box(&signature)))
                    .unwrap()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench_bodies);
criterion_main!(benches);
