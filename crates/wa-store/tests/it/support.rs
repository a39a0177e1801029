//! Test databases (one per test, migrated by the real `Migrator`) and fixtures.

use std::{ops::Deref, path::PathBuf};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};
use time::{Duration, OffsetDateTime, macros::datetime};
use wa_domain::{
    content::{OutboundContent, Text},
    customer::CustomerIdentity,
    ids::{Bsuid, MessageId, PhoneNumber, PhoneNumberId, Recipient, TenantId, WaMessageId},
    inbound::{InboundContent, InboundMessage},
    message::{NewOutbound, OutboundMessage, StatusUpdate},
    ports::TenantRepository,
    status::MessageStatus,
    tenant::Tenant,
};
use wa_store::Store;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per database for each listed `async fn(TestDb)` of the module.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = $crate::support::TestDb::new($crate::support::Backend::Sqlite).await;
                    super::$name(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = $crate::support::TestDb::new($crate::support::Backend::Postgres).await;
                    super::$name(db).await;
                }
            )*
        }
    };
}

/// The PostgreSQL server's URL; a missing variable fails the test with instructions.
pub(crate) fn postgres_url() -> String {
    match std::env::var("WA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "WA_TEST_POSTGRES_URL is not set. The wa-store suite runs every test on PostgreSQL too; \
             point it at a server, e.g. WA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
             cargo test -p wa-store (or run `cargo xtask test`, which sets it)."
        ),
    }
}

/// Where a test database lives, so it can be removed afterwards.
enum Location {
    SqliteFile(PathBuf),
    PostgresSchema { server: String, schema: String },
}

/// A fresh database for one test, migrated, removed when dropped.
pub(crate) struct TestDb {
    pub(crate) store: Store,
    pub(crate) backend: Backend,
    location: Location,
}

impl Deref for TestDb {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl TestDb {
    /// A migrated database.
    pub(crate) async fn new(backend: Backend) -> Self {
        let db = Self::unmigrated(backend).await;
        db.store.migrate().await.expect("migrations apply");
        db
    }

    /// An empty database, for the migration tests.
    pub(crate) async fn unmigrated(backend: Backend) -> Self {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let (url, location) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir()
                    .join(format!("wa-store-it-{unique}"))
                    .join("wa.db");
                (
                    format!("sqlite://{}", path.display()),
                    Location::SqliteFile(path),
                )
            }
            Backend::Postgres => {
                let server = postgres_url();
                let schema = format!("wa_test_{unique}");
                let admin = Database::connect(&server)
                    .await
                    .expect("connect to the PostgreSQL server of WA_TEST_POSTGRES_URL");
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .expect("create the test schema");
                admin.close().await.expect("close");
                let separator = if server.contains('?') { '&' } else { '?' };
                (
                    format!("{server}{separator}options=-c%20search_path%3D{schema}"),
                    Location::PostgresSchema { server, schema },
                )
            }
        };
        let store = Store::connect(&url)
            .await
            .expect("connect to the test database");
        Self {
            store,
            backend,

            location,
        }
    }

    /// A tenant that exists.
    pub(crate) async fn tenant(&self) -> TenantId {
        let tenant = Tenant::new(TenantId::generate(), "Acme", t0()).expect("valid tenant");
        self.store
            .tenants()
            .create(&tenant)
            .await
            .expect("tenant stored");
        tenant.id
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.location {
            Location::SqliteFile(path) => {
                if let Some(dir) = path.parent() {
                    let _ignored = std::fs::remove_dir_all(dir);
                }
            }
            Location::PostgresSchema { server, schema } => {
                // Drop cannot await: a short-lived thread with its own runtime removes the schema,
                // also when the test panicked.
                let (server, schema) = (server.clone(), schema.clone());
                let _ignored = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    runtime.block_on(async {
                        if let Ok(admin) = Database::connect(&server).await {
                            let _ignored = admin
                                .execute_unprepared(&format!(
                                    "DROP SCHEMA IF EXISTS {schema} CASCADE"
                                ))
                                .await;
                            let _ignored = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Runs the migrations again on a database (for the round-trip test).
pub(crate) async fn migrator_up(store: &Store) {
    Migrator::up(store.connection(), None).await.expect("up");
}

/// A fixed instant, whole seconds, so stored times compare exactly.
pub(crate) fn t0() -> OffsetDateTime {
    datetime!(2026-01-01 09:00:00 UTC)
}

/// `t0` plus some seconds.
pub(crate) fn at(seconds: i64) -> OffsetDateTime {
    t0() + Duration::seconds(seconds)
}

/// The business number the fixtures send from and receive at.
pub(crate) fn number() -> PhoneNumberId {
    PhoneNumberId::parse("106540352242922").expect("valid phone number id")
}

pub(crate) fn phone(n: u32) -> PhoneNumber {
    PhoneNumber::parse(format!("4915{n:08}")).expect("valid phone")
}

pub(crate) fn bsuid(n: u32) -> Bsuid {
    Bsuid::parse(format!("DE.user{n}")).expect("valid bsuid")
}

pub(crate) fn wamid(name: &str) -> WaMessageId {
    WaMessageId::parse(format!("wamid.{name}")).expect("valid wamid")
}

pub(crate) fn text(body: &str) -> OutboundContent {
    OutboundContent::Text(Text::new(body, false).expect("valid text"))
}

/// An outbound text to a phone number.
pub(crate) fn outbound(tenant: TenantId, to: Recipient, key: Option<&str>) -> NewOutbound {
    NewOutbound {
        id: MessageId::generate(),
        tenant_id: tenant,
        from: number(),
        message: OutboundMessage {
            recipient: to,
            content: text("hello"),
            reply_to: None,
        },
        idempotency_key: key.map(str::to_owned),
        created_at: t0(),
    }
}

/// A customer's text message.
pub(crate) fn inbound(
    name: &str,
    customer: CustomerIdentity,
    sent_at: OffsetDateTime,
) -> InboundMessage {
    let mut message = InboundMessage::new(
        wamid(name),
        customer,
        sent_at,
        InboundContent::Text {
            body: format!("message {name}"),
        },
    );
    message.profile_name = Some("Erika".to_owned());
    message
}

/// A status webhook for a wamid.
pub(crate) fn status(
    wamid: &WaMessageId,
    status: MessageStatus,
    at: OffsetDateTime,
) -> StatusUpdate {
    StatusUpdate {
        wamid: wamid.clone(),
        callback_message_id: None,
        status,
        at,
        pricing: None,
        failure: None,
    }
}
