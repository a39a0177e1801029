//! `api_keys`: tenants' API keys, by SHA-256 hash ([`ApiKeyRepository`]).

use async_trait::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DeriveIden,
    sea_query::{Expr, ExprTrait, Query},
};
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{
    ids::TenantId,
    ports::{ApiKeyRepository, StoreError},
};

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

/// Tenants' API keys, by SHA-256 hash.
#[derive(Debug, Clone)]
pub struct SqlApiKeys {
    db: DatabaseConnection,
}

impl SqlApiKeys {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ApiKeyRepository for SqlApiKeys {
    /// Stores a key's hash for a tenant.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] for a hash already stored, [`StoreError::NotFound`] for an
    /// unknown tenant; otherwise storage failures.
    async fn insert(
        &self,
        tenant: TenantId,
        hash: [u8; 32],
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
    async fn find_tenant(&self, hash: &[u8; 32]) -> Result<Option<TenantId>, StoreError> {
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
