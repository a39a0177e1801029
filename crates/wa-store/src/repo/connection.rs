//! [`ConnectionRepository`] over `whatsapp_connections`.
//!
//! A health change appends `connection.health` in the same transaction (last, after the
//! connection's row lock); confirming the health it already has appends nothing.

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Value,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{
    connection::{Connection, ConnectionHealth, PhoneNumberInfo},
    event::{ConnectionHealthChanged, EventPayload, NewEvent},
    ids::{PhoneNumberId, TenantId},
    ports::{ConnectionRepository, StoreError},
};

use crate::{
    convert::{self, timestamp},
    entity::whatsapp_connection::{self, Column},
    error::{classify, corrupt},
    repo::{begin_write, event_log::append_in, finish, insert_row, keep_unless},
};

/// Tenants' WhatsApp connections in the database.
#[derive(Debug, Clone)]
pub struct SqlConnections {
    db: DatabaseConnection,
}

impl SqlConnections {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn throughput(mps: u32) -> Value {
    i32::try_from(mps).unwrap_or(i32::MAX).into()
}

/// The health columns' write; `health_changed_at` records when the state last changed, not
/// when it was last confirmed.
async fn update_health<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    health: ConnectionHealth,
    reason: Option<String>,
    at: OffsetDateTime,
    verified_at: Option<OffsetDateTime>,
) -> Result<(), StoreError> {
    let backend = conn.get_database_backend();
    let changed_at = Expr::case(
        Expr::col(Column::Status).ne(health.as_str()),
        Expr::val(timestamp::value(backend, at)),
    )
    .finally(Expr::col(Column::HealthChangedAt));
    let stmt = Query::update()
        .table(whatsapp_connection::Entity)
        .value(Column::HealthChangedAt, changed_at)
        .value(Column::Status, health.as_str())
        .value(Column::HealthReason, reason)
        .value(
            Column::VerifiedAt,
            keep_unless(
                Column::VerifiedAt,
                timestamp::optional(backend, verified_at),
            ),
        )
        .value(
            Column::UpdatedAt,
            Expr::val(timestamp::value(backend, OffsetDateTime::now_utc())),
        )
        .and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
        .to_owned();
    let result = conn.execute(&stmt).await.map_err(classify)?;
    if result.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

#[async_trait]
impl ConnectionRepository for SqlConnections {
    async fn get(&self, tenant: TenantId) -> Result<Option<Connection>, StoreError> {
        whatsapp_connection::Entity::find()
            .filter(Column::TenantId.eq(tenant.as_uuid()))
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(convert::connection::to_domain)
            .transpose()
    }

    async fn upsert(&self, connection: &Connection) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let now = OffsetDateTime::now_utc();
        let mut stmt = insert_row(
            whatsapp_connection::Entity,
            vec![
                (Column::Id, Value::from(Uuid::now_v7())),
                (Column::TenantId, connection.tenant_id.as_uuid().into()),
                (Column::WabaId, connection.waba_id.as_str().into()),
                (
                    Column::PhoneNumberId,
                    connection.phone_number_id.as_str().into(),
                ),
                (
                    Column::DisplayPhoneNumber,
                    connection.display_phone_number.clone().into(),
                ),
                (
                    Column::BusinessName,
                    connection.business_name.clone().into(),
                ),
                (Column::Status, connection.health.as_str().into()),
                (
                    Column::VerifiedAt,
                    timestamp::optional(backend, connection.verified_at),
                ),
                (Column::CreatedAt, timestamp::value(backend, now)),
                (Column::UpdatedAt, timestamp::value(backend, now)),
                (
                    Column::HealthReason,
                    connection.health_reason.clone().into(),
                ),
                (
                    Column::HealthChangedAt,
                    timestamp::value(backend, connection.health_changed_at),
                ),
                (Column::ThroughputMps, throughput(connection.throughput_mps)),
                (
                    Column::QualityRating,
                    connection.quality_rating.clone().into(),
                ),
                (
                    Column::MessagingLimit,
                    connection.messaging_limit.clone().into(),
                ),
            ],
        );
        // The tenant's previous connection is replaced in place (its id and created_at stay);
        // another tenant's phone number id still violates its own unique index: `Duplicate`.
        stmt.on_conflict(
            OnConflict::column(Column::TenantId)
                .update_columns([
                    Column::WabaId,
                    Column::PhoneNumberId,
                    Column::DisplayPhoneNumber,
                    Column::BusinessName,
                    Column::Status,
                    Column::VerifiedAt,
                    Column::UpdatedAt,
                    Column::HealthReason,
                    Column::HealthChangedAt,
                    Column::ThroughputMps,
                    Column::QualityRating,
                    Column::MessagingLimit,
                ])
                .to_owned(),
        );
        // An unknown tenant fails the foreign key, which `classify` reports as `NotFound`.
        self.db.execute(&stmt).await.map_err(classify)?;
        Ok(())
    }

    async fn set_health(
        &self,
        tenant: TenantId,
        health: ConnectionHealth,
        reason: Option<String>,
        at: OffsetDateTime,
        verified_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let txn = begin_write(&self.db).await?;
        let result = async {
            // The health before, row-locked on PostgreSQL (SQLite's write lock is held already).
            let mut select = Query::select();
            select
                .columns([Column::Status, Column::PhoneNumberId])
                .from(whatsapp_connection::Entity)
                .and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()));
            if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
                select.lock(sea_orm::sea_query::LockType::Update);
            }
            let row = txn
                .query_one(&select)
                .await
                .map_err(classify)?
                .ok_or(StoreError::NotFound)?;
            let status: String = row.try_get("", "status").map_err(classify)?;
            let phone_number_id: String = row.try_get("", "phone_number_id").map_err(classify)?;
            let previous = ConnectionHealth::parse(&status);
            update_health(&txn, tenant, health, reason.clone(), at, verified_at).await?;
            if previous != Some(health) {
                let event = NewEvent::new(
                    at,
                    EventPayload::ConnectionHealth(ConnectionHealthChanged {
                        phone_number_id: PhoneNumberId::parse(phone_number_id)
                            .map_err(|e| corrupt("whatsapp_connections", e))?,
                        health,
                        previous,
                        reason,
                    }),
                );
                append_in(&txn, tenant, vec![event]).await?;
            }
            Ok(())
        }
        .await;
        finish(txn, result).await
    }

    async fn update_number_info(
        &self,
        tenant: TenantId,
        info: &PhoneNumberInfo,
    ) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        // Fields Meta did not report keep their stored value.
        let fields = [
            (Column::DisplayPhoneNumber, &info.display_phone_number),
            (Column::VerifiedName, &info.verified_name),
            (Column::QualityRating, &info.quality_rating),
            (Column::ThroughputLevel, &info.throughput_level),
            (Column::MessagingLimit, &info.messaging_limit),
            (Column::NameStatus, &info.name_status),
            (
                Column::CodeVerificationStatus,
                &info.code_verification_status,
            ),
            (Column::PlatformType, &info.platform_type),
        ];
        let mut stmt = Query::update();
        stmt.table(whatsapp_connection::Entity);
        for (column, value) in fields {
            stmt.value(column, keep_unless(column, value.clone().into()));
        }
        if info.throughput_level.is_some() {
            // The throughput follows the level; without a reported level the stored one stands.
            stmt.value(
                Column::ThroughputMps,
                Expr::val(throughput(info.throughput_mps())),
            );
        }
        stmt.value(
            Column::UpdatedAt,
            Expr::val(timestamp::value(backend, OffsetDateTime::now_utc())),
        )
        .and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()));
        let result = self.db.execute(&stmt).await.map_err(classify)?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn resolve_tenant(
        &self,
        phone_number_id: &PhoneNumberId,
    ) -> Result<Option<TenantId>, StoreError> {
        let row: Option<Uuid> = whatsapp_connection::Entity::find()
            .select_only()
            .column(Column::TenantId)
            .filter(Column::PhoneNumberId.eq(phone_number_id.as_str()))
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(classify)?;
        Ok(row.map(TenantId::from_uuid))
    }
}
