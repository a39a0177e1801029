//! Reading a customer's window, as the API shows it.

use time::OffsetDateTime;

use crate::{
    customer::CustomerIdentity,
    ids::{PhoneNumberId, TenantId},
    ports::StoreError,
};

use super::Ports;

/// The window of one customer at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowState {
    /// Whether a free-form message may be sent now.
    pub open: bool,
    /// When the customer last wrote; `None` if never.
    pub last_inbound_at: Option<OffsetDateTime>,
    /// When the window closes or closed; `None` if it never opened.
    pub expires_at: Option<OffsetDateTime>,
}

/// The window of a customer with one of a tenant's business numbers, evaluated now.
///
/// # Errors
/// Store failures.
pub async fn read_window(
    ports: &Ports,
    tenant_id: TenantId,
    number: &PhoneNumberId,
    customer: &CustomerIdentity,
) -> Result<WindowState, StoreError> {
    let now = ports.clock.now();
    let window = ports
        .conversations
        .find(tenant_id, number, customer)
        .await?
        .and_then(|conversation| conversation.window);
    Ok(match window {
        Some(window) => WindowState {
            open: window.is_open(now),
            last_inbound_at: Some(window.last_inbound_at),
            expires_at: Some(window.expires_at),
        },
        None => WindowState {
            open: false,
            last_inbound_at: None,
            expires_at: None,
        },
    })
}

#[cfg(test)]
mod tests;
