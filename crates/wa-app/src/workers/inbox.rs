//! Processing stored webhooks: parse once, route by business number, apply per tenant.
//!
//! The receiver stored each body raw and answered 200; this worker claims bodies (with a lease,
//! so a crashed worker's claims come back), parses them with `wa-graph`, finds each number's
//! tenant, and applies inbound messages and statuses through the use cases. Everything it does is
//! idempotent (unique wamids, monotonic statuses, forward-only windows), so a body processed
//! halfway before a crash is simply processed again. Unknown numbers are logged, counted and
//! dropped; a body that fails because the database is down is released and retried.

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use wa_domain::{
    ports::StoreError,
    usecase::{Ports, inbound::record_inbound, status::apply_status_updates},
};
use wa_graph::webhook::parse;

use crate::{
    event_feed::EventFeed,
    stores::{InboxItem, WebhookInbox},
};

/// Bodies claimed per round.
const BATCH: u32 = 64;
/// How long a claim lasts before another worker may take the body.
const LEASE: time::Duration = time::Duration::seconds(60);
/// How often to look for work when nobody signals.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Starts the inbox worker; it stops when `cancel` fires, after the body in hand.
pub fn spawn(
    ports: Ports,
    inbox: Arc<dyn WebhookInbox>,
    signal: Arc<Notify>,
    events: EventFeed,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let processed = match run_once(&ports, inbox.as_ref()).await {
                Ok(count) => count,
                Err(error) => {
                    tracing::error!(error = %error, "webhook inbox could not be read");
                    0
                }
            };
            if processed > 0 {
                // Whatever the bodies changed is committed with its events: readers look now.
                events.notify();
                continue;
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = signal.notified() => {}
                () = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
    })
}

/// Claims and processes one batch; returns how many bodies it handled.
///
/// # Errors
/// When the inbox itself cannot be read.
pub async fn run_once(ports: &Ports, inbox: &dyn WebhookInbox) -> Result<usize, StoreError> {
    let now = ports.clock.now();
    let items = inbox.claim(BATCH, now, now + LEASE).await?;
    for item in &items {
        match process(ports, item).await {
            Ok(()) => inbox.complete(item.id, ports.clock.now()).await?,
            Err(error) => {
                let retry_at = ports.clock.now() + retry_delay(item.attempts);
                tracing::warn!(inbox.id = item.id, attempts = item.attempts + 1, error = %error, "webhook processing failed; will retry");
                metrics::counter!("wa_webhook_processing_errors_total").increment(1);
                inbox.release(item.id, &error.to_string(), retry_at).await?;
            }
        }
    }
    Ok(items.len())
}

fn retry_delay(attempts: u32) -> time::Duration {
    time::Duration::seconds(2i64.pow(attempts.min(8)))
}

async fn process(ports: &Ports, item: &InboxItem) -> Result<(), StoreError> {
    let batch = match parse(&item.body) {
        Ok(batch) => batch,
        Err(error) => {
            // The receiver checked the envelope; a body that no longer parses cannot get better.
            tracing::error!(inbox.id = item.id, error = %error, "stored webhook does not parse; dropped");
            return Ok(());
        }
    };
    for problem in &batch.problems {
        tracing::warn!(inbox.id = item.id, problem = ?problem, "webhook item skipped");
    }
    for number in &batch.numbers {
        let Some(tenant) = ports
            .connections
            .resolve_tenant(&number.phone_number_id)
            .await?
        else {
            metrics::counter!("wa_webhooks_unknown_number_total").increment(1);
            tracing::warn!(phone_number_id = %number.phone_number_id, "webhook for a number no tenant owns; dropped");
            continue;
        };
        let messages: Vec<_> = number
            .messages
            .iter()
            .map(|event| event.message.clone())
            .collect();
        let inbound = record_inbound(ports, tenant, &messages).await?;
        let updates: Vec<_> = number
            .statuses
            .iter()
            .map(|event| event.update.clone())
            .collect();
        let statuses = apply_status_updates(ports, tenant, &updates).await?;
        for late in &statuses.after_failure {
            tracing::warn!(tenant.id = %tenant, message.wamid = %late.wamid, status = late.status.as_str(),
                "success status after failed: recorded, state kept failed");
        }
        for unknown in &statuses.unknown {
            tracing::info!(tenant.id = %tenant, message.wamid = %unknown.wamid, status = unknown.status.as_str(),
                "status for a message this tenant does not know");
        }
        metrics::counter!("wa_webhook_messages_total").increment(inbound.inserted.len() as u64);
        metrics::counter!("wa_webhook_statuses_total").increment(updates.len() as u64);
        for error in &number.errors {
            tracing::warn!(tenant.id = %tenant, error.code = ?error.failure.code, error.title = %error.failure.title,
                "Meta reported an error for the number");
        }
    }
    crate::workers::account_events::apply(ports, &batch.account_events).await?;
    Ok(())
}
