//! Delivering accepted messages: a queue in memory, the truth in the database.
//!
//! The API hands each accepted message's id to the queue; workers call the `deliver` use case and
//! schedule retries with exponential backoff and jitter (Meta's pair-rate errors wait 4^X
//! seconds). The queue is only a hint: every `pending` message is in the database, and at start
//! (and when a tenant's credentials are replaced) the pending messages are queued again, so a
//! crash or a held tenant loses nothing. A message is sent by one worker of one process at a
//! time; the durable, multi-process outbox with pacing is the next step (see ARCHITECTURE.md).

use std::{sync::Arc, time::Duration};

use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use wa_domain::{
    error_class::{ErrorClass, RateLimitScope},
    ids::{MessageId, TenantId},
    message::{Direction, MessageFilter, Page},
    status::MessageStatus,
    usecase::{
        Ports,
        send::{Delivery, deliver},
    },
};

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How many messages are delivered at once.
const CONCURRENCY: usize = 64;
/// Page size when re-queueing a tenant's pending messages.
const RESUME_PAGE: u32 = 200;

enum Job {
    Deliver {
        tenant: TenantId,
        message: MessageId,
        attempt: u32,
    },
    ResumeTenant(TenantId),
    ResumeAll,
}

/// Hands work to the delivery workers; cheap to clone.
#[derive(Clone)]
pub struct DeliveryQueue {
    jobs: mpsc::UnboundedSender<Job>,
}

impl DeliveryQueue {
    /// Queues a freshly accepted message.
    pub fn push(&self, tenant: TenantId, message: MessageId) {
        let _ = self.jobs.send(Job::Deliver {
            tenant,
            message,
            attempt: 0,
        });
    }

    /// Queues every pending message of a tenant again (after its credentials changed).
    pub fn resume_tenant(&self, tenant: TenantId) {
        let _ = self.jobs.send(Job::ResumeTenant(tenant));
    }

    /// Queues every pending message of every tenant (at start).
    pub fn resume_all(&self) {
        let _ = self.jobs.send(Job::ResumeAll);
    }
}

/// Starts the delivery workers; they run until `cancel` fires and in-flight sends finish.
pub fn spawn(
    ports: Ports,
    cancel: CancellationToken,
) -> (DeliveryQueue, tokio::task::JoinHandle<()>) {
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let queue = DeliveryQueue { jobs: sender };
    let worker_queue = queue.clone();
    let handle = tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(CONCURRENCY));
        loop {
            let job = tokio::select! {
                () = cancel.cancelled() => break,
                job = receiver.recv() => match job { Some(job) => job, None => break },
            };
            match job {
                Job::Deliver {
                    tenant,
                    message,
                    attempt,
                } => {
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        break;
                    };
                    let ports = ports.clone();
                    let queue = worker_queue.clone();
                    let cancel = cancel.clone();
                    tokio::spawn(async move {
                        deliver_one(&ports, &queue, &cancel, tenant, message, attempt).await;
                        drop(permit);
                    });
                }
                Job::ResumeTenant(tenant) => resume_tenant(&ports, &worker_queue, tenant).await,
                Job::ResumeAll => resume_all(&ports, &worker_queue).await,
            }
        }
        // Wait for in-flight deliveries: every permit back means nothing is mid-send.
        let _ = permits.acquire_many(CONCURRENCY as u32).await;
    });
    (queue, handle)
}

async fn deliver_one(
    ports: &Ports,
    queue: &DeliveryQueue,
    cancel: &CancellationToken,
    tenant: TenantId,
    message: MessageId,
    attempt: u32,
) {
    match deliver(ports, tenant, message).await {
        Ok(Delivery::Accepted { wamid }) => {
            metrics::counter!("wa_send_outcomes_total", "outcome" => "accepted").increment(1);
            tracing::debug!(tenant.id = %tenant, message.id = %message, message.wamid = %wamid, "accepted by Meta");
        }
        Ok(Delivery::Retry { failure }) => {
            metrics::counter!("wa_send_outcomes_total", "outcome" => "retry").increment(1);
            let wait = backoff(failure.class, attempt, message);
            tracing::warn!(tenant.id = %tenant, message.id = %message, error.class = failure.class.as_str(),
                error.code = ?failure.code, retry_in_ms = wait.as_millis() as u64, "send failed; will retry");
            let queue = queue.clone();
            let cancel = cancel.clone();
            tokio::spawn(async move {
                tokio::select! {
                    () = cancel.cancelled() => {}
                    () = tokio::time::sleep(wait) => {
                        let _ = queue.jobs.send(Job::Deliver { tenant, message, attempt: attempt + 1 });
                    }
                }
            });
        }
        Ok(Delivery::Failed { failure }) => {
            metrics::counter!("wa_send_outcomes_total", "outcome" => "failed").increment(1);
            tracing::warn!(tenant.id = %tenant, message.id = %message, error.class = failure.class.as_str(),
                error.code = ?failure.code, "message failed");
        }
        Ok(Delivery::Held { reason }) => {
            metrics::counter!("wa_send_outcomes_total", "outcome" => "held").increment(1);
            tracing::warn!(tenant.id = %tenant, message.id = %message, reason = %reason, "message held until the tenant can send");
        }
        Ok(Delivery::AlreadyProcessed { .. }) => {}
        Err(error) => {
            // The store or vault failed: the message is still pending; try again later.
            let wait = backoff(ErrorClass::Retryable, attempt, message);
            tracing::error!(tenant.id = %tenant, message.id = %message,
                error = %crate::http::error::error_chain(&error), "delivery could not run; will retry");
            let queue = queue.clone();
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                let _ = queue.jobs.send(Job::Deliver {
                    tenant,
                    message,
                    attempt: attempt + 1,
                });
            });
        }
    }
}

/// Exponential backoff with jitter; Meta asks for 4^X seconds after a pair-rate error.
pub fn backoff(class: ErrorClass, attempt: u32, message: MessageId) -> Duration {
    let attempt = attempt.min(10);
    let base = match class {
        ErrorClass::RateLimited {
            scope: RateLimitScope::RecipientPair,
        } => Duration::from_secs(4u64.pow(attempt.min(5))),
        _ => Duration::from_millis(500) * 2u32.pow(attempt),
    };
    // Jitter of up to a quarter, derived from the message id so it needs no random source.
    let jitter_seed = message.as_uuid().as_u128() as u64 ^ u64::from(attempt);
    let jitter = base.mul_f64((jitter_seed % 1000) as f64 / 4000.0);
    (base + jitter).min(MAX_BACKOFF)
}

async fn resume_tenant(ports: &Ports, queue: &DeliveryQueue, tenant: TenantId) {
    let filter = MessageFilter {
        status: Some(MessageStatus::Pending),
        direction: Some(Direction::Outbound),
        customer: None,
    };
    let mut after = None;
    loop {
        match ports
            .messages
            .list(
                tenant,
                &filter,
                Page {
                    after,
                    limit: RESUME_PAGE,
                },
            )
            .await
        {
            Ok(messages) => {
                for message in &messages {
                    queue.push(tenant, message.id);
                }
                if messages.len() < RESUME_PAGE as usize {
                    return;
                }
                after = messages.last().map(|m| m.id);
            }
            Err(error) => {
                tracing::error!(tenant.id = %tenant, error = %error, "could not list pending messages");
                return;
            }
        }
    }
}

async fn resume_all(ports: &Ports, queue: &DeliveryQueue) {
    let mut after = None;
    loop {
        match ports
            .tenants
            .list(Page {
                after,
                limit: RESUME_PAGE,
            })
            .await
        {
            Ok(tenants) => {
                for tenant in &tenants {
                    resume_tenant(ports, queue, tenant.id).await;
                }
                if tenants.len() < RESUME_PAGE as usize {
                    return;
                }
                after = tenants.last().map(|t| t.id);
            }
            Err(error) => {
                tracing::error!(error = %error, "could not list tenants to resume pending messages");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let id = MessageId::generate();
        let first = backoff(ErrorClass::Retryable, 0, id);
        let later = backoff(ErrorClass::Retryable, 4, id);
        assert!(
            first >= Duration::from_millis(500) && first < Duration::from_millis(700),
            "{first:?}"
        );
        assert!(later >= Duration::from_secs(8), "{later:?}");
        assert!(backoff(ErrorClass::Retryable, 50, id) <= MAX_BACKOFF);
    }

    #[test]
    fn pair_rate_errors_wait_four_to_the_x_seconds() {
        let id = MessageId::generate();
        let scope = ErrorClass::RateLimited {
            scope: RateLimitScope::RecipientPair,
        };
        assert!(backoff(scope, 0, id) >= Duration::from_secs(1));
        assert!(backoff(scope, 2, id) >= Duration::from_secs(16));
        assert!(backoff(scope, 3, id) >= Duration::from_secs(64));
    }
}
