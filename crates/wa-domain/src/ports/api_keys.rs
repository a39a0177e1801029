//! Tenants' API keys, stored as SHA-256 hashes: the tenant API's authentication.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{ids::TenantId, ports::StoreError};

/// Tenants' API keys, by hash; the key itself is never stored.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ApiKeyRepository: Send + Sync + 'static {
    /// Stores a new key's hash for a tenant, with its first characters (`prefix`) kept in clear
    /// so an operator can tell keys apart.
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
    ) -> Result<(), StoreError>;

    /// The tenant a key hash belongs to, unless revoked or unknown.
    ///
    /// # Errors
    /// Storage failures.
    async fn find_tenant(&self, hash: &[u8; 32]) -> Result<Option<TenantId>, StoreError>;
}
