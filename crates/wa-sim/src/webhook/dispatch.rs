//! The webhook dispatcher: a timer queue of due updates, flushed into POSTs.
//!
//! At each flush the due updates are dropped, duplicated, grouped per WABA into POSTs of at most
//! `batch_max`, possibly permuted, then signed and delivered by their own tasks (bounded by
//! `concurrency`), each retrying with doubling delays until the answer is exactly 200.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::{Instant, sleep, sleep_until};
use tokio_util::task::TaskTracker;

use crate::config::WebhookBehaviour;
use crate::records::{DeliveryAttempt, DeliveryCell, DeliveryState, WebhookDelivery};
use crate::rng::SplitMix64;
use crate::state::{Sim, lock};
use crate::webhook::{Job, Update, envelope_body, signature_header};

/// An update waiting for its time.
struct Due {
    at: Instant,
    seq: u64,
    update: Update,
    duplicate: bool,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

struct Dispatcher {
    sim: Arc<Sim>,
    client: reqwest::Client,
    tracker: TaskTracker,
    queue: BinaryHeap<Reverse<Due>>,
    seq: u64,
    rng: SplitMix64,
    permits: Arc<Semaphore>,
}

/// Runs the dispatcher until shutdown or until every queue sender is gone.
pub(crate) async fn run(
    sim: Arc<Sim>,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    tracker: TaskTracker,
) {
    let behaviour = sim.settings().webhooks.clone();
    let mut dispatcher = Dispatcher {
        client: reqwest::Client::builder()
            // Webhooks go to loopback receivers; a proxy from the environment must not intercept.
            .no_proxy()
            .build()
            .unwrap_or_default(),
        tracker,
        queue: BinaryHeap::new(),
        seq: 0,
        rng: rng_for(&behaviour),
        permits: Arc::new(Semaphore::new(behaviour.concurrency.max(1))),
        sim,
    };
    let far_future = Duration::from_secs(86_400 * 365);
    loop {
        let window = Duration::from_millis(dispatcher.sim.settings().webhooks.batch_window_ms);
        let flush_at = dispatcher.queue.peek().map_or_else(
            || Instant::now() + far_future,
            |Reverse(due)| due.at + window,
        );
        tokio::select! {
            biased;
            () = dispatcher.sim.shutdown.cancelled() => break,
            job = jobs.recv() => match job {
                None => break,
                Some(Job::Schedule(updates)) => dispatcher.schedule(updates),
                Some(Job::Reconfigure) => dispatcher.reconfigure(),
                Some(Job::Clear) => dispatcher.queue.clear(),
            },
            () = sleep_until(flush_at) => dispatcher.flush(),
        }
    }
}

fn rng_for(behaviour: &WebhookBehaviour) -> SplitMix64 {
    behaviour
        .seed
        .map_or_else(SplitMix64::from_entropy, SplitMix64::new)
}

impl Dispatcher {
    fn schedule(&mut self, updates: Vec<(Duration, Update)>) {
        let jitter = self.sim.settings().webhooks.jitter_ms;
        let now = Instant::now();
        for (delay, update) in updates {
            let extra = if jitter > 0 {
                Duration::from_millis(self.rng.below(jitter + 1))
            } else {
                Duration::ZERO
            };
            self.push(now + delay + extra, update, false);
        }
    }

    fn push(&mut self, at: Instant, update: Update, duplicate: bool) {
        self.seq += 1;
        self.queue.push(Reverse(Due {
            at,
            seq: self.seq,
            update,
            duplicate,
        }));
    }

    fn reconfigure(&mut self) {
        let behaviour = self.sim.settings().webhooks.clone();
        self.rng = rng_for(&behaviour);
        self.permits = Arc::new(Semaphore::new(behaviour.concurrency.max(1)));
    }

    fn flush(&mut self) {
        let behaviour = self.sim.settings().webhooks.clone();
        let now = Instant::now();
        let mut due = Vec::new();
        while self.queue.peek().is_some_and(|Reverse(d)| d.at <= now) {
            if let Some(Reverse(item)) = self.queue.pop() {
                due.push(item);
            }
        }
        let mut kept = Vec::with_capacity(due.len());
        for item in due {
            if self.rng.chance(behaviour.drop_rate) {
                self.record_dropped(&item);
                continue;
            }
            if !item.duplicate && self.rng.chance(behaviour.duplicate_rate) {
                // Due now, so it goes out in the next POST, after the original.
                self.push(now, item.update.clone(), true);
            }
            kept.push(item);
        }
        // POSTs are per WABA (each may have its own callback), at most `batch_max` updates each.
        let mut groups: Vec<(String, Vec<Due>)> = Vec::new();
        for item in kept {
            match groups
                .iter_mut()
                .find(|(waba, _)| *waba == item.update.waba_id)
            {
                Some((_, items)) => items.push(item),
                None => groups.push((item.update.waba_id.clone(), vec![item])),
            }
        }
        let batch_max = behaviour.batch_max.max(1);
        for (waba_id, items) in groups {
            let mut chunk = Vec::with_capacity(batch_max.min(items.len()));
            let mut items = items.into_iter().peekable();
            while let Some(item) = items.next() {
                chunk.push(item);
                if chunk.len() == batch_max || items.peek().is_none() {
                    if chunk.len() > 1 && self.rng.chance(behaviour.reorder_rate) {
                        self.permute(&mut chunk);
                    }
                    self.post(&waba_id, &chunk, &behaviour);
                    chunk.clear();
                }
            }
        }
    }

    /// A random permutation that never leaves the chunk in order.
    fn permute(&mut self, chunk: &mut [Due]) {
        for i in (1..chunk.len()).rev() {
            let j = usize::try_from(self.rng.below(i as u64 + 1)).unwrap_or(0);
            chunk.swap(i, j);
        }
        if chunk.windows(2).all(|pair| pair[0].seq < pair[1].seq) {
            chunk.rotate_left(1);
        }
    }

    fn record_dropped(&self, item: &Due) {
        let body = envelope_body(&[&item.update]);
        let delivery = WebhookDelivery {
            id: self.sim.records.next_delivery_id(),
            url: None,
            body: String::from_utf8_lossy(&body).into_owned(),
            signature: None,
            updates: 1,
            duplicate: item.duplicate,
            attempts: Vec::new(),
            state: DeliveryState::Dropped,
        };
        self.sim
            .records
            .deliveries
            .push(Arc::new(std::sync::Mutex::new(delivery)));
    }

    fn post(&self, waba_id: &str, chunk: &[Due], behaviour: &WebhookBehaviour) {
        let updates: Vec<&Update> = chunk.iter().map(|d| &d.update).collect();
        let body = Bytes::from(envelope_body(&updates));
        let settings = self.sim.settings();
        let signature = settings
            .app_secret
            .as_deref()
            .map(|secret| signature_header(secret, &body));
        let url = self.sim.callback_for(waba_id);
        let cell: DeliveryCell = Arc::new(std::sync::Mutex::new(WebhookDelivery {
            id: self.sim.records.next_delivery_id(),
            url: url.clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
            signature: signature.clone(),
            updates: chunk.len(),
            duplicate: chunk.iter().any(|d| d.duplicate),
            attempts: Vec::new(),
            state: if url.is_some() {
                DeliveryState::Pending
            } else {
                DeliveryState::Undeliverable
            },
        }));
        self.sim.records.deliveries.push(Arc::clone(&cell));
        let Some(url) = url else {
            return;
        };
        let delivery = Delivery {
            sim: Arc::clone(&self.sim),
            client: self.client.clone(),
            permits: Arc::clone(&self.permits),
            cell,
            url,
            body,
            signature,
            behaviour: behaviour.clone(),
        };
        self.tracker.spawn(delivery.run());
    }
}

/// One POST and its retries.
struct Delivery {
    sim: Arc<Sim>,
    client: reqwest::Client,
    permits: Arc<Semaphore>,
    cell: DeliveryCell,
    url: String,
    body: Bytes,
    signature: Option<String>,
    behaviour: WebhookBehaviour,
}

impl Delivery {
    async fn run(self) {
        let attempts = self.behaviour.max_attempts.max(1);
        for attempt in 1..=attempts {
            let outcome = self.attempt().await;
            let delivered = outcome.status == Some(200);
            if !delivered {
                tracing::debug!(
                    attempt,
                    status = ?outcome.status,
                    error = ?outcome.error,
                    "wa-sim webhook attempt not accepted"
                );
            }
            {
                let mut record = lock(&self.cell);
                record.attempts.push(outcome);
                if delivered {
                    record.state = DeliveryState::Delivered;
                } else if attempt == attempts {
                    record.state = DeliveryState::GaveUp;
                }
            }
            if delivered || attempt == attempts {
                return;
            }
            let exponent = (attempt - 1).min(20);
            let delay = self
                .behaviour
                .retry_initial_ms
                .saturating_mul(1 << exponent)
                .min(self.behaviour.retry_max_ms);
            tokio::select! {
                () = self.sim.shutdown.cancelled() => return,
                () = sleep(Duration::from_millis(delay)) => {}
            }
        }
    }

    async fn attempt(&self) -> DeliveryAttempt {
        let at_ms = self.sim.now_ms();
        let Ok(_permit) = self.permits.acquire().await else {
            return DeliveryAttempt {
                at_ms,
                status: None,
                error: Some("dispatcher closed".into()),
            };
        };
        let mut request = self
            .client
            .post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, "facebookexternalua")
            .timeout(Duration::from_millis(self.behaviour.timeout_ms.max(1)))
            .body(self.body.clone());
        if let Some(signature) = &self.signature {
            request = request.header("X-Hub-Signature-256", signature);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                // Read the answer so the connection can be reused.
                let _ = response.bytes().await;
                DeliveryAttempt {
                    at_ms,
                    status: Some(status),
                    error: None,
                }
            }
            Err(error) => DeliveryAttempt {
                at_ms,
                status: None,
                error: Some(error.without_url().to_string()),
            },
        }
    }
}
