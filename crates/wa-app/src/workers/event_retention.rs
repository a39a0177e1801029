//! Event retention: deletes events older than `WA_EVENTS_RETENTION_HOURS`, in small batches.
//!
//! Each batch is one short `DELETE` by key, oldest first, that never touches a tenant's event
//! counter, so writers are not held up; between full batches the worker yields briefly, so on
//! SQLite (one writer at a time) the write path gets its turn.

use std::{sync::Arc, time::Duration};

use tokio_util::sync::CancellationToken;
use wa_domain::ports::{Clock, EventLog, StoreError};

/// Events deleted per statement.
pub const BATCH: u32 = 1000;
/// How often to look for expired events.
const INTERVAL: Duration = Duration::from_secs(60);
/// The pause between two full batches.
const BETWEEN_BATCHES: Duration = Duration::from_millis(20);

/// Starts the retention worker; it stops when `cancel` fires.
pub fn spawn(
    log: Arc<dyn EventLog>,
    clock: Arc<dyn Clock>,
    retention: time::Duration,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(error) = run_once(log.as_ref(), clock.as_ref(), retention, &cancel).await {
                tracing::warn!(error = %error, "event retention could not prune; will retry");
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(INTERVAL) => {}
            }
        }
    })
}

/// Prunes every event recorded before `now - retention`, batch by batch; returns how many.
///
/// # Errors
/// Only storage failures.
pub async fn run_once(
    log: &dyn EventLog,
    clock: &dyn Clock,
    retention: time::Duration,
    cancel: &CancellationToken,
) -> Result<u64, StoreError> {
    let before = clock.now() - retention;
    let mut pruned = 0;
    loop {
        let deleted = log.prune(before, BATCH).await?;
        pruned += deleted;
        metrics::counter!("wa_events_pruned_total").increment(deleted);
        if deleted < u64::from(BATCH) || cancel.is_cancelled() {
            return Ok(pruned);
        }
        tokio::time::sleep(BETWEEN_BATCHES).await;
    }
}
