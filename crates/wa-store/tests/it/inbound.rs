//! Inbound messages: idempotent on (tenant, wamid), alone, in batches and under concurrency.

use std::sync::Arc;

use wa_domain::{
    customer::CustomerIdentity,
    ids::MessageId,
    inbound::{InboundContent, InboundContext, InboundMedia},
    message::{MessageBody, MessageFilter, Page},
    ports::{ConversationRepository, InboundInsert, MessageRepository, StoreError},
    status::MessageStatus,
};

use crate::{
    on_both_databases,
    support::{TestDb, at, bsuid, inbound, number, phone, wamid},
};

on_both_databases!(
    an_inbound_message_is_stored_once,
    a_batch_reports_each_message_and_skips_replays,
    concurrent_replays_store_one_message,
    a_failing_batch_stores_nothing,
);

async fn an_inbound_message_is_stored_once(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let customer = CustomerIdentity::new(Some(bsuid(1)), Some(phone(1))).unwrap();
    let mut message = inbound("in", customer.clone(), at(5));
    message.content = InboundContent::Image(InboundMedia {
        id: "media-1".to_owned(),
        mime_type: Some("image/jpeg".to_owned()),
        caption: Some("look".to_owned()),
        ..InboundMedia::default()
    });
    message.context = Some(InboundContext {
        message_id: Some(wamid("ours")),
        ..InboundContext::default()
    });
    let id = MessageId::generate();
    assert_eq!(
        repo.insert_inbound(tenant, &number(), id, &message)
            .await
            .unwrap(),
        InboundInsert::Inserted(id)
    );
    let stored = repo.get(tenant, id).await.unwrap().unwrap();
    assert_eq!(stored.body, MessageBody::Inbound(message.content.clone()));
    assert_eq!(stored.customer, customer);
    assert_eq!(stored.wamid, Some(wamid("in")));
    assert_eq!(stored.reply_to, Some(wamid("ours")));
    assert_eq!(stored.lifecycle.status, MessageStatus::Delivered);
    assert_eq!(stored.lifecycle.timestamps.delivered_at, Some(at(5)));

    // A replay, even under a new id and with other content, changes nothing.
    let mut replay = message.clone();
    replay.content = InboundContent::Text {
        body: "changed".to_owned(),
    };
    assert_eq!(
        repo.insert_inbound(tenant, &number(), MessageId::generate(), &replay)
            .await
            .unwrap(),
        InboundInsert::Duplicate
    );
    assert_eq!(repo.get(tenant, id).await.unwrap().unwrap(), stored);
    let all = repo
        .list(
            tenant,
            &MessageFilter::default(),
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    // Storing the message made its conversation exist (messages always belong to one).
    assert!(
        db.conversations()
            .find(tenant, &number(), &customer)
            .await
            .unwrap()
            .is_some()
    );
}

async fn a_batch_reports_each_message_and_skips_replays(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let customer = CustomerIdentity::from_phone(phone(1));
    let earlier = (
        MessageId::generate(),
        inbound("one", customer.clone(), at(1)),
    );
    repo.insert_inbound(tenant, &number(), earlier.0, &earlier.1)
        .await
        .unwrap();

    let batch = vec![
        (
            MessageId::generate(),
            inbound("two", customer.clone(), at(2)),
        ),
        (
            MessageId::generate(),
            inbound("one", customer.clone(), at(1)),
        ),
        (
            MessageId::generate(),
            inbound("three", customer.clone(), at(3)),
        ),
        (
            MessageId::generate(),
            inbound("two", customer.clone(), at(2)),
        ),
    ];
    let outcomes = repo
        .insert_inbound_batch(tenant, &number(), &batch)
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            InboundInsert::Inserted(batch[0].0),
            InboundInsert::Duplicate,
            InboundInsert::Inserted(batch[2].0),
            InboundInsert::Duplicate,
        ]
    );
    let replayed = repo
        .insert_inbound_batch(tenant, &number(), &batch)
        .await
        .unwrap();
    assert!(replayed.iter().all(|o| *o == InboundInsert::Duplicate));
    let all = repo
        .list(
            tenant,
            &MessageFilter::default(),
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
}

async fn concurrent_replays_store_one_message(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = Arc::new(db.messages());
    let tasks: Vec<_> = (0..12)
        .map(|n| {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move {
                // Every task brings the same three messages, for a customer none has seen yet.
                let customer = CustomerIdentity::from_phone(phone(9));
                let batch: Vec<_> = ["x", "y", "z"]
                    .iter()
                    .map(|name| {
                        (
                            MessageId::generate(),
                            inbound(name, customer.clone(), at(n)),
                        )
                    })
                    .collect();
                repo.insert_inbound_batch(tenant, &number(), &batch)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut inserted = 0;
    for task in tasks {
        inserted += task
            .await
            .unwrap()
            .iter()
            .filter(|o| matches!(o, InboundInsert::Inserted(_)))
            .count();
    }
    assert_eq!(inserted, 3);
    let all = repo
        .list(
            tenant,
            &MessageFilter::default(),
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
}

async fn a_failing_batch_stores_nothing(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let taken = MessageId::generate();
    let old_customer = CustomerIdentity::from_phone(phone(1));
    repo.insert_inbound(tenant, &number(), taken, &inbound("a", old_customer, at(1)))
        .await
        .unwrap();

    // The batch's second message reuses a stored message id: a unique violation after the
    // first message (and a conversation for a new customer) were written in the transaction.
    let new_customer = CustomerIdentity::from_phone(phone(2));
    let batch = vec![
        (
            MessageId::generate(),
            inbound("b", new_customer.clone(), at(2)),
        ),
        (taken, inbound("c", new_customer.clone(), at(3))),
    ];
    assert!(matches!(
        repo.insert_inbound_batch(tenant, &number(), &batch).await,
        Err(StoreError::Duplicate)
    ));
    for name in ["b", "c"] {
        assert_eq!(
            repo.find_by_wamid(tenant, &wamid(name)).await.unwrap(),
            None,
            "{name} was rolled back"
        );
    }
    assert_eq!(
        db.conversations()
            .find(tenant, &number(), &new_customer)
            .await
            .unwrap(),
        None,
        "the conversation made for the batch was rolled back"
    );

    // Retried without the bad message, the batch stores what it should.
    let outcomes = repo
        .insert_inbound_batch(tenant, &number(), &batch[..1])
        .await
        .unwrap();
    assert_eq!(outcomes, [InboundInsert::Inserted(batch[0].0)]);
}
