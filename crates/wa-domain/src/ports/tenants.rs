//! Tenants.

use async_trait::async_trait;

use crate::{ids::TenantId, message::Page, ports::StoreError, tenant::Tenant};

/// Tenants.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TenantRepository: Send + Sync + 'static {
    /// Stores a new tenant.
    ///
    /// # Errors
    /// MUST return [`StoreError::Duplicate`] when the id exists.
    async fn create(&self, tenant: &Tenant) -> Result<(), StoreError>;

    /// One tenant, or `None`.
    ///
    /// # Errors
    /// Only storage failures.
    async fn get(&self, id: TenantId) -> Result<Option<Tenant>, StoreError>;

    /// Tenants in id order after the cursor.
    ///
    /// # Errors
    /// Only storage failures.
    async fn list(&self, page: Page<TenantId>) -> Result<Vec<Tenant>, StoreError>;

    /// Enables or disables a tenant.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] for an unknown tenant.
    async fn set_enabled(&self, id: TenantId, enabled: bool) -> Result<(), StoreError>;
}
