//! Throughput of the hot write paths: status updates and inbound inserts, one per transaction
//! and batched (100 per transaction), on SQLite (a WAL file) and PostgreSQL.
//!
//! Run: `WA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p wa-store`.
//! Without the variable only SQLite is measured. Each database is fresh and migrated; the
//! PostgreSQL one is a throwaway schema, dropped at the end.

// A benchmark binary reports to the terminal.
#![allow(clippy::print_stderr)]

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sea_orm::{ConnectionTrait, Database};
use time::OffsetDateTime;
use tokio::runtime::Runtime;
use wa_domain::{
    content::{OutboundContent, Text},
    customer::CustomerIdentity,
    ids::{MessageId, PhoneNumber, PhoneNumberId, Recipient, TenantId, WaMessageId},
    inbound::{InboundContent, InboundMessage},
    message::{NewOutbound, OutboundMessage, StatusUpdate},
    ports::{MessageRepository, TenantRepository},
    status::MessageStatus,
    tenant::Tenant,
};
use wa_store::Store;

const BATCH: usize = 100;

struct BenchDb {
    name: &'static str,
    store: Store,
    tenant: TenantId,
    /// PostgreSQL: (server URL, schema) to drop at the end.
    cleanup: Option<(String, String)>,
}

async fn open(name: &'static str, url: String, cleanup: Option<(String, String)>) -> BenchDb {
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let tenant = Tenant::new(TenantId::generate(), "Bench", OffsetDateTime::now_utc()).unwrap();
    store.tenants().create(&tenant).await.expect("tenant");
    BenchDb {
        name,
        store,
        tenant: tenant.id,
        cleanup,
    }
}

/// The databases to measure, and the SQLite file to remove at the end.
async fn databases() -> (Vec<BenchDb>, std::path::PathBuf) {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let file = std::env::temp_dir().join(format!("wa-store-bench-{unique}.db"));
    let mut dbs = vec![open("sqlite", format!("sqlite://{}", file.display()), None).await];
    match std::env::var("WA_TEST_POSTGRES_URL") {
        Ok(server) if !server.is_empty() => {
            let schema = format!("wa_bench_{unique}");
            let admin = Database::connect(&server)
                .await
                .expect("connect to PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                .await
                .expect("create schema");
            let separator = if server.contains('?') { '&' } else { '?' };
            let url = format!("{server}{separator}options=-c%20search_path%3D{schema}");
            dbs.push(open("postgres", url, Some((server, schema))).await);
        }
        _ => eprintln!("WA_TEST_POSTGRES_URL is not set: measuring SQLite only"),
    }
    (dbs, file)
}

/// The business number the benchmarks send from and receive at.
fn number() -> PhoneNumberId {
    PhoneNumberId::parse("106540352242922").unwrap()
}

fn phone(n: usize) -> PhoneNumber {
    PhoneNumber::parse(format!("4916{:08}", n % 1000)).unwrap()
}

fn wamid(prefix: &str, n: u64) -> WaMessageId {
    WaMessageId::parse(format!("wamid.{prefix}.{n}")).unwrap()
}

/// `count` accepted outbound messages, returning their wamids (not timed).
async fn accepted_messages(db: &BenchDb, count: u64) -> Vec<WaMessageId> {
    let repo = db.store.messages();
    let prefix = uuid::Uuid::new_v4().simple().to_string();
    let mut wamids = Vec::new();
    for n in 0..count {
        let message = NewOutbound {
            id: MessageId::generate(),
            tenant_id: db.tenant,
            from: number(),
            message: OutboundMessage {
                recipient: Recipient::Phone(phone(n as usize)),
                content: OutboundContent::Text(Text::new("hello", false).unwrap()),
                reply_to: None,
            },
            idempotency_key: None,
            created_at: OffsetDateTime::now_utc(),
        };
        repo.insert_outbound(&message).await.unwrap();
        let w = wamid(&prefix, n);
        repo.mark_accepted(db.tenant, message.id, &w, OffsetDateTime::now_utc())
            .await
            .unwrap();
        wamids.push(w);
    }
    wamids
}

fn delivered(wamid: WaMessageId) -> StatusUpdate {
    StatusUpdate {
        wamid,
        callback_message_id: None,
        status: MessageStatus::Delivered,
        at: OffsetDateTime::now_utc(),
        pricing: None,
        failure: None,
    }
}

fn inbound_batch(count: u64) -> Vec<(MessageId, InboundMessage)> {
    let prefix = uuid::Uuid::new_v4().simple().to_string();
    (0..count)
        .map(|n| {
            let customer = CustomerIdentity::from_phone(phone(n as usize));
            let content = InboundContent::Text {
                body: "hi".to_owned(),
            };
            let message = InboundMessage::new(
                wamid(&prefix, n),
                customer,
                OffsetDateTime::now_utc(),
                content,
            );
            (MessageId::generate(), message)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let (dbs, sqlite_file) = runtime.block_on(databases());

    let mut group = c.benchmark_group("status_update");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for db in &dbs {
        let repo = db.store.messages();
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new("one", db.name), |b| {
            b.to_async(&runtime).iter_custom(|iters| {
                let repo = repo.clone();
                async move {
                    let updates: Vec<_> = accepted_messages(db, iters)
                        .await
                        .into_iter()
                        .map(delivered)
                        .collect();
                    let start = Instant::now();
                    for update in &updates {
                        repo.apply_status(db.tenant, update).await.unwrap();
                    }
                    start.elapsed()
                }
            });
        });
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function(BenchmarkId::new("batch100", db.name), |b| {
            b.to_async(&runtime).iter_custom(|iters| {
                let repo = repo.clone();
                async move {
                    let updates: Vec<_> = accepted_messages(db, iters * BATCH as u64)
                        .await
                        .into_iter()
                        .map(delivered)
                        .collect();
                    let start = Instant::now();
                    for batch in updates.chunks(BATCH) {
                        repo.apply_statuses(db.tenant, batch).await.unwrap();
                    }
                    start.elapsed()
                }
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("inbound_insert");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for db in &dbs {
        let repo = db.store.messages();
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new("one", db.name), |b| {
            b.to_async(&runtime).iter_custom(|iters| {
                let repo = repo.clone();
                async move {
                    let messages = inbound_batch(iters);
                    let start = Instant::now();
                    for (id, message) in &messages {
                        repo.insert_inbound(db.tenant, &number(), *id, message)
                            .await
                            .unwrap();
                    }
                    start.elapsed()
                }
            });
        });
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function(BenchmarkId::new("batch100", db.name), |b| {
            b.to_async(&runtime).iter_custom(|iters| {
                let repo = repo.clone();
                async move {
                    let messages = inbound_batch(iters * BATCH as u64);
                    let start = Instant::now();
                    for batch in messages.chunks(BATCH) {
                        repo.insert_inbound_batch(db.tenant, &number(), batch)
                            .await
                            .unwrap();
                    }
                    start.elapsed()
                }
            });
        });
    }
    group.finish();

    for suffix in ["", "-wal", "-shm"] {
        let _ignored = std::fs::remove_file(format!("{}{suffix}", sqlite_file.display()));
    }
    runtime.block_on(async {
        for db in dbs {
            if let Some((server, schema)) = db.cleanup {
                db.store.close().await.ok();
                if let Ok(admin) = Database::connect(&server).await {
                    admin
                        .execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .await
                        .ok();
                }
            }
        }
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
