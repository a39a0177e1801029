//! The generic cell rate algorithm (GCRA), used for per-number throughput and the pair rate.
//!
//! GCRA keeps one number per key, the theoretical arrival time (TAT) of the next cell: a request
//! at `now` conforms when `TAT - tolerance <= now`, and then moves the TAT one emission interval
//! further. It is a token bucket without a refill task, and its state fits in an atomic.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A rate of `count` cells per `period`, with bursts of up to `burst` cells at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gcra {
    interval_ns: u64,
    tolerance_ns: u64,
}

impl Gcra {
    /// `count` cells per `period`, `burst` (at least 1) of them back to back.
    pub(crate) fn new(count: u32, period: Duration, burst: u32) -> Self {
        let count = u64::from(count.max(1));
        let interval_ns = (crate::clock::nanos(period) / count).max(1);
        let tolerance_ns = interval_ns.saturating_mul(u64::from(burst.max(1)) - 1);
        Self {
            interval_ns,
            tolerance_ns,
        }
    }

    /// One step on a plain TAT: `Ok(new_tat)` if a cell at `now_ns` conforms, otherwise
    /// `Err(wait)` with how long until it would.
    pub(crate) fn step(&self, tat: u64, now_ns: u64) -> Result<u64, Duration> {
        let tat = tat.max(now_ns);
        let earliest = tat - self.tolerance_ns.min(tat);
        if earliest > now_ns {
            return Err(Duration::from_nanos(earliest - now_ns));
        }
        Ok(tat.saturating_add(self.interval_ns))
    }

    /// [`Gcra::step`] on an atomic TAT, lock-free.
    pub(crate) fn check(&self, tat: &AtomicU64, now_ns: u64) -> Result<(), Duration> {
        let mut current = tat.load(Ordering::Acquire);
        loop {
            let next = self.step(current, now_ns)?;
            match tat.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(()),
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_one_cell_per_interval() {
        // 1 per 6 s with a burst of 45: Meta's pair rate.
        let gcra = Gcra::new(1, Duration::from_secs(6), 45);
        let tat = AtomicU64::new(0);
        let start = 1_000_000_000_000u64;
        for _ in 0..45 {
            assert!(gcra.check(&tat, start).is_ok());
        }
        let wait = gcra.check(&tat, start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(6));
        assert!(gcra.check(&tat, start + 6_000_000_000).is_ok());
        assert!(gcra.check(&tat, start + 6_000_000_000).is_err());
    }

    #[test]
    fn throughput_of_80_per_second_admits_80_at_once() {
        let gcra = Gcra::new(80, Duration::from_secs(1), 80);
        let tat = AtomicU64::new(0);
        let now = 5_000_000_000u64;
        let admitted = (0..200).filter(|_| gcra.check(&tat, now).is_ok()).count();
        assert_eq!(admitted, 80);
        // After 1/80 s one more cell conforms.
        assert!(gcra.check(&tat, now + 12_500_000).is_ok());
    }
}
