//! What the vault costs per credential and per send.
//!
//! - `record/seal`, `record/open`: one AES-256-GCM record of a 200-byte token (Meta's
//!   system-user tokens are around that length), including the fresh nonce and the associated
//!   data: the cost per credential stored, rotated or read.
//! - `get/<store>/cached` vs `get/<store>/uncached`: `CredentialVault::get`, the credential
//!   lookup of every send, with and without the cache, cycling over 1,000 tenants as a sender
//!   serving many numbers would. `memory` is the in-memory store (the floor: decryption and
//!   bookkeeping only); `sqlite` is `wa-store`'s credentials table in a SQLite file, the
//!   embedded default, so the uncached figure includes the query.
//!
//! Run with `cargo bench -p wa-vault --bench vault`.

use std::{hint::black_box, sync::Arc};

use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::SecretString;
use uuid::Uuid;
use wa_domain::ports::SealedCredentialStore;
use wa_domain::{
    credential::CredentialKind,
    ids::TenantId,
    ports::{CredentialVault, SystemClock, TenantRepository},
    tenant::Tenant,
};
use wa_store::Store;
use wa_vault::{Keyring, MemoryStore, Vault};

const KEYS: &str = "k2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,\
                    k1://////////////////////////////////////////8=";
const TENANTS: u128 = 1_000;
const KIND: CredentialKind = CredentialKind::AccessToken;

fn token() -> SecretString {
    SecretString::from("EAAG".to_owned() + &"x".repeat(196))
}

fn tenant(n: u128) -> TenantId {
    TenantId::from_uuid(Uuid::from_u128(n + 1))
}

fn seal_and_open(c: &mut Criterion) {
    let keyring = Keyring::parse(KEYS).unwrap();
    let secret = token();
    let record = keyring.seal(tenant(1), KIND, &secret).unwrap();

    let mut group = c.benchmark_group("record");
    group.bench_function("seal", |b| {
        b.iter(|| keyring.seal(black_box(tenant(1)), KIND, black_box(&secret)))
    });
    group.bench_function("open", |b| {
        b.iter(|| keyring.open(black_box(tenant(1)), KIND, black_box(&record)))
    });
    group.finish();
}

/// Benchmarks `get` with and without the cache over `store`, which is filled first.
fn get_over(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    store: Arc<dyn SealedCredentialStore>,
) {
    let keyring = Keyring::parse(KEYS).unwrap();
    let cached = Vault::new(keyring.clone(), store.clone(), Arc::new(SystemClock));
    let uncached = Vault::new(keyring, store, Arc::new(SystemClock)).without_cache();
    runtime.block_on(async {
        for n in 0..TENANTS {
            cached.store(tenant(n), KIND, token(), None).await.unwrap();
        }
    });

    let mut group = c.benchmark_group(format!("get/{name}"));
    let mut next = 0;
    group.bench_function("cached", |b| {
        b.to_async(runtime).iter(|| {
            next = (next + 1) % TENANTS;
            cached.get(tenant(next), KIND)
        })
    });
    group.bench_function("uncached", |b| {
        b.to_async(runtime).iter(|| {
            next = (next + 1) % TENANTS;
            uncached.get(tenant(next), KIND)
        })
    });
    group.finish();
}

fn get(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    get_over(c, &runtime, "memory", Arc::new(MemoryStore::new()));

    let dir = std::env::temp_dir().join(format!("wa-vault-bench-{}", Uuid::now_v7()));
    let url = format!("sqlite://{}?mode=rwc", dir.join("wa.db").display());
    let store = runtime.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let tenants = store.tenants();
        let at = time::OffsetDateTime::now_utc();
        for n in 0..TENANTS {
            let tenant = Tenant::new(tenant(n), format!("tenant {n}"), at).unwrap();
            tenants.create(&tenant).await.unwrap();
        }
        store
    });
    get_over(c, &runtime, "sqlite", Arc::new(store.credentials()));
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, seal_and_open, get);
criterion_main!(benches);
