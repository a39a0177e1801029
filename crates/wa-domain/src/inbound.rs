//! What customers send us, as typed content, parsed from Meta's webhooks by `wa-graph`.
//!
//! The domain cares about three things here: who wrote (the customer's identity), whether the
//! message opens the 24-hour window ([`InboundContent::opens_window`]), and the content itself,
//! kept whole so tenants receive everything Meta told us.
//!
//! Inbound content is data Meta already accepted, not a request we are about to make: it is
//! never checked against send limits and never refused. The types are plain structs and enums
//! with public fields; a message of a type we do not know is kept as [`InboundContent::Unknown`]
//! with its raw JSON.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    content::ContactCard,
    customer::CustomerIdentity,
    ids::{Bsuid, PhoneNumber, WaMessageId},
    message::MessageKind,
};

/// One message a customer sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// Meta's id: the idempotency key of inbound messages.
    pub wamid: WaMessageId,
    /// Who wrote.
    pub customer: CustomerIdentity,
    /// The customer's WhatsApp profile name, when Meta gave it.
    pub profile_name: Option<String>,
    /// When the customer sent it (Meta's timestamp).
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    /// What they sent.
    pub content: InboundContent,
    /// What the message replies to or was forwarded from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<InboundContext>,
    /// The ad or post that led the customer here (click-to-WhatsApp). Boxed: it is rare and
    /// its eleven fields would otherwise make every message 40% larger to build and move.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<Box<Referral>>,
    /// Problems Meta reports with the message (an `unsupported` message carries one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<InboundError>,
}

impl InboundMessage {
    /// A message without context, referral or errors; set those fields when Meta gave them.
    pub fn new(
        wamid: WaMessageId,
        customer: CustomerIdentity,
        sent_at: OffsetDateTime,
        content: InboundContent,
    ) -> Self {
        Self {
            wamid,
            customer,
            profile_name: None,
            sent_at,
            content,
            context: None,
            referral: None,
            errors: Vec::new(),
        }
    }
}

/// Meta's `context` of an inbound message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InboundContext {
    /// The business number that sent the quoted message, as Meta displays it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The message replied to (for button and list replies, the message that held them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<WaMessageId>,
    /// Forwarded at most five times.
    #[serde(default)]
    pub forwarded: bool,
    /// Forwarded more than five times.
    #[serde(default)]
    pub frequently_forwarded: bool,
    /// The catalog product the customer asked about ("Message business" on a product).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referred_product: Option<ReferredProduct>,
}

/// A catalog product a message refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferredProduct {
    /// The catalog.
    pub catalog_id: String,
    /// The product's id in the business's own system.
    pub product_retailer_id: String,
}

/// A click-to-WhatsApp ad or post that led the customer to write.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Referral {
    /// The ad's or post's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// The ad's or post's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// `ad` or `post`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    /// The ad's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The ad's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// `image` or `video`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The ad's image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// The ad's video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    /// The video's thumbnail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    /// The click id, for conversion reporting (absent for Status-ad placements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctwa_clid: Option<String>,
    /// The ad's welcome message text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message: Option<String>,
}

/// A problem Meta reports on an inbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundError {
    /// Meta's error code (131051: unsupported message type).
    pub code: i64,
    /// Meta's title.
    pub title: String,
    /// Meta's message, when it differs from the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Meta's `error_data.details`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// The content of an inbound message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum InboundContent {
    /// A text message.
    Text {
        /// The text.
        body: String,
    },
    /// An image.
    Image(InboundMedia),
    /// A video.
    Video(InboundMedia),
    /// An audio file or a voice note (`voice`).
    Audio(InboundMedia),
    /// A document (`filename`).
    Document(InboundMedia),
    /// A sticker (`animated`).
    Sticker(InboundMedia),
    /// A shared location.
    Location(InboundLocation),
    /// Shared contact cards.
    Contacts {
        /// The cards, as Meta sent them.
        contacts: Vec<ContactCard>,
    },
    /// A tap on one of our reply buttons (interactive `button_reply`).
    ButtonReply {
        /// The button's id, as we sent it.
        id: String,
        /// The button's title.
        title: String,
    },
    /// A choice from one of our lists (interactive `list_reply`).
    ListReply {
        /// The row's id, as we sent it.
        id: String,
        /// The row's title.
        title: String,
        /// The row's description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// A completed WhatsApp Flow (interactive `nfm_reply`).
    FlowReply {
        /// The reply's name (`flow`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The text shown in the chat (`Sent`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        /// The Flow's answers: a JSON object as text, as Meta sends it.
        response_json: String,
    },
    /// The customer's answer to a call-permission request (interactive `call_permission_reply`).
    CallPermissionReply(CallPermissionReply),
    /// A tap on a template's quick-reply button.
    Button {
        /// The payload we sent with the template.
        payload: String,
        /// The button's label.
        text: String,
    },
    /// A reaction to one of our messages; `emoji` absent means the reaction was removed.
    Reaction {
        /// The message reacted to.
        message_id: WaMessageId,
        /// The emoji, or `None` for a removal.
        emoji: Option<String>,
    },
    /// An order placed from the business's catalog.
    Order(Order),
    /// An event about the customer's account, not a message they wrote.
    System {
        /// What happened.
        kind: SystemKind,
        /// Meta's description of it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
    },
    /// A message type Meta's API does not support (polls, say), reported as `unsupported`.
    Unsupported {
        /// The type as WhatsApp knows it, when Meta says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        original_type: Option<String>,
    },
    /// A message type `wa` does not know yet, kept whole.
    Unknown {
        /// Meta's `type`.
        type_name: String,
        /// The whole message object, as JSON text.
        raw_json: String,
    },
}

/// A customer's answer to our call-permission request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPermissionReply {
    /// `accept` or `reject`, as Meta sends it.
    pub response: String,
    /// Whether the permission lasts until revoked (otherwise it expires).
    #[serde(default)]
    pub is_permanent: bool,
    /// When a temporary permission ends.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub expires_at: Option<OffsetDateTime>,
    /// `user_action` or `automatic`, when Meta says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_source: Option<String>,
}

/// A media file a customer sent; download it by `id` through the Graph gateway within 7 days.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InboundMedia {
    /// Meta's media id.
    pub id: String,
    /// Its MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Its SHA-256, base64 as Meta sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The caption (image, video, document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The file name (document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// A download URL that needs the bearer token (sent since November 2025).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A voice note rather than an audio file (audio).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voice: bool,
    /// An animated sticker (sticker).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub animated: bool,
}

/// A location a customer shared.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InboundLocation {
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
    /// The place's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The place's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// A link to the place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// An order from the business's catalog.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Order {
    /// The catalog.
    pub catalog_id: String,
    /// The customer's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// What was ordered.
    pub product_items: Vec<OrderItem>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OrderItem {
    /// The product's id in the business's own system.
    pub product_retailer_id: String,
    /// How many.
    pub quantity: u64,
    /// The unit price, as Meta sends it.
    pub item_price: f64,
    /// ISO 4217 code of the price.
    pub currency: String,
}

/// What a `system` message reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum SystemKind {
    /// The customer moved to a new phone number (`user_changed_number`). Their BSUID is
    /// regenerated with it, so a new user id may come along.
    ChangedNumber {
        /// The new number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_wa_id: Option<PhoneNumber>,
        /// The new business-scoped user id, when Meta sent one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_user_id: Option<Bsuid>,
    },
    /// The customer's business-scoped user id changed (`user_changed_user_id`).
    ChangedUserId {
        /// The new user id.
        new_user_id: Bsuid,
    },
    /// Any other system event, kept by Meta's name.
    Other {
        /// Meta's `system.type`.
        raw_type: String,
    },
}

impl InboundContent {
    /// The message type, as stored and reported.
    pub fn kind(&self) -> MessageKind {
        match self {
            Self::Text { .. } => MessageKind::Text,
            Self::Image(_) => MessageKind::Image,
            Self::Video(_) => MessageKind::Video,
            Self::Audio(_) => MessageKind::Audio,
            Self::Document(_) => MessageKind::Document,
            Self::Sticker(_) => MessageKind::Sticker,
            Self::Location(_) => MessageKind::Location,
            Self::Contacts { .. } => MessageKind::Contacts,
            Self::ButtonReply { .. }
            | Self::ListReply { .. }
            | Self::FlowReply { .. }
            | Self::CallPermissionReply(_) => MessageKind::Interactive,
            Self::Button { .. } => MessageKind::Button,
            Self::Reaction { .. } => MessageKind::Reaction,
            Self::Order(_) => MessageKind::Order,
            Self::System { .. } => MessageKind::System,
            Self::Unsupported { .. } => MessageKind::Unsupported,
            Self::Unknown { .. } => MessageKind::Unknown,
        }
    }

    /// Whether this message opens or refreshes the customer-service window.
    ///
    /// Meta says a user's message or call opens it; it does not say whether a reaction or a
    /// `system` event does (cloud-api.md §5). We count only messages the user wrote or sent:
    /// text, media, locations, contacts, replies to our buttons, lists and flows, template
    /// button taps, and orders. Reactions and system events do not open it, because wrongly
    /// assuming an open window makes Meta refuse the send (131047), while wrongly assuming a
    /// closed one only costs a template. An `unsupported` message (a poll, say) was written by
    /// the user, so it counts. A type `wa` does not know (`Unknown`) does not: it may be an
    /// edit or a deletion rather than a new message, and the same asymmetry applies.
    pub fn opens_window(&self) -> bool {
        match self {
            Self::Text { .. }
            | Self::Image(_)
            | Self::Video(_)
            | Self::Audio(_)
            | Self::Document(_)
            | Self::Sticker(_)
            | Self::Location(_)
            | Self::Contacts { .. }
            | Self::ButtonReply { .. }
            | Self::ListReply { .. }
            | Self::FlowReply { .. }
            | Self::CallPermissionReply(_)
            | Self::Button { .. }
            | Self::Order(_)
            | Self::Unsupported { .. } => true,
            Self::Reaction { .. } | Self::System { .. } | Self::Unknown { .. } => false,
        }
    }

    /// Whether this is a reaction's removal (Meta sends no emoji, or an empty one in older payloads).
    pub fn is_reaction_removal(&self) -> bool {
        matches!(self, Self::Reaction { emoji, .. } if emoji.as_deref().is_none_or(str::is_empty))
    }
}

#[cfg(test)]
mod tests;
