//! Delivering queued messages: the durable outbox, paced per number and per customer.
//!
//! Every accepted message is a `pending` row in the database; nothing about the queue lives only
//! in memory. The dispatcher claims due messages in rounds (a lease per message, fair across
//! tenants, `SKIP LOCKED` on PostgreSQL, see `wa-store`'s outbox) and hands each to the lane of
//! the business number it goes from (a tenant with several numbers has a lane for each, since
//! each number is its own budget at Meta). A lane paces its number at the number's throughput (a GCRA limiter,
//! `governor`) and each customer at Meta's pair rate (one message per 6 s, bursts of 45); a
//! message whose customer must wait goes back to the outbox due at that time instead of holding
//! a slot. A lane holds only a few messages at once and a full lane is left out of the next
//! claim (with the rest of its tenant), so one tenant's burst cannot take the slots other tenants
//! need.
//!
//! Outcomes: accepted (the message leaves the outbox), failed (recorded by the use case),
//! a temporary failure (back to the outbox at the time the use case gives by [`RetryPolicy`], or
//! failed by it once attempts or age run out), held (the connection is not active: the claim is released and the
//! outbox stops offering the tenant's messages until its credentials are replaced).
//!
//! Crashes: a claim is a lease, so messages claimed by a process that died come back when it
//! lapses. Such a message may have been sent just before the crash (Meta accepted it, the wamid
//! was not stored yet), so the claim that takes it over says so and the message waits the
//! in-doubt grace before it goes: its status webhook carries our id in `biz_opaque_callback_data`
//! and, applied meanwhile, records the wamid and moves it on. A send whose answer was lost (a
//! timeout, a connection cut) waits the same grace before its retry. See ARCHITECTURE.md,
//! at-least-once.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use governor::{
    DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock as _,
};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use wa_domain::{
    ids::{PhoneNumberId, TenantId},
    ports::{ClaimRequest, ClaimedMessage, Outbox, PacerId},
    retry::RetryPolicy,
    usecase::{
        Ports,
        send::{Delivery, Retrying, deliver},
    },
};

use crate::event_feed::EventFeed;

/// How the outbox is worked.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Messages being paced or sent at once, in all.
    pub concurrency: usize,
    /// Messages one tenant may have claimed at once in this process.
    pub per_tenant: u32,
    /// How long a claim lasts; far longer than a lane needs to send what it holds.
    pub lease: Duration,
    /// How often to look for due messages when nobody signals.
    pub idle_poll: Duration,
    /// Meta's pair rate: one message to a customer per this interval ...
    pub pair_interval: Duration,
    /// ... with bursts of this many.
    pub pair_burst: u32,
    /// When to retry and when to give up.
    pub retry: RetryPolicy,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            concurrency: 256,
            per_tenant: 32,
            lease: Duration::from_secs(60),
            idle_poll: Duration::from_millis(250),
            pair_interval: Duration::from_secs(6),
            pair_burst: 45,
            retry: RetryPolicy::default(),
        }
    }
}

/// Wakes the dispatcher when there may be new work; cheap to clone.
#[derive(Clone)]
pub struct DeliveryQueue {
    wake: Arc<Notify>,
}

impl DeliveryQueue {
    /// New messages were queued, or a tenant can send again: look now rather than at the next
    /// poll. The outbox in the database is the queue; this is only a nudge.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Starts the dispatcher; it stops claiming when `cancel` fires, lets in-flight sends finish and
/// releases what it had claimed but not started.
pub fn spawn(
    ports: Ports,
    outbox: Arc<dyn Outbox>,
    settings: DeliverySettings,
    events: EventFeed,
    cancel: CancellationToken,
) -> (DeliveryQueue, tokio::task::JoinHandle<()>) {
    let wake = Arc::new(Notify::new());
    let queue = DeliveryQueue { wake: wake.clone() };
    let handle = tokio::spawn(async move {
        let dispatcher = Dispatcher {
            ports,
            outbox,
            settings: Arc::new(settings),
            permits: Arc::new(Semaphore::new(0)),
            lanes: HashMap::new(),
            events,
            cancel,
            owner: PacerId::generate(),
        };
        dispatcher.run(wake).await;
    });
    (queue, handle)
}

struct Dispatcher {
    ports: Ports,
    outbox: Arc<dyn Outbox>,
    settings: Arc<DeliverySettings>,
    permits: Arc<Semaphore>,
    lanes: HashMap<(TenantId, PhoneNumberId), Lane>,
    events: EventFeed,
    cancel: CancellationToken,
    /// This process's id in the numbers' pacing leases.
    owner: PacerId,
}

/// One business number of a tenant: its queue, its pacing, its task.
struct Lane {
    sender: mpsc::UnboundedSender<(ClaimedMessage, OwnedSemaphorePermit)>,
    held: Arc<AtomicUsize>,
    throughput: u32,
    task: tokio::task::JoinHandle<()>,
}

impl Dispatcher {
    async fn run(mut self, wake: Arc<Notify>) {
        self.permits.add_permits(self.settings.concurrency);
        let mut last_gauge = tokio::time::Instant::now();
        while !self.cancel.is_cancelled() {
            let claimed = self.claim_round().await;
            if last_gauge.elapsed() > Duration::from_secs(5) {
                self.report_backlog().await;
                last_gauge = tokio::time::Instant::now();
            }
            if claimed > 0 {
                continue;
            }
            tokio::select! {
                () = self.cancel.cancelled() => {}
                () = wake.notified() => {}
                () = tokio::time::sleep(self.settings.idle_poll) => {}
            }
        }
        // Shutdown: lanes drain what they hold (releasing claims they will not send), sends in
        // flight finish; every permit back means nothing is mid-send.
        let lanes: Vec<Lane> = self.lanes.drain().map(|(_, lane)| lane).collect();
        for lane in lanes {
            drop(lane.sender);
            let _ = lane.task.await;
        }
        let _ = self
            .permits
            .acquire_many(u32::try_from(self.settings.concurrency).unwrap_or(u32::MAX))
            .await;
        // Nothing is mid-send: another process may pace our numbers from now on.
        if let Err(error) = self.outbox.release_leases(self.owner).await {
            tracing::warn!(error = %error, "pacing leases not given back; they lapse on their own");
        }
    }

    /// Claims as many messages as there are free slots; returns how many it claimed.
    async fn claim_round(&mut self) -> usize {
        let free = self.permits.available_permits();
        if free == 0 {
            // Everything is busy: wait for a slot rather than spin.
            tokio::select! {
                () = self.cancel.cancelled() => return 0,
                permit = self.permits.clone().acquire_owned() => drop(permit),
            }
            return 0;
        }
        let per_tenant = self.settings.per_tenant;
        let skip_tenants: Vec<TenantId> = self
            .lanes
            .iter()
            .filter(|(_, lane)| lane.held.load(Ordering::Relaxed) >= per_tenant as usize)
            .map(|((tenant, _), _)| *tenant)
            .collect();
        let now = self.ports.clock.now();
        let request = ClaimRequest {
            now,
            lease_until: now + self.settings.lease,
            limit: u32::try_from(free).unwrap_or(u32::MAX),
            per_tenant,
            skip_tenants,
            owner: self.owner,
        };
        let claimed = match self.outbox.claim_due(&request).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::error!(error = %error, "the outbox could not be read; retrying");
                metrics::counter!("wa_outbox_claim_errors_total").increment(1);
                tokio::select! {
                    () = self.cancel.cancelled() => {}
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                return 0;
            }
        };
        let count = claimed.len();
        for message in claimed {
            if message.lapsed {
                self.hold_in_doubt(&message).await;
                continue;
            }
            let Ok(permit) = self.permits.clone().try_acquire_owned() else {
                // Cannot happen (we claimed no more than the free slots), but never lose one.
                self.release(&message).await;
                continue;
            };
            let lane = self.lane(&message);
            lane.held.fetch_add(1, Ordering::Relaxed);
            if let Err(mpsc::error::SendError((message, _permit))) =
                lane.sender.send((message, permit))
            {
                self.release(&message).await;
            }
        }
        metrics::counter!("wa_outbox_claimed_total").increment(count as u64);
        count
    }

    fn lane(&mut self, message: &ClaimedMessage) -> &Lane {
        let throughput = message.throughput_mps.max(1);
        let key = (message.tenant_id, message.phone_number_id.clone());
        let stale = self
            .lanes
            .get(&key)
            .is_some_and(|lane| lane.throughput != throughput || lane.task.is_finished());
        if stale {
            // The number's throughput changed (Meta upgraded it): a new lane paces at the new
            // rate; the old one finishes what it holds.
            self.lanes.remove(&key);
        }
        self.lanes.entry(key).or_insert_with(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            let held = Arc::new(AtomicUsize::new(0));
            let pacing = Pacing::new(throughput, &self.settings);
            let context = LaneContext {
                ports: self.ports.clone(),
                outbox: self.outbox.clone(),
                settings: self.settings.clone(),
                events: self.events.clone(),
                cancel: self.cancel.clone(),
                held: held.clone(),
            };
            let task = tokio::spawn(run_lane(context, pacing, receiver));
            Lane {
                sender,
                held,
                throughput,
                task,
            }
        })
    }

    /// A message whose earlier claim lapsed unfinished: its holder may have sent it before it
    /// died. It goes back to the outbox for the in-doubt grace, time for Meta's status webhook
    /// (which carries our id) to settle it; if none comes, the next claim sends it.
    async fn hold_in_doubt(&self, message: &ClaimedMessage) {
        metrics::counter!("wa_outbox_lapsed_claims_total").increment(1);
        let grace = self.settings.retry.in_doubt_grace;
        let at = self.ports.clock.now() + grace;
        tracing::warn!(tenant.id = %message.tenant_id, message.id = %message.id,
            wait_s = grace.whole_seconds(),
            "an earlier claim lapsed unfinished; waiting for the status webhook before sending");
        if let Err(error) = self
            .outbox
            .schedule(message.tenant_id, message.id, at)
            .await
        {
            tracing::warn!(message.id = %message.id, error = %error,
                "could not reschedule; the claim lapses and is held again");
        }
    }

    async fn release(&self, message: &ClaimedMessage) {
        if let Err(error) = self.outbox.release(message.tenant_id, message.id).await {
            tracing::warn!(tenant.id = %message.tenant_id, message.id = %message.id, error = %error,
                "claim not released; it lapses with its lease");
        }
    }

    async fn report_backlog(&self) {
        let Ok(backlog) = self.outbox.backlog().await else {
            return;
        };
        let now = self.ports.clock.now();
        let mut total = 0_u64;
        for tenant in &backlog {
            total += tenant.pending;
            let age = tenant
                .oldest
                .map_or(0.0, |oldest| (now - oldest).as_seconds_f64().max(0.0));
            let id = tenant.tenant_id.to_string();
            metrics::gauge!("wa_outbox_pending", "tenant" => id.clone()).set(tenant.pending as f64);
            metrics::gauge!("wa_outbox_oldest_age_seconds", "tenant" => id).set(age);
        }
        metrics::gauge!("wa_outbox_pending_total").set(total as f64);
    }
}

/// A number's limiter and its customers' pair limiter.
struct Pacing {
    number: DefaultDirectRateLimiter,
    pairs: DefaultKeyedRateLimiter<String>,
}

impl Pacing {
    fn new(throughput: u32, settings: &DeliverySettings) -> Self {
        let rate = NonZeroU32::new(throughput).unwrap_or(NonZeroU32::MIN);
        // A quarter of a second's worth back to back at most: arrivals at Meta jitter, and its
        // limiter allows a second's worth, so we stay under it.
        let burst = NonZeroU32::new((throughput / 4).max(1)).unwrap_or(NonZeroU32::MIN);
        let number = RateLimiter::direct(Quota::per_second(rate).allow_burst(burst));
        let pair_burst = NonZeroU32::new(settings.pair_burst).unwrap_or(NonZeroU32::MIN);
        let pair_quota = Quota::with_period(settings.pair_interval)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(pair_burst);
        Self {
            number,
            pairs: RateLimiter::keyed(pair_quota),
        }
    }
}

/// What a lane's task shares with the worker and with the sends it spawns.
struct LaneContext {
    ports: Ports,
    outbox: Arc<dyn Outbox>,
    settings: Arc<DeliverySettings>,
    events: EventFeed,
    cancel: CancellationToken,
    /// Messages the lane holds (queued or in flight): the worker skips the tenant in its
    /// claims while this is at the per-tenant limit.
    held: Arc<AtomicUsize>,
}

/// One tenant's lane: paces its claimed messages through the number's and the pairs' limiters
/// and spawns each send.
async fn run_lane(
    context: LaneContext,
    pacing: Pacing,
    mut receiver: mpsc::UnboundedReceiver<(ClaimedMessage, OwnedSemaphorePermit)>,
) {
    let LaneContext {
        ports,
        outbox,
        settings,
        events,
        cancel,
        held,
    } = context;
    let mut sent_since_cleanup = 0_u32;
    while let Some((message, permit)) = receiver.recv().await {
        if cancel.is_cancelled() {
            // Shutting down: give the claim back so another process can take it at once.
            let _ = outbox.release(message.tenant_id, message.id).await;
            held.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
            continue;
        }
        if let Err(not_until) = pacing.pairs.check_key(&message.customer_key) {
            // This customer has had enough for now: due again when the pair limit allows,
            // without holding a slot meanwhile.
            let wait = not_until.wait_time_from(pacing.pairs.clock().now());
            metrics::counter!("wa_outbox_pair_rate_waits_total").increment(1);
            let at = ports.clock.now() + wait;
            if let Err(error) = outbox.schedule(message.tenant_id, message.id, at).await {
                tracing::warn!(message.id = %message.id, error = %error, "could not reschedule; the lease will lapse");
            }
            held.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
            continue;
        }
        let started = tokio::time::Instant::now();
        pacing.number.until_ready().await;
        let waited = started.elapsed();
        if waited > Duration::from_millis(1) {
            metrics::histogram!("wa_outbox_throughput_wait_seconds").record(waited.as_secs_f64());
        }
        let ports = ports.clone();
        let outbox = outbox.clone();
        let settings = settings.clone();
        let held = held.clone();
        let events = events.clone();
        tokio::spawn(async move {
            send_one(&ports, outbox.as_ref(), &settings, &message).await;
            // Accepted or failed, the outcome committed with its event: readers look now.
            events.notify();
            held.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
        sent_since_cleanup += 1;
        if sent_since_cleanup >= 10_000 {
            pacing.pairs.retain_recent();
            sent_since_cleanup = 0;
        }
    }
}

async fn send_one(
    ports: &Ports,
    outbox: &dyn Outbox,
    settings: &DeliverySettings,
    message: &ClaimedMessage,
) {
    let (tenant, id) = (message.tenant_id, message.id);
    let outcome = |name: &'static str| {
        metrics::counter!("wa_send_outcomes_total", "outcome" => name).increment(1);
    };
    let retry = Retrying {
        policy: settings.retry,
        jitter: rand::random::<f64>(),
    };
    match deliver(ports, tenant, id, retry).await {
        Ok(Delivery::Accepted { wamid }) => {
            outcome("accepted");
            tracing::debug!(tenant.id = %tenant, message.id = %id, message.wamid = %wamid, "accepted by Meta");
        }
        Ok(Delivery::Retry {
            failure,
            in_doubt,
            attempts,
            at,
        }) => {
            outcome("retry");
            metrics::counter!("wa_send_retries_total", "class" => failure.class.as_str())
                .increment(1);
            if in_doubt {
                metrics::counter!("wa_send_in_doubt_total").increment(1);
            }
            let now = ports.clock.now();
            tracing::warn!(tenant.id = %tenant, message.id = %id, error.class = %failure.class,
                error.code = ?failure.code, attempts, in_doubt, retry_in_s = (at - now).whole_seconds(),
                "send failed; will retry");
            if let Err(error) = outbox.schedule(tenant, id, at).await {
                tracing::warn!(message.id = %id, error = %error, "could not reschedule; the lease will lapse");
            }
        }
        Ok(Delivery::GaveUp { failure, attempts }) => {
            outcome("failed");
            tracing::warn!(tenant.id = %tenant, message.id = %id, error.class = %failure.class,
                error.code = ?failure.code, attempts, "send failed; giving up");
        }
        Ok(Delivery::Failed { failure }) => {
            outcome("failed");
            tracing::warn!(tenant.id = %tenant, message.id = %id, error.class = %failure.class,
                error.code = ?failure.code, "message failed");
        }
        Ok(Delivery::Held { reason }) => {
            outcome("held");
            tracing::warn!(tenant.id = %tenant, message.id = %id, reason = %reason,
                "message held until the tenant can send");
            if let Err(error) = outbox.release(tenant, id).await {
                tracing::warn!(message.id = %id, error = %error, "claim not released; it lapses with its lease");
            }
        }
        Ok(Delivery::AlreadyProcessed { .. }) => {}
        Err(error) => {
            // The store or the vault failed: the message is still pending; look again shortly.
            outcome("error");
            tracing::error!(tenant.id = %tenant, message.id = %id,
                error = %crate::http::error::error_chain(&error), "delivery could not run; will retry");
            let at = ports.clock.now() + Duration::from_secs(5);
            let _ = outbox.schedule(tenant, id, at).await;
        }
    }
}
