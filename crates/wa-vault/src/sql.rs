//! The vault's storage over `wa-store`'s `tenant_credentials` table (feature `sql`).
//!
//! One line per method: the table keeps the sealed record and its clear metadata, and the vault
//! never sees a database type. Behind a feature so that `wa-vault` still links on its own (with
//! [`crate::MemoryStore`]) for someone who does not use `wa-store`.

use crate::{CredentialStore, RotationCursor, StoredCredential};
use async_trait::async_trait;
use time::OffsetDateTime;
use wa_domain::{credential::CredentialKind, ids::TenantId, ports::StoreError};
use wa_store::{CredentialRow, Store};

/// The vault's [`CredentialStore`] over `wa-store`'s credentials table.
pub struct SqlCredentials(Store);

impl SqlCredentials {
    /// The adapter over a connected, migrated store.
    pub fn new(store: Store) -> Self {
        Self(store)
    }
}

#[async_trait]
impl CredentialStore for SqlCredentials {
    async fn get(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
    ) -> Result<Option<StoredCredential>, StoreError> {
        Ok(self.0.credentials().get(tenant, kind).await?.map(from_row))
    }

    async fn put(&self, credential: StoredCredential) -> Result<(), StoreError> {
        self.0.credentials().put(&to_row(credential)).await
    }

    async fn reseal(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        expected: &[u8],
        ciphertext: Vec<u8>,
        key_id: String,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.0
            .credentials()
            .reseal(tenant, kind, expected, ciphertext, key_id, at)
            .await
    }

    async fn list_for_rotation(
        &self,
        newest_key_id: &str,
        after: Option<RotationCursor>,
        limit: usize,
    ) -> Result<Vec<StoredCredential>, StoreError> {
        let rows = self
            .0
            .credentials()
            .list_for_rotation(newest_key_id, after, limit)
            .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    async fn mark_verified(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.0.credentials().mark_verified(tenant, kind, at).await
    }

    async fn revoke(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.0.credentials().revoke(tenant, kind, at).await
    }
}

fn from_row(row: CredentialRow) -> StoredCredential {
    StoredCredential {
        tenant: row.tenant,
        kind: row.kind,
        ciphertext: row.ciphertext,
        key_id: row.key_id,
        created_at: row.created_at,
        rotated_at: row.rotated_at,
        expires_at: row.expires_at,
        last_verified_at: row.last_verified_at,
        revoked: row.revoked,
        updated_at: row.updated_at,
    }
}

fn to_row(credential: StoredCredential) -> CredentialRow {
    CredentialRow {
        tenant: credential.tenant,
        kind: credential.kind,
        ciphertext: credential.ciphertext,
        key_id: credential.key_id,
        created_at: credential.created_at,
        rotated_at: credential.rotated_at,
        expires_at: credential.expires_at,
        last_verified_at: credential.last_verified_at,
        revoked: credential.revoked,
        updated_at: credential.updated_at,
    }
}
