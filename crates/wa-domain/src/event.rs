//! Events for tenants: the facts wa tells each tenant's application, in one durable, ordered log
//! per tenant.
//!
//! Every state change the webhook worker and the outbox make is written together with its event,
//! in the same transaction, so there is never an event without its change nor a change without
//! its event. Each tenant's events are numbered `1, 2, 3, …` (`seq`) in commit order: a reader
//! that pages with `seq > cursor` never skips an event that committed late. Polling, server-sent
//! events and outbound webhooks all read the same log.
//!
//! The JSON form (`serde`) is the public, versioned schema: `{"id", "tenant_id", "seq",
//! "occurred_at", "recorded_at", "schema": 1, "type": "message.received", "data": {…}}`. Fields
//! are only ever added within a schema version; a change that would break a reader bumps
//! [`SCHEMA_VERSION`].

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    connection::ConnectionHealth,
    conversation::ConversationId,
    customer::CustomerIdentity,
    ids::{MessageId, PhoneNumberId, TenantId, WaMessageId},
    inbound::{InboundContent, InboundMessage},
    message::{MessageFailure, Pricing},
    status::MessageStatus,
};

/// The version of the events' JSON schema.
pub const SCHEMA_VERSION: u16 = 1;

/// An event's stable id: the same on every delivery of it, so consumers can deduplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(Uuid);

impl EventId {
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

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// An event as stored in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Stable id.
    pub id: EventId,
    /// Whose event it is.
    pub tenant_id: TenantId,
    /// Position in the tenant's log, from 1, without gaps between committed events.
    pub seq: u64,
    /// When the fact happened (Meta's time where Meta gave one).
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// When wa wrote it.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// The schema version of `data`.
    pub schema: u16,
    /// What happened: `type` and `data` in the JSON form.
    #[serde(flatten)]
    pub payload: EventPayload,
}

/// An event about to be appended: the log gives it its sequence number.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Stable id.
    pub id: EventId,
    /// When the fact happened.
    pub occurred_at: OffsetDateTime,
    /// What happened.
    pub payload: EventPayload,
}

impl NewEvent {
    /// An event with a fresh id.
    pub fn new(occurred_at: OffsetDateTime, payload: EventPayload) -> Self {
        Self {
            id: EventId::generate(),
            occurred_at,
            payload,
        }
    }

    /// The stored event, once the log has numbered it.
    pub fn into_event(self, tenant_id: TenantId, seq: u64, recorded_at: OffsetDateTime) -> Event {
        Event {
            id: self.id,
            tenant_id,
            seq,
            occurred_at: self.occurred_at,
            recorded_at,
            schema: SCHEMA_VERSION,
            payload: self.payload,
        }
    }
}

/// Declares [`EventKind`] from one list, so that its variants, [`EventKind::ALL`] and
/// [`EventKind::name`] cannot disagree.
macro_rules! event_kinds {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// An event's type: what a subscription filters on, the SSE `event:` field, the OpenAPI
        /// enumeration and the docs' table all use [`EventKind::name`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl EventKind {
            /// Every event type wa emits, in the order the docs list them.
            pub const ALL: &'static [EventKind] = &[$(Self::$variant,)*];

            /// The type's name (`message.received`, …), as in the JSON form's `type`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

event_kinds! {
    /// `message.received`.
    MessageReceived = "message.received",
    /// `message.status`.
    MessageStatus = "message.status",
    /// `message.reaction`.
    MessageReaction = "message.reaction",
    /// `customer.updated`.
    CustomerUpdated = "customer.updated",
    /// `window.opened`.
    WindowOpened = "window.opened",
    /// `window.closing`.
    WindowClosing = "window.closing",
    /// `window.closed`.
    WindowClosed = "window.closed",
    /// `connection.health`.
    ConnectionHealth = "connection.health",
    /// `template.status`.
    TemplateStatus = "template.status",
}

impl EventKind {
    /// The type of that name, if wa emits one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|kind| kind.name() == name)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What happened.
///
/// The `serde(rename)` of each variant is its [`EventKind::name`]; the tests check every one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum EventPayload {
    /// A customer wrote (anything but a reaction).
    #[serde(rename = "message.received")]
    MessageReceived(Box<MessageReceived>),
    /// One of our messages changed state (`pending` when queued, then what Meta reports).
    #[serde(rename = "message.status")]
    MessageStatus(MessageStatusChanged),
    /// A customer reacted to a message, or removed a reaction.
    #[serde(rename = "message.reaction")]
    MessageReaction(MessageReaction),
    /// A customer's profile name, number or user id changed.
    #[serde(rename = "customer.updated")]
    CustomerUpdated(CustomerUpdated),
    /// A customer's message opened a closed (or never opened) window.
    #[serde(rename = "window.opened")]
    WindowOpened(WindowChange),
    /// An open window will close within the configured lead time.
    #[serde(rename = "window.closing")]
    WindowClosing(WindowChange),
    /// A window closed: only templates may be sent until the customer writes again.
    #[serde(rename = "window.closed")]
    WindowClosed(WindowChange),
    /// The connection's health changed.
    #[serde(rename = "connection.health")]
    ConnectionHealth(ConnectionHealthChanged),
    /// Meta changed a message template's status (approved, rejected, paused, …).
    #[serde(rename = "template.status")]
    TemplateStatus(TemplateStatusChanged),
}

impl EventPayload {
    /// The event for a newly stored inbound message: `message.reaction` for a reaction (which
    /// has no `message.received` of its own), `message.received` for everything else.
    pub fn for_inbound(message_id: MessageId, message: &InboundMessage) -> Self {
        match &message.content {
            InboundContent::Reaction {
                message_id: reacted_to,
                emoji,
            } => Self::MessageReaction(MessageReaction {
                message_id,
                wamid: message.wamid.clone(),
                customer: message.customer.clone(),
                reacted_to: reacted_to.clone(),
                emoji: emoji.clone().filter(|emoji| !emoji.is_empty()),
            }),
            InboundContent::Text { .. }
            | InboundContent::Image(_)
            | InboundContent::Video(_)
            | InboundContent::Audio(_)
            | InboundContent::Document(_)
            | InboundContent::Sticker(_)
            | InboundContent::Location(_)
            | InboundContent::Contacts { .. }
            | InboundContent::ButtonReply { .. }
            | InboundContent::ListReply { .. }
            | InboundContent::FlowReply { .. }
            | InboundContent::CallPermissionReply(_)
            | InboundContent::Button { .. }
            | InboundContent::Order(_)
            | InboundContent::System { .. }
            | InboundContent::Unsupported { .. }
            | InboundContent::Unknown { .. } => Self::MessageReceived(Box::new(MessageReceived {
                message_id,
                message: message.clone(),
            })),
        }
    }

    /// The event's type.
    pub fn event_kind(&self) -> EventKind {
        match self {
            Self::MessageReceived(_) => EventKind::MessageReceived,
            Self::MessageStatus(_) => EventKind::MessageStatus,
            Self::MessageReaction(_) => EventKind::MessageReaction,
            Self::CustomerUpdated(_) => EventKind::CustomerUpdated,
            Self::WindowOpened(_) => EventKind::WindowOpened,
            Self::WindowClosing(_) => EventKind::WindowClosing,
            Self::WindowClosed(_) => EventKind::WindowClosed,
            Self::ConnectionHealth(_) => EventKind::ConnectionHealth,
            Self::TemplateStatus(_) => EventKind::TemplateStatus,
        }
    }

    /// The event type as it appears in the JSON form (`message.received`, …).
    pub fn kind(&self) -> &'static str {
        self.event_kind().name()
    }

    /// The customer the event is about, when it is about one: outbound delivery keeps events of
    /// one customer in order and may deliver different customers' events side by side.
    pub fn customer(&self) -> Option<&CustomerIdentity> {
        match self {
            Self::MessageReceived(event) => Some(&event.message.customer),
            Self::MessageStatus(event) => Some(&event.customer),
            Self::MessageReaction(event) => Some(&event.customer),
            Self::CustomerUpdated(event) => Some(&event.customer),
            Self::WindowOpened(event) | Self::WindowClosing(event) | Self::WindowClosed(event) => {
                Some(&event.customer)
            }
            Self::ConnectionHealth(_) | Self::TemplateStatus(_) => None,
        }
    }
}

/// `message.received`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageReceived {
    /// Our id of the stored message.
    pub message_id: MessageId,
    /// Everything Meta told about it: sender, content (media by reference), context, referral.
    pub message: InboundMessage,
}

/// `message.status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageStatusChanged {
    /// Our id.
    pub message_id: MessageId,
    /// Meta's id, once known.
    pub wamid: Option<WaMessageId>,
    /// The customer it goes to.
    pub customer: CustomerIdentity,
    /// The new state.
    pub status: MessageStatus,
    /// The state before, when there was one.
    pub previous: Option<MessageStatus>,
    /// Why it failed (class, Meta's code, details), on `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<MessageFailure>,
    /// What Meta charges for it, when Meta said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

/// `message.reaction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageReaction {
    /// Our id of the stored reaction message.
    pub message_id: MessageId,
    /// Meta's id of the reaction message.
    pub wamid: WaMessageId,
    /// Who reacted.
    pub customer: CustomerIdentity,
    /// The message reacted to, by Meta's id.
    pub reacted_to: WaMessageId,
    /// The emoji; `None` when the reaction was removed.
    pub emoji: Option<String>,
}

/// `customer.updated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerUpdated {
    /// The conversation that stands for the customer.
    pub conversation_id: ConversationId,
    /// The identity from now on.
    pub customer: CustomerIdentity,
    /// The identity before, when it changed (a new number or user id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<CustomerIdentity>,
    /// The profile name now.
    pub profile_name: Option<String>,
}

/// `window.opened`, `window.closing`, `window.closed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowChange {
    /// The conversation that stands for the customer.
    pub conversation_id: ConversationId,
    /// The customer.
    pub customer: CustomerIdentity,
    /// When the window closes (or closed).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `connection.health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionHealthChanged {
    /// The business number.
    pub phone_number_id: PhoneNumberId,
    /// The health now.
    pub health: ConnectionHealth,
    /// The health before.
    pub previous: Option<ConnectionHealth>,
    /// Why, in words an operator can act on.
    pub reason: Option<String>,
}

/// `template.status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateStatusChanged {
    /// Meta's template id.
    pub template_id: Option<String>,
    /// The template's name.
    pub name: String,
    /// Its language code (`en_US`).
    pub language: String,
    /// Meta's status (`APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, …).
    pub status: String,
    /// Meta's reason, when given.
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests;
