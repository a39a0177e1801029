//! Embedded Signup progress and tenants' message templates.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{ids::TenantId, ports::StoreError};

/// Embedded Signup progress, one row per tenant (see [`crate::onboarding`]).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SignupRepository: Send + Sync + 'static {
    /// The tenant's signup progress, or `None` before its first signup.
    ///
    /// # Errors
    /// Only storage failures.
    async fn get(
        &self,
        tenant: TenantId,
    ) -> Result<Option<crate::onboarding::SignupState>, StoreError>;

    /// Stores the progress, replacing the tenant's previous row.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant does not exist.
    async fn save(&self, state: &crate::onboarding::SignupState) -> Result<(), StoreError>;
}

/// Tenants' message templates as synced from Meta.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TemplateRepository: Send + Sync + 'static {
    /// Replaces the tenant's templates with a fresh copy of its WABA's (templates no longer at
    /// Meta are deleted); returns how many are stored.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant does not exist.
    async fn replace_all(
        &self,
        tenant: TenantId,
        templates: &[crate::template_catalog::SyncedTemplate],
    ) -> Result<usize, StoreError>;

    /// The tenant's templates of one name, every language.
    ///
    /// # Errors
    /// Only storage failures.
    async fn find_by_name(
        &self,
        tenant: TenantId,
        name: &str,
    ) -> Result<Vec<crate::template_catalog::SyncedTemplate>, StoreError>;

    /// Every template of the tenant, by name then language.
    ///
    /// # Errors
    /// Only storage failures.
    async fn list(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<crate::template_catalog::SyncedTemplate>, StoreError>;

    /// When the tenant's templates were last synced; `None` if they never were.
    ///
    /// # Errors
    /// Only storage failures.
    async fn last_synced(&self, tenant: TenantId) -> Result<Option<OffsetDateTime>, StoreError>;

    /// Sets the status of the template matched by Meta's id, else by name and language; returns
    /// whether one matched.
    ///
    /// # Errors
    /// Only storage failures.
    async fn set_status(
        &self,
        tenant: TenantId,
        change: &crate::template_catalog::TemplateStatusChange,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Stores one template (created or edited through wa), replacing the tenant's template of
    /// the same name and language.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant does not exist.
    async fn upsert(
        &self,
        tenant: TenantId,
        template: &crate::template_catalog::SyncedTemplate,
    ) -> Result<(), StoreError>;

    /// Removes the tenant's templates of `name` (only the one with Meta's id `meta_id` when
    /// given); returns how many went.
    ///
    /// # Errors
    /// Only storage failures.
    async fn remove(
        &self,
        tenant: TenantId,
        name: &str,
        meta_id: Option<String>,
    ) -> Result<usize, StoreError>;
}
