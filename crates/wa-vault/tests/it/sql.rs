//! The vault over `wa-store`'s real `tenant_credentials` table, on SQLite and PostgreSQL.
//!
//! [`Database`] is a fresh, migrated database per test, with the vault's storage on it
//! ([`wa_store::SqlSealedCredentials`]): a SQLite file in a temporary folder, or a schema of its own on the
//! server named by `WA_TEST_POSTGRES_URL` (the PostgreSQL tests fail without it; they never
//! skip).

use std::{path::PathBuf, sync::Arc};

use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;
use wa_domain::{ports::TenantRepository, tenant::Tenant};
use wa_store::Store;

use crate::support::T0;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, migrated database for one test.
pub(crate) struct Database {
    pub(crate) store: Store,
    /// The SQLite file (and its folder, removed by [`Database::remove`]).
    sqlite_dir: Option<PathBuf>,
    /// The PostgreSQL server and the test's schema, dropped by [`Database::remove`].
    postgres: Option<(String, String)>,
}

impl Database {
    pub(crate) async fn fresh(backend: Backend) -> Self {
        let unique = Uuid::now_v7().simple().to_string();
        let (url, sqlite_dir, postgres) = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("wa-vault-sql-{unique}"));
                let url = format!("sqlite://{}?mode=rwc", dir.join("wa.db").display());
                (url, Some(dir), None)
            }
            Backend::Postgres => {
                let server = std::env::var("WA_TEST_POSTGRES_URL").expect(
                    "WA_TEST_POSTGRES_URL must name a PostgreSQL server (cargo xtask test sets \
                     it); the PostgreSQL tests never skip",
                );
                let schema = format!("wa_vault_{unique}");
                let admin = sea_orm::Database::connect(&server)
                    .await
                    .expect("connect to WA_TEST_POSTGRES_URL");
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .expect("create the test schema");
                let separator = if server.contains('?') { '&' } else { '?' };
                let url = format!("{server}{separator}options=-c%20search_path%3D{schema}");
                (url, None, Some((server, schema)))
            }
        };
        let store = Store::connect(&url)
            .await
            .expect("connect the test database");
        store.migrate().await.expect("migrate the test database");
        Self {
            store,
            sqlite_dir,
            postgres,
        }
    }

    /// The vault's storage on this database.
    pub(crate) fn credentials(&self) -> Arc<wa_store::SqlSealedCredentials> {
        Arc::new(self.store.credentials())
    }

    /// Creates the tenants `1..=count` (credentials reference their tenant).
    pub(crate) async fn create_tenants(&self, count: u128) {
        let tenants = self.store.tenants();
        for n in 1..=count {
            let tenant = Tenant::new(crate::support::tenant(n), format!("tenant {n}"), T0)
                .expect("a valid tenant");
            tenants.create(&tenant).await.expect("create a tenant");
        }
    }

    /// Every column of every `tenant_credentials` row, read with plain SQL: the ciphertext as
    /// stored, and every other column rendered as text.
    pub(crate) async fn raw_rows(&self) -> Vec<RawRow> {
        let db = self.store.connection();
        let backend = db.get_database_backend();
        let sql = "SELECT ciphertext, key_id, kind, CAST(created_at AS TEXT) AS created_at, \
                   CAST(rotated_at AS TEXT) AS rotated_at, CAST(expires_at AS TEXT) AS expires_at \
                   FROM tenant_credentials";
        db.query_all_raw(Statement::from_string(backend, sql))
            .await
            .expect("read the credentials table")
            .into_iter()
            .map(|row| RawRow {
                ciphertext: row.try_get("", "ciphertext").expect("ciphertext"),
                text: [
                    row.try_get::<String>("", "key_id").expect("key_id"),
                    row.try_get::<String>("", "kind").expect("kind"),
                    row.try_get::<String>("", "created_at").expect("created_at"),
                    row.try_get::<Option<String>>("", "rotated_at")
                        .expect("rotated_at")
                        .unwrap_or_default(),
                    row.try_get::<Option<String>>("", "expires_at")
                        .expect("expires_at")
                        .unwrap_or_default(),
                ]
                .join(" "),
                key_id: row.try_get("", "key_id").expect("key_id"),
            })
            .collect()
    }

    /// The SQLite database's files as they lie on disk (the main file, its WAL and shared
    /// memory), after a checkpoint: what a stolen copy of the data folder holds.
    pub(crate) async fn sqlite_files(&self) -> Vec<u8> {
        let dir = self.sqlite_dir.as_ref().expect("a SQLite database");
        let db = self.store.connection();
        db.execute_unprepared("PRAGMA wal_checkpoint(FULL)")
            .await
            .expect("checkpoint");
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(dir).expect("the database folder") {
            let path = entry.expect("a database file").path();
            bytes.extend(std::fs::read(&path).expect("read a database file"));
        }
        assert!(bytes.len() > 4096, "the database files were found");
        bytes
    }

    pub(crate) async fn remove(self) {
        let Self {
            store,
            sqlite_dir,
            postgres,
        } = self;
        let _ = store.close().await;
        if let Some(dir) = sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((server, schema)) = postgres {
            let admin = sea_orm::Database::connect(&server)
                .await
                .expect("connect to WA_TEST_POSTGRES_URL");
            admin
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .await
                .expect("drop the test schema");
        }
    }
}

/// One row of `tenant_credentials` as the database holds it.
pub(crate) struct RawRow {
    pub(crate) ciphertext: Vec<u8>,
    /// The clear columns, space-separated.
    pub(crate) text: String,
    pub(crate) key_id: String,
}
