//! Connection health from Meta's account webhooks (`account_update`,
//! `phone_number_quality_update`) and the periodic check.
//!
//! The periodic check is [`super::connect::verify_connection`] (token valid, number registered,
//! quality, throughput and messaging limit read and stored, `AuthInvalid` → `invalid` at once).
//! A quality or limit webhook re-reads the number the same way, since the webhook carries only
//! part of it; an account webhook that disables or restricts the account marks the connection
//! `disconnected` with Meta's event as the reason.

use crate::{
    connection::{Connection, ConnectionHealth},
    ids::{PhoneNumberId, TenantId, WabaId},
};

use super::{
    Ports,
    connect::{ConnectError, verify_connection},
};

/// `account_update` events after which the number cannot send.
const BLOCKING_ACCOUNT_EVENTS: &[&str] = &[
    "DISABLED_UPDATE",
    "ACCOUNT_RESTRICTION",
    "ACCOUNT_VIOLATION",
    "PARTNER_REMOVED",
    "ACCOUNT_DELETED",
];

/// Applies an `account_update` webhook of a WABA: a blocking event marks each of the tenant's
/// numbers in that WABA `disconnected`, any other re-verifies them. Returns the numbers as
/// stored afterwards.
///
/// # Errors
/// [`ConnectError::NotConnected`] when the tenant has no number in the WABA, or store/vault
/// failures.
pub async fn apply_account_update(
    ports: &Ports,
    tenant_id: TenantId,
    waba_id: &WabaId,
    event: Option<&str>,
) -> Result<Vec<Connection>, ConnectError> {
    let numbers: Vec<Connection> = ports
        .connections
        .list(tenant_id)
        .await?
        .into_iter()
        .filter(|connection| &connection.waba_id == waba_id)
        .collect();
    if numbers.is_empty() {
        return Err(ConnectError::NotConnected);
    }
    let mut after = Vec::with_capacity(numbers.len());
    for connection in numbers {
        let number = connection.phone_number_id;
        match event {
            Some(event) if BLOCKING_ACCOUNT_EVENTS.contains(&event) => {
                let now = ports.clock.now();
                ports
                    .connections
                    .set_health(
                        tenant_id,
                        &number,
                        ConnectionHealth::Disconnected,
                        Some(format!("Meta reported {event} for the account")),
                        now,
                        None,
                    )
                    .await?;
                after.push(
                    ports
                        .connections
                        .get_number(tenant_id, &number)
                        .await?
                        .ok_or(ConnectError::NotConnected)?,
                );
            }
            _ => after.push(verify_connection(ports, tenant_id, &number).await?),
        }
    }
    Ok(after)
}

/// Applies a `phone_number_quality_update` webhook: re-reads the number (quality, throughput,
/// messaging limit) and its health.
///
/// # Errors
/// [`ConnectError::NotConnected`], or store/vault failures.
pub async fn apply_quality_update(
    ports: &Ports,
    tenant_id: TenantId,
    number: &PhoneNumberId,
) -> Result<Connection, ConnectError> {
    verify_connection(ports, tenant_id, number).await
}
