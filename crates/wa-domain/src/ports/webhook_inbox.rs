//! Meta's webhooks, stored raw before they are answered and processed after.
//!
//! Not scoped to a tenant: a body is stored before anything in it is trusted beyond its
//! signature, and the processing that follows finds each change's tenant by its number.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::ports::StoreError;

/// A stored webhook body waiting to be processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    /// Its row id.
    pub id: i64,
    /// The raw body, exactly as Meta sent it.
    pub body: Vec<u8>,
    /// Earlier processing attempts.
    pub attempts: u32,
}

/// A parked webhook body, as an operator sees it (the body itself is not shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedBody {
    /// Its row id.
    pub id: i64,
    /// When it was received.
    pub received_at: OffsetDateTime,
    /// Processing attempts made.
    pub attempts: u32,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When it was parked.
    pub parked_at: OffsetDateTime,
}

/// The durable queue of Meta's raw webhook bodies.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WebhookInbox: Send + Sync + 'static {
    /// Stores a verified body durably; returns its id.
    ///
    /// # Errors
    /// Storage failures (the receiver then answers 503 and Meta retries).
    async fn push(&self, body: &[u8], received_at: OffsetDateTime) -> Result<i64, StoreError>;

    /// Claims up to `limit` unprocessed bodies, oldest first, leasing them until `lease_until`
    /// so a crashed worker's claims come back. Concurrent claimers never get the same body.
    ///
    /// # Errors
    /// Storage failures.
    async fn claim(
        &self,
        limit: u32,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Vec<InboxItem>, StoreError>;

    /// Marks bodies processed.
    ///
    /// # Errors
    /// Storage failures.
    async fn complete(&self, ids: &[i64], at: OffsetDateTime) -> Result<(), StoreError>;

    /// Gives a body back after a failure, to be retried after `retry_at`, counting the attempt.
    ///
    /// # Errors
    /// Storage failures.
    async fn release(
        &self,
        id: i64,
        error: &str,
        retry_at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Parks a body after its last allowed attempt (a dead letter): left alone until replayed.
    ///
    /// # Errors
    /// Storage failures.
    async fn park(&self, id: i64, error: &str, at: OffsetDateTime) -> Result<(), StoreError>;

    /// Parked bodies, oldest first, at most `limit`.
    ///
    /// # Errors
    /// Storage failures.
    async fn parked(&self, limit: u32) -> Result<Vec<ParkedBody>, StoreError>;

    /// Puts parked bodies back in the queue with their attempts reset: the one given, or all.
    /// Returns how many were parked.
    ///
    /// # Errors
    /// Storage failures.
    async fn replay(&self, id: Option<i64>, now: OffsetDateTime) -> Result<u64, StoreError>;

    /// Bodies parked and not replayed.
    ///
    /// # Errors
    /// Storage failures.
    async fn parked_count(&self) -> Result<u64, StoreError>;

    /// Bodies not processed yet, parked ones excepted.
    ///
    /// # Errors
    /// Storage failures.
    async fn backlog(&self) -> Result<u64, StoreError>;
}
