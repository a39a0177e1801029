//! `webhook_inbox`: Meta's webhooks stored raw before they are answered, claimed with a lease,
//! parked after their last attempt ([`WebhookInbox`]).

use async_trait::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DeriveIden,
    sea_query::{Alias, Expr, ExprTrait, Func, LockBehavior, LockType, Order, Query},
};
use time::OffsetDateTime;
use wa_domain::ports::{self, InboxItem, ParkedBody, StoreError};

use crate::{
    convert::timestamp,
    error::{classify, corrupt},
};

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

/// Meta's webhooks, stored raw, claimed with a lease.
#[derive(Debug, Clone)]
pub struct SqlWebhookInbox {
    db: DatabaseConnection,
}

impl SqlWebhookInbox {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
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

#[async_trait]
impl ports::WebhookInbox for SqlWebhookInbox {
    /// Stores a body; returns its id.
    ///
    /// # Errors
    /// Storage failures.
    async fn push(&self, body: &[u8], received_at: OffsetDateTime) -> Result<i64, StoreError> {
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
    async fn claim(
        &self,
        limit: u32,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Vec<InboxItem>, StoreError> {
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
                Ok(InboxItem {
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
    async fn complete(&self, ids: &[i64], at: OffsetDateTime) -> Result<(), StoreError> {
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
    async fn release(
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
    async fn park(&self, id: i64, error: &str, at: OffsetDateTime) -> Result<(), StoreError> {
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
    async fn parked(&self, limit: u32) -> Result<Vec<ParkedBody>, StoreError> {
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
                Ok(ParkedBody {
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
    async fn replay(&self, id: Option<i64>, now: OffsetDateTime) -> Result<u64, StoreError> {
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
    async fn parked_count(&self) -> Result<u64, StoreError> {
        self.count(Expr::col(WebhookInbox::ParkedAt).is_not_null())
            .await
    }

    /// Bodies not processed yet (parked ones excepted).
    ///
    /// # Errors
    /// Storage failures.
    async fn backlog(&self) -> Result<u64, StoreError> {
        self.count(Expr::col(WebhookInbox::ParkedAt).is_null())
            .await
    }
}
