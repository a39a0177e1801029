//! Customers and their customer-service windows.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{
    conversation::{Conversation, CustomerActivity, IdentityChange},
    customer::CustomerIdentity,
    ids::{PhoneNumberId, TenantId},
    message::Page,
    ports::StoreError,
};

/// Customers and their customer-service windows, one conversation per (tenant, business number,
/// customer): Meta opens a window per business number.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ConversationRepository: Send + Sync + 'static {
    /// The conversation of a business number with a customer, found by BSUID first, then by
    /// phone number.
    ///
    /// # Errors
    /// Only storage failures.
    async fn find(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        customer: &CustomerIdentity,
    ) -> Result<Option<Conversation>, StoreError>;

    /// Records customer activity atomically: creates the conversation or merges the identity and
    /// profile name, counts the message, and (when it opens the window) moves the window's expiry
    /// forward, never backwards.
    ///
    /// # Errors
    /// Only storage failures.
    async fn record_activity(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        activity: &CustomerActivity,
    ) -> Result<Conversation, StoreError>;

    /// Counts an outbound message against the conversation (creating it without a window).
    ///
    /// # Errors
    /// Only storage failures.
    async fn record_outbound(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        customer: &CustomerIdentity,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Moves the customer's conversations (with every number of the tenant) to the customer's new
    /// number or user id.
    ///
    /// # Errors
    /// Only storage failures; when no conversation matches `previous`, nothing changes.
    async fn change_identity(
        &self,
        tenant: TenantId,
        change: &IdentityChange,
    ) -> Result<(), StoreError>;

    /// Conversations whose window is open at `now`, with any of the tenant's numbers, soonest
    /// expiry first, after the cursor.
    ///
    /// # Errors
    /// Only storage failures.
    async fn list_open(
        &self,
        tenant: TenantId,
        now: OffsetDateTime,
        page: Page<crate::conversation::ConversationId>,
    ) -> Result<Vec<Conversation>, StoreError>;
}
