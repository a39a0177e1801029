//! Event endpoints: one owner per lease, the cursor only moves forward and only for the owner,
//! rotation keeps the previous secret, dead letters upsert and redeliver, tenants stay apart.

use uuid::Uuid;
use wa_domain::ids::TenantId;
use wa_domain::ports::{DeadLetter, EventEndpoint, EventEndpointRepository};

use crate::{
    on_both_databases,
    support::{TestDb, at, t0},
};

on_both_databases!(
    a_lease_has_one_owner_until_it_lapses,
    the_cursor_moves_forward_for_the_owner_only,
    rotation_keeps_the_previous_secret_and_dead_letters_redeliver,
);

fn endpoint(tenant: TenantId) -> EventEndpoint {
    EventEndpoint {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        url: "https://hooks.example.com/wa".to_owned(),
        event_types: Some(vec!["message.received".to_owned()]),
        enabled: true,
        secret: vec![1, 2, 3],
        previous_secret: None,
        previous_secret_until: None,
        cursor_seq: 0,
        created_at: t0(),
        updated_at: t0(),
    }
}

async fn a_lease_has_one_owner_until_it_lapses(db: TestDb) {
    let rows = db.event_endpoints();
    let tenant = db.tenant().await;
    let row = endpoint(tenant);
    rows.insert(&row).await.unwrap();
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    let claimed = rows.claim(first, at(0), at(60), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].event_types, row.event_types);
    assert!(
        rows.claim(second, at(30), at(90), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!rows.renew(tenant, row.id, second, at(90)).await.unwrap());
    assert!(rows.renew(tenant, row.id, first, at(120)).await.unwrap());
    assert!(
        rows.claim(second, at(100), at(160), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Lapsed: another owner takes it, and the first can no longer renew.
    assert_eq!(
        rows.claim(second, at(121), at(181), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(!rows.renew(tenant, row.id, first, at(200)).await.unwrap());
    // Released: free at once.
    rows.release(tenant, row.id, second).await.unwrap();
    assert_eq!(
        rows.claim(first, at(122), at(182), 10).await.unwrap().len(),
        1
    );
}

async fn the_cursor_moves_forward_for_the_owner_only(db: TestDb) {
    let rows = db.event_endpoints();
    let tenant = db.tenant().await;
    let other = db.tenant().await;
    let row = endpoint(tenant);
    rows.insert(&row).await.unwrap();
    let owner = Uuid::now_v7();
    rows.claim(owner, at(0), at(60), 10).await.unwrap();
    assert!(rows.advance_cursor(tenant, row.id, owner, 7).await.unwrap());
    assert!(rows.advance_cursor(tenant, row.id, owner, 3).await.unwrap());
    assert_eq!(
        rows.get(tenant, row.id).await.unwrap().unwrap().cursor_seq,
        7
    );
    assert!(
        !rows
            .advance_cursor(tenant, row.id, Uuid::now_v7(), 9)
            .await
            .unwrap()
    );
    assert!(!rows.advance_cursor(other, row.id, owner, 9).await.unwrap());
    assert_eq!(
        rows.get(tenant, row.id).await.unwrap().unwrap().cursor_seq,
        7
    );
    // Another tenant sees nothing of it.
    assert!(rows.get(other, row.id).await.unwrap().is_none());
    assert!(rows.list(other).await.unwrap().is_empty());
    assert!(!rows.delete(other, row.id).await.unwrap());
    assert!(rows.delete(tenant, row.id).await.unwrap());
}

async fn rotation_keeps_the_previous_secret_and_dead_letters_redeliver(db: TestDb) {
    let rows = db.event_endpoints();
    let tenant = db.tenant().await;
    let row = endpoint(tenant);
    rows.insert(&row).await.unwrap();
    assert!(
        rows.rotate_secret(tenant, row.id, vec![9, 9], at(3600), at(0))
            .await
            .unwrap()
    );
    let rotated = rows.get(tenant, row.id).await.unwrap().unwrap();
    assert_eq!(rotated.secret, vec![9, 9]);
    assert_eq!(rotated.previous_secret, Some(vec![1, 2, 3]));
    assert_eq!(rotated.previous_secret_until, Some(at(3600)));

    let letter = DeadLetter {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        endpoint_id: row.id,
        event_id: Uuid::now_v7(),
        event_seq: 4,
        event_type: "message.received".to_owned(),
        body: "{}".to_owned(),
        attempts: 5,
        last_status: Some(503),
        last_error: None,
        first_attempt_at: at(0),
        last_attempt_at: at(10),
        dead_at: at(10),
        redeliver_requested_at: None,
        delivered_at: None,
    };
    rows.put_dead_letter(&letter).await.unwrap();
    assert_eq!(
        rows.request_redelivery(tenant, row.id, None, at(20))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        rows.due_redeliveries(tenant, row.id, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // The redelivery fails again: the same letter, attempts added, request cleared.
    rows.put_dead_letter(&DeadLetter {
        id: Uuid::now_v7(),
        attempts: 2,
        last_status: None,
        last_error: Some("timed out".to_owned()),
        last_attempt_at: at(30),
        dead_at: at(30),
        ..letter.clone()
    })
    .await
    .unwrap();
    let listed = rows.dead_letters(tenant, row.id, None, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, letter.id);
    assert_eq!(listed[0].attempts, 7);
    assert_eq!(listed[0].first_attempt_at, at(0));
    assert_eq!(listed[0].last_error.as_deref(), Some("timed out"));
    assert!(listed[0].redeliver_requested_at.is_none());
    // Redelivered: gone from the list.
    rows.request_redelivery(tenant, row.id, Some(vec![letter.id]), at(40))
        .await
        .unwrap();
    rows.mark_redelivered(tenant, letter.id, 1, at(41))
        .await
        .unwrap();
    assert!(
        rows.dead_letters(tenant, row.id, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        rows.due_redeliveries(tenant, row.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
