//! Applying Meta's status webhooks to our messages.
//!
//! The store applies each update atomically and monotonically (see [`crate::status`]); this use
//! case adds what the rules say about the outcomes: which ones deserve a log line (a success
//! after `failed`) and which could not be matched (kept aside by the caller, since the message
//! may be recorded a moment later, or was sent by another app on the same account).

use crate::{
    ids::TenantId,
    message::{StatusOutcome, StatusUpdate},
    ports::StoreError,
    status::Transition,
};

use super::Ports;

/// What a batch of status updates did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusReport {
    /// Updates that moved a message forward.
    pub advanced: usize,
    /// Duplicates and late updates that changed no state (a timestamp gap may have been filled).
    pub unchanged: usize,
    /// Success statuses that arrived after `failed`: recorded, state kept, worth a log line.
    pub after_failure: Vec<StatusUpdate>,
    /// Updates for wamids this tenant does not know.
    pub unknown: Vec<StatusUpdate>,
}

/// Applies a tenant's status updates in one batch.
///
/// # Errors
/// Store failures; nothing is applied then, and the caller retries the batch.
pub async fn apply_status_updates(
    ports: &Ports,
    tenant_id: TenantId,
    updates: &[StatusUpdate],
) -> Result<StatusReport, StoreError> {
    let mut report = StatusReport::default();
    if updates.is_empty() {
        return Ok(report);
    }
    let outcomes = ports.messages.apply_statuses(tenant_id, updates).await?;
    for (update, outcome) in updates.iter().zip(outcomes) {
        match outcome {
            StatusOutcome::Applied {
                transition: Transition::Advanced { .. },
                ..
            } => report.advanced += 1,
            StatusOutcome::Applied {
                transition: Transition::AfterFailure,
                ..
            } => {
                report.after_failure.push(update.clone());
            }
            StatusOutcome::Applied { .. } => report.unchanged += 1,
            StatusOutcome::UnknownMessage => report.unknown.push(update.clone()),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests;
