//! Tests for recording inbound messages.

use std::sync::{Arc, Mutex};

use time::macros::datetime;

use crate::{
    conversation::{Conversation, ConversationId, CustomerActivity, IdentityChange},
    customer::CustomerIdentity,
    ids::{Bsuid, MessageId, PhoneNumber, TenantId, WaMessageId},
    inbound::{InboundContent, InboundMessage, SystemKind},
    ports::InboundInsert,
    usecase::test_support::{Mocks, business_number, customer},
};

use super::*;

fn inbound(wamid: &str, content: InboundContent) -> InboundMessage {
    let mut message = InboundMessage::new(
        WaMessageId::parse(wamid).unwrap(),
        customer(),
        datetime!(2026-11-24 11:00 UTC),
        content,
    );
    message.profile_name = Some("דוד".to_owned());
    message
}

fn text(body: &str) -> InboundContent {
    InboundContent::Text {
        body: body.to_owned(),
    }
}

type Activities = Arc<Mutex<Vec<CustomerActivity>>>;

fn recording_conversations(mocks: &mut Mocks, tenant: TenantId) -> Activities {
    let activities: Activities = Arc::default();
    let recorded = activities.clone();
    mocks
        .conversations
        .expect_record_activity()
        .returning(move |t, number, activity| {
            assert_eq!(t, tenant);
            assert_eq!(
                number,
                &business_number(),
                "the window of the number written to"
            );
            recorded.lock().unwrap().push(activity.clone());
            Ok(Conversation {
                id: ConversationId::generate(),
                tenant_id: t,
                phone_number_id: number.clone(),
                customer: activity.customer.clone(),
                profile_name: activity.profile_name.clone(),
                window: None,
                last_message_at: None,
                message_count: 1,
            })
        });
    activities
}

#[tokio::test]
async fn new_messages_are_stored_counted_and_open_the_window() {
    let tenant = TenantId::generate();
    let mut mocks = Mocks::default();
    mocks
        .messages
        .expect_insert_inbound_batch()
        .withf(move |t, n, batch| *t == tenant && *n == business_number() && batch.len() == 1)
        .returning(|_, _, batch| {
            Ok(batch
                .iter()
                .map(|(id, _)| InboundInsert::Inserted(*id))
                .collect())
        });
    let activities = recording_conversations(&mut mocks, tenant);
    let report = record_inbound(
        &mocks.into_ports(),
        tenant,
        &business_number(),
        &[inbound("wamid.1", text("שלום 👋"))],
    )
    .await
    .unwrap();
    assert_eq!(report.inserted.len(), 1);
    let activity = activities.lock().unwrap()[0].clone();
    assert!(activity.opens_window);
    assert!(activity.count_message);
    assert_eq!(activity.at, datetime!(2026-11-24 11:00 UTC));
    assert_eq!(activity.profile_name.as_deref(), Some("דוד"));
}

#[tokio::test]
async fn a_replay_refreshes_the_conversation_without_counting_twice() {
    let tenant = TenantId::generate();
    let mut mocks = Mocks::default();
    mocks
        .messages
        .expect_insert_inbound_batch()
        .returning(|_, _, batch| Ok(vec![InboundInsert::Duplicate; batch.len()]));
    let activities = recording_conversations(&mut mocks, tenant);
    let report = record_inbound(
        &mocks.into_ports(),
        tenant,
        &business_number(),
        &[inbound("wamid.1", text("hi"))],
    )
    .await
    .unwrap();
    assert_eq!(report.duplicates, 1);
    assert!(report.inserted.is_empty());
    let activity = activities.lock().unwrap()[0].clone();
    assert!(
        activity.opens_window,
        "the window is refreshed again, idempotently"
    );
    assert!(!activity.count_message);
}

#[tokio::test]
async fn reactions_do_not_open_the_window() {
    let tenant = TenantId::generate();
    let mut mocks = Mocks::default();
    mocks
        .messages
        .expect_insert_inbound_batch()
        .returning(|_, _, batch| {
            Ok(batch
                .iter()
                .map(|(id, _)| InboundInsert::Inserted(*id))
                .collect())
        });
    let activities = recording_conversations(&mut mocks, tenant);
    let reaction = InboundContent::Reaction {
        message_id: WaMessageId::parse("wamid.ours").unwrap(),
        emoji: Some("👍".into()),
    };
    record_inbound(
        &mocks.into_ports(),
        tenant,
        &business_number(),
        &[inbound("wamid.2", reaction)],
    )
    .await
    .unwrap();
    assert!(!activities.lock().unwrap()[0].opens_window);
}

#[tokio::test]
async fn a_changed_number_moves_the_conversation() {
    let tenant = TenantId::generate();
    let mut mocks = Mocks::default();
    mocks
        .messages
        .expect_insert_inbound_batch()
        .returning(|_, _, batch| {
            Ok(batch
                .iter()
                .map(|(id, _)| InboundInsert::Inserted(*id))
                .collect())
        });
    let activities = recording_conversations(&mut mocks, tenant);
    let new_phone = PhoneNumber::parse("972529876543").unwrap();
    let new_user = Bsuid::parse("IL.987654321").unwrap();
    let expected = IdentityChange {
        previous: customer(),
        current: CustomerIdentity::new(Some(new_user.clone()), Some(new_phone.clone())).unwrap(),
    };
    mocks
        .conversations
        .expect_change_identity()
        .withf(move |t, change| *t == tenant && *change == expected)
        .times(1)
        .returning(|_, _| Ok(()));
    let system = InboundContent::System {
        kind: SystemKind::ChangedNumber {
            new_wa_id: Some(new_phone),
            new_user_id: Some(new_user),
        },
        body: Some("User changed number".into()),
    };
    let report = record_inbound(
        &mocks.into_ports(),
        tenant,
        &business_number(),
        &[inbound("wamid.sys", system)],
    )
    .await
    .unwrap();
    assert_eq!(report.identity_changes, 1);
    assert!(
        !activities.lock().unwrap()[0].opens_window,
        "system events do not open the window"
    );
}

#[tokio::test]
async fn a_changed_user_id_keeps_the_phone() {
    let tenant = TenantId::generate();
    let mut mocks = Mocks::default();
    mocks
        .messages
        .expect_insert_inbound_batch()
        .returning(|_, _, batch| {
            Ok(batch
                .iter()
                .map(|(id, _)| InboundInsert::Inserted(*id))
                .collect())
        });
    recording_conversations(&mut mocks, tenant);
    let new_user = Bsuid::parse("IL.123").unwrap();
    let expected_current = CustomerIdentity::new(
        Some(new_user.clone()),
        Some(customer().phone().unwrap().clone()),
    )
    .unwrap();
    mocks
        .conversations
        .expect_change_identity()
        .withf(move |_, change| change.current == expected_current)
        .times(1)
        .returning(|_, _| Ok(()));
    let system = InboundContent::System {
        kind: SystemKind::ChangedUserId {
            new_user_id: new_user,
        },
        body: None,
    };
    record_inbound(
        &mocks.into_ports(),
        tenant,
        &business_number(),
        &[inbound("wamid.sys2", system)],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_empty_batch_touches_nothing() {
    let report = record_inbound(
        &Mocks::default().into_ports(),
        TenantId::generate(),
        &business_number(),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(report, InboundReport::default());
    let _ = MessageId::generate();
}
