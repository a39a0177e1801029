//! [`Store`]: the database connection pool, and the repositories built on it.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbBackend,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use wa_domain::ports::StoreError;

use crate::{
    error::classify,
    group_commit::GroupCommit,
    repo::{
        connection::SqlConnections, conversation::SqlConversations,
        credential::SqlSealedCredentials, message::SqlMessages, tenant::SqlTenants,
    },
};

/// SQLite connections: WAL lets readers run beside the single writer; more would only queue.
const SQLITE_POOL_SIZE: u32 = 4;
/// PostgreSQL connections per process.
const POSTGRES_POOL_SIZE: u32 = 16;
/// How long a SQLite writer waits for the write lock before reporting `Unavailable`.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The database behind every repository. Cheap to clone: the pool is shared.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// The hot small writes (messages, statuses, outbound counts) share transactions through it.
    commits: GroupCommit,
}

impl Store {
    /// Connects to `sqlite://path` (the file and its folder are created when missing; WAL,
    /// a busy timeout and foreign keys are switched on) or `postgres://…`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database cannot be reached or opened.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(url);
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        if url.starts_with("sqlite:") {
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            if !in_memory {
                create_parent_folder(url)?;
            }
            // Each connection to `:memory:` is its own database: keep exactly one.
            options.max_connections(if in_memory { 1 } else { SQLITE_POOL_SIZE });
            options.map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
            });
        } else {
            options.max_connections(POSTGRES_POOL_SIZE);
        }
        let db = Database::connect(options)
            .await
            .map_err(|err| match classify(err) {
                StoreError::Other(source) => StoreError::Unavailable(source),
                other => other,
            })?;
        Ok(Self::from_connection(db))
    }

    /// Wraps a connection the caller configured.
    pub fn from_connection(db: DatabaseConnection) -> Self {
        let commits = GroupCommit::new(db.clone());
        Self { db, commits }
    }

    /// Applies every pending migration (what the app does at start-up).
    ///
    /// # Errors
    /// [`StoreError::Other`] when a migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await.map_err(classify)
    }

    /// The underlying connection, for the app's own queries and tests.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// What group commit has done so far: how many transactions carried several writes.
    pub fn group_commit_stats(&self) -> crate::GroupCommitStats {
        self.commits.stats()
    }

    /// Which database this is.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Closes the pool.
    ///
    /// # Errors
    /// Only storage failures.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await.map_err(classify)
    }

    /// Tenants.
    pub fn tenants(&self) -> SqlTenants {
        SqlTenants::new(self.db.clone())
    }

    /// WhatsApp connections.
    pub fn connections(&self) -> SqlConnections {
        SqlConnections::new(self.db.clone())
    }

    /// Messages.
    pub fn messages(&self) -> SqlMessages {
        SqlMessages::new(self.db.clone(), self.commits.clone())
    }

    /// The outbox: claims of `pending` messages, retries, the backlog.
    pub fn outbox(&self) -> crate::SqlOutbox {
        crate::SqlOutbox::new(self.db.clone())
    }

    /// Conversations and windows.
    pub fn conversations(&self) -> SqlConversations {
        SqlConversations::new(self.db.clone(), self.commits.clone())
    }

    /// Tenants' API keys (the app's authentication).
    pub fn api_keys(&self) -> crate::SqlApiKeys {
        crate::SqlApiKeys::new(self.db.clone())
    }

    /// Meta's webhooks, stored raw.
    pub fn webhook_inbox(&self) -> crate::SqlWebhookInbox {
        crate::SqlWebhookInbox::new(self.db.clone())
    }

    /// Tenants' outbound event endpoints, their cursors and leases, and dead letters.
    pub fn event_endpoints(&self) -> crate::SqlEventEndpoints {
        crate::SqlEventEndpoints::new(self.db.clone())
    }

    /// The tenants' event logs.
    pub fn events(&self) -> crate::SqlEvents {
        crate::SqlEvents::new(self.db.clone())
    }

    /// Whether the database answers.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when it does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        crate::repo::ping(&self.db).await
    }

    /// Embedded Signup progress.
    pub fn signups(&self) -> crate::SqlSignups {
        crate::SqlSignups::new(self.db.clone())
    }

    /// Synced message templates.
    pub fn templates(&self) -> crate::SqlTemplates {
        crate::SqlTemplates::new(self.db.clone())
    }

    /// Connections across tenants (the health worker, account webhooks).
    pub fn connection_directory(&self) -> crate::SqlConnectionDirectory {
        crate::SqlConnectionDirectory::new(self.db.clone())
    }

    /// Sealed credentials, for `wa-vault`.
    pub fn credentials(&self) -> SqlSealedCredentials {
        SqlSealedCredentials::new(self.db.clone())
    }
}

/// Creates the folder of a `sqlite://path?…` database file.
fn create_parent_folder(url: &str) -> Result<(), StoreError> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    match std::path::Path::new(path).parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Unavailable(Box::new(e)))
        }
        _ => Ok(()),
    }
}
