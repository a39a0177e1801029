//! What the vault costs per credential and per send.
//!
//! - `seal` / `open`: one AES-256-GCM record of a 200-byte token (Meta's system-user tokens are
//!   around that length), including the fresh nonce and the associated data.
//! - `get/cached` vs `get/uncached`: `CredentialVault::get` on the send path, with and without
//!   the cache, over the in-memory store. With a real database the uncached path adds a query
//!   round trip, so the ratio measured here is the least the cache saves.

use std::{hint::black_box, sync::Arc};

use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::SecretString;
use uuid::Uuid;
use wa_domain::{
    credential::CredentialKind,
    ids::TenantId,
    ports::{CredentialVault, SystemClock},
};
use wa_vault::{Keyring, MemoryStore, Vault};

const KEYS: &str = "k2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,\
                    k1://////////////////////////////////////////8=";
const TENANTS: u128 = 1_000;

fn token() -> SecretString {
    SecretString::from("EAAG".to_owned() + &"x".repeat(196))
}

fn tenant(n: u128) -> TenantId {
    TenantId::from_uuid(Uuid::from_u128(n))
}

fn seal_and_open(c: &mut Criterion) {
    let keyring = Keyring::parse(KEYS).unwrap();
    let kind = CredentialKind::AccessToken;
    let secret = token();
    let record = keyring.seal(tenant(1), kind, &secret).unwrap();

    let mut group = c.benchmark_group("record");
    group.bench_function("seal", |b| {
        b.iter(|| keyring.seal(black_box(tenant(1)), kind, black_box(&secret)))
    });
    group.bench_function("open", |b| {
        b.iter(|| keyring.open(black_box(tenant(1)), kind, black_box(&record)))
    });
    group.finish();
}

fn get(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = Arc::new(MemoryStore::new());
    let kind = CredentialKind::AccessToken;
    let cached = Vault::new(
        Keyring::parse(KEYS).unwrap(),
        store.clone(),
        Arc::new(SystemClock),
    );
    let uncached =
        Vault::new(Keyring::parse(KEYS).unwrap(), store, Arc::new(SystemClock)).without_cache();
    runtime.block_on(async {
        for n in 0..TENANTS {
            cached.store(tenant(n), kind, token(), None).await.unwrap();
        }
    });

    // Cycles over many tenants, as a sender serving many numbers would.
    let mut group = c.benchmark_group("get");
    let mut next = 0;
    group.bench_function("cached", |b| {
        b.to_async(&runtime).iter(|| {
            next = (next + 1) % TENANTS;
            cached.get(tenant(next), kind)
        })
    });
    group.bench_function("uncached", |b| {
        b.to_async(&runtime).iter(|| {
            next = (next + 1) % TENANTS;
            uncached.get(tenant(next), kind)
        })
    });
    group.finish();
}

criterion_group!(benches, seal_and_open, get);
criterion_main!(benches);
