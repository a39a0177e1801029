//! [`EventFeed`]: reading the tenants' event logs for long-polls and streams, woken when events
//! are appended.
//!
//! Events are appended by the stores' own transactions; the workers that cause them (the inbox
//! worker, the outbox's delivery, the send API) call [`EventFeed::notify`] after they commit, so
//! waiting readers in this process look again at once. Events appended by another process
//! (several `wa serve` on one PostgreSQL) are found by the re-check every
//! [`EventFeed::recheck`], so every reader sees every event within that interval at worst.

use std::{sync::Arc, time::Duration};

use tokio::{sync::watch, time::Instant};
use tokio_util::sync::CancellationToken;
use wa_domain::{
    event::Event,
    ids::TenantId,
    ports::{EventLog, StoreError},
};

/// How often a waiting reader looks at the log without a signal (other processes' events).
pub const DEFAULT_RECHECK: Duration = Duration::from_millis(500);

/// The event logs as readers see them; cheap to clone.
#[derive(Clone)]
pub struct EventFeed {
    log: Arc<dyn EventLog>,
    signal: Arc<watch::Sender<u64>>,
    shutdown: CancellationToken,
    recheck: Duration,
}

impl EventFeed {
    /// A feed over `log`; waits end when `shutdown` fires.
    pub fn new(log: Arc<dyn EventLog>, shutdown: CancellationToken) -> Self {
        Self {
            log,
            signal: Arc::new(watch::Sender::new(0)),
            shutdown,
            recheck: DEFAULT_RECHECK,
        }
    }

    /// The log itself.
    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }

    /// How often waiting readers look at the log without a signal.
    pub fn recheck(&self) -> Duration {
        self.recheck
    }

    /// A receiver that changes whenever [`Self::notify`] is called (for workers that wait on
    /// the log themselves).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.signal.subscribe()
    }

    /// Events were committed in this process: waiting readers look now.
    pub fn notify(&self) {
        self.signal
            .send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    /// Whether the process is shutting down (streams end then).
    pub fn is_shutting_down(&self) -> bool {
        self.shutdown.is_cancelled()
    }

    /// The tenant's events after `after` (at most `limit`); when there are none yet, waits for
    /// the first until `deadline` (for ever with `None`, until shutdown) and returns what came,
    /// possibly nothing.
    ///
    /// # Errors
    /// Only storage failures.
    pub async fn next(
        &self,
        tenant: TenantId,
        after: u64,
        limit: u32,
        deadline: Option<Instant>,
    ) -> Result<Vec<Event>, StoreError> {
        let mut signal = self.signal.subscribe();
        loop {
            // Marked seen before reading, so a notify during the read wakes the next wait.
            signal.borrow_and_update();
            let events = self.log.read(tenant, after, limit).await?;
            if !events.is_empty() || self.shutdown.is_cancelled() {
                return Ok(events);
            }
            let now = Instant::now();
            if deadline.is_some_and(|deadline| now >= deadline) {
                return Ok(events);
            }
            let look_again = deadline.map_or(now + self.recheck, |deadline| {
                deadline.min(now + self.recheck)
            });
            tokio::select! {
                changed = signal.changed() => {
                    if changed.is_err() {
                        // Cannot happen while `self` holds the sender; re-check on the timer.
                        tokio::time::sleep_until(look_again).await;
                    }
                }
                () = tokio::time::sleep_until(look_again) => {}
                () = self.shutdown.cancelled() => {}
            }
        }
    }
}
