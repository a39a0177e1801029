//! The outbox: fair claims across tenants, leases that lapse (and say so), held tenants left alone,
//! rescheduling, many concurrent claimers never taking a message twice, and (PostgreSQL) one
//! process at a time pacing a number.

use std::collections::HashSet;

use wa_domain::{
    connection::{Connection, ConnectionHealth},
    ids::{MessageId, PhoneNumberId, Recipient, TenantId, WabaId},
    ports::{
        ClaimRequest, ConnectionRepository, MessageRepository, Outbox, PacerId, TenantRepository,
    },
};

use crate::{
    on_both_databases,
    support::{TestDb, at, outbound, phone, t0, wamid},
};

on_both_databases!(
    claims_are_fair_across_tenants_and_carry_what_pacing_needs,
    a_claim_is_a_lease_that_lapses,
    held_and_skipped_tenants_are_not_claimed,
    rescheduling_and_releasing_put_a_message_back,
    a_message_that_left_pending_leaves_the_outbox,
    concurrent_claimers_never_take_a_message_twice,
    a_number_is_paced_by_one_process_at_a_time,
    the_backlog_counts_pending_messages_per_tenant,
);

/// A tenant with an active connection on its own number, and `count` pending messages to
/// customer `customer`.
async fn tenant_with_messages(
    db: &TestDb,
    number: &str,
    count: usize,
    customer: u32,
) -> (TenantId, Vec<MessageId>) {
    let tenant = db.tenant().await;
    db.connections()
        .upsert(&Connection {
            tenant_id: tenant,
            is_default: true,
            waba_id: WabaId::parse("102290129340398").unwrap(),
            phone_number_id: PhoneNumberId::parse(number).unwrap(),
            display_phone_number: "+1 555 0100".to_owned(),
            business_name: "Acme".to_owned(),
            health: ConnectionHealth::Active,
            health_reason: None,
            health_changed_at: t0(),
            verified_at: None,
            throughput_mps: 80,
            quality_rating: None,
            messaging_limit: None,
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..count {
        let mut message = outbound(tenant, Recipient::Phone(phone(customer)), None);
        message.from = PhoneNumberId::parse(number).unwrap();
        message.created_at = at(i64::try_from(n).unwrap());
        db.messages().insert_outbound(&message).await.unwrap();
        ids.push(message.id);
    }
    (tenant, ids)
}

/// The one process of most tests.
const ONE_PROCESS: PacerId = PacerId(uuid::Uuid::from_u128(1));

fn request(now_s: i64, limit: u32, per_tenant: u32) -> ClaimRequest {
    request_by(ONE_PROCESS, now_s, limit, per_tenant)
}

fn request_by(owner: PacerId, now_s: i64, limit: u32, per_tenant: u32) -> ClaimRequest {
    ClaimRequest {
        now: at(now_s),
        lease_until: at(now_s + 60),
        limit,
        per_tenant,
        skip_tenants: Vec::new(),
        owner,
    }
}

async fn claims_are_fair_across_tenants_and_carry_what_pacing_needs(db: TestDb) {
    let (a, a_ids) = tenant_with_messages(&db, "100000000000001", 20, 1).await;
    let (b, b_ids) = tenant_with_messages(&db, "100000000000002", 2, 2).await;
    let claimed = db.outbox().claim_due(&request(1000, 6, 3)).await.unwrap();

    let of = |tenant| claimed.iter().filter(|m| m.tenant_id == tenant).count();
    assert_eq!((of(a), of(b)), (3, 2), "{claimed:?}");
    // A's three are its oldest, in order.
    let a_claimed: Vec<MessageId> = claimed
        .iter()
        .filter(|m| m.tenant_id == a)
        .map(|m| m.id)
        .collect();
    assert_eq!(a_claimed, a_ids[..3]);
    let b_claimed: HashSet<MessageId> = claimed
        .iter()
        .filter(|m| m.tenant_id == b)
        .map(|m| m.id)
        .collect();
    assert_eq!(b_claimed, b_ids.iter().copied().collect());

    let first = claimed.iter().find(|m| m.tenant_id == b).unwrap();
    assert_eq!(first.phone_number_id.as_str(), "100000000000002");
    assert_eq!(first.throughput_mps, 80);
    assert_eq!(first.customer_key, phone(2).as_str());
    assert_eq!(first.attempts, 0);

    // Only what is due: messages created "later" than now are not claimed yet.
    let (c, _) = tenant_with_messages(&db, "100000000000003", 3, 3).await;
    let early = db.outbox().claim_due(&request(1, 50, 50)).await.unwrap();
    let c_early = early.iter().filter(|m| m.tenant_id == c).count();
    assert_eq!(
        c_early, 2,
        "created at t0+0 and t0+1 are due at t0+1: {early:?}"
    );
}

async fn a_claim_is_a_lease_that_lapses(db: TestDb) {
    let (_, ids) = tenant_with_messages(&db, "100000000000001", 3, 1).await;
    let outbox = db.outbox();
    let first = outbox.claim_due(&request(100, 10, 10)).await.unwrap();
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|m| !m.lapsed), "a first claim: {first:?}");
    // Within the lease nobody else gets them.
    assert!(
        outbox
            .claim_due(&request(130, 10, 10))
            .await
            .unwrap()
            .is_empty()
    );
    // After it (a crashed worker), they come back, marked: the holder may have sent them.
    let again = outbox.claim_due(&request(161, 10, 10)).await.unwrap();
    assert!(again.iter().all(|m| m.lapsed), "taken over: {again:?}");
    let again_ids: HashSet<MessageId> = again.iter().map(|m| m.id).collect();
    assert_eq!(again_ids, ids.iter().copied().collect());
    // A claim that ended (rescheduled, given back) is not a lapse.
    outbox
        .schedule(again[0].tenant_id, ids[0], at(170))
        .await
        .unwrap();
    outbox.release(again[0].tenant_id, ids[1]).await.unwrap();
    let next = outbox.claim_due(&request(230, 10, 10)).await.unwrap();
    let lapsed: Vec<(MessageId, bool)> = next.iter().map(|m| (m.id, m.lapsed)).collect();
    assert_eq!(lapsed.len(), 3, "{next:?}");
    for (id, was_lapsed) in lapsed {
        assert_eq!(
            was_lapsed,
            id == ids[2],
            "{id}: only the third lapsed again"
        );
    }
}

async fn held_and_skipped_tenants_are_not_claimed(db: TestDb) {
    let (invalid, _) = tenant_with_messages(&db, "100000000000001", 2, 1).await;
    let (disabled, _) = tenant_with_messages(&db, "100000000000002", 2, 2).await;
    let (skipped, _) = tenant_with_messages(&db, "100000000000003", 2, 3).await;
    let (open, _) = tenant_with_messages(&db, "100000000000004", 2, 4).await;
    db.connections()
        .set_health(
            invalid,
            &PhoneNumberId::parse("100000000000001").unwrap(),
            ConnectionHealth::Invalid,
            Some("190".into()),
            at(5),
            None,
        )
        .await
        .unwrap();
    db.tenants().set_enabled(disabled, false).await.unwrap();
    let mut claim = request(100, 50, 50);
    claim.skip_tenants = vec![skipped];
    let claimed = db.outbox().claim_due(&claim).await.unwrap();
    let tenants: HashSet<TenantId> = claimed.iter().map(|m| m.tenant_id).collect();
    assert_eq!(tenants, HashSet::from([open]));

    // The connection comes back: its messages were waiting in place.
    db.connections()
        .set_health(
            invalid,
            &PhoneNumberId::parse("100000000000001").unwrap(),
            ConnectionHealth::Active,
            None,
            at(6),
            None,
        )
        .await
        .unwrap();
    let claimed = db.outbox().claim_due(&request(100, 50, 50)).await.unwrap();
    let tenants: HashSet<TenantId> = claimed.iter().map(|m| m.tenant_id).collect();
    assert_eq!(tenants, HashSet::from([invalid, skipped]));
}

async fn rescheduling_and_releasing_put_a_message_back(db: TestDb) {
    let (tenant, ids) = tenant_with_messages(&db, "100000000000001", 2, 1).await;
    let (other, _) = tenant_with_messages(&db, "100000000000002", 0, 2).await;
    let outbox = db.outbox();
    assert_eq!(
        outbox.claim_due(&request(10, 10, 10)).await.unwrap().len(),
        2
    );

    // Another tenant cannot touch them, even with their ids.
    outbox.release(other, ids[0]).await.unwrap();
    outbox.schedule(other, ids[1], at(11)).await.unwrap();
    assert!(
        outbox
            .claim_due(&request(12, 10, 10))
            .await
            .unwrap()
            .is_empty()
    );

    outbox.release(tenant, ids[0]).await.unwrap();
    outbox.schedule(tenant, ids[1], at(300)).await.unwrap();
    let now = outbox.claim_due(&request(12, 10, 10)).await.unwrap();
    assert_eq!(now.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[0]]);
    db.messages()
        .mark_accepted(tenant, ids[0], &wamid("sent-first"), at(13))
        .await
        .unwrap();
    // Not before its new due time; then yes, with its attempts unchanged.
    assert!(
        outbox
            .claim_due(&request(299, 10, 10))
            .await
            .unwrap()
            .is_empty()
    );
    let later = outbox.claim_due(&request(300, 10, 10)).await.unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!((later[0].id, later[0].attempts), (ids[1], 0));
}

async fn a_message_that_left_pending_leaves_the_outbox(db: TestDb) {
    let (tenant, ids) = tenant_with_messages(&db, "100000000000001", 2, 1).await;
    let outbox = db.outbox();
    assert_eq!(
        outbox.claim_due(&request(10, 10, 10)).await.unwrap().len(),
        2
    );
    db.messages()
        .mark_accepted(tenant, ids[0], &wamid("accepted"), at(11))
        .await
        .unwrap();
    // Scheduling an accepted message does not bring it back.
    outbox.schedule(tenant, ids[0], at(12)).await.unwrap();
    outbox.schedule(tenant, ids[1], at(12)).await.unwrap();
    let claimed = outbox.claim_due(&request(13, 10, 10)).await.unwrap();
    assert_eq!(claimed.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[1]]);
}

async fn concurrent_claimers_never_take_a_message_twice(db: TestDb) {
    let mut all = HashSet::new();
    for (n, number) in ["100000000000001", "100000000000002", "100000000000003"]
        .into_iter()
        .enumerate()
    {
        let (_, ids) = tenant_with_messages(&db, number, 80, u32::try_from(n).unwrap()).await;
        all.extend(ids);
    }
    let mut workers = Vec::new();
    for _ in 0..8 {
        let outbox = db.outbox();
        // Each its own process: on PostgreSQL they also contend for the numbers' leases.
        let owner = PacerId::generate();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = outbox
                    .claim_due(&request_by(owner, 1000, 7, 3))
                    .await
                    .unwrap();
                if batch.is_empty() {
                    break;
                }
                mine.extend(batch.into_iter().map(|m| m.id));
            }
            mine
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for worker in workers {
        for id in worker.await.unwrap() {
            total += 1;
            assert!(seen.insert(id), "{id} was claimed twice");
        }
    }
    assert_eq!(total, all.len());
    assert_eq!(seen, all);
}

async fn a_number_is_paced_by_one_process_at_a_time(db: TestDb) {
    let (_, ids) = tenant_with_messages(&db, "100000000000001", 12, 1).await;
    let outbox = db.outbox();
    let (x, y) = (PacerId::generate(), PacerId::generate());
    let claim = |owner, now_s, limit| {
        let outbox = outbox.clone();
        async move {
            outbox
                .claim_due(&request_by(owner, now_s, limit, limit))
                .await
                .unwrap()
                .len()
        }
    };

    assert_eq!(claim(x, 1000, 2).await, 2, "x takes the number");
    if db.backend == crate::support::Backend::Sqlite {
        // One process per SQLite database: leases are not used.
        assert_eq!(claim(y, 1000, 3).await, 3);
        return;
    }
    assert_eq!(claim(y, 1000, 3).await, 0, "x holds the number");
    assert_eq!(claim(x, 1001, 2).await, 2, "x keeps pacing it");
    // Renewed while messages wait (x's lease would have lapsed at 1061).
    assert_eq!(claim(x, 1050, 0).await, 0);
    assert_eq!(claim(y, 1070, 3).await, 0, "the renewed lease still holds");
    // x dies: its lease lapses (1110), y takes the number and what x had claimed.
    assert_eq!(claim(y, 1111, 3).await, 3, "a lapsed lease is taken over");
    assert_eq!(claim(x, 1112, 3).await, 0, "y holds it now");
    // A clean shutdown gives the number back at once.
    outbox.release_leases(y).await.unwrap();
    // Everything but the 3 that y claimed (until 1171).
    assert_eq!(claim(x, 1113, 20).await, ids.len() - 3, "x paces the rest");
}

async fn the_backlog_counts_pending_messages_per_tenant(db: TestDb) {
    let (a, a_ids) = tenant_with_messages(&db, "100000000000001", 3, 1).await;
    let (b, _) = tenant_with_messages(&db, "100000000000002", 1, 2).await;
    db.messages()
        .mark_accepted(a, a_ids[0], &wamid("gone"), at(5))
        .await
        .unwrap();
    let mut backlog = db.outbox().backlog().await.unwrap();
    backlog.sort_by_key(|b| b.pending);
    assert_eq!(backlog.len(), 2, "{backlog:?}");
    assert_eq!((backlog[0].tenant_id, backlog[0].pending), (b, 1));
    assert_eq!((backlog[1].tenant_id, backlog[1].pending), (a, 2));
    assert_eq!(backlog[1].oldest, Some(at(1)));
}
