//! A small seeded pseudo-random generator (SplitMix64).
//!
//! The simulator needs cheap randomness for identifiers and for chaos (drops, duplicates,
//! reordering, error rates), and a seed so a scenario can be replayed. Nothing here is
//! security-relevant.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// SplitMix64: one `u64` of state, good statistical quality for this use.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator seeded from the time and a process-wide counter.
    pub(crate) fn from_entropy() -> Self {
        Self::new(entropy())
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float uniformly in `[0, 1)`.
    pub(crate) fn next_f64(&mut self) -> f64 {
        // 53 random bits make every representable value in [0, 1) with that spacing reachable.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p` (clamped to `[0, 1]`).
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.next_f64() < p
    }

    /// A value uniformly in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

fn entropy() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut mix = SplitMix64::new(time ^ count.rotate_left(32));
    mix.next_u64()
}

thread_local! {
    static THREAD_RNG: Cell<u64> = Cell::new(entropy());
}

/// A random `u64` from a per-thread generator: no lock on the request path.
pub(crate) fn thread_u64() -> u64 {
    THREAD_RNG.with(|cell| {
        let mut rng = SplitMix64::new(cell.get());
        let value = rng.next_u64();
        cell.set(rng.state);
        value
    })
}

/// A random float in `[0, 1)` from the per-thread generator.
pub(crate) fn thread_f64() -> f64 {
    (thread_u64() >> 11) as f64 / (1u64 << 53) as f64
}
