//! Group commit: concurrent new messages and accepted sends share transactions, and sharing
//! changes nothing a caller can see: every write gets its own outcome, a failing write fails
//! alone, idempotency keys still hold inside one batch, and each tenant's log stays gapless.

use std::{collections::HashMap, sync::Arc};

use tokio::sync::Barrier;
use wa_domain::{
    event::EventPayload,
    ids::{MessageId, Recipient, TenantId},
    ports::{EventLog, MessageRepository, OutboundInsert, StoreError},
    status::MessageStatus,
};

use crate::{
    on_both_databases,
    support::{TestDb, at, outbound, phone, wamid},
};

on_both_databases!(
    concurrent_writes_of_many_tenants_share_transactions_and_keep_each_log_gapless,
    a_failing_write_fails_alone_and_its_batch_mates_commit,
    one_idempotency_key_in_one_batch_stores_one_message,
);

/// Checks a tenant's log: seq 1..=n without gaps, each message `pending` before `accepted`.
async fn assert_log(db: &TestDb, tenant: TenantId, messages: usize) {
    let events = db.events().read(tenant, 0, 10_000).await.unwrap();
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (1..=u64::try_from(2 * messages).unwrap()).collect();
    assert_eq!(seqs, expected, "gapless, two events per message");
    let mut state: HashMap<MessageId, MessageStatus> = HashMap::new();
    for event in &events {
        let EventPayload::MessageStatus(change) = &event.payload else {
            panic!("only message.status events expected");
        };
        assert_eq!(event.tenant_id, tenant, "never another tenant's event");
        let before = state.insert(change.message_id, change.status);
        match change.status {
            MessageStatus::Pending => assert_eq!(before, None),
            MessageStatus::Accepted => assert_eq!(before, Some(MessageStatus::Pending)),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        state.values().all(|s| *s == MessageStatus::Accepted),
        "every message accepted once"
    );
}

async fn concurrent_writes_of_many_tenants_share_transactions_and_keep_each_log_gapless(
    db: TestDb,
) {
    let tenants = 5;
    let per_tenant = 40;
    let mut ids = Vec::new();
    for _ in 0..tenants {
        ids.push(db.tenant().await);
    }
    let before = db.group_commit_stats();
    let barrier = Arc::new(Barrier::new(tenants * per_tenant));
    let mut handles = Vec::new();
    for (t, tenant) in ids.iter().copied().enumerate() {
        for n in 0..per_tenant {
            let repo = db.messages();
            let barrier = Arc::clone(&barrier);
            let customer = u32::try_from(t * 1000 + n).unwrap();
            handles.push(tokio::spawn(async move {
                barrier.wait().await;
                let message = outbound(tenant, Recipient::Phone(phone(customer)), None);
                let inserted = repo.insert_outbound(&message).await.unwrap();
                assert!(matches!(inserted, OutboundInsert::Inserted(ref m) if m.id == message.id));
                let wamid = wamid(&message.id.to_string());
                repo.mark_accepted(tenant, message.id, &wamid, at(1))
                    .await
                    .unwrap();
                let stored = repo.get(tenant, message.id).await.unwrap().unwrap();
                assert_eq!(stored.lifecycle.status, MessageStatus::Accepted);
                assert_eq!(stored.wamid.as_ref(), Some(&wamid));
            }));
        }
    }
    for handle in handles {
        handle.await.unwrap();
    }
    for tenant in ids {
        assert_log(&db, tenant, per_tenant).await;
    }
    let after = db.group_commit_stats();
    let writes = u64::try_from(2 * tenants * per_tenant).unwrap();
    let batched = after.batched_writes - before.batched_writes;
    let alone = after.alone - before.alone;
    assert_eq!(
        batched + alone,
        writes,
        "every write committed once: {after:?}"
    );
    assert!(
        after.batches > before.batches && batched > after.batches - before.batches,
        "{writes} concurrent writes shared transactions: {after:?}"
    );
    assert_eq!(after.failed_batches, before.failed_batches, "{after:?}");
}

async fn a_failing_write_fails_alone_and_its_batch_mates_commit(db: TestDb) {
    let tenant = db.tenant().await;
    let writers = 60;
    let barrier = Arc::new(Barrier::new(writers + 1));
    let mut handles = Vec::new();
    for n in 0..writers {
        let repo = db.messages();
        let barrier = Arc::clone(&barrier);
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let message = outbound(
                tenant,
                Recipient::Phone(phone(u32::try_from(n).unwrap())),
                None,
            );
            repo.insert_outbound(&message).await.unwrap();
            repo.mark_accepted(tenant, message.id, &wamid(&message.id.to_string()), at(1))
                .await
                .unwrap();
        }));
    }
    // A message that does not exist: its write fails wherever it lands.
    let repo = db.messages();
    let bad = tokio::spawn({
        let barrier = Arc::clone(&barrier);
        async move {
            barrier.wait().await;
            let mut outcomes = Vec::new();
            for n in 0..10 {
                let missing = MessageId::generate();
                outcomes.push(
                    repo.mark_accepted(tenant, missing, &wamid(&format!("missing-{n}")), at(1))
                        .await,
                );
            }
            outcomes
        }
    });
    for handle in handles {
        handle.await.unwrap();
    }
    for outcome in bad.await.unwrap() {
        assert!(
            matches!(outcome, Err(StoreError::NotFound)),
            "the missing message is reported as such: {outcome:?}"
        );
    }
    assert_log(&db, tenant, writers).await;
}

async fn one_idempotency_key_in_one_batch_stores_one_message(db: TestDb) {
    let tenant = db.tenant().await;
    let copies = 20;
    let barrier = Arc::new(Barrier::new(copies));
    let mut handles = Vec::new();
    for _ in 0..copies {
        let repo = db.messages();
        let barrier = Arc::clone(&barrier);
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let message = outbound(tenant, Recipient::Phone(phone(7)), Some("order-42"));
            repo.insert_outbound(&message).await.unwrap()
        }));
    }
    let mut inserted = Vec::new();
    let mut existing = Vec::new();
    for handle in handles {
        match handle.await.unwrap() {
            OutboundInsert::Inserted(message) => inserted.push(message.id),
            OutboundInsert::Existing(message) => existing.push(message.id),
        }
    }
    assert_eq!(inserted.len(), 1, "one request stored the message");
    assert_eq!(existing.len(), copies - 1);
    assert!(
        existing.iter().all(|id| *id == inserted[0]),
        "the others got it back"
    );
    let events = db.events().read(tenant, 0, 100).await.unwrap();
    assert_eq!(events.len(), 1, "one pending event");
}
