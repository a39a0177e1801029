//! [`TenantRepository`] over `tenants`.

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Value,
    sea_query::{Expr, ExprTrait, Query},
};
use time::OffsetDateTime;
use wa_domain::{
    ids::TenantId,
    message::Page,
    ports::{StoreError, TenantRepository},
    tenant::Tenant,
};

use crate::{
    convert::{self, timestamp},
    entity::tenant::{self, Column},
    error::classify,
    repo::insert_row,
};

/// Tenants in the database.
#[derive(Debug, Clone)]
pub struct SqlTenants {
    db: DatabaseConnection,
}

impl SqlTenants {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl TenantRepository for SqlTenants {
    async fn create(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let stmt = insert_row(
            tenant::Entity,
            vec![
                (Column::Id, Value::from(tenant.id.as_uuid())),
                (Column::Name, tenant.name.clone().into()),
                (Column::Enabled, tenant.enabled.into()),
                (Column::EventSeq, 0_i64.into()),
                (
                    Column::CreatedAt,
                    timestamp::value(backend, tenant.created_at),
                ),
                (
                    Column::UpdatedAt,
                    timestamp::value(backend, OffsetDateTime::now_utc()),
                ),
            ],
        );
        self.db.execute(&stmt).await.map_err(classify)?;
        Ok(())
    }

    async fn get(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        tenant::Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(convert::tenant::to_domain)
            .transpose()
    }

    async fn list(&self, page: Page<TenantId>) -> Result<Vec<Tenant>, StoreError> {
        let mut query = tenant::Entity::find();
        if let Some(after) = page.after {
            query = query.filter(Column::Id.gt(after.as_uuid()));
        }
        query
            .order_by_asc(Column::Id)
            .limit(u64::from(page.limit))
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(convert::tenant::to_domain)
            .collect()
    }

    async fn set_enabled(&self, id: TenantId, enabled: bool) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let stmt = Query::update()
            .table(tenant::Entity)
            .value(Column::Enabled, enabled)
            .value(
                Column::UpdatedAt,
                Expr::val(timestamp::value(backend, OffsetDateTime::now_utc())),
            )
            .and_where(Expr::col(Column::Id).eq(id.as_uuid()))
            .to_owned();
        let result = self.db.execute(&stmt).await.map_err(classify)?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
