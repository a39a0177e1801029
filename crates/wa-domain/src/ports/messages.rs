//! Messages, in and out, with their lifecycle.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{
    ids::{MessageId, PhoneNumberId, TenantId, WaMessageId},
    inbound::InboundMessage,
    message::{
        MessageFailure, MessageFilter, NewOutbound, Page, StatusOutcome, StatusUpdate,
        StoredMessage,
    },
    ports::StoreError,
    status::Transition,
};

/// Whether an inbound insert stored a new message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundInsert {
    /// Stored with this id.
    Inserted(MessageId),
    /// Already stored (a replay): nothing changed.
    Duplicate,
}

/// Whether an outbound insert stored a new message or found the one with the same idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboundInsert {
    /// Stored as `pending`.
    Inserted(StoredMessage),
    /// A message with the same idempotency key exists: this is it, nothing was stored.
    Existing(StoredMessage),
}

/// Messages, in and out, with their lifecycle.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait MessageRepository: Send + Sync + 'static {
    /// Stores an outbound message as `pending`. When the idempotency key was used before by this
    /// tenant, stores nothing and returns the existing message.
    ///
    /// # Errors
    /// MUST return [`StoreError::Duplicate`] when the message id exists.
    async fn insert_outbound(&self, message: &NewOutbound) -> Result<OutboundInsert, StoreError>;

    /// One message of the tenant.
    ///
    /// # Errors
    /// Only storage failures; another tenant's message is `Ok(None)`.
    async fn get(
        &self,
        tenant: TenantId,
        id: MessageId,
    ) -> Result<Option<StoredMessage>, StoreError>;

    /// The tenant's outbound message stored under an idempotency key.
    ///
    /// # Errors
    /// Only storage failures.
    async fn find_by_idempotency_key(
        &self,
        tenant: TenantId,
        key: &str,
    ) -> Result<Option<StoredMessage>, StoreError>;

    /// One message of the tenant by Meta's id.
    ///
    /// # Errors
    /// Only storage failures.
    async fn find_by_wamid(
        &self,
        tenant: TenantId,
        wamid: &WaMessageId,
    ) -> Result<Option<StoredMessage>, StoreError>;

    /// Records Meta's acceptance: sets the wamid and moves the state to `accepted` if it is lower
    /// (a status webhook may have overtaken the send response).
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] for an unknown message, [`StoreError::Duplicate`]
    /// when the wamid belongs to another message of the tenant.
    async fn mark_accepted(
        &self,
        tenant: TenantId,
        id: MessageId,
        wamid: &WaMessageId,
        at: OffsetDateTime,
    ) -> Result<Transition, StoreError>;

    /// Records a final failure to send: state `failed` (if not already higher), the failure kept.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] for an unknown message.
    async fn mark_failed(
        &self,
        tenant: TenantId,
        id: MessageId,
        failure: &MessageFailure,
        at: OffsetDateTime,
    ) -> Result<Transition, StoreError>;

    /// Counts a send attempt that will be retried, keeping the last error.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] for an unknown message.
    async fn record_attempt(
        &self,
        tenant: TenantId,
        id: MessageId,
        failure: Option<MessageFailure>,
    ) -> Result<(), StoreError>;

    /// Applies one status atomically and monotonically: the state moves only to a higher rank,
    /// per-state timestamps keep the earliest time. Matches by wamid, else by callback id (which
    /// then also records the wamid).
    ///
    /// # Errors
    /// Only storage failures; an unknown message is [`StatusOutcome::UnknownMessage`].
    async fn apply_status(
        &self,
        tenant: TenantId,
        update: &StatusUpdate,
    ) -> Result<StatusOutcome, StoreError>;

    /// [`Self::apply_status`] for many updates in one transaction; outcomes in input order.
    ///
    /// # Errors
    /// Only storage failures; on error nothing is applied.
    async fn apply_statuses(
        &self,
        tenant: TenantId,
        updates: &[StatusUpdate],
    ) -> Result<Vec<StatusOutcome>, StoreError>;

    /// Stores an inbound message received at the tenant's business number `number`, idempotent on
    /// (tenant, wamid).
    ///
    /// # Errors
    /// Only storage failures; a replay is [`InboundInsert::Duplicate`].
    async fn insert_inbound(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        id: MessageId,
        message: &InboundMessage,
    ) -> Result<InboundInsert, StoreError>;

    /// [`Self::insert_inbound`] for many messages to one number in one transaction; outcomes in
    /// input order.
    ///
    /// # Errors
    /// Only storage failures; on error nothing is stored.
    async fn insert_inbound_batch(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        messages: &[(MessageId, InboundMessage)],
    ) -> Result<Vec<InboundInsert>, StoreError>;

    /// The tenant's messages matching the filter, newest first, after the cursor.
    ///
    /// # Errors
    /// Only storage failures.
    async fn list(
        &self,
        tenant: TenantId,
        filter: &MessageFilter,
        page: Page<MessageId>,
    ) -> Result<Vec<StoredMessage>, StoreError>;
}
