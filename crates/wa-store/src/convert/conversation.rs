//! `whatsapp_conversations` rows and [`Conversation`].

use wa_domain::{
    conversation::{Conversation, ConversationId},
    customer::CustomerIdentity,
    ids::{Bsuid, PhoneNumber, PhoneNumberId, TenantId},
    ports::StoreError,
    window::Window,
};

use crate::{entity::whatsapp_conversation, error::corrupt};

const TABLE: &str = "whatsapp_conversations";

/// The customer identity kept in a pair of nullable columns.
pub(crate) fn identity(
    table: &'static str,
    bsuid: Option<String>,
    phone: Option<String>,
) -> Result<CustomerIdentity, StoreError> {
    let bsuid = bsuid
        .map(Bsuid::parse)
        .transpose()
        .map_err(|e| corrupt(table, e))?;
    let phone = phone
        .map(PhoneNumber::parse)
        .transpose()
        .map_err(|e| corrupt(table, e))?;
    CustomerIdentity::new(bsuid, phone).map_err(|e| corrupt(table, e))
}

/// The business number of a conversation or message row (always written; nullable on SQLite
/// only because SQLite cannot add a `NOT NULL` column without a default).
pub(crate) fn business_number(
    table: &'static str,
    number: Option<String>,
) -> Result<PhoneNumberId, StoreError> {
    let number = number.ok_or_else(|| corrupt(table, "a row without its business number"))?;
    PhoneNumberId::parse(number).map_err(|e| corrupt(table, e))
}

/// The domain conversation of a row.
pub(crate) fn to_domain(row: whatsapp_conversation::Model) -> Result<Conversation, StoreError> {
    let window = match (row.window_opened_at, row.window_expires_at) {
        (Some(last_inbound_at), Some(expires_at)) => Some(Window {
            last_inbound_at,
            expires_at,
        }),
        _ => None,
    };
    Ok(Conversation {
        id: ConversationId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        phone_number_id: business_number(TABLE, row.phone_number_id)?,
        customer: identity(TABLE, row.customer_bsuid, row.customer_phone)?,
        profile_name: row.customer_name,
        window,
        last_message_at: row.last_message_at,
        message_count: u64::try_from(row.message_count).map_err(|e| corrupt(TABLE, e))?,
    })
}
