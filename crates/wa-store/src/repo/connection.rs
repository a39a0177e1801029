//! [`ConnectionRepository`] over `whatsapp_connections`: one row per business number, a tenant
//! may have several, one of them marked `is_default` (a partial unique index keeps it to one).
//!
//! A health change appends `connection.health` in the same transaction (last, after the
//! connection's row lock); confirming the health it already has appends nothing.
//!
//! Changing the default is two statements in one transaction, clearing the old mark before
//! setting the new one: PostgreSQL checks the unique index row by row, so one `UPDATE` flipping
//! both could see two defaults half-way.

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Value,
    sea_query::{Expr, ExprTrait, Query},
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
    number: &PhoneNumberId,
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
        .and_where(Expr::col(Column::PhoneNumberId).eq(number.as_str()))
        .to_owned();
    let result = conn.execute(&stmt).await.map_err(classify)?;
    if result.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The tenant's row of `number`, row-locked on PostgreSQL; `None` when the tenant has no such
/// number.
async fn locked_number<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    number: &PhoneNumberId,
) -> Result<Option<whatsapp_connection::Model>, StoreError> {
    let mut select = whatsapp_connection::Entity::find()
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .filter(Column::PhoneNumberId.eq(number.as_str()));
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select.one(conn).await.map_err(classify)
}

/// Makes `number` the tenant's only default: clears the old mark, then sets the new one.
async fn make_default<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    number: &PhoneNumberId,
) -> Result<(), StoreError> {
    let clear = Query::update()
        .table(whatsapp_connection::Entity)
        .value(Column::IsDefault, false)
        .and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
        .and_where(Expr::col(Column::IsDefault).eq(true))
        .and_where(Expr::col(Column::PhoneNumberId).ne(number.as_str()))
        .to_owned();
    conn.execute(&clear).await.map_err(classify)?;
    let set = Query::update()
        .table(whatsapp_connection::Entity)
        .value(Column::IsDefault, true)
        .and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
        .and_where(Expr::col(Column::PhoneNumberId).eq(number.as_str()))
        .to_owned();
    let result = conn.execute(&set).await.map_err(classify)?;
    if result.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Whether the tenant has a default number.
async fn has_default<C: ConnectionTrait>(conn: &C, tenant: TenantId) -> Result<bool, StoreError> {
    let found: Option<Uuid> = whatsapp_connection::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .filter(Column::IsDefault.eq(true))
        .into_tuple()
        .one(conn)
        .await
        .map_err(classify)?;
    Ok(found.is_some())
}

/// The columns an upsert writes on an existing number (its id, tenant and `created_at` stay).
fn number_values(backend: sea_orm::DbBackend, connection: &Connection) -> Vec<(Column, Value)> {
    vec![
        (Column::WabaId, connection.waba_id.as_str().into()),
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
        (
            Column::UpdatedAt,
            timestamp::value(backend, OffsetDateTime::now_utc()),
        ),
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
    ]
}

#[async_trait]
impl ConnectionRepository for SqlConnections {
    async fn get(&self, tenant: TenantId) -> Result<Option<Connection>, StoreError> {
        whatsapp_connection::Entity::find()
            .filter(Column::TenantId.eq(tenant.as_uuid()))
            .filter(Column::IsDefault.eq(true))
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(convert::connection::to_domain)
            .transpose()
    }

    async fn get_number(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
    ) -> Result<Option<Connection>, StoreError> {
        whatsapp_connection::Entity::find()
            .filter(Column::TenantId.eq(tenant.as_uuid()))
            .filter(Column::PhoneNumberId.eq(number.as_str()))
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(convert::connection::to_domain)
            .transpose()
    }

    async fn list(&self, tenant: TenantId) -> Result<Vec<Connection>, StoreError> {
        whatsapp_connection::Entity::find()
            .filter(Column::TenantId.eq(tenant.as_uuid()))
            .order_by_desc(Column::IsDefault)
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(convert::connection::to_domain)
            .collect()
    }

    async fn upsert(&self, connection: &Connection) -> Result<(), StoreError> {
        let tenant = connection.tenant_id;
        let number = &connection.phone_number_id;
        let txn = begin_write(&self.db).await?;
        let result = async {
            let backend = txn.get_database_backend();
            // Whose number it is, if anyone's: another tenant's is `Duplicate`.
            let owner: Option<Uuid> = whatsapp_connection::Entity::find()
                .select_only()
                .column(Column::TenantId)
                .filter(Column::PhoneNumberId.eq(number.as_str()))
                .into_tuple()
                .one(&txn)
                .await
                .map_err(classify)?;
            match owner {
                Some(owner) if owner != tenant.as_uuid() => return Err(StoreError::Duplicate),
                Some(_) => {
                    let mut stmt = Query::update();
                    stmt.table(whatsapp_connection::Entity);
                    for (column, value) in number_values(backend, connection) {
                        stmt.value(column, value);
                    }
                    stmt.and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
                        .and_where(Expr::col(Column::PhoneNumberId).eq(number.as_str()));
                    txn.execute(&stmt).await.map_err(classify)?;
                }
                None => {
                    let now = OffsetDateTime::now_utc();
                    let mut values = vec![
                        (Column::Id, Value::from(Uuid::now_v7())),
                        (Column::TenantId, tenant.as_uuid().into()),
                        (Column::PhoneNumberId, number.as_str().into()),
                        (Column::CreatedAt, timestamp::value(backend, now)),
                        (Column::IsDefault, false.into()),
                    ];
                    values.extend(number_values(backend, connection));
                    // An unknown tenant fails the foreign key (`NotFound`); a number another
                    // tenant stored meanwhile, the unique index (`Duplicate`).
                    txn.execute(&insert_row(whatsapp_connection::Entity, values))
                        .await
                        .map_err(classify)?;
                }
            }
            if connection.is_default || !has_default(&txn, tenant).await? {
                make_default(&txn, tenant, number).await?;
            }
            Ok(())
        }
        .await;
        finish(txn, result).await
    }

    async fn set_default(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
    ) -> Result<(), StoreError> {
        let txn = begin_write(&self.db).await?;
        let result = make_default(&txn, tenant, number).await;
        finish(txn, result).await
    }

    async fn remove(&self, tenant: TenantId, number: &PhoneNumberId) -> Result<(), StoreError> {
        let txn = begin_write(&self.db).await?;
        let result = async {
            let row = locked_number(&txn, tenant, number)
                .await?
                .ok_or(StoreError::NotFound)?;
            whatsapp_connection::Entity::delete_by_id(row.id)
                .exec(&txn)
                .await
                .map_err(classify)?;
            if row.is_default {
                let next: Option<String> = whatsapp_connection::Entity::find()
                    .select_only()
                    .column(Column::PhoneNumberId)
                    .filter(Column::TenantId.eq(tenant.as_uuid()))
                    .order_by_asc(Column::CreatedAt)
                    .order_by_asc(Column::Id)
                    .into_tuple()
                    .one(&txn)
                    .await
                    .map_err(classify)?;
                if let Some(next) = next {
                    let next = PhoneNumberId::parse(next)
                        .map_err(|e| corrupt("whatsapp_connections", e))?;
                    make_default(&txn, tenant, &next).await?;
                }
            }
            Ok(())
        }
        .await;
        finish(txn, result).await
    }

    async fn set_health(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        health: ConnectionHealth,
        reason: Option<String>,
        at: OffsetDateTime,
        verified_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let txn = begin_write(&self.db).await?;
        let result = async {
            // The health before, row-locked on PostgreSQL (SQLite's write lock is held already).
            let row = locked_number(&txn, tenant, number)
                .await?
                .ok_or(StoreError::NotFound)?;
            let previous = ConnectionHealth::parse(&row.status);
            update_health(
                &txn,
                tenant,
                number,
                health,
                reason.clone(),
                at,
                verified_at,
            )
            .await?;
            if previous != Some(health) {
                let event = NewEvent::new(
                    at,
                    EventPayload::ConnectionHealth(ConnectionHealthChanged {
                        phone_number_id: number.clone(),
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
        number: &PhoneNumberId,
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
        .and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
        .and_where(Expr::col(Column::PhoneNumberId).eq(number.as_str()));
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
