//! What a webhook delivery said, as typed events grouped by business number.
//!
//! Inbound messages and statuses come out as `wa-domain` values, ready for the use cases; what
//! the domain does not model (the recipient's BSUID on a status, the conversation, raw unknown
//! fields) travels next to them so nothing Meta sent is lost.

use time::OffsetDateTime;
use wa_domain::{
    customer::CustomerIdentity,
    ids::{Bsuid, PhoneNumberId, WabaId},
    inbound::InboundMessage,
    message::{MessageFailure, StatusUpdate},
};

/// Everything one webhook POST carried.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WebhookBatch {
    /// Messages, statuses and errors, one group per business number (the tenant routing key),
    /// in order of first appearance. Changes for the same number are merged into one group.
    pub numbers: Vec<NumberEvents>,
    /// Changes that are not about messages: template, account and quality updates, and fields
    /// wa does not model (kept raw).
    pub account_events: Vec<AccountEvent>,
    /// Items that could not be read; everything else in the batch was.
    pub problems: Vec<ItemProblem>,
}

impl WebhookBatch {
    /// All inbound messages, across numbers.
    pub fn messages(&self) -> impl Iterator<Item = &InboundEvent> {
        self.numbers
            .iter()
            .flat_map(|number| number.messages.iter())
    }

    /// All statuses, across numbers.
    pub fn statuses(&self) -> impl Iterator<Item = &StatusEvent> {
        self.numbers
            .iter()
            .flat_map(|number| number.statuses.iter())
    }
}

/// The events of one business number.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberEvents {
    /// The WhatsApp Business Account (`entry[].id`) of the first change for this number, when
    /// present and valid; routing needs only the number.
    pub waba_id: Option<WabaId>,
    /// The business number (`metadata.phone_number_id`).
    pub phone_number_id: PhoneNumberId,
    /// The number as people read it.
    pub display_phone_number: Option<String>,
    /// Customers' messages, in delivery order.
    pub messages: Vec<InboundEvent>,
    /// Statuses of our messages, in delivery order.
    pub statuses: Vec<StatusEvent>,
    /// Problems Meta reported that are not tied to a message (`value.errors[]`).
    pub errors: Vec<MetaError>,
    /// Keys of `value` wa does not model, as raw JSON (`"key"` and its value).
    pub unknown: Vec<RawField>,
}

/// One customer message.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundEvent {
    /// The message, as the domain keeps it.
    pub message: InboundMessage,
    /// The customer's `@username`, when they have one.
    pub username: Option<String>,
    /// The customer's parent (portfolio-wide) user id.
    pub parent_user_id: Option<Bsuid>,
    /// The group chat the message was written in, when it was.
    pub group_id: Option<String>,
    /// Keys of the message item wa does not model, as raw JSON (`revoke`, `edit`, new fields).
    pub unknown: Vec<RawField>,
}

/// One status of one of our messages.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusEvent {
    /// The update, as the domain applies it.
    pub update: StatusUpdate,
    /// Who the message went to, when Meta said (`recipient_id` and `recipient_user_id`).
    pub recipient: Option<CustomerIdentity>,
    /// The recipient's parent user id.
    pub recipient_parent_user_id: Option<Bsuid>,
    /// `recipient_id` as sent, when it is not a phone number (a group id).
    pub recipient_other: Option<String>,
    /// `group` for group messages.
    pub recipient_type: Option<String>,
    /// `biz_opaque_callback_data` as sent, even when it is not one of our message ids.
    pub callback_data: Option<String>,
    /// The conversation (older webhook versions and free entry points).
    pub conversation: Option<ConversationInfo>,
    /// Every error Meta attached (the first is also in `update.failure`).
    pub errors: Vec<MetaError>,
    /// Keys of the status item wa does not model, as raw JSON.
    pub unknown: Vec<RawField>,
}

/// A status's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationInfo {
    /// Meta's conversation id.
    pub id: Option<String>,
    /// `service`, `utility`, `marketing`, `authentication`, `referral_conversion`, ...
    pub origin: Option<String>,
    /// When it expires (on `sent` only).
    pub expires_at: Option<OffsetDateTime>,
}

/// An error inside a webhook, classified like a Graph error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaError {
    /// What it means for a sender, by code.
    pub failure: MessageFailure,
    /// Meta's longer message, when it differs from the title.
    pub message: Option<String>,
    /// Meta's documentation link.
    pub href: Option<String>,
}

/// A key and its raw JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawField {
    /// The key.
    pub key: String,
    /// Its value, exactly as received.
    pub json: String,
}

/// A change that is not about messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountEvent {
    /// The WhatsApp Business Account (`entry[].id`), when present and valid.
    pub waba_id: Option<WabaId>,
    /// The subscription field (`message_template_status_update`, ...).
    pub field: String,
    /// What wa understood of it.
    pub kind: AccountEventKind,
    /// The change's value exactly as received (rebuilt from its keys, each byte-identical).
    pub raw: String,
}

/// The fields wa reads typed; everything else is [`AccountEventKind::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEventKind {
    /// `message_template_status_update`: a template was approved, rejected, paused, ...
    TemplateStatus {
        /// `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, ...
        event: Option<String>,
        /// Meta's template id.
        template_id: Option<String>,
        /// The template's name.
        name: Option<String>,
        /// The template's language.
        language: Option<String>,
        /// Why, for rejections.
        reason: Option<String>,
    },
    /// `account_update`: verification, bans, restrictions of the account or a number.
    AccountUpdate {
        /// `VERIFIED_ACCOUNT`, `DISABLED_UPDATE`, `ACCOUNT_RESTRICTION`, ...
        event: Option<String>,
        /// The number concerned, when there is one.
        phone_number: Option<String>,
    },
    /// `phone_number_quality_update`: a number's quality or messaging limit changed.
    QualityUpdate {
        /// `FLAGGED`, `UNFLAGGED`, `UPGRADE`, `DOWNGRADE`, `THROUGHPUT_UPGRADE`, ...
        event: Option<String>,
        /// The number as people read it.
        display_phone_number: Option<String>,
        /// The messaging limit now in force.
        current_limit: Option<String>,
    },
    /// Any other field; see [`AccountEvent::raw`].
    Other,
}

/// An item of the batch that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemProblem {
    /// Where it was: `entry[0].changes[1].value.statuses[3]`.
    pub path: String,
    /// The business number of its change, when known.
    pub phone_number_id: Option<String>,
    /// Why it was not read. Never contains the item's text.
    pub reason: String,
    /// The item exactly as received (empty when the problem is not one item).
    pub raw: String,
}
