//! The app's own tables: API keys by hash, and the webhook inbox with its claim leases.

use std::{collections::HashSet, sync::Arc};

use tokio::sync::Barrier;
use wa_domain::ports::{ApiKeyRepository, InboxItem, WebhookInbox};
use wa_domain::{ids::TenantId, ports::StoreError};

use crate::{
    on_both_databases,
    support::{TestDb, at, t0},
};

on_both_databases!(
    an_api_key_hash_finds_its_tenant,
    inbox_bodies_are_claimed_completed_and_released,
    concurrent_claimers_never_share_a_body,
);

async fn an_api_key_hash_finds_its_tenant(db: TestDb) {
    let (a, b) = (db.tenant().await, db.tenant().await);
    let keys = db.api_keys();
    keys.insert(a, [1; 32], "wa_live_1", t0()).await.unwrap();
    keys.insert(b, [2; 32], "wa_live_2", t0()).await.unwrap();
    keys.insert(a, [3; 32], "wa_live_3", t0()).await.unwrap();
    assert_eq!(keys.find_tenant(&[1; 32]).await.unwrap(), Some(a));
    assert_eq!(keys.find_tenant(&[2; 32]).await.unwrap(), Some(b));
    assert_eq!(keys.find_tenant(&[3; 32]).await.unwrap(), Some(a));
    assert_eq!(keys.find_tenant(&[4; 32]).await.unwrap(), None);
    assert!(matches!(
        keys.insert(b, [1; 32], "wa_live_x", t0()).await,
        Err(StoreError::Duplicate)
    ));
    assert!(matches!(
        keys.insert(TenantId::generate(), [5; 32], "wa_live_5", t0())
            .await,
        Err(StoreError::NotFound)
    ));
}

fn ids(rows: &[InboxItem]) -> Vec<i64> {
    rows.iter().map(|row| row.id).collect()
}

async fn inbox_bodies_are_claimed_completed_and_released(db: TestDb) {
    let inbox = db.webhook_inbox();
    let mut pushed = Vec::new();
    for n in 0..3_u8 {
        pushed.push(inbox.push(&[b'{', n, b'}'], t0()).await.unwrap());
    }
    assert!(
        pushed.windows(2).all(|w| w[0] < w[1]),
        "ids grow: {pushed:?}"
    );
    assert_eq!(inbox.backlog().await.unwrap(), 3);

    // Oldest first, up to the limit, leased until 60.
    let first = inbox.claim(2, at(0), at(60)).await.unwrap();
    assert_eq!(ids(&first), pushed[..2]);
    assert_eq!(first[0].body, [b'{', 0, b'}']);
    assert_eq!(first[0].attempts, 0);
    // Leased bodies are not handed out again while the lease runs.
    let second = inbox.claim(10, at(10), at(70)).await.unwrap();
    assert_eq!(ids(&second), pushed[2..]);
    assert!(inbox.claim(10, at(20), at(80)).await.unwrap().is_empty());

    inbox.complete(&[pushed[0]], at(30)).await.unwrap();
    inbox
        .release(pushed[1], "tenant lookup failed", at(100))
        .await
        .unwrap();
    assert_eq!(inbox.backlog().await.unwrap(), 2);

    // At 75 the third body's lease (until 70) has run out; the released one is due at 100.
    let expired = inbox.claim(10, at(75), at(200)).await.unwrap();
    assert_eq!(ids(&expired), pushed[2..]);
    let retried = inbox.claim(10, at(100), at(160)).await.unwrap();
    assert_eq!(ids(&retried), [pushed[1]]);
    assert_eq!(retried[0].attempts, 1, "the failed attempt is counted");
    // A processed body never comes back.
    let later = inbox.claim(10, at(1_000), at(1_060)).await.unwrap();
    assert_eq!(ids(&later), [pushed[1], pushed[2]]);
}

async fn concurrent_claimers_never_share_a_body(db: TestDb) {
    let inbox = Arc::new(db.webhook_inbox());
    let mut pushed = HashSet::new();
    for n in 0..48_u8 {
        pushed.insert(inbox.push(&[n], t0()).await.unwrap());
    }
    let barrier = Arc::new(Barrier::new(6));
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (inbox, barrier) = (Arc::clone(&inbox), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                let mut mine = Vec::new();
                loop {
                    let claimed = inbox.claim(3, at(1), at(3_600)).await.unwrap();
                    if claimed.is_empty() {
                        return mine;
                    }
                    mine.extend(ids(&claimed));
                }
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for task in tasks {
        claimed.extend(task.await.unwrap());
    }
    let distinct: HashSet<_> = claimed.iter().copied().collect();
    assert_eq!(distinct.len(), claimed.len(), "a body was claimed twice");
    assert_eq!(distinct, pushed);
}
