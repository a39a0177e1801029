//! Recording what customers send: the message, the customer, and the window it opens.
//!
//! Replays are safe by construction: the store ignores a wamid it already holds, and the
//! conversation is still refreshed for a replayed message (its window, identity and name are
//! idempotent) without counting it twice. So a webhook processed halfway before a crash is simply
//! processed again.

use crate::{
    conversation::{CustomerActivity, IdentityChange},
    customer::CustomerIdentity,
    ids::{MessageId, PhoneNumberId, TenantId},
    inbound::{InboundContent, InboundMessage, SystemKind},
    ports::{InboundInsert, StoreError},
};

use super::Ports;

/// What recording a batch of inbound messages did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundReport {
    /// Messages stored for the first time, with their new ids.
    pub inserted: Vec<MessageId>,
    /// Messages already stored (replays).
    pub duplicates: usize,
    /// Customers who changed number or user id.
    pub identity_changes: usize,
}

/// Records inbound messages received at one of a tenant's business numbers: stores them (once),
/// refreshes each customer's conversation and window with that number, and applies identity
/// changes.
///
/// # Errors
/// Store failures; what was stored stays stored and a retry completes the rest.
pub async fn record_inbound(
    ports: &Ports,
    tenant_id: TenantId,
    number: &PhoneNumberId,
    messages: &[InboundMessage],
) -> Result<InboundReport, StoreError> {
    let mut report = InboundReport::default();
    if messages.is_empty() {
        return Ok(report);
    }
    let batch: Vec<(MessageId, InboundMessage)> = messages
        .iter()
        .map(|message| (MessageId::generate(), message.clone()))
        .collect();
    let outcomes = ports
        .messages
        .insert_inbound_batch(tenant_id, number, &batch)
        .await?;
    for ((_, message), outcome) in batch.iter().zip(outcomes) {
        let inserted = match outcome {
            InboundInsert::Inserted(id) => {
                report.inserted.push(id);
                true
            }
            InboundInsert::Duplicate => {
                report.duplicates += 1;
                false
            }
        };
        let activity = CustomerActivity {
            customer: message.customer.clone(),
            profile_name: message.profile_name.clone(),
            at: message.sent_at,
            opens_window: message.content.opens_window(),
            count_message: inserted,
        };
        ports
            .conversations
            .record_activity(tenant_id, number, &activity)
            .await?;
        if let Some(change) = identity_change(message) {
            ports
                .conversations
                .change_identity(tenant_id, &change)
                .await?;
            report.identity_changes += 1;
        }
    }
    Ok(report)
}

/// The identity change a `system` message announces, if any.
///
/// A changed number comes with a new BSUID when Meta sends one (it regenerates them with the
/// number); whatever Meta does not send is kept from the identity the message came from.
fn identity_change(message: &InboundMessage) -> Option<IdentityChange> {
    let InboundContent::System { kind, .. } = &message.content else {
        return None;
    };
    let previous = &message.customer;
    let current = match kind {
        SystemKind::ChangedNumber {
            new_wa_id,
            new_user_id,
        } => CustomerIdentity::new(
            new_user_id.clone().or_else(|| previous.bsuid().cloned()),
            new_wa_id.clone().or_else(|| previous.phone().cloned()),
        )
        .ok()?,
        SystemKind::ChangedUserId { new_user_id } => {
            CustomerIdentity::new(Some(new_user_id.clone()), previous.phone().cloned()).ok()?
        }
        SystemKind::Other { .. } => return None,
    };
    (current != *previous).then(|| IdentityChange {
        previous: previous.clone(),
        current,
    })
}

#[cfg(test)]
mod tests;
