//! The durable outbox and the pacing claims on it.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{
    ids::{MessageId, PhoneNumberId, TenantId},
    ports::StoreError,
};

/// What a worker asks of [`Outbox::claim_due`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The time: messages due at or before it, with no live claim, are eligible.
    pub now: OffsetDateTime,
    /// The claim lasts until then; after that another worker may take the message.
    pub lease_until: OffsetDateTime,
    /// At most this many messages in all.
    pub limit: u32,
    /// At most this many per business number of a tenant, so one burst cannot fill a round.
    pub per_tenant: u32,
    /// Tenants to leave out (their lanes are full in this process).
    pub skip_tenants: Vec<TenantId>,
    /// The claiming process. A number's throughput is one budget at Meta, so one process paces
    /// it at a time: the claim takes only numbers that are free, lapsed or already this owner's,
    /// takes their lease until `lease_until`, and renews the leases this owner still needs.
    pub owner: PacerId,
}

/// The id of a pacing process (random per process start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PacerId(pub uuid::Uuid);

impl PacerId {
    /// A fresh id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

/// A message a worker has claimed: enough to pace it without reading it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMessage {
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The message.
    pub id: MessageId,
    /// Attempts made before this one.
    pub attempts: u32,
    /// When it was accepted into the outbox.
    pub created_at: OffsetDateTime,
    /// The business number it goes from.
    pub phone_number_id: PhoneNumberId,
    /// That number's throughput in messages per second.
    pub throughput_mps: u32,
    /// The customer it goes to (BSUID or phone digits), for the pair-rate limit.
    pub customer_key: String,
    /// An earlier claim of it lapsed unfinished: the process holding it died or hung, maybe
    /// mid-send, so Meta may have it already. The worker waits for its status webhook (the
    /// in-doubt grace) before sending it.
    pub lapsed: bool,
}

/// How much work waits for one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantBacklog {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Pending outbound messages, due or not.
    pub pending: u64,
    /// When the oldest of them was accepted.
    pub oldest: Option<OffsetDateTime>,
}

/// The durable outbox: `pending` outbound messages waiting to be sent.
///
/// Claims are leases (`claimed_until`), so a crashed worker's messages come back by themselves;
/// on PostgreSQL they are taken with `FOR UPDATE SKIP LOCKED`, so any number of processes can
/// share the outbox and no message is claimed by two of them at once. Only messages of enabled
/// tenants with an `active` connection are claimed: a held tenant's messages wait in place.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// Claims due messages, oldest due first, fairly across tenants.
    ///
    /// # Errors
    /// Only storage failures; nothing is claimed then.
    async fn claim_due(&self, request: &ClaimRequest) -> Result<Vec<ClaimedMessage>, StoreError>;

    /// Puts a claimed message back, due at `at` (a retry or a pacing delay). No effect once the
    /// message has left `pending`.
    ///
    /// # Errors
    /// Only storage failures.
    async fn schedule(
        &self,
        tenant: TenantId,
        id: MessageId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Ends a claim without changing when the message is due (a held tenant, a shutdown).
    ///
    /// # Errors
    /// Only storage failures.
    async fn release(&self, tenant: TenantId, id: MessageId) -> Result<(), StoreError>;

    /// Gives up every pacing lease the owner holds (a clean shutdown), so another process may
    /// take those numbers at once instead of after the lease lapses.
    ///
    /// # Errors
    /// Only storage failures.
    async fn release_leases(&self, owner: PacerId) -> Result<(), StoreError>;

    /// Pending messages per tenant that has any, for metrics and operators.
    ///
    /// # Errors
    /// Only storage failures.
    async fn backlog(&self) -> Result<Vec<TenantBacklog>, StoreError>;
}
