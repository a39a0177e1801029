//! The periodic connection check: every `WA_HEALTH_CHECK_INTERVAL_SECONDS` each connected
//! tenant is verified against Meta (token valid, number registered, quality, throughput and
//! messaging limit stored, `verified_at` set; `AuthInvalid` → `invalid` at once) and its
//! templates are synced. The checks are spread evenly over the interval, so a thousand tenants
//! make a steady trickle of Graph calls rather than a burst.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use wa_domain::{
    connection::ConnectionHealth,
    ids::{PhoneNumberId, TenantId},
    ports::StoreError,
    usecase::{Ports, connect::verify_connection, templates::sync_templates},
};

use crate::workers::delivery::DeliveryQueue;

/// Tenants read per page.
const PAGE: u32 = 500;

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RoundReport {
    /// Connections checked.
    pub checked: usize,
    /// Connections now `active`.
    pub active: usize,
    /// Template syncs that succeeded.
    pub templates_synced: usize,
}

/// Starts the worker; the first round begins one interval after start.
pub fn spawn(
    ports: Ports,
    delivery: DeliveryQueue,
    interval: Duration,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(interval) => {}
            }
            match run_round(&ports, interval, &cancel).await {
                Ok(report) => {
                    tracing::info!(
                        checked = report.checked,
                        active = report.active,
                        templates_synced = report.templates_synced,
                        "connection health round done"
                    );
                    delivery.wake();
                }
                Err(error) => tracing::error!(error = %error, "connection health round failed"),
            }
        }
    })
}

/// Checks every connected tenant once, spreading the checks over `spread` (zero: back to back).
///
/// # Errors
/// Only when the list of connections cannot be read.
pub async fn run_round(
    ports: &Ports,
    spread: Duration,
    cancel: &CancellationToken,
) -> Result<RoundReport, StoreError> {
    let numbers = all_connected(ports).await?;
    let gap = spread
        .checked_div(u32::try_from(numbers.len()).unwrap_or(u32::MAX).max(1))
        .unwrap_or_default();
    let mut report = RoundReport::default();
    for (index, (tenant, number)) in numbers.into_iter().enumerate() {
        if index > 0 && !gap.is_zero() {
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(gap) => {}
            }
        }
        report.checked += 1;
        match check_number(ports, tenant, &number).await {
            Ok((health, synced)) => {
                report.active += usize::from(health == ConnectionHealth::Active);
                report.templates_synced += usize::from(synced);
            }
            Err(error) => {
                tracing::warn!(tenant.id = %tenant, error = %error, "connection check failed");
            }
        }
    }
    Ok(report)
}

async fn all_connected(ports: &Ports) -> Result<Vec<(TenantId, PhoneNumberId)>, StoreError> {
    let mut numbers = Vec::new();
    let mut after = None;
    loop {
        let page = ports.directory.connected_numbers(after, PAGE).await?;
        let full = page.len() == PAGE as usize;
        after = page.last().map(|(_, number)| number.clone());
        numbers.extend(page);
        if !full {
            return Ok(numbers);
        }
    }
}

/// Verifies one number, then syncs the tenant's templates when it is active.
///
/// # Errors
/// Store and vault failures of the verification.
pub async fn check_number(
    ports: &Ports,
    tenant: TenantId,
    number: &PhoneNumberId,
) -> Result<(ConnectionHealth, bool), wa_domain::usecase::connect::ConnectError> {
    let connection = verify_connection(ports, tenant, number).await?;
    if connection.health != ConnectionHealth::Active {
        tracing::warn!(tenant.id = %tenant, health = connection.health.as_str(),
            reason = ?connection.health_reason, "connection is not active");
        return Ok((connection.health, false));
    }
    let synced = match sync_templates(ports, tenant).await {
        Ok(_) => true,
        Err(error) => {
            tracing::warn!(tenant.id = %tenant, error = %error, "template sync failed");
            false
        }
    };
    Ok((connection.health, synced))
}
