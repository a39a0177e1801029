//! The tenants' event logs and the windows' deadline announcements.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{
    event::{Event, NewEvent},
    ids::TenantId,
    ports::StoreError,
};

/// The tenants' event logs (see [`crate::event`]).
///
/// Events are appended by the adapters' own writes, in the same transaction as the state change
/// they report (storing an inbound message, applying a status, …); this port reads the log,
/// appends the events that have no state change of their own, and prunes.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EventLog: Send + Sync + 'static {
    /// The tenant's events with `seq > after`, in `seq` order, at most `limit`.
    ///
    /// # Errors
    /// Only storage failures; an unknown tenant has no events.
    async fn read(
        &self,
        tenant: TenantId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError>;

    /// The highest `seq` written for the tenant (0 before its first event).
    ///
    /// # Errors
    /// Only storage failures.
    async fn head(&self, tenant: TenantId) -> Result<u64, StoreError>;

    /// Appends events in one transaction, numbered in order; returns them as stored.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] for an unknown tenant.
    async fn append(&self, tenant: TenantId, events: &[NewEvent])
    -> Result<Vec<Event>, StoreError>;

    /// Deletes up to `limit` events (of all tenants) recorded before `before`, oldest first;
    /// returns how many. Called in a loop by the retention worker, so each call is short.
    ///
    /// # Errors
    /// Only storage failures.
    async fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError>;
}

/// What one [`WindowDeadlines::announce_due`] call wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowAnnouncements {
    /// `window.closing` events appended.
    pub closing: u64,
    /// `window.closed` events appended.
    pub closed: u64,
}

impl WindowAnnouncements {
    /// Events appended in all.
    pub fn total(&self) -> u64 {
        self.closing + self.closed
    }
}

/// The windows' deadlines: `window.closing` and `window.closed` have no state change of their
/// own (time passes), so a worker asks the store to announce them.
///
/// Cross-tenant by nature, like [`Outbox::claim_due`]: each event it appends is written to the
/// log of the conversation's own tenant.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WindowDeadlines: Send + Sync + 'static {
    /// In one short transaction, takes up to `limit` open windows that expire before
    /// `now + lead` and whose expiry was not announced yet: appends `window.closed` for those
    /// already expired at `now`, `window.closing` for the others, and records the expiry
    /// announced so it is never announced twice (a window the customer extends is announced
    /// again for its new expiry).
    ///
    /// # Errors
    /// Only storage failures.
    async fn announce_due(
        &self,
        now: OffsetDateTime,
        lead: time::Duration,
        limit: u32,
    ) -> Result<WindowAnnouncements, StoreError>;
}
