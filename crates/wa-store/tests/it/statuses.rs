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
