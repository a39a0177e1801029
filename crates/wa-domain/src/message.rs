//! Messages as wa keeps them: outbound requests, stored records, status updates from Meta.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    content::OutboundContent,
    customer::CustomerIdentity,
    error_class::ErrorClass,
    ids::{MessageId, PhoneNumberId, Recipient, TenantId, WaMessageId},
    inbound::InboundContent,
    status::{Lifecycle, MessageStatus},
};

/// The type of a message, as stored and reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // The names are Meta's message types.
pub enum MessageKind {
    Text,
    Image,
    Video,
    Audio,
    Document,
    Sticker,
    Location,
    Contacts,
    Reaction,
    Interactive,
    Template,
    Button,
    Order,
    System,
    Unsupported,
    Unknown,
}

impl MessageKind {
    /// Stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
            Self::Location => "location",
            Self::Contacts => "contacts",
            Self::Reaction => "reaction",
            Self::Interactive => "interactive",
            Self::Template => "template",
            Self::Button => "button",
            Self::Order => "order",
            Self::System => "system",
            Self::Unsupported => "unsupported",
            Self::Unknown => "unknown",
        }
    }
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From a customer to the business.
    Inbound,
    /// From the business to a customer.
    Outbound,
}

/// A message to send: whom, what, and optionally which message it replies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundMessage {
    /// The customer.
    pub recipient: Recipient,
    /// The content, already checked against Meta's limits.
    pub content: OutboundContent,
    /// Quote this message (Meta's `context.message_id`); not allowed on reactions.
    pub reply_to: Option<WaMessageId>,
}

/// Why a message failed, as Meta (or the transport) reported it; kept for support.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFailure {
    /// What a sender should do about it.
    #[serde(with = "error_class_name")]
    pub class: ErrorClass,
    /// Meta's error code, when Meta answered.
    pub code: Option<i64>,
    /// Meta's title or our description.
    pub title: String,
    /// Meta's `error_data.details`.
    pub details: Option<String>,
    /// Meta's trace id, to quote to Meta's support.
    pub fbtrace_id: Option<String>,
}

/// Serialises an [`ErrorClass`] as its stable name (the scope of a rate limit is not kept).
mod error_class_name {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::error_class::{ErrorClass, RateLimitScope};

    pub(super) fn serialize<S: Serializer>(
        class: &ErrorClass,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(class.as_str())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<ErrorClass, D::Error> {
        let name = String::deserialize(deserializer)?;
        super::parse_error_class(&name)
            .or_else(|| {
                (name == "rate_limited").then_some(ErrorClass::RateLimited {
                    scope: RateLimitScope::PhoneNumber,
                })
            })
            .ok_or_else(|| D::Error::custom(format!("unknown error class `{name}`")))
    }
}

/// Reads an error class back from its stable name. A rate limit comes back with the
/// phone-number scope, since stores keep only the name.
pub fn parse_error_class(name: &str) -> Option<ErrorClass> {
    use crate::error_class::RateLimitScope;
    Some(match name {
        "retryable" => ErrorClass::Retryable,
        "rate_limited" => ErrorClass::RateLimited {
            scope: RateLimitScope::PhoneNumber,
        },
        "auth_invalid" => ErrorClass::AuthInvalid,
        "window_closed" => ErrorClass::WindowClosed,
        "permanent" => ErrorClass::Permanent,
        _ => return None,
    })
}

/// What Meta says a message costs (status webhooks' `pricing`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Pricing {
    /// Whether it is billed (Meta will deprecate this flag).
    pub billable: Option<bool>,
    /// `PMP` (per message) or the older `CBP`.
    pub pricing_model: Option<String>,
    /// `marketing`, `utility`, `authentication`, `service`, ...
    pub category: Option<String>,
    /// `regular`, `free_customer_service`, `free_entry_point`.
    pub pricing_type: Option<String>,
}

/// What a message carries: our outbound content, or what the customer sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "direction", content = "content")]
pub enum MessageBody {
    /// Sent by the business.
    Outbound(OutboundContent),
    /// Sent by the customer.
    Inbound(InboundContent),
}

impl MessageBody {
    /// The message type.
    pub fn kind(&self) -> MessageKind {
        match self {
            Self::Outbound(content) => content.kind(),
            Self::Inbound(content) => content.kind(),
        }
    }

    /// The direction.
    pub fn direction(&self) -> Direction {
        match self {
            Self::Outbound(_) => Direction::Outbound,
            Self::Inbound(_) => Direction::Inbound,
        }
    }
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    /// Our id.
    pub id: MessageId,
    /// Whose message it is.
    pub tenant_id: TenantId,
    /// The tenant's business number it was sent from (outbound) or to (inbound).
    pub phone_number_id: PhoneNumberId,
    /// Meta's id, once Meta accepted (outbound) or from the webhook (inbound).
    pub wamid: Option<WaMessageId>,
    /// The customer it went to or came from.
    pub customer: CustomerIdentity,
    /// Content and direction.
    pub body: MessageBody,
    /// The message this one replies to.
    pub reply_to: Option<WaMessageId>,
    /// State and per-state timestamps (outbound; inbound messages are `delivered` on arrival).
    pub lifecycle: Lifecycle,
    /// Why it failed, when it did.
    pub failure: Option<MessageFailure>,
    /// What Meta charges for it.
    pub pricing: Option<Pricing>,
    /// The caller's idempotency key, for outbound messages sent through the API.
    pub idempotency_key: Option<String>,
    /// Send attempts so far.
    pub attempts: u32,
    /// When it was stored.
    pub created_at: OffsetDateTime,
}

/// An outbound message about to be stored as `pending`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutbound {
    /// Our id, generated before storing so it can go to Meta as callback data.
    pub id: MessageId,
    /// The owner.
    pub tenant_id: TenantId,
    /// The tenant's business number it goes from.
    pub from: PhoneNumberId,
    /// What to send to whom.
    pub message: OutboundMessage,
    /// The caller's idempotency key.
    pub idempotency_key: Option<String>,
    /// When it was accepted from the caller.
    pub created_at: OffsetDateTime,
}

/// One status Meta reported for one of our messages.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    /// The message, by Meta's id.
    pub wamid: WaMessageId,
    /// Our id, echoed from `biz_opaque_callback_data`, when it parses as one.
    pub callback_message_id: Option<MessageId>,
    /// The new status.
    pub status: MessageStatus,
    /// When it happened (Meta's timestamp).
    pub at: OffsetDateTime,
    /// Pricing, on `sent` and one of `delivered`/`read`.
    pub pricing: Option<Pricing>,
    /// Why, on `failed`.
    pub failure: Option<MessageFailure>,
}

/// What applying a status update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    /// The message was found; the transition says whether its state moved.
    Applied {
        /// Which message.
        message_id: MessageId,
        /// What happened to its state.
        transition: crate::status::Transition,
    },
    /// No message of this tenant has this wamid (or callback id): sent by another app on the
    /// same account, or not yet recorded. Kept aside, not an error.
    UnknownMessage,
}

/// Filters for listing messages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageFilter {
    /// Only this customer.
    pub customer: Option<Recipient>,
    /// Only this state.
    pub status: Option<MessageStatus>,
    /// Only this direction.
    pub direction: Option<Direction>,
}

/// Keyset pagination: messages created before this id (ids are time-ordered), at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page<C> {
    /// Continue after this cursor (exclusive); `None` for the first page.
    pub after: Option<C>,
    /// The most items to return.
    pub limit: u32,
}
