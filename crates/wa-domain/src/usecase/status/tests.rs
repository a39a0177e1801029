//! Tests for applying status batches.

use time::macros::datetime;

use crate::{
    ids::{MessageId, TenantId, WaMessageId},
    message::{StatusOutcome, StatusUpdate},
    status::{MessageStatus, Transition},
    usecase::test_support::Mocks,
};

use super::*;

fn update(wamid: &str, status: MessageStatus) -> StatusUpdate {
    StatusUpdate {
        wamid: WaMessageId::parse(wamid).unwrap(),
        callback_message_id: None,
        status,
        at: datetime!(2026-11-24 12:00 UTC),
        pricing: None,
        failure: None,
    }
}

#[tokio::test]
async fn sorts_outcomes_into_the_report() {
    let tenant = TenantId::generate();
    let id = MessageId::generate();
    let updates = vec![
        update("wamid.A", MessageStatus::Delivered),
        update("wamid.A", MessageStatus::Delivered),
        update("wamid.B", MessageStatus::Read),
        update("wamid.C", MessageStatus::Sent),
    ];
    let mut mocks = Mocks::default();
    mocks
        .messages
        .expect_apply_statuses()
        .withf(move |t, batch| *t == tenant && batch.len() == 4)
        .times(1)
        .returning(move |_, _| {
            Ok(vec![
                StatusOutcome::Applied {
                    message_id: id,
                    transition: Transition::Advanced {
                        from: MessageStatus::Sent,
                        to: MessageStatus::Delivered,
                    },
                },
                StatusOutcome::Applied {
                    message_id: id,
                    transition: Transition::Duplicate,
                },
                StatusOutcome::Applied {
                    message_id: id,
                    transition: Transition::AfterFailure,
                },
                StatusOutcome::UnknownMessage,
            ])
        });
    let report = apply_status_updates(&mocks.into_ports(), tenant, &updates)
        .await
        .unwrap();
    assert_eq!(report.advanced, 1);
    assert_eq!(report.unchanged, 1);
    assert_eq!(report.after_failure, vec![updates[2].clone()]);
    assert_eq!(report.unknown, vec![updates[3].clone()]);
}

#[tokio::test]
async fn an_empty_batch_touches_nothing() {
    let report = apply_status_updates(&Mocks::default().into_ports(), TenantId::generate(), &[])
        .await
        .unwrap();
    assert_eq!(report, StatusReport::default());
}
