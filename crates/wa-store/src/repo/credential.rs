//! `tenant_credentials`: the [`SealedCredentialStore`] port, the vault's sealed records with
//! their clear metadata. This crate only ever sees ciphertext; `wa-vault` seals and opens it.

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Value,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};
use time::OffsetDateTime;
use wa_domain::{
    credential::CredentialKind,
    ids::TenantId,
    ports::{SealedCredential, SealedCredentialStore, StoreError},
};

use crate::{
    convert::timestamp,
    entity::tenant_credential::{self, Column, Model},
    error::{classify, corrupt},
    repo::insert_row,
};

const TABLE: &str = "tenant_credentials";

fn to_row(model: Model) -> Result<SealedCredential, StoreError> {
    Ok(SealedCredential {
        tenant: TenantId::from_uuid(model.tenant_id),
        kind: CredentialKind::parse(&model.kind)
            .ok_or_else(|| corrupt(TABLE, format!("unknown credential kind `{}`", model.kind)))?,
        ciphertext: model.ciphertext,
        key_id: model.key_id,
        created_at: model.created_at,
        rotated_at: model.rotated_at,
        expires_at: model.expires_at,
        last_verified_at: model.last_verified_at,
        revoked: model.revoked,
        updated_at: model.updated_at,
    })
}

/// Sealed credentials in the database, one row per (tenant, kind).
#[derive(Debug, Clone)]
pub struct SqlSealedCredentials {
    db: DatabaseConnection,
}

impl SqlSealedCredentials {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn set<const N: usize>(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        values: [(Column, Value); N],
    ) -> Result<bool, StoreError> {
        let mut stmt = Query::update();
        stmt.table(tenant_credential::Entity);
        for (column, value) in values {
            stmt.value(column, Expr::val(value));
        }
        stmt.and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(Column::Kind).eq(kind.as_str()));
        let result = self.db.execute(&stmt).await.map_err(classify)?;
        Ok(result.rows_affected() == 1)
    }
}

#[async_trait]
impl SealedCredentialStore for SqlSealedCredentials {
    /// The row, revoked or not; `None` when absent.
    ///
    /// # Errors
    /// Only storage failures.
    async fn get(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
    ) -> Result<Option<SealedCredential>, StoreError> {
        tenant_credential::Entity::find_by_id((tenant.as_uuid(), kind.as_str().to_owned()))
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(to_row)
            .transpose()
    }

    /// Inserts the row, or replaces every column of the existing (tenant, kind) row.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the tenant does not exist; otherwise storage failures.
    async fn put(&self, row: &SealedCredential) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let mut stmt = insert_row(
            tenant_credential::Entity,
            vec![
                (Column::TenantId, Value::from(row.tenant.as_uuid())),
                (Column::Kind, row.kind.as_str().into()),
                (Column::Ciphertext, row.ciphertext.clone().into()),
                (Column::KeyId, row.key_id.clone().into()),
                (Column::CreatedAt, timestamp::value(backend, row.created_at)),
                (
                    Column::RotatedAt,
                    timestamp::optional(backend, row.rotated_at),
                ),
                (
                    Column::ExpiresAt,
                    timestamp::optional(backend, row.expires_at),
                ),
                (
                    Column::LastVerifiedAt,
                    timestamp::optional(backend, row.last_verified_at),
                ),
                (Column::Revoked, row.revoked.into()),
                (Column::UpdatedAt, timestamp::value(backend, row.updated_at)),
            ],
        );
        stmt.on_conflict(
            OnConflict::columns([Column::TenantId, Column::Kind])
                .update_columns([
                    Column::Ciphertext,
                    Column::KeyId,
                    Column::CreatedAt,
                    Column::RotatedAt,
                    Column::ExpiresAt,
                    Column::LastVerifiedAt,
                    Column::Revoked,
                    Column::UpdatedAt,
                ])
                .to_owned(),
        );
        // An unknown tenant fails the foreign key, which `classify` reports as `NotFound`.
        self.db.execute(&stmt).await.map_err(classify)?;
        Ok(())
    }

    /// Compare-and-swap for key rotation: when the row's ciphertext still equals `expected`,
    /// sets `ciphertext`, `key_id`, `rotated_at = at` and `updated_at = at` and returns `true`;
    /// returns `false`, changing nothing, when the row is gone or was replaced meanwhile (the
    /// replacement must win). One conditional `UPDATE`, so no lock is held across the re-seal.
    ///
    /// # Errors
    /// Only storage failures.
    async fn reseal(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        expected: &[u8],
        ciphertext: Vec<u8>,
        key_id: String,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let backend = self.db.get_database_backend();
        let at = timestamp::value(backend, at);
        let stmt = Query::update()
            .table(tenant_credential::Entity)
            .value(Column::Ciphertext, ciphertext)
            .value(Column::KeyId, key_id)
            .value(Column::RotatedAt, Expr::val(at.clone()))
            .value(Column::UpdatedAt, Expr::val(at))
            .and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(Column::Kind).eq(kind.as_str()))
            .and_where(Expr::col(Column::Ciphertext).eq(expected.to_vec()))
            .to_owned();
        let result = self.db.execute(&stmt).await.map_err(classify)?;
        Ok(result.rows_affected() == 1)
    }

    /// Up to `limit` rows not sealed by `newest_key_id` (revoked ones included), in
    /// (tenant id, kind) order, strictly after `after`.
    ///
    /// # Errors
    /// Only storage failures.
    async fn list_for_rotation(
        &self,
        newest_key_id: &str,
        after: Option<(TenantId, CredentialKind)>,
        limit: usize,
    ) -> Result<Vec<SealedCredential>, StoreError> {
        let mut query = tenant_credential::Entity::find().filter(Column::KeyId.ne(newest_key_id));
        if let Some((tenant, kind)) = after {
            query = query.filter(
                Column::TenantId.gt(tenant.as_uuid()).or(Column::TenantId
                    .eq(tenant.as_uuid())
                    .and(Column::Kind.gt(kind.as_str()))),
            );
        }
        query
            .order_by_asc(Column::TenantId)
            .order_by_asc(Column::Kind)
            .limit(u64::try_from(limit).unwrap_or(u64::MAX))
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(to_row)
            .collect()
    }

    /// Sets `last_verified_at = at` and `updated_at = at`; `false` when the row is absent.
    ///
    /// # Errors
    /// Only storage failures.
    async fn mark_verified(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let at = timestamp::value(self.db.get_database_backend(), at);
        self.set(
            tenant,
            kind,
            [
                (Column::LastVerifiedAt, at.clone()),
                (Column::UpdatedAt, at),
            ],
        )
        .await
    }

    /// Sets `revoked = true` and `updated_at = at`; `false` when the row is absent.
    ///
    /// # Errors
    /// Only storage failures.
    async fn revoke(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let at = timestamp::value(self.db.get_database_backend(), at);
        self.set(
            tenant,
            kind,
            [(Column::Revoked, true.into()), (Column::UpdatedAt, at)],
        )
        .await
    }
}
