//! The retry schedule: Meta's 4^X pair-rate rule, doubling with a cap, jitter bounds, and the
//! attempt and age limits, and the grace period of a failure in doubt.

use time::{Duration, macros::datetime};

use super::{Failed, RetryDecision, RetryPolicy};
use crate::error_class::{ErrorClass, RateLimitScope};

const PAIR: ErrorClass = ErrorClass::RateLimited {
    scope: RateLimitScope::RecipientPair,
};
const THROUGHPUT: ErrorClass = ErrorClass::RateLimited {
    scope: RateLimitScope::PhoneNumber,
};

#[test]
fn pair_rate_waits_follow_four_to_the_x_seconds() {
    let policy = RetryPolicy::default();
    let waits: Vec<i64> = (1..=6)
        .map(|attempt| policy.wait(PAIR, attempt, 0.0).whole_seconds())
        .collect();
    assert_eq!(waits, [1, 4, 16, 64, 256, 1024]);
    // Jitter only ever adds, by at most a tenth: Meta's wait is a minimum.
    let jittered = policy.wait(PAIR, 3, 0.999);
    assert!(jittered >= Duration::seconds(16) && jittered <= Duration::seconds(16) * 1.1);
    // Far along the schedule the wait stops growing.
    assert_eq!(policy.wait(PAIR, 40, 0.0), Duration::hours(1));
}

#[test]
fn other_temporary_failures_double_from_the_base_up_to_the_cap() {
    let policy = RetryPolicy {
        base: Duration::seconds(2),
        cap: Duration::seconds(60),
        ..RetryPolicy::default()
    };
    // With the largest jitter the wait approaches the full doubling value from below.
    let upper: Vec<i64> = (1..=7)
        .map(|attempt| {
            policy
                .wait(ErrorClass::Retryable, attempt, 0.999_999)
                .whole_seconds()
        })
        .collect();
    assert_eq!(upper, [1, 3, 7, 15, 31, 59, 59]);
    // With none it is half of it.
    let lower: Vec<i64> = (1..=7)
        .map(|attempt| {
            policy
                .wait(ErrorClass::Retryable, attempt, 0.0)
                .whole_seconds()
        })
        .collect();
    assert_eq!(lower, [1, 2, 4, 8, 16, 30, 30]);
    assert!(policy.wait(ErrorClass::Retryable, u32::MAX, 0.5) <= Duration::seconds(60));
}

#[test]
fn throughput_errors_wait_briefly() {
    let policy = RetryPolicy::default();
    assert!(policy.wait(THROUGHPUT, 1, 0.999) < Duration::seconds(1));
    assert_eq!(policy.wait(THROUGHPUT, 20, 0.0), Duration::seconds(15));
}

#[test]
fn jitter_outside_the_unit_interval_is_clamped() {
    let policy = RetryPolicy::default();
    let low = policy.wait(ErrorClass::Retryable, 3, 0.0);
    let high = policy.wait(ErrorClass::Retryable, 3, 1.0);
    assert_eq!(policy.wait(ErrorClass::Retryable, 3, -5.0), low);
    assert_eq!(policy.wait(ErrorClass::Retryable, 3, 7.0), high);
    assert_eq!(policy.wait(ErrorClass::Retryable, 3, f64::NAN), low);
}

#[test]
fn gives_up_after_the_attempt_limit_or_the_age_limit() {
    let policy = RetryPolicy {
        max_attempts: 3,
        max_age: Duration::hours(1),
        ..RetryPolicy::default()
    };
    let created = datetime!(2026-11-24 10:00 UTC);
    let now = created + Duration::minutes(1);
    assert_eq!(
        policy.decide(Failed::sure(ErrorClass::Retryable), 2, created, now, 0.0),
        RetryDecision::At(now + Duration::seconds(2))
    );
    assert_eq!(
        policy.decide(Failed::sure(ErrorClass::Retryable), 3, created, now, 0.0),
        RetryDecision::GiveUp
    );
    // The next attempt would come after the message's useful life.
    let late = created + Duration::minutes(59) + Duration::seconds(59);
    assert_eq!(
        policy.decide(Failed::sure(ErrorClass::Retryable), 2, created, late, 0.0),
        RetryDecision::GiveUp
    );
}

#[test]
fn classes_that_cannot_succeed_later_give_up_at_once() {
    let policy = RetryPolicy::default();
    let now = datetime!(2026-11-24 10:00 UTC);
    for class in [
        ErrorClass::Permanent,
        ErrorClass::WindowClosed,
        ErrorClass::AuthInvalid,
    ] {
        assert_eq!(
            policy.decide(Failed::sure(class), 1, now, now, 0.5),
            RetryDecision::GiveUp,
            "{class}"
        );
    }
}

#[test]
fn a_failure_in_doubt_waits_at_least_the_grace_period() {
    let policy = RetryPolicy {
        in_doubt_grace: Duration::seconds(45),
        ..RetryPolicy::default()
    };
    let created = datetime!(2026-11-24 10:00 UTC);
    let in_doubt = Failed {
        class: ErrorClass::Retryable,
        in_doubt: true,
    };
    // The first retry would come after 1-2 s; in doubt it waits for the status webhook.
    assert_eq!(
        policy.decide(in_doubt, 1, created, created, 0.0),
        RetryDecision::At(created + Duration::seconds(45))
    );
    assert_eq!(
        policy.decide(
            Failed::sure(ErrorClass::Retryable),
            1,
            created,
            created,
            0.0
        ),
        RetryDecision::At(created + Duration::seconds(1))
    );
    // A longer scheduled wait is kept as it is.
    let late = policy.wait(ErrorClass::Retryable, 8, 0.0);
    assert!(late > Duration::seconds(45));
    assert_eq!(
        policy.decide(in_doubt, 8, created, created, 0.0),
        RetryDecision::At(created + late)
    );
    // In doubt or not, the limits still end it.
    assert_eq!(
        policy.decide(in_doubt, policy.max_attempts, created, created, 0.0),
        RetryDecision::GiveUp
    );
}
