//! Table and property tests for the lifecycle state machine.

use proptest::prelude::*;
use time::macros::datetime;

use super::*;
use MessageStatus::*;

/// Every (state, incoming) pair with its expected transition: 49 rows.
#[test]
fn every_pair_of_state_and_incoming_status() {
    let adv = |from, to| Transition::Advanced { from, to };
    let table: [(MessageStatus, MessageStatus, Transition); 49] = [
        (Pending, Pending, Transition::Ignored),
        (Pending, Accepted, adv(Pending, Accepted)),
        (Pending, Sent, adv(Pending, Sent)),
        (Pending, Delivered, adv(Pending, Delivered)),
        (Pending, Read, adv(Pending, Read)),
        (Pending, Played, adv(Pending, Played)),
        (Pending, Failed, adv(Pending, Failed)),
        (Accepted, Pending, Transition::Ignored),
        (Accepted, Accepted, Transition::Duplicate),
        (Accepted, Sent, adv(Accepted, Sent)),
        (Accepted, Delivered, adv(Accepted, Delivered)),
        (Accepted, Read, adv(Accepted, Read)),
        (Accepted, Played, adv(Accepted, Played)),
        (Accepted, Failed, adv(Accepted, Failed)),
        (Sent, Pending, Transition::Ignored),
        (Sent, Accepted, Transition::Stale),
        (Sent, Sent, Transition::Duplicate),
        (Sent, Delivered, adv(Sent, Delivered)),
        (Sent, Read, adv(Sent, Read)),
        (Sent, Played, adv(Sent, Played)),
        (Sent, Failed, adv(Sent, Failed)),
        (Delivered, Pending, Transition::Ignored),
        (Delivered, Accepted, Transition::Stale),
        (Delivered, Sent, Transition::Stale),
        (Delivered, Delivered, Transition::Duplicate),
        (Delivered, Read, adv(Delivered, Read)),
        (Delivered, Played, adv(Delivered, Played)),
        (Delivered, Failed, adv(Delivered, Failed)),
        (Read, Pending, Transition::Ignored),
        (Read, Accepted, Transition::Stale),
        (Read, Sent, Transition::Stale),
        (Read, Delivered, Transition::Stale),
        (Read, Read, Transition::Duplicate),
        (Read, Played, adv(Read, Played)),
        (Read, Failed, adv(Read, Failed)),
        (Played, Pending, Transition::Ignored),
        (Played, Accepted, Transition::Stale),
        (Played, Sent, Transition::Stale),
        (Played, Delivered, Transition::Stale),
        (Played, Read, Transition::Stale),
        (Played, Played, Transition::Duplicate),
        (Played, Failed, adv(Played, Failed)),
        (Failed, Pending, Transition::Ignored),
        (Failed, Accepted, Transition::AfterFailure),
        (Failed, Sent, Transition::AfterFailure),
        (Failed, Delivered, Transition::AfterFailure),
        (Failed, Read, Transition::AfterFailure),
        (Failed, Played, Transition::AfterFailure),
        (Failed, Failed, Transition::Duplicate),
    ];
    for (current, incoming, expected) in table {
        assert_eq!(
            transition(current, incoming),
            expected,
            "{current} + {incoming}"
        );
    }
}

#[test]
fn read_before_delivered_ends_at_read_and_keeps_both_times() {
    let mut life = Lifecycle::pending();
    life.apply(Accepted, datetime!(2026-11-24 10:00 UTC));
    life.apply(Read, datetime!(2026-11-24 10:02 UTC));
    assert_eq!(
        life.apply(Delivered, datetime!(2026-11-24 10:01 UTC)),
        Transition::Stale
    );
    assert_eq!(life.status, Read);
    assert_eq!(
        life.timestamps.delivered_at,
        Some(datetime!(2026-11-24 10:01 UTC))
    );
    assert_eq!(
        life.timestamps.read_at,
        Some(datetime!(2026-11-24 10:02 UTC))
    );
}

#[test]
fn second_delivered_changes_nothing() {
    let mut life = Lifecycle::pending();
    life.apply(Delivered, datetime!(2026-11-24 10:01 UTC));
    let before = life;
    assert_eq!(
        life.apply(Delivered, datetime!(2026-11-24 10:05 UTC)),
        Transition::Duplicate
    );
    assert_eq!(life, before);
}

#[test]
fn delivered_after_failed_is_recorded_not_rejected() {
    let mut life = Lifecycle::pending();
    life.apply(Failed, datetime!(2026-11-24 10:00 UTC));
    assert_eq!(
        life.apply(Delivered, datetime!(2026-11-24 10:03 UTC)),
        Transition::AfterFailure
    );
    assert_eq!(life.status, Failed);
    assert_eq!(
        life.timestamps.delivered_at,
        Some(datetime!(2026-11-24 10:03 UTC))
    );
}

#[test]
fn rank_round_trips_and_names_parse() {
    for status in MessageStatus::ALL {
        assert_eq!(MessageStatus::from_rank(status.rank()), Some(status));
        assert_eq!(status.as_str().parse::<MessageStatus>().unwrap(), status);
    }
    assert!("queued".parse::<MessageStatus>().is_err());
    assert_eq!(MessageStatus::from_rank(7), None);
}

fn status_strategy() -> impl Strategy<Value = MessageStatus> {
    prop::sample::select(MessageStatus::ALL.to_vec())
}

proptest! {
    /// Any order of the same statuses (with the same times) ends in the same lifecycle.
    #[test]
    fn order_does_not_matter(
        updates in prop::collection::vec((status_strategy(), 0i64..10_000), 0..12),
        seed in any::<u64>(),
    ) {
        let base = datetime!(2026-11-24 00:00 UTC);
        let apply_all = |updates: &[(MessageStatus, i64)]| {
            let mut life = Lifecycle::pending();
            for (status, offset) in updates {
                life.apply(*status, base + time::Duration::seconds(*offset));
            }
            life
        };
        let mut shuffled = updates.clone();
        // A deterministic shuffle driven by the seed (Fisher-Yates with an LCG).
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = (state >> 33) as usize % (i + 1);
            shuffled.swap(i, j);
        }
        let expected_state = updates
            .iter()
            .map(|(status, _)| *status)
            .filter(|status| *status != Pending)
            .max_by_key(|status| status.rank())
            .unwrap_or(Pending);
        let original = apply_all(&updates);
        prop_assert_eq!(original, apply_all(&shuffled));
        prop_assert_eq!(original.status, expected_state);
    }

    /// The state never moves to a lower rank.
    #[test]
    fn never_moves_backwards(updates in prop::collection::vec(status_strategy(), 0..20)) {
        let mut life = Lifecycle::pending();
        let at = datetime!(2026-11-24 00:00 UTC);
        for status in updates {
            let before = life.status.rank();
            life.apply(status, at);
            prop_assert!(life.status.rank() >= before);
        }
    }
}
