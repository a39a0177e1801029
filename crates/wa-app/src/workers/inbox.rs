//! Processing stored webhooks: parse once, route by business number, apply per tenant.
//!
//! The receiver stored each body raw and answered 200; this worker claims bodies (with a lease,
//! so a crashed worker's claims come back), parses them with `wa-graph`, finds each number's
//! tenant, and applies inbound messages and statuses through the use cases. Everything it does is
//! idempotent (unique wamids, monotonic statuses, forward-only windows), so a body processed
//! halfway before a crash is simply processed again. Unknown numbers are logged, counted and
//! dropped; a body that fails is released and retried later, backing off.
//!
//! No body holds up another: when a tenant's merged work fails, each of its bodies is applied
//! again on its own, so only the bodies that fail alone are retried. A body that has failed
//! `WA_INBOX_MAX_ATTEMPTS` times for a reason other than the database being unreachable is
//! parked (a dead letter, with its error, counted in `wa_webhook_inbox_parked_total`), listed by
//! `GET /v1/admin/webhook-inbox/parked` and `wa inbox parked`, and replayed on request. NUL
//! escapes in a body's text are replaced before it is read ([`super::nul_escapes`]).

use std::{collections::HashMap, sync::Arc, time::Duration};

use futures::future::join_all;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use wa_domain::{
    ids::{PhoneNumberId, TenantId},
    inbound::InboundMessage,
    message::StatusUpdate,
    ports::StoreError,
    usecase::{Ports, inbound::record_inbound, status::apply_status_updates},
};
use wa_graph::webhook::parse;

use wa_domain::ports::{InboxItem, WebhookInbox};

use crate::{event_feed::EventFeed, workers::nul_escapes::replace_nul_escapes};

/// Bodies claimed per round.
const BATCH: u32 = 64;
/// How often to look for work when nobody signals.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Starts the inbox worker; it stops when `cancel` fires, after the body in hand. A claimed body
/// is reserved for `lease` (`WA_INBOX_LEASE_SECONDS`): a crashed worker's bodies come back after
/// it.
pub fn spawn(
    ports: Ports,
    inbox: Arc<dyn WebhookInbox>,
    limits: InboxLimits,
    signal: Arc<Notify>,
    events: EventFeed,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let processed = match run_once(&ports, inbox.as_ref(), limits).await {
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

/// How the inbox is worked.
#[derive(Debug, Clone, Copy)]
pub struct InboxLimits {
    /// How long a claimed body is reserved (`WA_INBOX_LEASE_SECONDS`).
    pub lease: time::Duration,
    /// Attempts before a failing body is parked (`WA_INBOX_MAX_ATTEMPTS`).
    pub max_attempts: u32,
}

/// Why a body failed: the error, and whether it only says the database was out of reach (which
/// a later attempt fixes by itself, so it never parks a body).
struct Failure {
    error: String,
    unreachable: bool,
}

impl Failure {
    fn of(error: &StoreError) -> Self {
        Self {
            error: crate::http::error::error_chain(error),
            unreachable: matches!(error, StoreError::Unavailable(_)),
        }
    }
}

/// Claims and processes one batch; returns how many bodies it handled.
///
/// The batch's bodies are parsed first and what they carry is merged per tenant, so a batch of
/// single-status deliveries (Meta's usual shape) costs one status write per tenant, not one per
/// body; the tenants' writes run at once and the store groups them into shared transactions;
/// the bodies are then marked processed in one statement. A tenant whose work
/// fails sends back exactly the bodies that carried some of it, to be retried (everything here
/// is idempotent, so the parts that did apply are applied again harmlessly).
///
/// # Errors
/// When the inbox itself cannot be read or written.
pub async fn run_once(
    ports: &Ports,
    inbox: &dyn WebhookInbox,
    limits: InboxLimits,
) -> Result<usize, StoreError> {
    let now = ports.clock.now();
    let items = inbox.claim(BATCH, now, now + limits.lease).await?;
    if items.is_empty() {
        return Ok(0);
    }
    let mut failed: HashMap<i64, Failure> = HashMap::new();
    let mut work = TenantWork::default();
    for item in &items {
        if let Err(error) = gather(ports, item, &mut work).await {
            failed.insert(item.id, Failure::of(&error));
        }
    }
    // Every tenant's share at once: the store commits their writes together (group commit),
    // so a batch spread over many tenants costs a few transactions, not one per tenant.
    let outcomes = join_all(work.groups.iter().map(|group| apply(ports, group))).await;
    let mut suspects = Vec::new();
    for (group, outcome) in work.groups.into_iter().zip(outcomes) {
        match outcome {
            Ok(()) => {}
            Err(error) if group.bodies.len() == 1 => {
                failed
                    .entry(group.bodies[0])
                    .or_insert_with(|| Failure::of(&error));
            }
            // Several bodies failed together: one of them may be the cause. Each is applied
            // again alone, so the others are not held up by it.
            Err(_) => suspects.extend(group.bodies),
        }
    }
    for item in items.iter().filter(|item| suspects.contains(&item.id)) {
        if failed.contains_key(&item.id) {
            continue;
        }
        let mut alone = TenantWork::default();
        let outcome = match gather(ports, item, &mut alone).await {
            Ok(()) => {
                let outcomes = join_all(alone.groups.iter().map(|group| apply(ports, group))).await;
                outcomes
                    .into_iter()
                    .collect::<Result<Vec<()>, StoreError>>()
            }
            Err(error) => Err(error),
        };
        if let Err(error) = outcome {
            failed.insert(item.id, Failure::of(&error));
        }
    }
    let done: Vec<i64> = items
        .iter()
        .map(|item| item.id)
        .filter(|id| !failed.contains_key(id))
        .collect();
    inbox.complete(&done, ports.clock.now()).await?;
    for item in &items {
        let Some(failure) = failed.get(&item.id) else {
            continue;
        };
        metrics::counter!("wa_webhook_processing_errors_total").increment(1);
        let attempts = item.attempts + 1;
        if attempts >= limits.max_attempts && !failure.unreachable {
            tracing::error!(inbox.id = item.id, attempts, error = %failure.error,
                "webhook processing failed too often; parked until an operator replays it");
            metrics::counter!("wa_webhook_inbox_parked_total").increment(1);
            inbox
                .park(item.id, &failure.error, ports.clock.now())
                .await?;
            continue;
        }
        let retry_at = ports.clock.now() + retry_delay(item.attempts);
        tracing::warn!(inbox.id = item.id, attempts, error = %failure.error, "webhook processing failed; will retry");
        inbox.release(item.id, &failure.error, retry_at).await?;
    }
    Ok(items.len())
}

/// A batch's inbound messages and statuses, merged per tenant and business number in body order
/// (a customer's messages open the window of the number they reached).
#[derive(Default)]
struct TenantWork {
    groups: Vec<TenantGroup>,
    /// Each business number's tenant, looked up once per batch.
    tenants: HashMap<PhoneNumberId, Option<TenantId>>,
}

struct TenantGroup {
    tenant: TenantId,
    number: PhoneNumberId,
    messages: Vec<InboundMessage>,
    updates: Vec<StatusUpdate>,
    /// The bodies that carried some of this work.
    bodies: Vec<i64>,
}

impl TenantWork {
    fn group(&mut self, tenant: TenantId, number: &PhoneNumberId, body: i64) -> &mut TenantGroup {
        let index = match self
            .groups
            .iter()
            .position(|g| g.tenant == tenant && &g.number == number)
        {
            Some(index) => index,
            None => {
                self.groups.push(TenantGroup {
                    tenant,
                    number: number.clone(),
                    messages: Vec::new(),
                    updates: Vec::new(),
                    bodies: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[index];
        if group.bodies.last() != Some(&body) {
            group.bodies.push(body);
        }
        group
    }
}

/// Parses one body and adds what it carries to `work`; account events are applied at once.
async fn gather(ports: &Ports, item: &InboxItem, work: &mut TenantWork) -> Result<(), StoreError> {
    let body = replace_nul_escapes(&item.body);
    let batch = match parse(&body) {
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
        let tenant = match work.tenants.get(&number.phone_number_id) {
            Some(tenant) => *tenant,
            None => {
                let tenant = ports
                    .connections
                    .resolve_tenant(&number.phone_number_id)
                    .await?;
                work.tenants.insert(number.phone_number_id.clone(), tenant);
                tenant
            }
        };
        let Some(tenant) = tenant else {
            metrics::counter!("wa_webhooks_unknown_number_total").increment(1);
            tracing::warn!(phone_number_id = %number.phone_number_id, "webhook for a number no tenant owns; dropped");
            continue;
        };
        for error in &number.errors {
            tracing::warn!(tenant.id = %tenant, error.code = ?error.failure.code, error.title = %error.failure.title,
                "Meta reported an error for the number");
        }
        let group = work.group(tenant, &number.phone_number_id, item.id);
        group
            .messages
            .extend(number.messages.iter().map(|event| event.message.clone()));
        group
            .updates
            .extend(number.statuses.iter().map(|event| event.update.clone()));
    }
    crate::workers::account_events::apply(ports, &batch.account_events).await?;
    Ok(())
}

/// One tenant's share of the batch: inbound messages first, then statuses.
async fn apply(ports: &Ports, group: &TenantGroup) -> Result<(), StoreError> {
    let tenant = group.tenant;
    let inbound = record_inbound(ports, tenant, &group.number, &group.messages).await?;
    let statuses = apply_status_updates(ports, tenant, &group.updates).await?;
    for late in &statuses.after_failure {
        tracing::warn!(tenant.id = %tenant, message.wamid = %late.wamid, status = late.status.as_str(),
            "success status after failed: recorded, state kept failed");
    }
    for unknown in &statuses.unknown {
        tracing::info!(tenant.id = %tenant, message.wamid = %unknown.wamid, status = unknown.status.as_str(),
            "status for a message this tenant does not know");
    }
    metrics::counter!("wa_webhook_messages_total").increment(inbound.inserted.len() as u64);
    metrics::counter!("wa_webhook_statuses_total").increment(group.updates.len() as u64);
    Ok(())
}

fn retry_delay(attempts: u32) -> time::Duration {
    time::Duration::seconds(2i64.pow(attempts.min(8)))
}
