//! An in-memory [`SealedCredentialStore`]: for tests, benchmarks and linking `wa-vault` on its own.
//!
//! It keeps exactly what a database row would keep (the sealed record and clear metadata), so
//! tests can inspect the "raw column" through [`MemoryStore::rows`].

use std::{
    collections::BTreeMap,
    ops::Bound,
    sync::{Mutex, MutexGuard, PoisonError},
};

use async_trait::async_trait;
use time::OffsetDateTime;
use wa_domain::{credential::CredentialKind, ids::TenantId, ports::StoreError};

use wa_domain::ports::{RotationCursor, SealedCredential, SealedCredentialStore};

/// Rows keyed like the table's primary key, ordered by (tenant id, kind name) as a database
/// would order `(uuid, text)`.
type Rows = BTreeMap<(TenantId, &'static str), SealedCredential>;

/// Credentials in a map behind a mutex. Cheap to create; not shared between processes.
#[derive(Debug, Default)]
pub struct MemoryStore {
    // A std mutex: it is never held across an await.
    rows: Mutex<Rows>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of every row, as stored: what a database dump would show.
    pub fn rows(&self) -> Vec<SealedCredential> {
        self.lock().values().cloned().collect()
    }

    /// Overwrites a row's sealed record as-is, bypassing the vault: for tamper tests.
    /// Returns `false` when the row is absent.
    pub fn overwrite_ciphertext(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        ciphertext: Vec<u8>,
    ) -> bool {
        match self.lock().get_mut(&(tenant, kind.as_str())) {
            Some(row) => {
                row.ciphertext = ciphertext;
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Rows> {
        // A panic while holding the lock cannot leave a row half-written (each write is one
        // map operation), so the data is still consistent.
        self.rows.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl SealedCredentialStore for MemoryStore {
    async fn get(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
    ) -> Result<Option<SealedCredential>, StoreError> {
        Ok(self.lock().get(&(tenant, kind.as_str())).cloned())
    }

    async fn put(&self, credential: &SealedCredential) -> Result<(), StoreError> {
        self.lock().insert(
            (credential.tenant, credential.kind.as_str()),
            credential.clone(),
        );
        Ok(())
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
        let mut rows = self.lock();
        match rows.get_mut(&(tenant, kind.as_str())) {
            Some(row) if row.ciphertext == expected => {
                row.ciphertext = ciphertext;
                row.key_id = key_id;
                row.rotated_at = Some(at);
                row.updated_at = at;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn list_for_rotation(
        &self,
        newest_key_id: &str,
        after: Option<RotationCursor>,
        limit: usize,
    ) -> Result<Vec<SealedCredential>, StoreError> {
        let rows = self.lock();
        let start = match after {
            Some((tenant, kind)) => Bound::Excluded((tenant, kind.as_str())),
            None => Bound::Unbounded,
        };
        Ok(rows
            .range((start, Bound::Unbounded))
            .map(|(_, row)| row)
            .filter(|row| row.key_id != newest_key_id)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn mark_verified(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(match self.lock().get_mut(&(tenant, kind.as_str())) {
            Some(row) => {
                row.last_verified_at = Some(at);
                row.updated_at = at;
                true
            }
            None => false,
        })
    }

    async fn revoke(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(match self.lock().get_mut(&(tenant, kind.as_str())) {
            Some(row) => {
                row.revoked = true;
                row.updated_at = at;
                true
            }
            None => false,
        })
    }
}
