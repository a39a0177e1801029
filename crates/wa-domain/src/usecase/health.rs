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
    ids::TenantId,
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

/// Applies an `account_update` webhook: a blocking event marks the connection `disconnected`,
/// any other re-verifies it.
///
/// # Errors
/// [`ConnectError::NotConnected`], or store/vault failures.
pub async fn apply_account_update(
    ports: &Ports,
    tenant_id: TenantId,
    event: Option<&str>,
) -> Result<Connection, ConnectError> {
    match event {
        Some(event) if BLOCKING_ACCOUNT_EVENTS.contains(&event) => {
            let now = ports.clock.now();
            ports
                .connections
                .set_health(
                    tenant_id,
                    ConnectionHealth::Disconnected,
                    Some(format!("Meta reported {event} for the account")),
                    now,
                    None,
                )
                .await?;
            ports
                .connections
                .get(tenant_id)
                .await?
                .ok_or(ConnectError::NotConnected)
        }
        _ => verify_connection(ports, tenant_id).await,
    }
}

/// Applies a `phone_number_quality_update` webhook: re-reads the number (quality, throughput,
/// messaging limit) and its health.
///
/// # Errors
/// [`ConnectError::NotConnected`], or store/vault failures.
pub async fn apply_quality_update(
    ports: &Ports,
    tenant_id: TenantId,
) -> Result<Connection, ConnectError> {
    verify_connection(ports, tenant_id).await
}
