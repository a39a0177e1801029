//! When to try a failed send again, and when to give up.
//!
//! A temporary failure (`Retryable`, `RateLimited`) sends the message back to the outbox with a
//! later `next_attempt_at`. How much later depends on what failed:
//! - Meta's pair-rate limit (131056, too many messages to one user) asks for 4^X seconds, X being
//!   the number of earlier pair-rate failures (cloud-api.md §5): 1 s, 4 s, 16 s, 64 s, ...
//! - The number's throughput (130429) clears within a second or two: short doubling waits.
//! - Everything else (5xx, timeouts, 131000-style temporary errors, WABA or app limits) doubles
//!   from a base delay up to a cap.
//!
//! A failure *in doubt* (the answer was lost after the request went out, so Meta may have
//! accepted the message) waits at least [`RetryPolicy::in_doubt_grace`]: if Meta did accept it,
//! its status webhook arrives meanwhile carrying our id, records the wamid, and the retry finds
//! the message no longer pending instead of sending it a second time.
//!
//! Every wait is spread by jitter so a burst that failed together does not come back together.
//! A message gives up (and is marked `failed` with its last error) after a number of attempts or
//! an age, whichever comes first: a message that could not be sent for a day is not worth sending.
//! Permanent failures and closed windows never come here: they fail at once.
//!
//! The send use case (`usecase::send::deliver`) asks this policy and records its answer (a
//! message given up is marked `failed` there); the outbox worker only schedules the time it gives.

use time::{Duration, OffsetDateTime};

use crate::error_class::{ErrorClass, RateLimitScope};

/// The retry limits of the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; the last failure is kept when they run out.
    pub max_attempts: u32,
    /// A message older than this is not attempted again.
    pub max_age: Duration,
    /// The first wait of the doubling schedule.
    pub base: Duration,
    /// The longest wait of the doubling schedule (the pair-rate schedule has its own).
    pub cap: Duration,
    /// The shortest wait after a failure in doubt: long enough for the status webhook of a
    /// message Meta did accept to arrive first.
    pub in_doubt_grace: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 12,
            max_age: Duration::hours(24),
            base: Duration::seconds(2),
            cap: Duration::minutes(10),
            in_doubt_grace: Duration::seconds(60),
        }
    }
}

/// Longest pair-rate wait: 4^5 s is 17 minutes; past that Meta's rule stops being useful.
const PAIR_CAP: Duration = Duration::hours(1);
/// Longest wait after the number's throughput was exceeded.
const THROUGHPUT_CAP: Duration = Duration::seconds(30);

/// How an attempt failed, as far as retrying cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed {
    /// The failure's class.
    pub class: ErrorClass,
    /// The request may have been carried out (see [`RetryPolicy::in_doubt_grace`]).
    pub in_doubt: bool,
}

impl Failed {
    /// A failure known not to have been carried out.
    pub fn sure(class: ErrorClass) -> Self {
        Self {
            class,
            in_doubt: false,
        }
    }
}

/// What to do with a message whose attempt failed temporarily.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again at this time.
    At(OffsetDateTime),
    /// Stop: mark it `failed` with the last error.
    GiveUp,
}

impl RetryPolicy {
    /// Decides after a failed attempt.
    ///
    /// `attempts` counts the attempts made so far, the failed one included (so at least 1).
    /// `jitter` is a number in `[0, 1)` from the caller's random source; the wait is spread over
    /// its upper half (`[d/2, d)`) for the doubling schedules and by up to +10 % for pair-rate
    /// waits, which Meta sets as a minimum. `in_doubt` says the failed attempt may have been
    /// carried out: the wait is then at least [`RetryPolicy::in_doubt_grace`].
    pub fn decide(
        &self,
        failure: Failed,
        attempts: u32,
        created_at: OffsetDateTime,
        now: OffsetDateTime,
        jitter: f64,
    ) -> RetryDecision {
        let Failed { class, in_doubt } = failure;
        if !class.is_retryable() || attempts >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        let mut wait = self.wait(class, attempts, jitter);
        if in_doubt {
            wait = wait.max(self.in_doubt_grace);
        }
        let at = now + wait;
        if at - created_at > self.max_age {
            return RetryDecision::GiveUp;
        }
        RetryDecision::At(at)
    }

    /// The wait before the next attempt (see the module docs).
    pub fn wait(&self, class: ErrorClass, attempts: u32, jitter: f64) -> Duration {
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let exponent = attempts.saturating_sub(1).min(30);
        match class {
            ErrorClass::RateLimited {
                scope: RateLimitScope::RecipientPair,
            } => {
                let seconds = 4_i64.checked_pow(exponent).unwrap_or(i64::MAX);
                let wait = Duration::seconds(seconds).min(PAIR_CAP);
                wait + wait * (jitter * 0.1)
            }
            ErrorClass::RateLimited {
                scope: RateLimitScope::PhoneNumber,
            } => spread(
                doubling(Duration::seconds(1), exponent, THROUGHPUT_CAP),
                jitter,
            ),
            _ => spread(doubling(self.base, exponent, self.cap), jitter),
        }
    }
}

/// `base * 2^exponent`, at most `cap`.
fn doubling(base: Duration, exponent: u32, cap: Duration) -> Duration {
    let factor = 2_i32.checked_pow(exponent).unwrap_or(i32::MAX);
    base.checked_mul(factor).unwrap_or(cap).min(cap)
}

/// Spreads `wait` over `[wait/2, wait)`.
fn spread(wait: Duration, jitter: f64) -> Duration {
    wait / 2 + (wait / 2) * jitter
}

#[cfg(test)]
mod tests;
