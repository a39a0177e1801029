//! `statuses[]` items into the domain's [`StatusUpdate`], with what the domain does not keep.

use time::OffsetDateTime;
use wa_domain::{
    customer::CustomerIdentity,
    ids::{Bsuid, MessageId, PhoneNumber, WaMessageId},
    message::{Pricing, StatusUpdate},
    status::MessageStatus,
};

use crate::{
    convert::{ItemError, meta_error, opt_string, raw_fields, unix_time},
    webhook::event::{ConversationInfo, StatusEvent},
    wire::webhook as wire,
};

/// The statuses Meta sends on the Cloud API. Anything else (`deleted` is on-premises only) is
/// refused rather than guessed: an unknown status must never move a message forward.
fn status_of(name: &str) -> Option<MessageStatus> {
    Some(match name {
        "sent" => MessageStatus::Sent,
        "delivered" => MessageStatus::Delivered,
        "read" => MessageStatus::Read,
        "played" => MessageStatus::Played,
        "failed" => MessageStatus::Failed,
        _ => return None,
    })
}

/// One status item, converted and pushed onto `out` (nothing is pushed on an error).
pub(crate) fn push_status_event(
    item: wire::Status<'_>,
    out: &mut Vec<StatusEvent>,
) -> Result<(), ItemError> {
    let id = item.id.ok_or(ItemError::Missing("id"))?;
    let wamid = WaMessageId::parse(id.as_str()).map_err(|_| ItemError::Invalid("id"))?;
    let status_name = item.status.ok_or(ItemError::Missing("status"))?;
    let status = status_of(status_name.as_str()).ok_or(ItemError::Invalid("status"))?;
    let at = unix_time(item.timestamp.ok_or(ItemError::Missing("timestamp"))?)?;

    let errors: Vec<_> = item
        .errors
        .unwrap_or_default()
        .into_iter()
        .map(meta_error)
        .collect();
    let failure = errors.first().map(|error| error.failure.clone());

    let callback_data = opt_string(item.biz_opaque_callback_data);
    let callback_message_id = callback_data
        .as_deref()
        .and_then(|data| MessageId::parse(data).ok());

    // `recipient_id` is a phone number for one-to-one messages and a group id for groups; a
    // value that is not a phone number is kept as it is rather than dropped.
    let mut recipient_other = None;
    let phone = item
        .recipient_id
        .and_then(|id| match PhoneNumber::parse(id.as_str()) {
            Ok(phone) => Some(phone),
            Err(_) => {
                recipient_other = Some(id.into_string());
                None
            }
        });
    let bsuid = item
        .recipient_user_id
        .and_then(|id| Bsuid::parse(id.into_string()).ok());
    let recipient = CustomerIdentity::new(bsuid, phone).ok();

    let pricing = item.pricing.map(|pricing| Pricing {
        billable: pricing.billable.map(|flag| flag.0),
        pricing_model: opt_string(pricing.pricing_model),
        category: opt_string(pricing.category),
        pricing_type: opt_string(pricing.kind),
    });
    let conversation = item.conversation.map(|conversation| ConversationInfo {
        id: opt_string(conversation.id),
        origin: conversation
            .origin
            .and_then(|origin| opt_string(origin.kind)),
        expires_at: conversation
            .expiration_timestamp
            .and_then(|time| OffsetDateTime::from_unix_timestamp(time.0).ok()),
    });

    out.push(StatusEvent {
        update: StatusUpdate {
            wamid,
            callback_message_id,
            status,
            at,
            pricing,
            failure,
        },
        recipient,
        recipient_parent_user_id: item
            .recipient_parent_user_id
            .and_then(|id| Bsuid::parse(id.into_string()).ok()),
        recipient_other,
        recipient_type: opt_string(item.recipient_type),
        callback_data,
        conversation,
        errors,
        unknown: raw_fields(item.extra),
    });
    Ok(())
}
