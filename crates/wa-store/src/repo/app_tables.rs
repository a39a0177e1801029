//! The app's own tables: `api_keys` (tenants' API keys, hashed) and `webhook_inbox` (Meta's
//! webhooks stored raw before they are answered).
//!
//! They are not ports of `wa-domain` (authentication and durable receipt are edge concerns of
//! the app), so they are plain types with inherent methods that the app adapts.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DeriveIden,
    sea_query::{Alias, Expr, ExprTrait, Func, LockBehavior, LockType, Order, Query},
};
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{ids::TenantId, ports::StoreError};

use crate::{
    convert::timestamp,
    error::{classify, corrupt},
};

#[derive(DeriveIden, Clone, Copy)]
enum ApiKeys {
    Table,
    Id,
    TenantId,
    KeyHash,
    Prefix,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookInbox {
    Table,
    Id,
    ReceivedAt,
    Body,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    ProcessedAt,
    LastError,
    ParkedAt,
}

/// Tenants' API keys, by SHA-256 hash.
#[derive(Debug, Clone)]
pub struct ApiKeyRows {
    db: DatabaseConnection,
}

impl ApiKeyRows {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Stores a key's hash for a tenant.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] for a hash already stored, [`StoreError::NotFound`] for an
    /// unknown tenant; otherwise storage failures.
    pub async fn insert(
        &self,
        tenant: TenantId,
        hash: &[u8; 32],
        prefix: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let stmt = Query::insert()
            .into_table(ApiKeys::Table)
            .columns([
                ApiKeys::Id,
                ApiKeys::TenantId,
                ApiKeys::KeyHash,
                ApiKeys::Prefix,
                ApiKeys::CreatedAt,
            ])
            .values_panic([
                Uuid::now_v7().into(),
                tenant.as_uuid().into(),
                hash.to_vec().into(),
                prefix.into(),
                Expr::val(timestamp::value(backend, at)),
            ])
            .to_owned();
        self.db.execute(&stmt).await.map_err(classify)?;
        Ok(())
    }

    /// The tenant owning a key hash, unless the key is unknown or revoked.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn find_tenant(&self, hash: &[u8; 32]) -> Result<Option<TenantId>, StoreError> {
        let stmt = Query::select()
            .column(ApiKeys::TenantId)
            .from(ApiKeys::Table)
            .and_where(Expr::col(ApiKeys::KeyHash).eq(hash.to_vec()))
            .and_where(Expr::col(ApiKeys::RevokedAt).is_null())
            .to_owned();
        let Some(row) = self.db.query_one(&stmt).await.map_err(classify)? else {
            return Ok(None);
        };
        let tenant: Uuid = row
            .try_get("", "tenant_id")
            .map_err(|e| corrupt("api_keys", e.to_string()))?;
        Ok(Some(TenantId::from_uuid(tenant)))
    }
}

/// A stored webhook body claimed for processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    /// Its id (arrival order).
    pub id: i64,
    /// The raw body.
    pub body: Vec<u8>,
    /// Earlier processing attempts.
    pub attempts: u32,
}

/// A parked webhook body, as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedRow {
    /// Its id (arrival order).
    pub id: i64,
    /// When it was received.
    pub received_at: OffsetDateTime,
    /// Processing attempts made.
    pub attempts: u32,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When it was parked.
    pub parked_at: OffsetDateTime,
}

/// Meta's webhooks, stored raw, claimed with a lease.
#[derive(Debug, Clone)]
pub struct WebhookInboxRows {
    db: DatabaseConnection,
}

impl WebhookInboxRows {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Stores a body; returns its id.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn push(&self, body: &[u8], received_at: OffsetDateTime) -> Result<i64, StoreError> {
        let backend = self.db.get_database_backend();
        let at = timestamp::value(backend, received_at);
        let stmt = Query::insert()
            .into_table(WebhookInbox::Table)
            .columns([
                WebhookInbox::ReceivedAt,
                WebhookInbox::Body,
                WebhookInbox::Attempts,
                WebhookInbox::NextAttemptAt,
            ])
            .values_panic([
                Expr::val(at.clone()),
                body.to_vec().into(),
                0i32.into(),
                Expr::val(at),
            ])
            .returning_col(WebhookInbox::Id)
            .to_owned();
        let row = self
            .db
            .query_one(&stmt)
            .await
            .map_err(classify)?
            .ok_or_else(|| corrupt("webhook_inbox", "insert returned no id"))?;
        row.try_get::<i64>("", "id")
            .map_err(|e| corrupt("webhook_inbox", e.to_string()))
    }

    /// Claims up to `limit` due, unclaimed (or lease-expired) bodies, oldest first, until
    /// `lease_until`. On PostgreSQL concurrent claimers skip each other's rows (`SKIP LOCKED`).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn claim(
        &self,
        limit: u32,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Vec<InboxRow>, StoreError> {
        let backend = self.db.get_database_backend();
        let now = timestamp::value(backend, now);
        let mut due = Query::select();
        due.column(WebhookInbox::Id)
            .from(WebhookInbox::Table)
            .and_where(Expr::col(WebhookInbox::ProcessedAt).is_null())
            .and_where(Expr::col(WebhookInbox::ParkedAt).is_null())
            .and_where(Expr::col(WebhookInbox::NextAttemptAt).lte(Expr::val(now.clone())))
            .and_where(
                Expr::col(WebhookInbox::ClaimedUntil)
                    .is_null()
                    .or(Expr::col(WebhookInbox::ClaimedUntil).lt(Expr::val(now))),
            )
            .order_by(WebhookInbox::Id, Order::Asc)
            .limit(u64::from(limit));
        if backend == DbBackend::Postgres {
            due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let stmt = Query::update()
            .table(WebhookInbox::Table)
            .value(
                WebhookInbox::ClaimedUntil,
                Expr::val(timestamp::value(backend, lease_until)),
            )
            .and_where(Expr::col(WebhookInbox::Id).in_subquery(due))
            .returning(Query::returning().columns([
                WebhookInbox::Id,
                WebhookInbox::Body,
                WebhookInbox::Attempts,
            ]))
            .to_owned();
        let rows = self.db.query_all(&stmt).await.map_err(classify)?;
        let mut items = rows
            .into_iter()
            .map(|row| {
                let bad = |e: sea_orm::DbErr| corrupt("webhook_inbox", e);
                Ok(InboxRow {
                    id: row.try_get("", "id").map_err(bad)?,
                    body: row.try_get("", "body").map_err(bad)?,
                    attempts: u32::try_from(row.try_get::<i32>("", "attempts").map_err(bad)?)
                        .unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        items.sort_by_key(|item| item.id);
        Ok(items)
    }

    /// Marks bodies processed, in one statement.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn complete(&self, ids: &[i64], at: OffsetDateTime) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let backend = self.db.get_database_backend();
        let stmt = Query::update()
            .table(WebhookInbox::Table)
            .value(
                WebhookInbox::ProcessedAt,
                Expr::val(timestamp::value(backend, at)),
            )
            .value(
                WebhookInbox::ClaimedUntil,
                Expr::val(timestamp::optional(backend, None)),
            )
            .and_where(Expr::col(WebhookInbox::Id).is_in(ids.iter().copied()))
            .to_owned();
        self.db.execute(&stmt).await.map_err(classify)?;
        Ok(())
    }

    /// Gives a body back after a failure, due again at `retry_at`.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn release(
        &self,
        id: i64,
        error: &str,
        retry_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let error: String = error.chars().take(2000).collect();
        let stmt = Query::update()
            .table(WebhookInbox::Table)
            .value(
                WebhookInbox::Attempts,
                Expr::col(WebhookInbox::Attempts).add(1),
            )
            .value(WebhookInbox::LastError, error)
            .value(
                WebhookInbox::NextAttemptAt,
                Expr::val(timestamp::value(backend, retry_at)),
            )
            .value(
                WebhookInbox::ClaimedUntil,
                Expr::val(timestamp::optional(backend, None)),
            )
            .and_where(Expr::col(WebhookInbox::Id).eq(id))
            .to_owned();
        self.db.execute(&stmt).await.map_err(classify)?;
        Ok(())
    }

    /// Parks a body after its last allowed attempt: counted, its error kept, left alone by
    /// [`Self::claim`] until [`Self::replay`].
    ///
    /// # Errors
    /// Storage failures.
    pub async fn park(&self, id: i64, error: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let error: String = error.chars().take(2000).collect();
        let stmt = Query::update()
            .table(WebhookInbox::Table)
            .value(
                WebhookInbox::Attempts,
                Expr::col(WebhookInbox::Attempts).add(1),
            )
            .value(WebhookInbox::LastError, error)
            .value(
                WebhookInbox::ParkedAt,
                Expr::val(timestamp::value(backend, at)),
            )
            .value(
                WebhookInbox::ClaimedUntil,
                Expr::val(timestamp::optional(backend, None)),
            )
            .and_where(Expr::col(WebhookInbox::Id).eq(id))
            .to_owned();
        self.db.execute(&stmt).await.map_err(classify)?;
        Ok(())
    }

    /// Parked bodies, oldest first, at most `limit` (without their bodies).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn parked(&self, limit: u32) -> Result<Vec<ParkedRow>, StoreError> {
        let stmt = Query::select()
            .columns([
                WebhookInbox::Id,
                WebhookInbox::ReceivedAt,
                WebhookInbox::Attempts,
                WebhookInbox::LastError,
                WebhookInbox::ParkedAt,
            ])
            .from(WebhookInbox::Table)
            .and_where(Expr::col(WebhookInbox::ParkedAt).is_not_null())
            .and_where(Expr::col(WebhookInbox::ProcessedAt).is_null())
            .order_by(WebhookInbox::Id, Order::Asc)
            .limit(u64::from(limit))
            .to_owned();
        let rows = self.db.query_all(&stmt).await.map_err(classify)?;
        rows.into_iter()
            .map(|row| {
                let bad = |e: sea_orm::DbErr| corrupt("webhook_inbox", e);
                Ok(ParkedRow {
                    id: row.try_get("", "id").map_err(bad)?,
                    received_at: row.try_get("", "received_at").map_err(bad)?,
                    attempts: u32::try_from(row.try_get::<i32>("", "attempts").map_err(bad)?)
                        .unwrap_or(0),
                    last_error: row.try_get("", "last_error").map_err(bad)?,
                    parked_at: row.try_get("", "parked_at").map_err(bad)?,
                })
            })
            .collect()
    }

    /// Puts parked bodies back in the queue, due at `now` with their attempts reset: the one
    /// given, or all of them. Returns how many were parked.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn replay(&self, id: Option<i64>, now: OffsetDateTime) -> Result<u64, StoreError> {
        let backend = self.db.get_database_backend();
        let mut stmt = Query::update();
        stmt.table(WebhookInbox::Table)
            .value(
                WebhookInbox::ParkedAt,
                Expr::val(timestamp::optional(backend, None)),
            )
            .value(WebhookInbox::Attempts, 0i32)
            .value(
                WebhookInbox::NextAttemptAt,
                Expr::val(timestamp::value(backend, now)),
            )
            .and_where(Expr::col(WebhookInbox::ParkedAt).is_not_null())
            .and_where(Expr::col(WebhookInbox::ProcessedAt).is_null());
        if let Some(id) = id {
            stmt.and_where(Expr::col(WebhookInbox::Id).eq(id));
        }
        let result = self.db.execute(&stmt).await.map_err(classify)?;
        Ok(result.rows_affected())
    }

    /// Bodies parked and not replayed.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn parked_count(&self) -> Result<u64, StoreError> {
        self.count(Expr::col(WebhookInbox::ParkedAt).is_not_null())
            .await
    }

    /// Bodies not processed yet (parked ones excepted).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn backlog(&self) -> Result<u64, StoreError> {
        self.count(Expr::col(WebhookInbox::ParkedAt).is_null())
            .await
    }

    /// Unprocessed bodies matching `condition`.
    async fn count(&self, condition: Expr) -> Result<u64, StoreError> {
        let stmt = Query::select()
            .expr_as(Func::count(Expr::col(WebhookInbox::Id)), Alias::new("n"))
            .from(WebhookInbox::Table)
            .and_where(Expr::col(WebhookInbox::ProcessedAt).is_null())
            .and_where(condition)
            .to_owned();
        let row = self.db.query_one(&stmt).await.map_err(classify)?;
        let count: i64 = match row {
            Some(row) => row
                .try_get("", "n")
                .map_err(|e| corrupt("webhook_inbox", format!("{e:?}")))?,
            None => 0,
        };
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

/// Whether a database answers a trivial query.
pub(crate) async fn ping(db: &DatabaseConnection) -> Result<(), StoreError> {
    let stmt = Query::select().expr(Expr::val(1)).to_owned();
    db.query_one(&stmt).await.map_err(classify)?;
    Ok(())
}
