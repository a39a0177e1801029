//! Where each tenant wants its events posted: endpoints, how far each has got (cursor), which
//! process delivers it (lease), and the events it never accepted (dead letters).
//!
//! Every method but [`EventEndpointRepository::claim`] takes the tenant and scopes to it;
//! `claim` is the delivery worker's cross-tenant pick of endpoints nobody delivers, as the
//! outbox's claim is.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{ids::TenantId, ports::StoreError};

/// A stored endpoint. The secrets are sealed records (opaque bytes), never clear text.
#[derive(Clone, PartialEq, Eq)]
pub struct EventEndpoint {
    /// Its id.
    pub id: Uuid,
    /// Whose it is.
    pub tenant_id: TenantId,
    /// Where events are posted.
    pub url: String,
    /// The event types it wants; `None` for all.
    pub event_types: Option<Vec<String>>,
    /// Whether events are posted at all.
    pub enabled: bool,
    /// The sealed signing secret.
    pub secret: Vec<u8>,
    /// The sealed secret before the last rotation.
    pub previous_secret: Option<Vec<u8>>,
    /// Until when the previous secret still signs.
    pub previous_secret_until: Option<OffsetDateTime>,
    /// The last seq done for this endpoint.
    pub cursor_seq: u64,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

impl std::fmt::Debug for EventEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Sealed bytes are not secret, but they are noise and belong to no log.
        f.debug_struct("EventEndpoint")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("url", &self.url)
            .field("event_types", &self.event_types)
            .field("enabled", &self.enabled)
            .field("cursor_seq", &self.cursor_seq)
            .finish_non_exhaustive()
    }
}

/// A dead letter: an event an endpoint did not accept in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Its id.
    pub id: Uuid,
    /// Whose it is.
    pub tenant_id: TenantId,
    /// The endpoint.
    pub endpoint_id: Uuid,
    /// The event's id.
    pub event_id: Uuid,
    /// The event's seq.
    pub event_seq: u64,
    /// The event's type.
    pub event_type: String,
    /// The event's JSON form, as posted.
    pub body: String,
    /// Attempts made (all deliveries of it together).
    pub attempts: u32,
    /// The last HTTP status, when the endpoint answered.
    pub last_status: Option<u16>,
    /// The last error, when it did not (or a short reason).
    pub last_error: Option<String>,
    /// The first attempt.
    pub first_attempt_at: OffsetDateTime,
    /// The last attempt.
    pub last_attempt_at: OffsetDateTime,
    /// When it was given up.
    pub dead_at: OffsetDateTime,
    /// When a redelivery was asked for and not yet done.
    pub redeliver_requested_at: Option<OffsetDateTime>,
    /// When a redelivery succeeded.
    pub delivered_at: Option<OffsetDateTime>,
}

/// Event endpoints, their delivery leases and dead letters.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EventEndpointRepository: Send + Sync + 'static {
    /// Stores a new endpoint (its cursor as given: the tenant's head when it is created).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown tenant, [`StoreError::Duplicate`] for a known id;
    /// otherwise storage failures.
    async fn insert(&self, row: &EventEndpoint) -> Result<(), StoreError>;

    /// The tenant's endpoints, oldest first.
    ///
    /// # Errors
    /// Storage failures.
    async fn list(&self, tenant: TenantId) -> Result<Vec<EventEndpoint>, StoreError>;

    /// One endpoint of the tenant.
    ///
    /// # Errors
    /// Storage failures.
    async fn get(&self, tenant: TenantId, id: Uuid) -> Result<Option<EventEndpoint>, StoreError>;

    /// Deletes an endpoint (and, by cascade, its dead letters); `false` when there was none.
    ///
    /// # Errors
    /// Storage failures.
    async fn delete(&self, tenant: TenantId, id: Uuid) -> Result<bool, StoreError>;

    /// Replaces the signing secret; the current one becomes the previous one, still signing
    /// until `previous_until`. One statement: both `SET`s read the row as it was.
    ///
    /// # Errors
    /// Storage failures; `Ok(false)` when the endpoint does not exist.
    async fn rotate_secret(
        &self,
        tenant: TenantId,
        id: Uuid,
        sealed: Vec<u8>,
        previous_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Claims up to `limit` enabled endpoints of any tenant that nobody delivers (no lease, or
    /// a lapsed one) for `owner` until `lease_until`. On PostgreSQL concurrent claimers skip
    /// each other's rows (`SKIP LOCKED`), so two processes never hold one endpoint.
    ///
    /// # Errors
    /// Storage failures.
    async fn claim(
        &self,
        owner: Uuid,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<EventEndpoint>, StoreError>;

    /// Extends `owner`'s lease; `false` when the lease is no longer `owner`'s (it lapsed and
    /// another process took it, or the endpoint was deleted or disabled): stop delivering then.
    ///
    /// # Errors
    /// Storage failures.
    async fn renew(
        &self,
        tenant: TenantId,
        id: Uuid,
        owner: Uuid,
        lease_until: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Gives `owner`'s lease back (at shutdown), so another process can take it at once.
    ///
    /// # Errors
    /// Storage failures.
    async fn release(&self, tenant: TenantId, id: Uuid, owner: Uuid) -> Result<(), StoreError>;

    /// Moves the cursor forward to `seq` while `owner` holds the lease; never backwards.
    /// `false` when the lease is not `owner`'s any more.
    ///
    /// # Errors
    /// Storage failures.
    async fn advance_cursor(
        &self,
        tenant: TenantId,
        id: Uuid,
        owner: Uuid,
        seq: u64,
    ) -> Result<bool, StoreError>;

    /// Stores a dead letter, or updates the one of the same event (a failed redelivery): the
    /// attempts add up, the first attempt stays, the redelivery request is cleared.
    ///
    /// # Errors
    /// Storage failures.
    async fn put_dead_letter(&self, row: &DeadLetter) -> Result<(), StoreError>;

    /// The endpoint's dead letters not redelivered yet, oldest first, after `after` (an id).
    ///
    /// # Errors
    /// Storage failures.
    async fn dead_letters(
        &self,
        tenant: TenantId,
        endpoint: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<DeadLetter>, StoreError>;

    /// Asks for the redelivery of the endpoint's dead letters (all of them, or those of `ids`);
    /// returns how many were marked.
    ///
    /// # Errors
    /// Storage failures.
    async fn request_redelivery(
        &self,
        tenant: TenantId,
        endpoint: Uuid,
        ids: Option<Vec<Uuid>>,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    /// Dead letters waiting for their redelivery, oldest request first.
    ///
    /// # Errors
    /// Storage failures.
    async fn due_redeliveries(
        &self,
        tenant: TenantId,
        endpoint: Uuid,
        limit: u32,
    ) -> Result<Vec<DeadLetter>, StoreError>;

    /// Records a successful redelivery.
    ///
    /// # Errors
    /// Storage failures.
    async fn mark_redelivered(
        &self,
        tenant: TenantId,
        id: Uuid,
        attempts: u32,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
}
