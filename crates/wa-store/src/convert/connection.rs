//! `whatsapp_connections` rows and [`Connection`].

use wa_domain::{
    connection::{Connection, ConnectionHealth},
    ids::{PhoneNumberId, TenantId, WabaId},
    ports::StoreError,
};

use crate::{entity::whatsapp_connection, error::corrupt};

const TABLE: &str = "whatsapp_connections";

/// The domain connection of a row.
pub(crate) fn to_domain(row: whatsapp_connection::Model) -> Result<Connection, StoreError> {
    Ok(Connection {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        is_default: row.is_default,
        waba_id: WabaId::parse(row.waba_id).map_err(|e| corrupt(TABLE, e))?,
        phone_number_id: PhoneNumberId::parse(row.phone_number_id)
            .map_err(|e| corrupt(TABLE, e))?,
        display_phone_number: row.display_phone_number,
        business_name: row.business_name,
        health: ConnectionHealth::parse(&row.status)
            .ok_or_else(|| corrupt(TABLE, format!("unknown status `{}`", row.status)))?,
        health_reason: row.health_reason,
        health_changed_at: row.health_changed_at,
        verified_at: row.verified_at,
        throughput_mps: u32::try_from(row.throughput_mps).map_err(|e| corrupt(TABLE, e))?,
        quality_rating: row.quality_rating,
        messaging_limit: row.messaging_limit,
    })
}
