//! The delivery worker: posts each tenant's events to its endpoints, signed, at least once.
//!
//! A supervisor claims endpoints nobody delivers (a lease in `event_endpoints`, `SKIP LOCKED`
//! on PostgreSQL, so several `wa serve` processes never deliver one endpoint at once) and runs
//! one task per endpoint, so a slow or dead endpoint only ever holds its own task.
//!
//! An endpoint task reads the tenant's log after its cursor and sorts the events into lanes,
//! one per customer (events about no customer share one lane). A lane posts its events one at
//! a time, in order; lanes run side by side (at most `per_endpoint` posts in flight, and a
//! process-wide semaphore bounds all posts). While one customer's event is retried the task
//! reads on (up to `window` events ahead), so other customers are not held up. The cursor moves
//! to just before the oldest event not done yet: a contiguous prefix is done (delivered,
//! filtered out, or dead-lettered), and after a crash delivery restarts there (at least once).
//!
//! A failed post (no answer, a timeout, anything but 2xx) is retried after a doubling wait
//! with jitter (`wa_domain::retry::RetryPolicy`); an event that still fails once it is older
//! than the maximum age becomes a dead letter, and its lane moves on. Dead letters whose
//! redelivery was asked for are posted beside the lanes, out of order by nature.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::Arc,
    time::{Duration, Instant},
};

use secrecy::SecretString;
use time::OffsetDateTime;
use tokio::{
    sync::{Semaphore, watch},
    task::{JoinHandle, JoinSet},
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wa_domain::ports::{DeadLetter, EventEndpoint};
use wa_domain::{
    error_class::ErrorClass,
    event::Event,
    ports::{Clock, EventLog},
    retry::RetryPolicy,
};

use super::{endpoints::Endpoints, signature};

/// Events read from the log per query.
const READ_BATCH: u32 = 200;
/// Dead letters picked up for redelivery per look.
const REDELIVERY_BATCH: u32 = 20;
/// The shortest time between two reads of a tenant's log woken by new events.
const MIN_READ_GAP: Duration = Duration::from_millis(20);
/// The shortest time between two writes of an endpoint's cursor.
const CURSOR_WRITE_GAP: Duration = Duration::from_secs(1);

/// What the worker needs.
#[derive(Clone)]
pub struct WorkerDeps {
    /// Endpoints, their rows and secrets.
    pub endpoints: Endpoints,
    /// The events.
    pub log: Arc<dyn EventLog>,
    /// Now.
    pub clock: Arc<dyn Clock>,
    /// The guarded outbound client.
    pub client: reqwest::Client,
    /// Changes when this process appended events ([`crate::event_feed::EventFeed::subscribe`]);
    /// other processes' events are found by the poll.
    pub appended: watch::Receiver<u64>,
}

struct Shared {
    deps: WorkerDeps,
    owner: Uuid,
    permits: Arc<Semaphore>,
    retry: RetryPolicy,
}

/// Starts the supervisor; it stops (letting posts in flight finish and giving its leases
/// back) when `cancel` fires.
pub fn spawn(deps: WorkerDeps, cancel: CancellationToken) -> JoinHandle<()> {
    let settings = deps.endpoints.settings().clone();
    let shared = Arc::new(Shared {
        owner: Uuid::now_v7(),
        permits: Arc::new(Semaphore::new(settings.concurrency.max(1))),
        retry: RetryPolicy {
            max_attempts: u32::MAX,
            max_age: settings.max_age,
            base: settings.retry_base,
            cap: settings.retry_cap,
            // Only the doubling schedule is used here: a repeated event is told apart by its id.
            ..RetryPolicy::default()
        },
        deps,
    });
    tokio::spawn(supervise(shared, cancel))
}

async fn supervise(shared: Arc<Shared>, cancel: CancellationToken) {
    let settings = shared.deps.endpoints.settings().clone();
    let mut running: HashMap<Uuid, JoinHandle<()>> = HashMap::new();
    while !cancel.is_cancelled() {
        running.retain(|_, task| !task.is_finished());
        let room = settings.max_endpoints.saturating_sub(running.len());
        if room > 0 {
            let now = shared.deps.clock.now();
            let lease_until = now + settings.lease;
            let limit = u32::try_from(room.min(100)).unwrap_or(100);
            match shared
                .deps
                .endpoints
                .rows()
                .claim(shared.owner, now, lease_until, limit)
                .await
            {
                Ok(claimed) => {
                    for row in claimed {
                        if running.contains_key(&row.id) {
                            continue;
                        }
                        let id = row.id;
                        let task = tokio::spawn(run_endpoint(shared.clone(), row, cancel.clone()));
                        running.insert(id, task);
                    }
                }
                Err(error) => {
                    tracing::warn!(error = %error, "claiming event endpoints failed; retrying");
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(settings.poll) => {}
            () = cancel.cancelled() => {}
        }
    }
    for (_, task) in running {
        let _ = task.await;
    }
}

/// Where and how one endpoint's posts go; replaced when the endpoint is re-read (a rotated
/// secret, a new URL), and read afresh by every attempt.
struct Target {
    url: String,
    secrets: Vec<SecretString>,
}

/// An event ready to post.
struct Outgoing {
    seq: u64,
    id: Uuid,
    kind: String,
    body: Arc<Vec<u8>>,
    /// The dead-letter age counts from here.
    since: OffsetDateTime,
}

/// How one event's delivery ended.
enum Outcome {
    Delivered {
        attempts: u32,
    },
    Dead {
        attempts: u32,
        last_status: Option<u16>,
        last_error: Option<String>,
        first_attempt_at: OffsetDateTime,
        last_attempt_at: OffsetDateTime,
    },
    /// Shut down before it was done: the cursor stays before it.
    Cancelled,
}

/// What a finished delivery task was.
enum Job {
    Lane(String, Outgoing),
    Redelivery(DeadLetter),
}

struct EndpointTask {
    shared: Arc<Shared>,
    row: EventEndpoint,
    /// The persisted cursor.
    cursor: u64,
    /// The highest seq read from the log.
    read_up_to: u64,
    /// Seqs read and not done yet.
    pending: std::collections::BTreeSet<u64>,
    lanes: HashMap<String, VecDeque<Outgoing>>,
    busy: HashSet<String>,
    redelivering: HashSet<Uuid>,
    target: watch::Sender<Arc<Target>>,
}

async fn run_endpoint(shared: Arc<Shared>, row: EventEndpoint, cancel: CancellationToken) {
    let now = shared.deps.clock.now();
    let secrets = match shared.deps.endpoints.signing_secrets(&row, now) {
        Ok(secrets) => secrets,
        Err(error) => {
            tracing::error!(tenant.id = %row.tenant_id, endpoint.id = %row.id, error = %error,
                "cannot open the endpoint's signing secret; not delivering it");
            release(&shared, &row).await;
            return;
        }
    };
    let (target, _) = watch::channel(Arc::new(Target {
        url: row.url.clone(),
        secrets,
    }));
    let mut task = EndpointTask {
        cursor: row.cursor_seq,
        read_up_to: row.cursor_seq,
        shared,
        row,
        pending: std::collections::BTreeSet::new(),
        lanes: HashMap::new(),
        busy: HashSet::new(),
        redelivering: HashSet::new(),
        target,
    };
    task.run(cancel).await;
}

async fn release(shared: &Shared, row: &EventEndpoint) {
    let _ = shared
        .deps
        .endpoints
        .rows()
        .release(row.tenant_id, row.id, shared.owner)
        .await;
}

impl EndpointTask {
    fn settings(&self) -> &super::settings::EventDeliverySettings {
        self.shared.deps.endpoints.settings()
    }

    async fn run(&mut self, cancel: CancellationToken) {
        let mut jobs: JoinSet<(Job, Outcome)> = JoinSet::new();
        let renew_every = self.settings().lease / 3;
        let poll = self.settings().poll;
        let mut appended = self.shared.deps.appended.clone();
        let mut renewed = Instant::now();
        let mut holding = true;
        // The log is read when events were appended here (at most every `MIN_READ_GAP`, so a
        // busy tenant's events are read in batches) or at every poll; dead letters asked for
        // redelivery are looked for at every poll. The cursor is written at most every
        // `CURSOR_WRITE_GAP`: after a crash, delivery resumes from the last write (at least
        // once), and an endpoint that delivers thousands of events a second does not cost
        // thousands of writes.
        let mut read_wanted = true;
        // Off if the signal's sender is gone (shutdown): the poll still finds everything.
        let mut listening = true;
        let mut last_read: Option<Instant> = None;
        let mut last_poll = Instant::now();
        let mut cursor_written = Instant::now();
        while !cancel.is_cancelled() {
            if renewed.elapsed() >= renew_every {
                renewed = Instant::now();
                if !self.renew().await {
                    holding = false;
                    break;
                }
            }
            let polling = last_poll.elapsed() >= poll;
            let read_due =
                polling || (read_wanted && last_read.is_none_or(|at| at.elapsed() >= MIN_READ_GAP));
            if read_due {
                read_wanted = false;
                last_read = Some(Instant::now());
                if let Err(error) = self.read_more().await {
                    tracing::warn!(tenant.id = %self.row.tenant_id, endpoint.id = %self.row.id,
                        error = %error, "reading events failed; retrying");
                }
            }
            if polling {
                last_poll = Instant::now();
                self.start_redeliveries(&mut jobs, &cancel).await;
            }
            if cursor_written.elapsed() >= CURSOR_WRITE_GAP {
                cursor_written = Instant::now();
                if !self.advance_cursor().await {
                    holding = false;
                    break;
                }
            }
            self.start_lanes(&mut jobs, &cancel);
            // Wake for the next due read (a wanted one waits out the gap), poll or cursor write.
            let next_read = match (read_wanted, last_read) {
                (true, Some(at)) => MIN_READ_GAP.saturating_sub(at.elapsed()),
                (true, None) => Duration::ZERO,
                (false, _) => poll.saturating_sub(last_poll.elapsed()),
            };
            let wait = next_read
                .min(poll.saturating_sub(last_poll.elapsed()))
                .min(CURSOR_WRITE_GAP.saturating_sub(cursor_written.elapsed()));
            tokio::select! {
                Some(done) = jobs.join_next() => {
                    if let Ok((job, outcome)) = done {
                        self.finish(job, outcome).await;
                    }
                    // Collect whatever else finished meanwhile before looking again.
                    while let Some(Ok((job, outcome))) = jobs.try_join_next() {
                        self.finish(job, outcome).await;
                    }
                }
                changed = appended.changed(), if listening && !read_wanted => {
                    match changed {
                        Ok(()) => read_wanted = true,
                        Err(_) => listening = false,
                    }
                }
                () = tokio::time::sleep(wait) => {}
                () = cancel.cancelled() => {}
            }
        }
        // Graceful stop: attempts in flight finish (bounded by the request timeout); waits
        // end at once. What is done moves the cursor; the rest is delivered by the next owner.
        while let Some(done) = jobs.join_next().await {
            if let Ok((job, outcome)) = done {
                self.finish(job, outcome).await;
            }
        }
        if holding {
            self.advance_cursor().await;
            release(&self.shared, &self.row).await;
        }
    }

    /// Extends the lease and re-reads the endpoint (URL, secrets); `false` when it is gone,
    /// disabled or taken over.
    async fn renew(&mut self) -> bool {
        let shared = &self.shared;
        let rows = shared.deps.endpoints.rows();
        let now = shared.deps.clock.now();
        let until = now + self.settings().lease;
        match rows
            .renew(self.row.tenant_id, self.row.id, shared.owner, until)
            .await
        {
            Ok(true) => {}
            Ok(false) => return false,
            // The database is away: keep going; if the lease lapses meanwhile, the next renew
            // says so, and another owner only repeats deliveries (at least once).
            Err(_) => return true,
        }
        if let Ok(Some(row)) = rows.get(self.row.tenant_id, self.row.id).await
            && let Ok(secrets) = shared.deps.endpoints.signing_secrets(&row, now)
        {
            self.target.send_replace(Arc::new(Target {
                url: row.url.clone(),
                secrets,
            }));
            self.row.event_types = row.event_types;
        }
        if let Ok(head) = shared.deps.log.head(self.row.tenant_id).await {
            metrics::gauge!("wa_event_backlog", "tenant" => self.row.tenant_id.to_string(), "endpoint" => self.row.id.to_string())
                .set(head.saturating_sub(self.cursor) as f64);
        }
        true
    }

    async fn read_more(&mut self) -> Result<(), wa_domain::ports::StoreError> {
        let window = self.settings().window;
        while self.pending.len() < window {
            let room = u32::try_from(window - self.pending.len()).unwrap_or(READ_BATCH);
            let events = self
                .shared
                .deps
                .log
                .read(self.row.tenant_id, self.read_up_to, room.min(READ_BATCH))
                .await?;
            let Some(last) = events.last() else {
                return Ok(());
            };
            self.read_up_to = last.seq;
            let full = events.len() == room.min(READ_BATCH) as usize;
            for event in events {
                self.take(event);
            }
            if !full {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Queues an event on its customer's lane, unless the endpoint does not want its type.
    fn take(&mut self, event: Event) {
        let kind = event.payload.kind();
        if let Some(types) = &self.row.event_types
            && !types.iter().any(|t| t == kind)
        {
            return;
        }
        let lane = match event.payload.customer() {
            Some(customer) => serde_json::to_string(customer).unwrap_or_default(),
            None => String::new(),
        };
        let body = match serde_json::to_vec(&event) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(tenant.id = %self.row.tenant_id, event.seq = event.seq, error = %error,
                    "an event did not serialise; skipping it");
                return;
            }
        };
        self.pending.insert(event.seq);
        self.lanes.entry(lane).or_default().push_back(Outgoing {
            seq: event.seq,
            id: event.id.as_uuid(),
            kind: kind.to_owned(),
            body: Arc::new(body),
            since: event.recorded_at,
        });
    }

    /// Moves the cursor to just before the oldest pending event; `false` when the lease is lost.
    async fn advance_cursor(&mut self) -> bool {
        let done_up_to = match self.pending.first() {
            Some(oldest) => oldest - 1,
            None => self.read_up_to,
        };
        if done_up_to <= self.cursor {
            return true;
        }
        match self
            .shared
            .deps
            .endpoints
            .rows()
            .advance_cursor(
                self.row.tenant_id,
                self.row.id,
                self.shared.owner,
                done_up_to,
            )
            .await
        {
            Ok(true) => {
                self.cursor = done_up_to;
                true
            }
            Ok(false) => false,
            // Kept in memory; written on the next success.
            Err(_) => true,
        }
    }

    fn start_lanes(&mut self, jobs: &mut JoinSet<(Job, Outcome)>, cancel: &CancellationToken) {
        let limit = self.settings().per_endpoint.max(1);
        for (lane, queue) in &mut self.lanes {
            if jobs.len() >= limit {
                break;
            }
            if self.busy.contains(lane) {
                continue;
            }
            let Some(outgoing) = queue.pop_front() else {
                continue;
            };
            self.busy.insert(lane.clone());
            let shared = self.shared.clone();
            let target = self.target.subscribe();
            let cancel = cancel.clone();
            let lane = lane.clone();
            jobs.spawn(async move {
                let outcome = deliver(&shared, target, &outgoing, &cancel).await;
                (Job::Lane(lane, outgoing), outcome)
            });
        }
        self.lanes
            .retain(|lane, queue| !queue.is_empty() || self.busy.contains(lane));
    }

    async fn start_redeliveries(
        &mut self,
        jobs: &mut JoinSet<(Job, Outcome)>,
        cancel: &CancellationToken,
    ) {
        if jobs.len() >= self.settings().per_endpoint.max(1) {
            return;
        }
        let Ok(due) = self
            .shared
            .deps
            .endpoints
            .rows()
            .due_redeliveries(self.row.tenant_id, self.row.id, REDELIVERY_BATCH)
            .await
        else {
            return;
        };
        for letter in due {
            if !self.redelivering.insert(letter.id) {
                continue;
            }
            let outgoing = Outgoing {
                seq: letter.event_seq,
                id: letter.event_id,
                kind: letter.event_type.clone(),
                body: Arc::new(letter.body.clone().into_bytes()),
                since: letter
                    .redeliver_requested_at
                    .unwrap_or_else(|| self.shared.deps.clock.now()),
            };
            let shared = self.shared.clone();
            let target = self.target.subscribe();
            let cancel = cancel.clone();
            jobs.spawn(async move {
                let outcome = deliver(&shared, target, &outgoing, &cancel).await;
                (Job::Redelivery(letter), outcome)
            });
        }
    }

    async fn finish(&mut self, job: Job, outcome: Outcome) {
        let rows = self.shared.deps.endpoints.rows();
        let now = self.shared.deps.clock.now();
        match job {
            Job::Lane(lane, outgoing) => {
                self.busy.remove(&lane);
                match outcome {
                    Outcome::Delivered { .. } => {
                        self.pending.remove(&outgoing.seq);
                    }
                    Outcome::Dead {
                        attempts,
                        last_status,
                        last_error,
                        first_attempt_at,
                        last_attempt_at,
                    } => {
                        let letter = DeadLetter {
                            id: Uuid::now_v7(),
                            tenant_id: self.row.tenant_id,
                            endpoint_id: self.row.id,
                            event_id: outgoing.id,
                            event_seq: outgoing.seq,
                            event_type: outgoing.kind.clone(),
                            body: String::from_utf8_lossy(&outgoing.body).into_owned(),
                            attempts,
                            last_status,
                            last_error,
                            first_attempt_at,
                            last_attempt_at,
                            dead_at: now,
                            redeliver_requested_at: None,
                            delivered_at: None,
                        };
                        match rows.put_dead_letter(&letter).await {
                            Ok(()) => {
                                tracing::warn!(tenant.id = %self.row.tenant_id, endpoint.id = %self.row.id,
                                    event.seq = outgoing.seq, attempts, "event moved to dead letters");
                                self.pending.remove(&outgoing.seq);
                            }
                            Err(error) => {
                                // Not recorded: put it back at the front of its lane so it is
                                // neither lost nor passed by later events of its customer.
                                tracing::warn!(error = %error, "storing a dead letter failed; retrying it");
                                self.lanes.entry(lane).or_default().push_front(outgoing);
                            }
                        }
                    }
                    Outcome::Cancelled => {}
                }
            }
            Job::Redelivery(letter) => {
                self.redelivering.remove(&letter.id);
                match outcome {
                    Outcome::Delivered { attempts } => {
                        let _ = rows
                            .mark_redelivered(self.row.tenant_id, letter.id, attempts, now)
                            .await;
                    }
                    Outcome::Dead {
                        attempts,
                        last_status,
                        last_error,
                        first_attempt_at,
                        last_attempt_at,
                    } => {
                        let again = DeadLetter {
                            attempts,
                            last_status,
                            last_error,
                            first_attempt_at,
                            last_attempt_at,
                            dead_at: now,
                            redeliver_requested_at: None,
                            delivered_at: None,
                            ..letter
                        };
                        let _ = rows.put_dead_letter(&again).await;
                    }
                    Outcome::Cancelled => {}
                }
            }
        }
    }
}

/// Posts one event until the endpoint accepts it, it is too old, or the worker stops.
async fn deliver(
    shared: &Shared,
    target: watch::Receiver<Arc<Target>>,
    outgoing: &Outgoing,
    cancel: &CancellationToken,
) -> Outcome {
    let settings = shared.deps.endpoints.settings();
    let mut attempts = 0u32;
    let mut first_attempt_at = None;
    loop {
        if cancel.is_cancelled() {
            return Outcome::Cancelled;
        }
        let permit = tokio::select! {
            permit = shared.permits.clone().acquire_owned() => permit,
            () = cancel.cancelled() => return Outcome::Cancelled,
        };
        let now = shared.deps.clock.now();
        first_attempt_at.get_or_insert(now);
        attempts += 1;
        let current = target.borrow().clone();
        let started = Instant::now();
        let result = post(&shared.deps.client, settings, &current, outgoing, now).await;
        drop(permit);
        metrics::histogram!("wa_event_delivery_seconds").record(started.elapsed().as_secs_f64());
        let (status, error) = match result {
            Ok(status) if (200..300).contains(&status) => {
                metrics::counter!("wa_event_deliveries_total", "outcome" => "delivered")
                    .increment(1);
                return Outcome::Delivered { attempts };
            }
            Ok(status) => (
                Some(status),
                Some(format!("the endpoint answered {status}")),
            ),
            Err(error) => (None, Some(error)),
        };
        metrics::counter!("wa_event_deliveries_total", "outcome" => "failed").increment(1);
        let now = shared.deps.clock.now();
        if now - outgoing.since >= settings.max_age {
            metrics::counter!("wa_event_deliveries_total", "outcome" => "dead").increment(1);
            return Outcome::Dead {
                attempts,
                last_status: status,
                last_error: error,
                first_attempt_at: first_attempt_at.unwrap_or(now),
                last_attempt_at: now,
            };
        }
        let wait = shared
            .retry
            .wait(ErrorClass::Retryable, attempts, rand::random::<f64>());
        // Never wait past the moment the event becomes a dead letter: that last try decides.
        let left = settings.max_age - (now - outgoing.since);
        let wait = wait.min(left).max(time::Duration::milliseconds(10));
        let wait = Duration::try_from(wait).unwrap_or(Duration::from_millis(10));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = cancel.cancelled() => return Outcome::Cancelled,
        }
    }
}

/// One signed POST; the status, or why there was none (never the secret or the body).
async fn post(
    client: &reqwest::Client,
    settings: &super::settings::EventDeliverySettings,
    target: &Target,
    outgoing: &Outgoing,
    now: OffsetDateTime,
) -> Result<u16, String> {
    // Literal addresses do not pass the resolver: checked here, before every post.
    let url = settings
        .policy
        .check_url(&target.url)
        .map_err(|refused| refused.to_string())?;
    let timestamp = now.unix_timestamp();
    let signature = signature::header(&target.secrets, timestamp, &outgoing.body);
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Wa-Event-Id", outgoing.id.to_string())
        .header("X-Wa-Event-Type", &outgoing.kind)
        .header("X-Wa-Timestamp", timestamp.to_string())
        .header("X-Wa-Signature", signature)
        .body(outgoing.body.as_ref().clone())
        .send()
        .await
        .map_err(|error| describe(&error))?;
    Ok(response.status().as_u16())
}

/// A transport error in words, with its causes (which name no secret: the URL is the tenant's).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let chain = crate::http::error::error_chain(error);
    let mut text = format!("{kind}: {chain}");
    text.truncate(500);
    text
}
