//! Status webhooks: monotonic transitions, earliest timestamps, callback matching, races.

use std::sync::Arc;

use tokio::sync::Barrier;
use wa_domain::{
    error_class::ErrorClass,
    ids::{MessageId, Recipient, TenantId},
    message::{MessageFailure, Pricing, StatusOutcome},
    ports::MessageRepository,
    status::{MessageStatus, Transition},
};
use wa_store::SqlMessages;

use crate::{
    on_both_databases,
    support::{TestDb, at, outbound, phone, status, wamid},
};

on_both_databases!(
    statuses_only_move_forward_and_keep_the_earliest_time,
    a_status_found_by_callback_id_records_the_wamid,
    failure_is_terminal_but_later_times_are_kept,
    a_batch_applies_in_one_transaction_in_input_order,
    delivered_and_read_racing_always_end_at_read,
    many_tasks_applying_shuffled_statuses_agree,
    concurrent_batches_in_different_orders_end_in_the_same_state,
    a_batch_reports_and_stores_what_one_by_one_would,
);

/// An accepted outbound message with the given wamid.
async fn accepted(repo: &SqlMessages, tenant: TenantId, name: &str) -> MessageId {
    let message = outbound(tenant, Recipient::Phone(phone(1)), None);
    repo.insert_outbound(&message).await.unwrap();
    repo.mark_accepted(tenant, message.id, &wamid(name), at(0))
        .await
        .unwrap();
    message.id
}

fn applied(outcome: StatusOutcome) -> Transition {
    match outcome {
        StatusOutcome::Applied { transition, .. } => transition,
        StatusOutcome::UnknownMessage => panic!("the message should be found"),
    }
}

async fn statuses_only_move_forward_and_keep_the_earliest_time(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let id = accepted(&repo, tenant, "m").await;
    let w = wamid("m");

    let read = repo
        .apply_status(tenant, &status(&w, MessageStatus::Read, at(30)))
        .await
        .unwrap();
    assert_eq!(
        read,
        StatusOutcome::Applied {
            message_id: id,
            transition: Transition::Advanced {
                from: MessageStatus::Accepted,
                to: MessageStatus::Read
            }
        }
    );
    // Late webhooks: the state stays, their times fill the gaps.
    let mut sent = status(&w, MessageStatus::Sent, at(10));
    sent.pricing = Some(Pricing {
        billable: Some(true),
        pricing_model: Some("PMP".to_owned()),
        category: Some("utility".to_owned()),
        pricing_type: Some("regular".to_owned()),
    });
    assert_eq!(
        applied(repo.apply_status(tenant, &sent).await.unwrap()),
        Transition::Stale
    );
    let delivered = status(&w, MessageStatus::Delivered, at(20));
    assert_eq!(
        applied(repo.apply_status(tenant, &delivered).await.unwrap()),
        Transition::Stale
    );
    // Duplicates, the second reported earlier: the earliest time wins.
    let read_again = status(&w, MessageStatus::Read, at(25));
    assert_eq!(
        applied(repo.apply_status(tenant, &read_again).await.unwrap()),
        Transition::Duplicate
    );
    let pending = status(&w, MessageStatus::Pending, at(40));
    assert_eq!(
        applied(repo.apply_status(tenant, &pending).await.unwrap()),
        Transition::Ignored
    );

    let stored = repo.get(tenant, id).await.unwrap().unwrap();
    assert_eq!(stored.lifecycle.status, MessageStatus::Read);
    let times = stored.lifecycle.timestamps;
    assert_eq!(times.sent_at, Some(at(10)));
    assert_eq!(times.delivered_at, Some(at(20)));
    assert_eq!(times.read_at, Some(at(25)));
    assert_eq!(stored.pricing, sent.pricing);

    let unknown = status(&wamid("unknown"), MessageStatus::Delivered, at(1));
    assert_eq!(
        repo.apply_status(tenant, &unknown).await.unwrap(),
        StatusOutcome::UnknownMessage
    );
}

async fn a_status_found_by_callback_id_records_the_wamid(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    // The send response was lost (in doubt): no wamid stored yet.
    let message = outbound(tenant, Recipient::Phone(phone(1)), None);
    repo.insert_outbound(&message).await.unwrap();
    let mut sent = status(&wamid("late"), MessageStatus::Sent, at(5));
    sent.callback_message_id = Some(message.id);
    assert_eq!(
        repo.apply_status(tenant, &sent).await.unwrap(),
        StatusOutcome::Applied {
            message_id: message.id,
            transition: Transition::Advanced {
                from: MessageStatus::Pending,
                to: MessageStatus::Sent
            }
        }
    );
    let stored = repo
        .find_by_wamid(tenant, &wamid("late"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.id, message.id);
    assert_eq!(stored.lifecycle.status, MessageStatus::Sent);
    // The send response arriving after the webhook does not move the state back.
    assert_eq!(
        repo.mark_accepted(tenant, message.id, &wamid("late"), at(4))
            .await
            .unwrap(),
        Transition::Stale
    );
    let stored = repo.get(tenant, message.id).await.unwrap().unwrap();
    assert_eq!(stored.lifecycle.status, MessageStatus::Sent);
    assert_eq!(stored.lifecycle.timestamps.accepted_at, Some(at(4)));
}

async fn failure_is_terminal_but_later_times_are_kept(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let id = accepted(&repo, tenant, "f").await;
    let w = wamid("f");
    let mut failed = status(&w, MessageStatus::Failed, at(10));
    failed.failure = Some(MessageFailure {
        class: ErrorClass::Permanent,
        code: Some(131_026),
        title: "Message undeliverable".to_owned(),
        details: None,
        fbtrace_id: None,
    });
    assert_eq!(
        applied(repo.apply_status(tenant, &failed).await.unwrap()),
        Transition::Advanced {
            from: MessageStatus::Accepted,
            to: MessageStatus::Failed
        }
    );
    let delivered = status(&w, MessageStatus::Delivered, at(20));
    assert_eq!(
        applied(repo.apply_status(tenant, &delivered).await.unwrap()),
        Transition::AfterFailure
    );
    let stored = repo.get(tenant, id).await.unwrap().unwrap();
    assert_eq!(stored.lifecycle.status, MessageStatus::Failed);
    assert_eq!(stored.lifecycle.timestamps.delivered_at, Some(at(20)));
    assert_eq!(stored.failure, failed.failure);
}

async fn a_batch_applies_in_one_transaction_in_input_order(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let a = accepted(&repo, tenant, "a").await;
    let b = accepted(&repo, tenant, "b").await;
    let updates = [
        status(&wamid("b"), MessageStatus::Delivered, at(2)),
        status(&wamid("a"), MessageStatus::Sent, at(1)),
        status(&wamid("nobody"), MessageStatus::Sent, at(1)),
        status(&wamid("a"), MessageStatus::Read, at(3)),
        status(&wamid("b"), MessageStatus::Sent, at(1)),
    ];
    let outcomes = repo.apply_statuses(tenant, &updates).await.unwrap();
    let advanced = |message_id, from, to| StatusOutcome::Applied {
        message_id,
        transition: Transition::Advanced { from, to },
    };
    use MessageStatus::{Accepted, Delivered, Read, Sent};
    assert_eq!(
        outcomes,
        [
            advanced(b, Accepted, Delivered),
            advanced(a, Accepted, Sent),
            StatusOutcome::UnknownMessage,
            advanced(a, Sent, Read),
            StatusOutcome::Applied {
                message_id: b,
                transition: Transition::Stale
            },
        ]
    );
    assert_eq!(
        repo.get(tenant, a).await.unwrap().unwrap().lifecycle.status,
        Read
    );
    assert_eq!(
        repo.get(tenant, b).await.unwrap().unwrap().lifecycle.status,
        Delivered
    );
}

async fn delivered_and_read_racing_always_end_at_read(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = Arc::new(db.messages());
    for round in 0..20 {
        let name = format!("race{round}");
        let id = accepted(&repo, tenant, &name).await;
        let barrier = Arc::new(Barrier::new(2));
        let tasks: Vec<_> = [MessageStatus::Delivered, MessageStatus::Read]
            .into_iter()
            .map(|state| {
                let (repo, barrier, w) = (Arc::clone(&repo), Arc::clone(&barrier), wamid(&name));
                tokio::spawn(async move {
                    barrier.wait().await;
                    repo.apply_status(tenant, &status(&w, state, at(10)))
                        .await
                        .unwrap()
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let stored = repo.get(tenant, id).await.unwrap().unwrap();
        assert_eq!(
            stored.lifecycle.status,
            MessageStatus::Read,
            "round {round}"
        );
        assert_eq!(stored.lifecycle.timestamps.delivered_at, Some(at(10)));
        assert_eq!(stored.lifecycle.timestamps.read_at, Some(at(10)));
    }
}

async fn many_tasks_applying_shuffled_statuses_agree(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = Arc::new(db.messages());
    let mut ids = Vec::new();
    for n in 0..8 {
        ids.push(accepted(&repo, tenant, &format!("s{n}")).await);
    }
    // Each message gets every status twice (duplicates), with different times, from 8 tasks
    // that each walk the work in a different order.
    let mut work = Vec::new();
    for n in 0..8 {
        for (offset, state) in [
            (0, MessageStatus::Sent),
            (10, MessageStatus::Delivered),
            (20, MessageStatus::Read),
        ] {
            for copy in 0..2 {
                work.push(status(
                    &wamid(&format!("s{n}")),
                    state,
                    at(offset + copy * 5),
                ));
            }
        }
    }
    let work = Arc::new(work);
    let barrier = Arc::new(Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let (repo, work, barrier) =
                (Arc::clone(&repo), Arc::clone(&work), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                let len = work.len();
                // A different permutation per task: a stride coprime with the length.
                let stride = [1, 5, 7, 11, 13, 17, 19, 23][task];
                for step in 0..len {
                    let update = &work[(task * 3 + step * stride) % len];
                    if step % 3 == 0 {
                        repo.apply_statuses(tenant, std::slice::from_ref(update))
                            .await
                            .unwrap();
                    } else {
                        repo.apply_status(tenant, update).await.unwrap();
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    for id in ids {
        let stored = repo.get(tenant, id).await.unwrap().unwrap();
        assert_eq!(stored.lifecycle.status, MessageStatus::Read);
        assert_eq!(stored.lifecycle.timestamps.sent_at, Some(at(0)));
        assert_eq!(stored.lifecycle.timestamps.delivered_at, Some(at(10)));
        assert_eq!(stored.lifecycle.timestamps.read_at, Some(at(20)));
    }
}

async fn concurrent_batches_in_different_orders_end_in_the_same_state(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = Arc::new(db.messages());
    const MESSAGES: usize = 12;
    let mut ids = Vec::new();
    for n in 0..MESSAGES {
        ids.push(accepted(&repo, tenant, &format!("b{n}")).await);
    }
    // Every message gets sent, delivered, read and played; every third also failed, which
    // outranks them all. Each status comes twice, the copy reported 5 seconds later.
    let mut work = Vec::new();
    for n in 0..MESSAGES {
        let mut states = vec![
            (0, MessageStatus::Sent),
            (10, MessageStatus::Delivered),
            (20, MessageStatus::Read),
            (30, MessageStatus::Played),
        ];
        if n % 3 == 0 {
            states.push((15, MessageStatus::Failed));
        }
        for (offset, state) in states {
            for copy in 0..2 {
                let mut update = status(&wamid(&format!("b{n}")), state, at(offset + copy * 5));
                if state == MessageStatus::Failed {
                    update.failure = Some(MessageFailure {
                        class: ErrorClass::Permanent,
                        code: Some(131_026),
                        title: format!("copy {copy}"),
                        details: None,
                        fbtrace_id: None,
                    });
                }
                work.push(update);
            }
        }
    }
    // 6 tasks, each sending the whole work as batches of 7 in its own permutation: batches
    // that lock the same rows in different input orders run at the same time.
    let work = Arc::new(work);
    let barrier = Arc::new(Barrier::new(6));
    let tasks: Vec<_> = (0..6)
        .map(|task| {
            let (repo, work, barrier) =
                (Arc::clone(&repo), Arc::clone(&work), Arc::clone(&barrier));
            tokio::spawn(async move {
                let len = work.len();
                let stride = [1, 7, 11, 13, 17, 19][task];
                let order: Vec<_> = (0..len)
                    .map(|step| work[(task * 5 + step * stride) % len].clone())
                    .collect();
                barrier.wait().await;
                for batch in order.chunks(7) {
                    let outcomes = repo.apply_statuses(tenant, batch).await.unwrap();
                    assert_eq!(outcomes.len(), batch.len());
                    assert!(
                        outcomes
                            .iter()
                            .all(|o| matches!(o, StatusOutcome::Applied { .. }))
                    );
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    for (n, id) in ids.into_iter().enumerate() {
        let stored = repo.get(tenant, id).await.unwrap().unwrap();
        let times = stored.lifecycle.timestamps;
        assert_eq!(times.sent_at, Some(at(0)), "message {n}");
        assert_eq!(times.delivered_at, Some(at(10)), "message {n}");
        assert_eq!(times.read_at, Some(at(20)), "message {n}");
        assert_eq!(times.played_at, Some(at(30)), "message {n}");
        if n % 3 == 0 {
            assert_eq!(
                stored.lifecycle.status,
                MessageStatus::Failed,
                "message {n}"
            );
            assert_eq!(times.failed_at, Some(at(15)), "message {n}");
            // Only the update that moved the state to `failed` wrote its error.
            assert!(stored.failure.is_some_and(|f| f.code == Some(131_026)));
        } else {
            assert_eq!(
                stored.lifecycle.status,
                MessageStatus::Played,
                "message {n}"
            );
            assert_eq!(times.failed_at, None, "message {n}");
            assert_eq!(stored.failure, None, "message {n}");
        }
    }
}

/// The batched path folds a message's updates into one write; it must report and store exactly
/// what applying the same updates one at a time does.
async fn a_batch_reports_and_stores_what_one_by_one_would(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let pricing = |category: Option<&str>, billable: Option<bool>| Pricing {
        billable,
        pricing_model: Some("PMP".to_owned()),
        category: category.map(str::to_owned),
        pricing_type: None,
    };
    let failure = |code| MessageFailure {
        class: ErrorClass::Permanent,
        code: Some(code),
        title: format!("error {code}"),
        details: Some("details".to_owned()),
        fbtrace_id: Some("trace".to_owned()),
    };
    // The same story for two sets of messages: `one-…` applied one by one, `all-…` in a batch.
    let mut setup = Vec::new();
    for side in ["one", "all"] {
        let m = accepted(&repo, tenant, &format!("{side}-m")).await;
        let f = accepted(&repo, tenant, &format!("{side}-f")).await;
        // No wamid stored yet: found through the callback id.
        let c = outbound(tenant, Recipient::Phone(phone(2)), None);
        repo.insert_outbound(&c).await.unwrap();
        setup.push((m, f, c.id));
    }
    let story = |side: &str, callback: MessageId| {
        let w = |name: &str| wamid(&format!("{side}-{name}"));
        let mut updates = Vec::new();
        let mut with_pricing = status(&w("m"), MessageStatus::Sent, at(10));
        with_pricing.pricing = Some(pricing(Some("utility"), Some(true)));
        updates.push(with_pricing);
        updates.push(status(&w("m"), MessageStatus::Read, at(30)));
        let mut repriced = status(&w("m"), MessageStatus::Delivered, at(20));
        repriced.pricing = Some(pricing(None, Some(false)));
        updates.push(repriced);
        updates.push(status(&w("m"), MessageStatus::Read, at(25)));
        updates.push(status(&w("m"), MessageStatus::Pending, at(1)));
        updates.push(status(&w("nobody"), MessageStatus::Read, at(1)));
        let mut first_failure = status(&w("f"), MessageStatus::Failed, at(40));
        first_failure.failure = Some(failure(131_026));
        updates.push(status(&w("f"), MessageStatus::Delivered, at(35)));
        updates.push(first_failure);
        let mut second_failure = status(&w("f"), MessageStatus::Failed, at(38));
        second_failure.failure = Some(failure(131_049));
        updates.push(second_failure);
        updates.push(status(&w("f"), MessageStatus::Read, at(45)));
        let mut by_callback = status(&w("c"), MessageStatus::Sent, at(50));
        by_callback.callback_message_id = Some(callback);
        updates.push(by_callback);
        updates.push(status(&w("c"), MessageStatus::Delivered, at(55)));
        updates
    };
    let (one, all) = (setup[0], setup[1]);
    let mut one_by_one = Vec::new();
    for update in story("one", one.2) {
        one_by_one.push(repo.apply_status(tenant, &update).await.unwrap());
    }
    let batched = repo
        .apply_statuses(tenant, &story("all", all.2))
        .await
        .unwrap();

    let same_ids = |outcome: StatusOutcome| match outcome {
        StatusOutcome::Applied {
            message_id,
            transition,
        } => {
            let index = [all.0, all.1, all.2]
                .iter()
                .position(|id| *id == message_id)
                .expect("a message of the batch's side");
            StatusOutcome::Applied {
                message_id: [one.0, one.1, one.2][index],
                transition,
            }
        }
        unknown => unknown,
    };
    let batched: Vec<_> = batched.into_iter().map(same_ids).collect();
    assert_eq!(batched, one_by_one);
    for (left, right) in [(one.0, all.0), (one.1, all.1), (one.2, all.2)] {
        let left = repo.get(tenant, left).await.unwrap().unwrap();
        let right = repo.get(tenant, right).await.unwrap().unwrap();
        assert_eq!(right.lifecycle, left.lifecycle);
        assert_eq!(right.failure, left.failure);
        assert_eq!(right.pricing, left.pricing);
    }
    // Spot checks of what both agree on.
    let m = repo.get(tenant, all.0).await.unwrap().unwrap();
    assert_eq!(m.lifecycle.status, MessageStatus::Read);
    assert_eq!(m.lifecycle.timestamps.read_at, Some(at(25)));
    assert_eq!(m.pricing, Some(pricing(Some("utility"), Some(false))));
    let f = repo.get(tenant, all.1).await.unwrap().unwrap();
    assert_eq!(f.lifecycle.status, MessageStatus::Failed);
    assert_eq!(f.lifecycle.timestamps.failed_at, Some(at(38)));
    assert_eq!(
        f.failure,
        Some(failure(131_026)),
        "the failure that moved it is kept"
    );
    let c = repo.get(tenant, all.2).await.unwrap().unwrap();
    assert_eq!(c.wamid, Some(wamid("all-c")));
    assert_eq!(c.lifecycle.status, MessageStatus::Delivered);
}
