//! Time as the simulator's rules see it: the customer service window, rate limits and webhook
//! timestamps all read one injectable [`Clock`], so tests can jump a day ahead instead of waiting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time, as a duration since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    /// The current time since the Unix epoch.
    fn now(&self) -> Duration;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        // A clock before 1970 is a broken machine; zero keeps the rules working anyway.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
    }
}

/// Another clock moved forward by an offset that can only grow.
///
/// The simulator always runs on an `OffsetClock`, so the control API can advance time
/// (`POST /_sim/clock/advance`) even when the base clock is the system clock.
#[derive(Debug)]
pub struct OffsetClock<C = SystemClock> {
    base: C,
    offset_nanos: AtomicU64,
}

impl<C: Clock> OffsetClock<C> {
    /// Wraps `base` with a zero offset.
    pub fn new(base: C) -> Self {
        Self {
            base,
            offset_nanos: AtomicU64::new(0),
        }
    }

    /// Moves this clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.offset_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The total offset added so far.
    pub fn offset(&self) -> Duration {
        Duration::from_nanos(self.offset_nanos.load(Ordering::Relaxed))
    }
}

impl<C: Clock> Clock for OffsetClock<C> {
    fn now(&self) -> Duration {
        self.base.now() + self.offset()
    }
}

/// A clock that only moves when told to; for deterministic unit tests.
#[derive(Debug)]
pub struct ManualClock {
    nanos: AtomicU64,
}

impl ManualClock {
    /// A clock standing at `at` since the Unix epoch.
    pub fn new(at: Duration) -> Self {
        Self {
            nanos: AtomicU64::new(u64::try_from(at.as_nanos()).unwrap_or(u64::MAX)),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

/// Nanoseconds since the epoch as `u64` (good until the year 2554).
pub(crate) fn nanos(at: Duration) -> u64 {
    u64::try_from(at.as_nanos()).unwrap_or(u64::MAX)
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
}
