//! Latency samples and their percentiles.

/// Samples in milliseconds, sorted.
pub(crate) struct Latencies(Vec<f64>);

impl Latencies {
    pub(crate) fn new(samples: impl IntoIterator<Item = f64>) -> Self {
        let mut samples: Vec<f64> = samples.into_iter().collect();
        samples.sort_by(f64::total_cmp);
        Self(samples)
    }

    /// The nearest-rank percentile (`q` in 0..=1); 0 without samples.
    pub(crate) fn percentile(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let rank = (q * self.0.len() as f64).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1]
    }
}
