//! The event log: every write appends exactly its events in its own transaction, numbered
//! without gaps per tenant; replays append nothing; tenants never see each other's events;
//! window deadlines are announced once; retention prunes the oldest first.

use std::sync::Arc;

use sea_orm::ConnectionTrait;
use time::Duration;
use tokio::sync::Barrier;
use wa_domain::{
    connection::{Connection, ConnectionHealth},
    conversation::{CustomerActivity, IdentityChange},
    customer::CustomerIdentity,
    error_class::ErrorClass,
    event::{Event, EventPayload, NewEvent, WindowChange},
    ids::{MessageId, PhoneNumberId, Recipient, TenantId, WabaId},
    inbound::{InboundContent, InboundMessage},
    message::{MessageFailure, Pricing},
    ports::{
        ConnectionRepository, ConversationRepository, EventLog, InboundInsert, MessageRepository,
        StoreError, WindowAnnouncements, WindowDeadlines,
    },
    status::MessageStatus,
};

use crate::{
    on_both_databases,
    support::{Backend, TestDb, at, bsuid, inbound, number, outbound, phone, status, t0, wamid},
};

on_both_databases!(
    an_outbound_message_logs_each_state_it_reaches_once,
    a_status_batch_logs_each_advance_with_pricing_and_failure,
    inbound_messages_log_received_or_reaction_and_replays_nothing,
    conversations_log_window_opened_and_customer_updated,
    a_health_change_is_logged_and_a_confirmation_is_not,
    concurrent_writers_of_one_tenant_get_gapless_ordered_numbers,
    one_tenant_never_reads_another_tenants_events,
    a_failed_append_rolls_the_state_change_back,
    window_deadlines_are_announced_once_per_expiry,
    prune_deletes_the_oldest_events_in_batches,
);

async fn all_events(db: &TestDb, tenant: TenantId) -> Vec<Event> {
    db.events().read(tenant, 0, 1000).await.unwrap()
}

/// `(seq, type)` of each event, to compare logs at a glance.
fn kinds(events: &[Event]) -> Vec<(u64, &'static str)> {
    events.iter().map(|e| (e.seq, e.payload.kind())).collect()
}

/// The `(status, previous)` of each `message.status` event.
fn statuses(events: &[Event]) -> Vec<(MessageStatus, Option<MessageStatus>)> {
    events
        .iter()
        .filter_map(|e| match &e.payload {
            EventPayload::MessageStatus(s) => Some((s.status, s.previous)),
            _ => None,
        })
        .collect()
}

async fn an_outbound_message_logs_each_state_it_reaches_once(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let message = outbound(tenant, Recipient::Phone(phone(1)), Some("k1"));
    repo.insert_outbound(&message).await.unwrap();
    // The same idempotency key again stores nothing and logs nothing.
    let mut again = outbound(tenant, Recipient::Phone(phone(1)), Some("k1"));
    again.id = MessageId::generate();
    repo.insert_outbound(&again).await.unwrap();
    repo.mark_accepted(tenant, message.id, &wamid("o"), at(1))
        .await
        .unwrap();
    repo.mark_accepted(tenant, message.id, &wamid("o"), at(2))
        .await
        .unwrap();
    let w = wamid("o");
    for (state, second) in [
        (MessageStatus::Delivered, 5),
        (MessageStatus::Delivered, 6),
        (MessageStatus::Sent, 4),
        (MessageStatus::Read, 9),
    ] {
        repo.apply_status(tenant, &status(&w, state, at(second)))
            .await
            .unwrap();
    }
    let failure = MessageFailure {
        class: ErrorClass::Permanent,
        code: Some(131_026),
        title: "Message undeliverable".to_owned(),
        details: Some("receiver incapable".to_owned()),
        fbtrace_id: None,
    };
    repo.mark_failed(tenant, message.id, &failure, at(10))
        .await
        .unwrap();
    repo.mark_failed(tenant, message.id, &failure, at(11))
        .await
        .unwrap();

    let events = all_events(&db, tenant).await;
    assert_eq!(
        statuses(&events),
        vec![
            (MessageStatus::Pending, None),
            (MessageStatus::Accepted, Some(MessageStatus::Pending)),
            (MessageStatus::Delivered, Some(MessageStatus::Accepted)),
            (MessageStatus::Read, Some(MessageStatus::Delivered)),
            (MessageStatus::Failed, Some(MessageStatus::Read)),
        ],
        "one event per advance; duplicates and stale statuses log nothing"
    );
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert_eq!(db.events().head(tenant).await.unwrap(), 5);
    let EventPayload::MessageStatus(pending) = &events[0].payload else {
        panic!("pending first");
    };
    assert_eq!(pending.message_id, message.id);
    assert_eq!(pending.wamid, None);
    assert_eq!(
        pending.customer,
        CustomerIdentity::from_phone(phone(1)),
        "the customer is named for per-customer ordering"
    );
    let EventPayload::MessageStatus(delivered) = &events[2].payload else {
        panic!("delivered third");
    };
    assert_eq!(delivered.wamid, Some(wamid("o")));
    assert_eq!(events[2].occurred_at, at(5), "Meta's time of the status");
    let EventPayload::MessageStatus(failed) = &events[4].payload else {
        panic!("failed last");
    };
    assert_eq!(failed.failure.as_ref(), Some(&failure));
}

async fn a_status_batch_logs_each_advance_with_pricing_and_failure(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        let message = outbound(tenant, Recipient::Phone(phone(2)), None);
        repo.insert_outbound(&message).await.unwrap();
        repo.mark_accepted(tenant, message.id, &wamid(name), at(0))
            .await
            .unwrap();
        ids.push(message.id);
    }
    let before = db.events().head(tenant).await.unwrap();
    assert_eq!(before, 6);
    let pricing = Pricing {
        billable: Some(true),
        pricing_model: Some("PMP".to_owned()),
        category: Some("utility".to_owned()),
        pricing_type: Some("regular".to_owned()),
    };
    let mut sent_a = status(&wamid("a"), MessageStatus::Sent, at(1));
    sent_a.pricing = Some(pricing.clone());
    let mut failed_c = status(&wamid("c"), MessageStatus::Failed, at(3));
    failed_c.failure = Some(MessageFailure {
        class: ErrorClass::Permanent,
        code: Some(131_049),
        title: "ecosystem".to_owned(),
        details: None,
        fbtrace_id: None,
    });
    let updates = vec![
        sent_a.clone(),
        status(&wamid("b"), MessageStatus::Delivered, at(2)),
        sent_a,
        status(&wamid("a"), MessageStatus::Read, at(4)),
        status(&wamid("b"), MessageStatus::Sent, at(1)),
        failed_c.clone(),
        status(&wamid("unknown"), MessageStatus::Read, at(4)),
    ];
    repo.apply_statuses(tenant, &updates).await.unwrap();
    // The same batch again (Meta retries webhooks): nothing advances, nothing is logged.
    repo.apply_statuses(tenant, &updates).await.unwrap();

    let events = db.events().read(tenant, before, 100).await.unwrap();
    assert_eq!(
        kinds(&events),
        vec![
            (7, "message.status"),
            (8, "message.status"),
            (9, "message.status"),
            (10, "message.status"),
        ]
    );
    let details: Vec<_> = events
        .iter()
        .map(|e| match &e.payload {
            EventPayload::MessageStatus(s) => (
                s.message_id,
                s.status,
                s.pricing.clone(),
                s.failure.as_ref().and_then(|f| f.code),
            ),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        details,
        vec![
            (ids[0], MessageStatus::Sent, Some(pricing), None),
            (ids[1], MessageStatus::Delivered, None, None),
            (ids[0], MessageStatus::Read, None, None),
            (ids[2], MessageStatus::Failed, None, Some(131_049)),
        ],
        "input order, one per advance"
    );
}

fn reaction(name: &str, customer: CustomerIdentity, to: &str) -> InboundMessage {
    InboundMessage::new(
        wamid(name),
        customer,
        at(3),
        InboundContent::Reaction {
            message_id: wamid(to),
            emoji: Some("❤️".to_owned()),
        },
    )
}

async fn inbound_messages_log_received_or_reaction_and_replays_nothing(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let customer = CustomerIdentity::from_phone(phone(3));
    let batch = vec![
        (MessageId::generate(), inbound("z", customer.clone(), at(1))),
        (MessageId::generate(), inbound("a", customer.clone(), at(2))),
        (MessageId::generate(), reaction("r", customer.clone(), "z")),
    ];
    let outcomes = repo
        .insert_inbound_batch(tenant, &number(), &batch)
        .await
        .unwrap();
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, InboundInsert::Inserted(_)))
    );
    // A replay of the whole batch, and of one message alone.
    let replay: Vec<_> = batch
        .iter()
        .map(|(_, m)| (MessageId::generate(), m.clone()))
        .collect();
    repo.insert_inbound_batch(tenant, &number(), &replay)
        .await
        .unwrap();
    repo.insert_inbound(tenant, &number(), MessageId::generate(), &batch[0].1)
        .await
        .unwrap();

    let events = all_events(&db, tenant).await;
    assert_eq!(
        kinds(&events),
        vec![
            (1, "message.received"),
            (2, "message.received"),
            (3, "message.reaction"),
        ],
        "Meta's order, new rows only"
    );
    let EventPayload::MessageReceived(first) = &events[0].payload else {
        panic!("received");
    };
    assert_eq!(first.message_id, batch[0].0);
    assert_eq!(first.message, batch[0].1, "the full inbound message");
    assert_eq!(events[0].occurred_at, at(1));
    let EventPayload::MessageReaction(r) = &events[2].payload else {
        panic!("reaction");
    };
    assert_eq!(
        (r.message_id, r.reacted_to.clone(), r.emoji.as_deref()),
        (batch[2].0, wamid("z"), Some("❤️"))
    );
}

fn activity(customer: CustomerIdentity, name: &str, seconds: i64) -> CustomerActivity {
    CustomerActivity {
        customer,
        profile_name: Some(name.to_owned()),
        at: at(seconds),
        opens_window: true,
        count_message: true,
    }
}

async fn conversations_log_window_opened_and_customer_updated(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.conversations();
    let customer = CustomerIdentity::from_phone(phone(4));
    let first = repo
        .record_activity(tenant, &number(), &activity(customer.clone(), "Erika", 0))
        .await
        .unwrap();
    // Inside the window: no new window event; same name: no update.
    repo.record_activity(tenant, &number(), &activity(customer.clone(), "Erika", 60))
        .await
        .unwrap();
    // A new profile name.
    repo.record_activity(
        tenant,
        &number(),
        &activity(customer.clone(), "Erika M.", 120),
    )
    .await
    .unwrap();
    // After the window closed: it opens again.
    let late = 25 * 3600;
    repo.record_activity(
        tenant,
        &number(),
        &activity(customer.clone(), "Erika M.", late),
    )
    .await
    .unwrap();
    // A number change.
    let renumbered = CustomerIdentity::from_phone(phone(5));
    repo.change_identity(
        tenant,
        &IdentityChange {
            previous: customer.clone(),
            current: renumbered.clone(),
        },
    )
    .await
    .unwrap();

    let events = all_events(&db, tenant).await;
    assert_eq!(
        kinds(&events),
        vec![
            (1, "window.opened"),
            (2, "customer.updated"),
            (3, "window.opened"),
            (4, "customer.updated"),
        ]
    );
    assert_eq!(
        events[0].payload,
        EventPayload::WindowOpened(WindowChange {
            conversation_id: first.id,
            customer: customer.clone(),
            expires_at: at(24 * 3600),
        })
    );
    let EventPayload::CustomerUpdated(renamed) = &events[1].payload else {
        panic!("renamed");
    };
    assert_eq!(renamed.profile_name.as_deref(), Some("Erika M."));
    assert_eq!(renamed.previous, None, "the identity did not change");
    let EventPayload::WindowOpened(reopened) = &events[2].payload else {
        panic!("reopened");
    };
    assert_eq!(reopened.expires_at, at(late + 24 * 3600));
    let EventPayload::CustomerUpdated(moved) = &events[3].payload else {
        panic!("renumbered");
    };
    assert_eq!(moved.previous.as_ref(), Some(&customer));
    assert_eq!(moved.customer.phone(), Some(&phone(5)));
    assert_eq!(moved.conversation_id, first.id);
}

async fn a_health_change_is_logged_and_a_confirmation_is_not(db: TestDb) {
    let tenant = db.tenant().await;
    let connections = db.connections();
    connections
        .upsert(&Connection {
            tenant_id: tenant,
            is_default: true,
            waba_id: WabaId::parse("102290129340398").unwrap(),
            phone_number_id: PhoneNumberId::parse("5550100").unwrap(),
            display_phone_number: "+1 555 0100".to_owned(),
            business_name: "Acme".to_owned(),
            health: ConnectionHealth::Pending,
            health_reason: None,
            health_changed_at: t0(),
            verified_at: None,
            throughput_mps: 80,
            quality_rating: None,
            messaging_limit: None,
        })
        .await
        .unwrap();
    for (health, reason) in [
        (ConnectionHealth::Active, None),
        (ConnectionHealth::Active, None),
        (ConnectionHealth::Invalid, Some("token expired".to_owned())),
    ] {
        connections
            .set_health(
                tenant,
                &PhoneNumberId::parse("5550100").unwrap(),
                health,
                reason,
                at(1),
                None,
            )
            .await
            .unwrap();
    }
    let events = all_events(&db, tenant).await;
    let changes: Vec<_> = events
        .iter()
        .map(|e| match &e.payload {
            EventPayload::ConnectionHealth(h) => (
                h.previous,
                h.health,
                h.reason.clone(),
                h.phone_number_id.clone(),
            ),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let number = PhoneNumberId::parse("5550100").unwrap();
    assert_eq!(
        changes,
        vec![
            (
                Some(ConnectionHealth::Pending),
                ConnectionHealth::Active,
                None,
                number.clone()
            ),
            (
                Some(ConnectionHealth::Active),
                ConnectionHealth::Invalid,
                Some("token expired".to_owned()),
                number
            ),
        ]
    );
    assert!(matches!(
        db.connections()
            .set_health(
                db.tenant().await,
                &PhoneNumberId::parse("5550100").unwrap(),
                ConnectionHealth::Active,
                None,
                at(1),
                None
            )
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn concurrent_writers_of_one_tenant_get_gapless_ordered_numbers(db: TestDb) {
    let tenant = db.tenant().await;
    let tasks = 8;
    let each = 10;
    let barrier = Arc::new(Barrier::new(tasks));
    let mut handles = Vec::new();
    for task in 0..tasks {
        let repo = db.messages();
        let barrier = Arc::clone(&barrier);
        let customer = u32::try_from(task).unwrap() + 10;
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut ids = Vec::new();
            for _ in 0..each {
                let message = outbound(tenant, Recipient::Phone(phone(customer)), None);
                repo.insert_outbound(&message).await.unwrap();
                repo.mark_accepted(tenant, message.id, &wamid(&message.id.to_string()), at(1))
                    .await
                    .unwrap();
                ids.push(message.id);
            }
            ids
        }));
    }
    let mut written = 0;
    for handle in handles {
        written += handle.await.unwrap().len() * 2;
    }
    let events = all_events(&db, tenant).await;
    assert_eq!(events.len(), written);
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (1..=u64::try_from(written).unwrap()).collect();
    assert_eq!(seqs, expected, "1, 2, 3, … without gaps");
    // Each message's pending comes before its accepted: seq follows commit order.
    let mut seen_pending = std::collections::HashSet::new();
    for event in &events {
        let EventPayload::MessageStatus(s) = &event.payload else {
            panic!("only statuses");
        };
        match s.status {
            MessageStatus::Pending => assert!(seen_pending.insert(s.message_id)),
            MessageStatus::Accepted => assert!(seen_pending.contains(&s.message_id)),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        db.events().head(tenant).await.unwrap(),
        u64::try_from(written).unwrap()
    );
}

async fn one_tenant_never_reads_another_tenants_events(db: TestDb) {
    let a = db.tenant().await;
    let b = db.tenant().await;
    let message = outbound(a, Recipient::Phone(phone(6)), None);
    db.messages().insert_outbound(&message).await.unwrap();
    db.messages()
        .insert_inbound(
            a,
            &number(),
            MessageId::generate(),
            &inbound("x", CustomerIdentity::from_bsuid(bsuid(6)), at(1)),
        )
        .await
        .unwrap();
    assert_eq!(all_events(&db, a).await.len(), 2);
    assert!(all_events(&db, b).await.is_empty());
    assert_eq!(db.events().head(b).await.unwrap(), 0);
    // The same wamid at B is B's own message, numbered in B's log from 1.
    db.messages()
        .insert_inbound(
            b,
            &number(),
            MessageId::generate(),
            &inbound("x", CustomerIdentity::from_bsuid(bsuid(6)), at(1)),
        )
        .await
        .unwrap();
    let b_events = all_events(&db, b).await;
    assert_eq!(kinds(&b_events), vec![(1, "message.received")]);
    assert!(b_events.iter().all(|e| e.tenant_id == b));
    assert!(all_events(&db, a).await.iter().all(|e| e.tenant_id == a));
    // Appending to a tenant that does not exist fails.
    let nobody = TenantId::generate();
    assert!(matches!(
        db.events()
            .append(
                nobody,
                &[NewEvent::new(
                    at(0),
                    EventPayload::WindowClosed(WindowChange {
                        conversation_id: wa_domain::conversation::ConversationId::generate(),
                        customer: CustomerIdentity::from_phone(phone(1)),
                        expires_at: at(0),
                    }),
                )]
            )
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn a_failed_append_rolls_the_state_change_back(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let message = outbound(tenant, Recipient::Phone(phone(7)), None);
    repo.insert_outbound(&message).await.unwrap();
    // Occupy the next sequence number behind the counter's back: the next append must fail.
    let (uuid, placeholder) = match db.backend {
        Backend::Postgres => ("$1", "$2"),
        Backend::Sqlite => ("?", "?"),
    };
    let recorded = match db.backend {
        Backend::Postgres => "now()",
        Backend::Sqlite => "'2026-01-01T09:00:00.000000Z'",
    };
    db.connection()
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            db.connection().get_database_backend(),
            format!(
                "INSERT INTO events (tenant_id, seq, id, type, payload, schema, occurred_at, \
                 recorded_at) VALUES ({uuid}, 2, {placeholder}, 'window.closed', '{{}}', 1, \
                 {recorded}, {recorded})"
            ),
            [tenant.as_uuid().into(), uuid::Uuid::now_v7().into()],
        ))
        .await
        .unwrap();
    let result = repo
        .mark_accepted(tenant, message.id, &wamid("rollback"), at(1))
        .await;
    assert!(result.is_err(), "the event cannot be written: {result:?}");
    let stored = repo.get(tenant, message.id).await.unwrap().unwrap();
    assert_eq!(
        stored.lifecycle.status,
        MessageStatus::Pending,
        "no change without its event"
    );
    assert_eq!(stored.wamid, None);
    assert_eq!(db.events().head(tenant).await.unwrap(), 1);
}

async fn window_deadlines_are_announced_once_per_expiry(db: TestDb) {
    let a = db.tenant().await;
    let b = db.tenant().await;
    let conversations = db.conversations();
    let customer = CustomerIdentity::from_phone(phone(8));
    conversations
        .record_activity(a, &number(), &activity(customer.clone(), "Erika", 0))
        .await
        .unwrap();
    conversations
        .record_activity(b, &number(), &activity(customer.clone(), "Max", 3600))
        .await
        .unwrap();
    let lead = Duration::hours(1);
    let day = 24 * 3600;
    let deadlines = |now: i64| {
        let conversations = db.conversations();
        async move {
            conversations
                .announce_due(at(now), lead, 100)
                .await
                .unwrap()
        }
    };
    // Long before: nothing.
    assert_eq!(deadlines(3600).await, WindowAnnouncements::default());
    // Within the lead time of A's window only.
    assert_eq!(
        deadlines(day - 1800).await,
        WindowAnnouncements {
            closing: 1,
            closed: 0
        }
    );
    assert_eq!(deadlines(day - 1700).await.total(), 0, "announced once");
    // A's window closed, B's is within the lead time.
    assert_eq!(
        deadlines(day + 60).await,
        WindowAnnouncements {
            closing: 1,
            closed: 1
        }
    );
    // B closed without a separate closing announcement being repeated.
    assert_eq!(
        deadlines(day + 7200).await,
        WindowAnnouncements {
            closing: 0,
            closed: 1
        }
    );
    assert_eq!(deadlines(day + 7300).await.total(), 0);
    let a_events = all_events(&db, a).await;
    assert_eq!(
        kinds(&a_events),
        vec![
            (1, "window.opened"),
            (2, "window.closing"),
            (3, "window.closed")
        ]
    );
    let EventPayload::WindowClosed(closed) = &a_events[2].payload else {
        panic!("closed");
    };
    assert_eq!(closed.expires_at, at(day));
    assert_eq!(a_events[2].occurred_at, at(day));
    assert_eq!(
        kinds(&all_events(&db, b).await),
        vec![
            (1, "window.opened"),
            (2, "window.closing"),
            (3, "window.closed")
        ]
    );
    // The customer writes again: the new expiry is announced in its turn.
    conversations
        .record_activity(
            a,
            &number(),
            &activity(customer.clone(), "Erika", day + 8000),
        )
        .await
        .unwrap();
    assert_eq!(
        deadlines(2 * day + 8000 - 600).await,
        WindowAnnouncements {
            closing: 1,
            closed: 0
        }
    );
    assert_eq!(
        kinds(&all_events(&db, a).await)[3..],
        [(4, "window.opened"), (5, "window.closing")]
    );
    // A message that extends an open window after its closing was announced: announced again.
    conversations
        .record_activity(
            a,
            &number(),
            &activity(customer, "Erika", 2 * day + 8000 - 300),
        )
        .await
        .unwrap();
    assert_eq!(
        deadlines(2 * day + 8000 - 200).await.total(),
        0,
        "the new expiry is a day away"
    );
    assert_eq!(
        deadlines(3 * day + 8000 - 600).await,
        WindowAnnouncements {
            closing: 1,
            closed: 0
        }
    );
}

async fn prune_deletes_the_oldest_events_in_batches(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    for _ in 0..5 {
        repo.insert_outbound(&outbound(tenant, Recipient::Phone(phone(9)), None))
            .await
            .unwrap();
    }
    let log = db.events();
    let future = time::OffsetDateTime::now_utc() + Duration::hours(1);
    let past = time::OffsetDateTime::now_utc() - Duration::hours(1);
    assert_eq!(log.prune(past, 10).await.unwrap(), 0, "nothing is that old");
    assert_eq!(log.prune(future, 2).await.unwrap(), 2);
    assert_eq!(
        all_events(&db, tenant)
            .await
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![3, 4, 5],
        "oldest first"
    );
    assert_eq!(log.prune(future, 2).await.unwrap(), 2);
    assert_eq!(log.prune(future, 2).await.unwrap(), 1);
    assert_eq!(log.prune(future, 2).await.unwrap(), 0);
    assert_eq!(
        log.head(tenant).await.unwrap(),
        5,
        "numbers are never reused"
    );
    repo.insert_outbound(&outbound(tenant, Recipient::Phone(phone(9)), None))
        .await
        .unwrap();
    assert_eq!(
        all_events(&db, tenant)
            .await
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![6]
    );
}
