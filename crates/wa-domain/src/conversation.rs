//! A conversation: one customer of one business number of a tenant, with the customer-service
//! window, which Meta keeps per (business number, customer).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    customer::CustomerIdentity,
    ids::{PhoneNumberId, TenantId},
    window::Window,
};

/// The id of a conversation row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(Uuid);

impl ConversationId {
    /// A fresh, time-ordered id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    /// Wraps a stored id.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

/// One customer of one business number of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// Its id.
    pub id: ConversationId,
    /// The owner.
    pub tenant_id: TenantId,
    /// The tenant's business number the customer talks with: the window is this number's.
    pub phone_number_id: PhoneNumberId,
    /// Who the customer is.
    pub customer: CustomerIdentity,
    /// The customer's WhatsApp profile name.
    pub profile_name: Option<String>,
    /// The customer-service window; `None` until the customer writes.
    pub window: Option<Window>,
    /// The latest message either way.
    pub last_message_at: Option<OffsetDateTime>,
    /// Messages either way.
    pub message_count: u64,
}

/// A customer message to record against a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerActivity {
    /// Who wrote; merged into the stored identity (a BSUID learnt later is added).
    pub customer: CustomerIdentity,
    /// Their profile name, when Meta sent one.
    pub profile_name: Option<String>,
    /// When they wrote.
    pub at: OffsetDateTime,
    /// Whether it opens or refreshes the window.
    pub opens_window: bool,
    /// Whether to count it in `message_count`: false when re-recording a message already stored
    /// (a replayed webhook), so the idempotent parts (window, identity, name) are redone without
    /// counting twice.
    pub count_message: bool,
}

/// A customer changed their number or user id (Meta's `system` message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityChange {
    /// The identity as Meta sent it on the system message (the old one).
    pub previous: CustomerIdentity,
    /// The identity from now on.
    pub current: CustomerIdentity,
}
