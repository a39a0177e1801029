//! Window deadlines: writes `window.closing` (`WA_WINDOW_CLOSING_LEAD_MINUTES` before a window
//! closes) and `window.closed` events.
//!
//! Time passing changes no row, so nothing else would write these events. The store announces
//! each expiry once (it records the expiry it announced, in the same transaction as the event),
//! so several processes can run this worker side by side.

use std::{sync::Arc, time::Duration};

use tokio_util::sync::CancellationToken;
use wa_domain::ports::{Clock, StoreError, WindowAnnouncements, WindowDeadlines};

use crate::event_feed::EventFeed;

/// Windows announced per transaction.
pub const BATCH: u32 = 500;
/// How often to look for deadlines.
const INTERVAL: Duration = Duration::from_secs(15);

/// Starts the worker; it stops when `cancel` fires.
pub fn spawn(
    deadlines: Arc<dyn WindowDeadlines>,
    clock: Arc<dyn Clock>,
    lead: time::Duration,
    feed: EventFeed,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match run_once(deadlines.as_ref(), clock.as_ref(), lead).await {
                Ok(announced) if announced.total() > 0 => feed.notify(),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = %error, "window deadlines could not be announced; will retry");
                }
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(INTERVAL) => {}
            }
        }
    })
}

/// Announces every due deadline, batch by batch; returns how many of each.
///
/// # Errors
/// Only storage failures.
pub async fn run_once(
    deadlines: &dyn WindowDeadlines,
    clock: &dyn Clock,
    lead: time::Duration,
) -> Result<WindowAnnouncements, StoreError> {
    let mut announced = WindowAnnouncements::default();
    loop {
        let round = deadlines.announce_due(clock.now(), lead, BATCH).await?;
        announced.closing += round.closing;
        announced.closed += round.closed;
        metrics::counter!("wa_window_events_total", "type" => "window.closing")
            .increment(round.closing);
        metrics::counter!("wa_window_events_total", "type" => "window.closed")
            .increment(round.closed);
        if round.total() < u64::from(BATCH) {
            return Ok(announced);
        }
    }
}
