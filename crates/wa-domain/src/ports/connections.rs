//! Tenants' WhatsApp numbers, and the directory across tenants that webhooks and the health worker use.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{
    connection::{Connection, ConnectionHealth, PhoneNumberInfo},
    ids::{PhoneNumberId, TenantId},
    ports::StoreError,
};

/// Tenants' WhatsApp connections: one per business number, a tenant may have several, one of
/// them its default.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ConnectionRepository: Send + Sync + 'static {
    /// The tenant's default number, or `None` when it has no number.
    ///
    /// # Errors
    /// Only storage failures.
    async fn get(&self, tenant: TenantId) -> Result<Option<Connection>, StoreError>;

    /// One number of the tenant, or `None` (another tenant's number is `None` too).
    ///
    /// # Errors
    /// Only storage failures.
    async fn get_number(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
    ) -> Result<Option<Connection>, StoreError>;

    /// Every number of the tenant, the default first, then by when they were added.
    ///
    /// # Errors
    /// Only storage failures.
    async fn list(&self, tenant: TenantId) -> Result<Vec<Connection>, StoreError>;

    /// Adds the number to its tenant, or updates it when the tenant has it already (its id and
    /// when it was added stay). The tenant's first number becomes its default whatever
    /// `is_default` says; a number stored with `is_default` becomes the default in the same
    /// transaction (the previous default stays, as an ordinary number).
    ///
    /// # Errors
    /// MUST return [`StoreError::Duplicate`] when another tenant already uses the phone number id,
    /// and [`StoreError::NotFound`] when the tenant does not exist.
    async fn upsert(&self, connection: &Connection) -> Result<(), StoreError>;

    /// Makes one of the tenant's numbers its default.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant has no such number.
    async fn set_default(&self, tenant: TenantId, number: &PhoneNumberId)
    -> Result<(), StoreError>;

    /// Removes a number from the tenant; its messages and conversations stay, naming it. When it
    /// was the default, the oldest remaining number becomes the default.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant has no such number.
    async fn remove(&self, tenant: TenantId, number: &PhoneNumberId) -> Result<(), StoreError>;

    /// Records a health change of one number; `verified_at` is set when given, kept otherwise.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant has no such number.
    async fn set_health(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        health: ConnectionHealth,
        reason: Option<String>,
        at: OffsetDateTime,
        verified_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError>;

    /// Stores what Meta said about the number (quality, throughput, limit, names).
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant has no such number.
    async fn update_number_info(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        info: &PhoneNumberInfo,
    ) -> Result<(), StoreError>;

    /// Which tenant owns a business number: how webhooks are routed. Not tenant-scoped by nature.
    ///
    /// # Errors
    /// Only storage failures; an unknown number is `Ok(None)`.
    async fn resolve_tenant(
        &self,
        phone_number_id: &PhoneNumberId,
    ) -> Result<Option<TenantId>, StoreError>;
}

/// Connections across tenants, for the health worker and for webhooks addressed to a WABA.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ConnectionDirectory: Send + Sync + 'static {
    /// Every connected number with its tenant, in phone number id order after the cursor.
    ///
    /// # Errors
    /// Only storage failures.
    async fn connected_numbers(
        &self,
        after: Option<PhoneNumberId>,
        limit: u32,
    ) -> Result<Vec<(TenantId, PhoneNumberId)>, StoreError>;

    /// The tenant whose numbers belong to this WABA (how account webhooks find their tenant).
    /// Not tenant-scoped by nature.
    ///
    /// # Errors
    /// Only storage failures; an unknown WABA is `Ok(None)`.
    async fn tenant_for_waba(
        &self,
        waba_id: &crate::ids::WabaId,
    ) -> Result<Option<TenantId>, StoreError>;
}
