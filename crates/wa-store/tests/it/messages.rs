//! Outbound messages: storing, idempotency keys, send outcomes, listing.

use std::sync::Arc;

use wa_domain::{
    error_class::ErrorClass,
    ids::{MessageId, Recipient},
    message::{Direction, MessageBody, MessageFailure, MessageFilter, Page},
    ports::{MessageRepository, OutboundInsert, StoreError},
    status::{MessageStatus, Transition},
};

use crate::{
    on_both_databases,
    support::{TestDb, at, bsuid, inbound, number, outbound, phone, t0, text, wamid},
};

on_both_databases!(
    an_outbound_message_reads_back_as_stored,
    the_idempotency_key_returns_the_existing_message,
    concurrent_inserts_with_one_key_store_one_message,
    acceptance_sets_the_wamid_and_moves_forward_only,
    failures_and_attempts_are_recorded,
    listing_filters_and_pages_newest_first,
);

fn failure(code: i64) -> MessageFailure {
    MessageFailure {
        class: ErrorClass::Permanent,
        code: Some(code),
        title: "Re-engagement message".to_owned(),
        details: Some("more than 24 hours".to_owned()),
        fbtrace_id: Some("AbCdEf".to_owned()),
    }
}

async fn an_outbound_message_reads_back_as_stored(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let mut new = outbound(tenant, Recipient::Phone(phone(1)), Some("key-1"));
    new.message.reply_to = Some(wamid("quoted"));
    let OutboundInsert::Inserted(stored) = repo.insert_outbound(&new).await.unwrap() else {
        panic!("a new key inserts");
    };
    assert_eq!(stored.id, new.id);
    assert_eq!(stored.tenant_id, tenant);
    assert_eq!(stored.wamid, None);
    assert_eq!(stored.customer.phone(), Some(&phone(1)));
    assert_eq!(stored.body, MessageBody::Outbound(text("hello")));
    assert_eq!(stored.reply_to, Some(wamid("quoted")));
    assert_eq!(stored.lifecycle.status, MessageStatus::Pending);
    assert_eq!(stored.idempotency_key.as_deref(), Some("key-1"));
    assert_eq!(stored.attempts, 0);
    assert_eq!(stored.created_at, t0());
    assert_eq!(repo.get(tenant, new.id).await.unwrap(), Some(stored));

    let to_user = outbound(tenant, Recipient::User(bsuid(7)), None);
    let OutboundInsert::Inserted(stored) = repo.insert_outbound(&to_user).await.unwrap() else {
        panic!("no key inserts");
    };
    assert_eq!(stored.customer.bsuid(), Some(&bsuid(7)));
    assert_eq!(stored.customer.phone(), None);

    // Reusing a message id is a duplicate, not an idempotent success.
    let mut same_id = outbound(tenant, Recipient::Phone(phone(2)), None);
    same_id.id = new.id;
    assert!(matches!(
        repo.insert_outbound(&same_id).await,
        Err(StoreError::Duplicate)
    ));
}

async fn the_idempotency_key_returns_the_existing_message(db: TestDb) {
    let tenant = db.tenant().await;
    let other_tenant = db.tenant().await;
    let repo = db.messages();
    let first = outbound(tenant, Recipient::Phone(phone(1)), Some("order-42"));
    let OutboundInsert::Inserted(stored) = repo.insert_outbound(&first).await.unwrap() else {
        panic!("first use inserts");
    };
    let retry = outbound(tenant, Recipient::Phone(phone(1)), Some("order-42"));
    assert_eq!(
        repo.insert_outbound(&retry).await.unwrap(),
        OutboundInsert::Existing(stored.clone())
    );
    assert_eq!(repo.get(tenant, retry.id).await.unwrap(), None);
    assert_eq!(
        repo.find_by_idempotency_key(tenant, "order-42")
            .await
            .unwrap(),
        Some(stored)
    );
    // Keys are per tenant.
    let elsewhere = outbound(other_tenant, Recipient::Phone(phone(1)), Some("order-42"));
    assert!(matches!(
        repo.insert_outbound(&elsewhere).await.unwrap(),
        OutboundInsert::Inserted(_)
    ));
}

async fn concurrent_inserts_with_one_key_store_one_message(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = Arc::new(db.messages());
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move {
                let message = outbound(tenant, Recipient::Phone(phone(1)), Some("same-key"));
                repo.insert_outbound(&message).await.unwrap()
            })
        })
        .collect();
    let mut inserted = Vec::new();
    let mut existing = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            OutboundInsert::Inserted(m) => inserted.push(m.id),
            OutboundInsert::Existing(m) => existing.push(m.id),
        }
    }
    assert_eq!(inserted.len(), 1, "exactly one insert wins");
    assert!(existing.iter().all(|id| *id == inserted[0]));
    let all = repo
        .list(
            tenant,
            &MessageFilter::default(),
            Page {
                after: None,
                limit: 100,
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
}

async fn acceptance_sets_the_wamid_and_moves_forward_only(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let message = outbound(tenant, Recipient::Phone(phone(1)), None);
    repo.insert_outbound(&message).await.unwrap();
    let step = repo
        .mark_accepted(tenant, message.id, &wamid("a"), at(1))
        .await
        .unwrap();
    assert_eq!(
        step,
        Transition::Advanced {
            from: MessageStatus::Pending,
            to: MessageStatus::Accepted
        }
    );
    let stored = repo
        .find_by_wamid(tenant, &wamid("a"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.id, message.id);
    assert_eq!(stored.lifecycle.timestamps.accepted_at, Some(at(1)));

    // A wamid already used by another message of the tenant.
    let other = outbound(tenant, Recipient::Phone(phone(2)), None);
    repo.insert_outbound(&other).await.unwrap();
    assert!(matches!(
        repo.mark_accepted(tenant, other.id, &wamid("a"), at(2))
            .await,
        Err(StoreError::Duplicate)
    ));
    assert!(matches!(
        repo.mark_accepted(tenant, MessageId::generate(), &wamid("b"), at(2))
            .await,
        Err(StoreError::NotFound)
    ));
    // Accepted again: a duplicate; the earliest acceptance time stays.
    assert_eq!(
        repo.mark_accepted(tenant, message.id, &wamid("a"), at(5))
            .await
            .unwrap(),
        Transition::Duplicate
    );
    let stored = repo.get(tenant, message.id).await.unwrap().unwrap();
    assert_eq!(stored.lifecycle.timestamps.accepted_at, Some(at(1)));
}

async fn failures_and_attempts_are_recorded(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let message = outbound(tenant, Recipient::Phone(phone(1)), None);
    repo.insert_outbound(&message).await.unwrap();

    repo.record_attempt(tenant, message.id, Some(failure(131_000)))
        .await
        .unwrap();
    repo.record_attempt(tenant, message.id, None).await.unwrap();
    let stored = repo.get(tenant, message.id).await.unwrap().unwrap();
    assert_eq!(stored.attempts, 2);
    assert_eq!(
        stored.failure,
        Some(failure(131_000)),
        "the last error is kept"
    );
    assert_eq!(stored.lifecycle.status, MessageStatus::Pending);

    let step = repo
        .mark_failed(tenant, message.id, &failure(131_047), at(3))
        .await
        .unwrap();
    assert_eq!(
        step,
        Transition::Advanced {
            from: MessageStatus::Pending,
            to: MessageStatus::Failed
        }
    );
    let stored = repo.get(tenant, message.id).await.unwrap().unwrap();
    assert_eq!(stored.lifecycle.status, MessageStatus::Failed);
    assert_eq!(stored.lifecycle.timestamps.failed_at, Some(at(3)));
    assert_eq!(stored.failure, Some(failure(131_047)));

    let unknown = MessageId::generate();
    assert!(matches!(
        repo.record_attempt(tenant, unknown, None).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.mark_failed(tenant, unknown, &failure(1), at(4)).await,
        Err(StoreError::NotFound)
    ));
}

async fn listing_filters_and_pages_newest_first(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.messages();
    let mut ids = Vec::new();
    for n in 0..5 {
        let message = outbound(tenant, Recipient::Phone(phone(n % 2)), None);
        repo.insert_outbound(&message).await.unwrap();
        ids.push(message.id);
    }
    let customer = wa_domain::customer::CustomerIdentity::from_phone(phone(1));
    let reply_id = MessageId::generate();
    repo.insert_inbound(
        tenant,
        &number(),
        reply_id,
        &inbound("in-1", customer, at(9)),
    )
    .await
    .unwrap();
    repo.mark_accepted(tenant, ids[0], &wamid("x"), at(1))
        .await
        .unwrap();

    let all = MessageFilter::default();
    let page = repo
        .list(
            tenant,
            &all,
            Page {
                after: None,
                limit: 4,
            },
        )
        .await
        .unwrap();
    let newest_first: Vec<MessageId> = page.iter().map(|m| m.id).collect();
    assert_eq!(newest_first, [reply_id, ids[4], ids[3], ids[2]]);
    let rest = repo
        .list(
            tenant,
            &all,
            Page {
                after: Some(ids[2]),
                limit: 4,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|m| m.id).collect::<Vec<_>>(),
        [ids[1], ids[0]]
    );

    let by_customer = MessageFilter {
        customer: Some(Recipient::Phone(phone(1))),
        ..MessageFilter::default()
    };
    let theirs = repo
        .list(
            tenant,
            &by_customer,
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        theirs.iter().map(|m| m.id).collect::<Vec<_>>(),
        [reply_id, ids[3], ids[1]],
        "both directions of one customer"
    );

    let inbound_only = MessageFilter {
        direction: Some(Direction::Inbound),
        ..MessageFilter::default()
    };
    let received = repo
        .list(
            tenant,
            &inbound_only,
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(received.len(), 1);

    let accepted = MessageFilter {
        status: Some(MessageStatus::Accepted),
        ..MessageFilter::default()
    };
    let accepted = repo
        .list(
            tenant,
            &accepted,
            Page {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(accepted.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[0]]);
}
