//! `event_endpoints` and `event_dead_letters`: where each tenant wants its events posted, how far
//! each endpoint has got (cursor), which process delivers it (lease), and the events it never
//! accepted (dead letters).
//!
//! The [`EventEndpointRepository`] port. Every method but `claim` takes the tenant and names it
//! in its `WHERE`; `claim` is the worker's cross-tenant pick of endpoints nobody delivers, as
//! the outbox's claim is.

use async_trait::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DeriveIden, QueryResult,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict, Order, Query},
};
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{
    ids::TenantId,
    ports::{DeadLetter, EventEndpoint, EventEndpointRepository, StoreError},
};

use crate::{
    convert::timestamp,
    error::{classify, corrupt},
};

#[derive(DeriveIden, Clone, Copy)]
enum EventEndpoints {
    Table,
    Id,
    TenantId,
    Url,
    EventTypes,
    Enabled,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    CursorSeq,
    ClaimedBy,
    ClaimedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum EventDeadLetters {
    Table,
    Id,
    TenantId,
    EndpointId,
    EventId,
    EventSeq,
    EventType,
    Body,
    Attempts,
    LastStatus,
    LastError,
    FirstAttemptAt,
    LastAttemptAt,
    DeadAt,
    RedeliverRequestedAt,
    DeliveredAt,
}

const ENDPOINT_COLUMNS: [EventEndpoints; 13] = [
    EventEndpoints::Id,
    EventEndpoints::TenantId,
    EventEndpoints::Url,
    EventEndpoints::EventTypes,
    EventEndpoints::Enabled,
    EventEndpoints::Secret,
    EventEndpoints::PreviousSecret,
    EventEndpoints::PreviousSecretUntil,
    EventEndpoints::CursorSeq,
    EventEndpoints::ClaimedBy,
    EventEndpoints::ClaimedUntil,
    EventEndpoints::CreatedAt,
    EventEndpoints::UpdatedAt,
];

const DEAD_LETTER_COLUMNS: [EventDeadLetters; 15] = [
    EventDeadLetters::Id,
    EventDeadLetters::TenantId,
    EventDeadLetters::EndpointId,
    EventDeadLetters::EventId,
    EventDeadLetters::EventSeq,
    EventDeadLetters::EventType,
    EventDeadLetters::Body,
    EventDeadLetters::Attempts,
    EventDeadLetters::LastStatus,
    EventDeadLetters::LastError,
    EventDeadLetters::FirstAttemptAt,
    EventDeadLetters::LastAttemptAt,
    EventDeadLetters::DeadAt,
    EventDeadLetters::RedeliverRequestedAt,
    EventDeadLetters::DeliveredAt,
];

/// Endpoints, cursors, leases and dead letters.
#[derive(Debug, Clone)]
pub struct SqlEventEndpoints {
    db: DatabaseConnection,
}

impl SqlEventEndpoints {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    fn time(&self, at: OffsetDateTime) -> Expr {
        Expr::val(timestamp::value(self.db.get_database_backend(), at))
    }

    fn no_time(&self) -> Expr {
        Expr::val(timestamp::optional(self.db.get_database_backend(), None))
    }
}

#[async_trait]
impl EventEndpointRepository for SqlEventEndpoints {
    /// Stores a new endpoint (its cursor as given: the tenant's head when it is created).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown tenant, [`StoreError::Duplicate`] for a known id;
    /// otherwise storage failures.
    async fn insert(&self, row: &EventEndpoint) -> Result<(), StoreError> {
        let stmt = Query::insert()
            .into_table(EventEndpoints::Table)
            .columns([
                EventEndpoints::Id,
                EventEndpoints::TenantId,
                EventEndpoints::Url,
                EventEndpoints::EventTypes,
                EventEndpoints::Enabled,
                EventEndpoints::Secret,
                EventEndpoints::CursorSeq,
                EventEndpoints::CreatedAt,
                EventEndpoints::UpdatedAt,
            ])
            .values_panic([
                row.id.into(),
                row.tenant_id.as_uuid().into(),
                row.url.clone().into(),
                row.event_types.as_ref().map(|types| types.join(",")).into(),
                row.enabled.into(),
                row.secret.clone().into(),
                seq_value(row.cursor_seq).into(),
                self.time(row.created_at),
                self.time(row.updated_at),
            ])
            .to_owned();
        self.db.execute(&stmt).await.map_err(classify)?;
        Ok(())
    }

    /// The tenant's endpoints, oldest first.
    ///
    /// # Errors
    /// Storage failures.
    async fn list(&self, tenant: TenantId) -> Result<Vec<EventEndpoint>, StoreError> {
        let stmt = Query::select()
            .columns(ENDPOINT_COLUMNS)
            .from(EventEndpoints::Table)
            .and_where(Expr::col(EventEndpoints::TenantId).eq(tenant.as_uuid()))
            .order_by(EventEndpoints::CreatedAt, Order::Asc)
            .order_by(EventEndpoints::Id, Order::Asc)
            .to_owned();
        let rows = self.db.query_all(&stmt).await.map_err(classify)?;
        rows.iter().map(endpoint_row).collect()
    }

    /// One endpoint of the tenant.
    ///
    /// # Errors
    /// Storage failures.
    async fn get(&self, tenant: TenantId, id: Uuid) -> Result<Option<EventEndpoint>, StoreError> {
        let stmt = Query::select()
            .columns(ENDPOINT_COLUMNS)
            .from(EventEndpoints::Table)
            .and_where(Expr::col(EventEndpoints::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(EventEndpoints::Id).eq(id))
            .to_owned();
        let row = self.db.query_one(&stmt).await.map_err(classify)?;
        row.as_ref().map(endpoint_row).transpose()
    }

    /// Deletes an endpoint (and, by cascade, its dead letters); `false` when there was none.
    ///
    /// # Errors
    /// Storage failures.
    async fn delete(&self, tenant: TenantId, id: Uuid) -> Result<bool, StoreError> {
        // Dead letters first: SQLite enforces the cascade only with foreign keys on, which a
        // caller's own connection may not have.
        let letters = Query::delete()
            .from_table(EventDeadLetters::Table)
            .and_where(Expr::col(EventDeadLetters::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(EventDeadLetters::EndpointId).eq(id))
            .to_owned();
        self.db.execute(&letters).await.map_err(classify)?;
        let stmt = Query::delete()
            .from_table(EventEndpoints::Table)
            .and_where(Expr::col(EventEndpoints::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(EventEndpoints::Id).eq(id))
            .to_owned();
        let result = self.db.execute(&stmt).await.map_err(classify)?;
        Ok(result.rows_affected() > 0)
    }

    /// Replaces the signing secret; the current one becomes the previous one, still signing
    /// until `previous_until`. One statement: both `SET`s read the row as it was.
    ///
    /// # Errors
    /// Storage failures; `Ok(false)` when the endpoint does not exist.
    async fn rotate_secret(
        &self,
        tenant: TenantId,
        id: Uuid,
        sealed: Vec<u8>,
        previous_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let stmt = Query::update()
            .table(EventEndpoints::Table)
            .value(
                EventEndpoints::PreviousSecret,
                Expr::col(EventEndpoints::Secret),
            )
            .value(EventEndpoints::Secret, sealed)
            .value(
                EventEndpoints::PreviousSecretUntil,
                self.time(previous_until),
            )
            .value(EventEndpoints::UpdatedAt, self.time(now))
            .and_where(Expr::col(EventEndpoints::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(EventEndpoints::Id).eq(id))
            .to_owned();
        let result = self.db.execute(&stmt).await.map_err(classify)?;
        Ok(result.rows_affected() > 0)
    }

    /// Claims up to `limit` enabled endpoints of any tenant that nobody delivers (no lease, or
    /// a lapsed one) for `owner` until `lease_until`. On PostgreSQL concurrent claimers skip
    /// each other's rows (`SKIP LOCKED`), so two processes never hold one endpoint.
    ///
    /// # Errors
    /// Storage failures.
    async fn claim(
        &self,
        owner: Uuid,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<EventEndpoint>, StoreError> {
        let backend = self.db.get_database_backend();
        let mut free = Query::select();
        free.column(EventEndpoints::Id)
            .from(EventEndpoints::Table)
            .and_where(Expr::col(EventEndpoints::Enabled).eq(true))
            .and_where(
                Expr::col(EventEndpoints::ClaimedUntil)
                    .is_null()
                    .or(Expr::col(EventEndpoints::ClaimedUntil).lt(self.time(now))),
            )
            .order_by(EventEndpoints::ClaimedUntil, Order::Asc)
            .limit(u64::from(limit));
        if backend == DbBackend::Postgres {
            free.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let stmt = Query::update()
            .table(EventEndpoints::Table)
            .value(EventEndpoints::ClaimedBy, owner)
            .value(EventEndpoints::ClaimedUntil, self.time(lease_until))
            .and_where(Expr::col(EventEndpoints::Id).in_subquery(free))
            // Checked again on the row itself: on PostgreSQL a row whose lease was renewed
            // between the subquery's snapshot and the update is re-evaluated and left alone.
            .and_where(
                Expr::col(EventEndpoints::ClaimedUntil)
                    .is_null()
                    .or(Expr::col(EventEndpoints::ClaimedUntil).lt(self.time(now))),
            )
            .returning(Query::returning().columns(ENDPOINT_COLUMNS))
            .to_owned();
        let rows = self.db.query_all(&stmt).await.map_err(classify)?;
        rows.iter().map(endpoint_row).collect()
    }

    /// Extends `owner`'s lease; `false` when the lease is no longer `owner`'s (it lapsed and
    /// another process took it, or the endpoint was deleted or disabled): stop delivering then.
    ///
    /// # Errors
    /// Storage failures.
    async fn renew(
        &self,
        tenant: TenantId,
        id: Uuid,
        owner: Uuid,
        lease_until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let stmt = Query::update()
            .table(EventEndpoints::Table)
            .value(EventEndpoints::ClaimedUntil, self.time(lease_until))
            .and_where(Expr::col(EventEndpoints::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(EventEndpoints::Id).eq(id))
            .and_where(Expr::col(EventEndpoints::ClaimedBy).eq(owner))
            .and_where(Expr::col(EventEndpoints::Enabled).eq(true))
            .to_owned();
        let result = self.db.execute(&stmt).await.map_err(classify)?;
        Ok(result.rows_affected() > 0)
    }

    /// Gives `owner`'s lease back (at shutdown), so another process can take it at once.
    ///
    /// # Errors
    /// Storage failures.
    async fn release(&self, tenant: TenantId, id: Uuid, owner: Uuid) -> Result<(), StoreError> {
        let stmt = Query::update()
            .table(EventEndpoints::Table)
            .value(EventEndpoints::ClaimedBy, Option::<Uuid>::None)
            .value(EventEndpoints::ClaimedUntil, self.no_time())
            .and_where(Expr::col(EventEndpoints::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(EventEndpoints::Id).eq(id))
            .and_where(Expr::col(EventEndpoints::ClaimedBy).eq(owner))
            .to_owned();
        self.db.execute(&stmt).await.map_err(classify)?;
        Ok(())
    }

    /// Moves the cursor forward to `seq` while `owner` holds the lease; never backwards.
    /// `false` when the lease is not `owner`'s any more.
    ///
    /// # Errors
    /// Storage failures.
    async fn advance_cursor(
        &self,
        tenant: TenantId,
        id: Uuid,
        owner: Uuid,
        seq: u64,
    ) -> Result<bool, StoreError> {
        let seq = seq_value(seq);
        let stmt = Query::update()
            .table(EventEndpoints::Table)
            .value(
                EventEndpoints::CursorSeq,
                Expr::case(Expr::col(EventEndpoints::CursorSeq).lt(seq), seq)
                    .finally(Expr::col(EventEndpoints::CursorSeq)),
            )
            .and_where(Expr::col(EventEndpoints::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(EventEndpoints::Id).eq(id))
            .and_where(Expr::col(EventEndpoints::ClaimedBy).eq(owner))
            .to_owned();
        let result = self.db.execute(&stmt).await.map_err(classify)?;
        Ok(result.rows_affected() > 0)
    }

    /// Stores a dead letter, or updates the one of the same event (a failed redelivery): the
    /// attempts add up, the first attempt stays, the redelivery request is cleared.
    ///
    /// # Errors
    /// Storage failures.
    async fn put_dead_letter(&self, row: &DeadLetter) -> Result<(), StoreError> {
        let stmt = Query::insert()
            .into_table(EventDeadLetters::Table)
            .columns(DEAD_LETTER_COLUMNS)
            .values_panic([
                row.id.into(),
                row.tenant_id.as_uuid().into(),
                row.endpoint_id.into(),
                row.event_id.into(),
                seq_value(row.event_seq).into(),
                row.event_type.clone().into(),
                row.body.clone().into(),
                i32::try_from(row.attempts).unwrap_or(i32::MAX).into(),
                row.last_status.map(i32::from).into(),
                row.last_error
                    .as_ref()
                    .map(|e| e.chars().take(2000).collect::<String>())
                    .into(),
                self.time(row.first_attempt_at),
                self.time(row.last_attempt_at),
                self.time(row.dead_at),
                self.no_time(),
                self.no_time(),
            ])
            .on_conflict(
                OnConflict::columns([EventDeadLetters::EndpointId, EventDeadLetters::EventId])
                    .value(
                        EventDeadLetters::Attempts,
                        Expr::col((EventDeadLetters::Table, EventDeadLetters::Attempts)).add(
                            Expr::col((
                                sea_orm::sea_query::Alias::new("excluded"),
                                EventDeadLetters::Attempts,
                            )),
                        ),
                    )
                    .update_columns([
                        EventDeadLetters::LastStatus,
                        EventDeadLetters::LastError,
                        EventDeadLetters::LastAttemptAt,
                        EventDeadLetters::DeadAt,
                        EventDeadLetters::RedeliverRequestedAt,
                        EventDeadLetters::DeliveredAt,
                    ])
                    .to_owned(),
            )
            .to_owned();
        self.db.execute(&stmt).await.map_err(classify)?;
        Ok(())
    }

    /// The endpoint's dead letters not redelivered yet, oldest first, after `after` (an id).
    ///
    /// # Errors
    /// Storage failures.
    async fn dead_letters(
        &self,
        tenant: TenantId,
        endpoint: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let mut stmt = Query::select();
        stmt.columns(DEAD_LETTER_COLUMNS)
            .from(EventDeadLetters::Table)
            .and_where(Expr::col(EventDeadLetters::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(EventDeadLetters::EndpointId).eq(endpoint))
            .and_where(Expr::col(EventDeadLetters::DeliveredAt).is_null())
            .order_by(EventDeadLetters::Id, Order::Asc)
            .limit(u64::from(limit));
        if let Some(after) = after {
            stmt.and_where(Expr::col(EventDeadLetters::Id).gt(after));
        }
        let rows = self.db.query_all(&stmt).await.map_err(classify)?;
        rows.iter().map(dead_letter_row).collect()
    }

    /// Asks for the redelivery of the endpoint's dead letters (all of them, or those of `ids`);
    /// returns how many were marked.
    ///
    /// # Errors
    /// Storage failures.
    async fn request_redelivery(
        &self,
        tenant: TenantId,
        endpoint: Uuid,
        ids: Option<Vec<Uuid>>,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let mut stmt = Query::update();
        stmt.table(EventDeadLetters::Table)
            .value(EventDeadLetters::RedeliverRequestedAt, self.time(now))
            .and_where(Expr::col(EventDeadLetters::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(EventDeadLetters::EndpointId).eq(endpoint))
            .and_where(Expr::col(EventDeadLetters::DeliveredAt).is_null())
            .and_where(Expr::col(EventDeadLetters::RedeliverRequestedAt).is_null());
        if let Some(ids) = ids {
            stmt.and_where(Expr::col(EventDeadLetters::Id).is_in(ids.iter().copied()));
        }
        let result = self.db.execute(&stmt).await.map_err(classify)?;
        Ok(result.rows_affected())
    }

    /// Dead letters waiting for their redelivery, oldest request first.
    ///
    /// # Errors
    /// Storage failures.
    async fn due_redeliveries(
        &self,
        tenant: TenantId,
        endpoint: Uuid,
        limit: u32,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let stmt = Query::select()
            .columns(DEAD_LETTER_COLUMNS)
            .from(EventDeadLetters::Table)
            .and_where(Expr::col(EventDeadLetters::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(EventDeadLetters::EndpointId).eq(endpoint))
            .and_where(Expr::col(EventDeadLetters::DeliveredAt).is_null())
            .and_where(Expr::col(EventDeadLetters::RedeliverRequestedAt).is_not_null())
            .order_by(EventDeadLetters::RedeliverRequestedAt, Order::Asc)
            .order_by(EventDeadLetters::Id, Order::Asc)
            .limit(u64::from(limit))
            .to_owned();
        let rows = self.db.query_all(&stmt).await.map_err(classify)?;
        rows.iter().map(dead_letter_row).collect()
    }

    /// Records a successful redelivery.
    ///
    /// # Errors
    /// Storage failures.
    async fn mark_redelivered(
        &self,
        tenant: TenantId,
        id: Uuid,
        attempts: u32,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let stmt = Query::update()
            .table(EventDeadLetters::Table)
            .value(EventDeadLetters::DeliveredAt, self.time(at))
            .value(EventDeadLetters::LastAttemptAt, self.time(at))
            .value(
                EventDeadLetters::Attempts,
                Expr::col(EventDeadLetters::Attempts)
                    .add(i32::try_from(attempts).unwrap_or(i32::MAX)),
            )
            .value(EventDeadLetters::RedeliverRequestedAt, self.no_time())
            .and_where(Expr::col(EventDeadLetters::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(EventDeadLetters::Id).eq(id))
            .to_owned();
        self.db.execute(&stmt).await.map_err(classify)?;
        Ok(())
    }
}

/// Seqs are `BIGINT`: far beyond any real log, so the saturation never happens.
fn seq_value(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn seq_of(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn endpoint_row(row: &QueryResult) -> Result<EventEndpoint, StoreError> {
    let bad = |e: sea_orm::DbErr| corrupt("event_endpoints", e);
    let types: Option<String> = row.try_get("", "event_types").map_err(bad)?;
    Ok(EventEndpoint {
        id: row.try_get("", "id").map_err(bad)?,
        tenant_id: TenantId::from_uuid(row.try_get("", "tenant_id").map_err(bad)?),
        url: row.try_get("", "url").map_err(bad)?,
        event_types: types.map(|t| {
            t.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        }),
        enabled: row.try_get("", "enabled").map_err(bad)?,
        secret: row.try_get("", "secret").map_err(bad)?,
        previous_secret: row.try_get("", "previous_secret").map_err(bad)?,
        previous_secret_until: row.try_get("", "previous_secret_until").map_err(bad)?,
        cursor_seq: seq_of(row.try_get("", "cursor_seq").map_err(bad)?),
        created_at: row.try_get("", "created_at").map_err(bad)?,
        updated_at: row.try_get("", "updated_at").map_err(bad)?,
    })
}

fn dead_letter_row(row: &QueryResult) -> Result<DeadLetter, StoreError> {
    let bad = |e: sea_orm::DbErr| corrupt("event_dead_letters", e);
    let status: Option<i32> = row.try_get("", "last_status").map_err(bad)?;
    Ok(DeadLetter {
        id: row.try_get("", "id").map_err(bad)?,
        tenant_id: TenantId::from_uuid(row.try_get("", "tenant_id").map_err(bad)?),
        endpoint_id: row.try_get("", "endpoint_id").map_err(bad)?,
        event_id: row.try_get("", "event_id").map_err(bad)?,
        event_seq: seq_of(row.try_get("", "event_seq").map_err(bad)?),
        event_type: row.try_get("", "event_type").map_err(bad)?,
        body: row.try_get("", "body").map_err(bad)?,
        attempts: u32::try_from(row.try_get::<i32>("", "attempts").map_err(bad)?).unwrap_or(0),
        last_status: status.and_then(|s| u16::try_from(s).ok()),
        last_error: row.try_get("", "last_error").map_err(bad)?,
        first_attempt_at: row.try_get("", "first_attempt_at").map_err(bad)?,
        last_attempt_at: row.try_get("", "last_attempt_at").map_err(bad)?,
        dead_at: row.try_get("", "dead_at").map_err(bad)?,
        redeliver_requested_at: row.try_get("", "redeliver_requested_at").map_err(bad)?,
        delivered_at: row.try_get("", "delivered_at").map_err(bad)?,
    })
}
