//! The read cache against mocks of the ports: found answers are kept, missing ones never, a write
//! through the decorator drops what it changed, a read racing a drop is not kept, and answers
//! expire.

use std::{sync::Arc, time::Duration};

use time::macros::datetime;
use wa_domain::{
    connection::ConnectionHealth,
    ids::TenantId,
    ports::{MockConnectionRepository, MockTenantRepository, StoreError, TenantRepository},
    tenant::Tenant,
};

use super::{CachedConnections, CachedTenants, Fresh};

fn tenant(id: TenantId) -> Tenant {
    Tenant {
        id,
        name: "Cafe".to_owned(),
        enabled: true,
        created_at: datetime!(2026-12-01 10:00 UTC),
    }
}

#[tokio::test]
async fn a_found_tenant_is_read_once_a_missing_one_every_time() {
    let known = TenantId::generate();
    let unknown = TenantId::generate();
    let mut inner = MockTenantRepository::new();
    inner
        .expect_get()
        .withf(move |id| *id == known)
        .times(1)
        .returning(move |id| Ok(Some(tenant(id))));
    inner
        .expect_get()
        .withf(move |id| *id == unknown)
        .times(3)
        .returning(|_| Ok(None));
    let cached = CachedTenants::new(Arc::new(inner));
    for _ in 0..3 {
        assert_eq!(cached.get(known).await.unwrap().unwrap().id, known);
        assert!(cached.get(unknown).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn disabling_a_tenant_is_seen_at_once() {
    let id = TenantId::generate();
    let mut inner = MockTenantRepository::new();
    let mut sequence = mockall::Sequence::new();
    inner
        .expect_get()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(move |id| Ok(Some(tenant(id))));
    inner
        .expect_set_enabled()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, _| Ok(()));
    inner
        .expect_get()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(move |id| {
            Ok(Some(Tenant {
                enabled: false,
                ..tenant(id)
            }))
        });
    let cached = CachedTenants::new(Arc::new(inner));
    assert!(cached.get(id).await.unwrap().unwrap().enabled);
    cached.set_enabled(id, false).await.unwrap();
    assert!(!cached.get(id).await.unwrap().unwrap().enabled);
}

#[tokio::test]
async fn a_failed_write_still_drops_the_answer() {
    // The write may have reached the database before it failed: nothing is trusted after it.
    let id = TenantId::generate();
    let mut inner = MockTenantRepository::new();
    inner
        .expect_get()
        .times(2)
        .returning(move |id| Ok(Some(tenant(id))));
    inner
        .expect_set_enabled()
        .returning(|_, _| Err(StoreError::Unavailable("lost".into())));
    let cached = CachedTenants::new(Arc::new(inner));
    cached.get(id).await.unwrap();
    assert!(cached.set_enabled(id, false).await.is_err());
    cached.get(id).await.unwrap();
}

#[tokio::test]
async fn a_health_change_drops_the_connection_and_the_routes() {
    use wa_domain::{ids::PhoneNumberId, ports::ConnectionRepository};
    let id = TenantId::generate();
    let number = PhoneNumberId::parse("1234567890").unwrap();
    let mut inner = MockConnectionRepository::new();
    inner.expect_get().times(2).returning(|_| Ok(None));
    inner
        .expect_resolve_tenant()
        .times(2)
        .returning(move |_| Ok(Some(id)));
    inner
        .expect_set_health()
        .returning(|_, _, _, _, _, _| Ok(()));
    // One number's row, read once before and once after its health changes.
    inner
        .expect_get_number()
        .times(2)
        .returning(move |tenant, number| {
            Ok(Some(wa_domain::connection::Connection {
                tenant_id: tenant,
                is_default: true,
                waba_id: wa_domain::ids::WabaId::parse("102290129340398").unwrap(),
                phone_number_id: number.clone(),
                display_phone_number: "+1 555 0100".to_owned(),
                business_name: "Acme".to_owned(),
                health: ConnectionHealth::Active,
                health_reason: None,
                health_changed_at: datetime!(2026-12-01 09:00 UTC),
                verified_at: None,
                throughput_mps: 80,
                quality_rating: None,
                messaging_limit: None,
            }))
        });
    let cached = CachedConnections::new(Arc::new(inner));
    // A missing connection is read every time.
    assert!(cached.get(id).await.unwrap().is_none());
    assert!(cached.get(id).await.unwrap().is_none());
    // A route and a found number are kept until a connection changes.
    assert_eq!(cached.resolve_tenant(&number).await.unwrap(), Some(id));
    assert_eq!(cached.resolve_tenant(&number).await.unwrap(), Some(id));
    assert!(cached.get_number(id, &number).await.unwrap().is_some());
    assert!(cached.get_number(id, &number).await.unwrap().is_some());
    cached
        .set_health(
            id,
            &number,
            ConnectionHealth::Invalid,
            None,
            datetime!(2026-12-01 10:00 UTC),
            None,
        )
        .await
        .unwrap();
    assert_eq!(cached.resolve_tenant(&number).await.unwrap(), Some(id));
    assert!(cached.get_number(id, &number).await.unwrap().is_some());
}

#[tokio::test]
async fn a_read_that_raced_a_drop_is_not_kept() {
    let fresh: Fresh<u8, Option<u8>> = Fresh::with_ttl(Duration::from_secs(60));
    let value = fresh
        .get_or_read(&1, Option::is_some, || async {
            // A write dropped the key while this read was on its way.
            fresh.drop_key(&1);
            Ok(Some(7))
        })
        .await
        .unwrap();
    assert_eq!(value, Some(7));
    assert_eq!(fresh.get(&1), None);
    // Without a race it is kept.
    fresh
        .get_or_read(&1, Option::is_some, || async { Ok(Some(8)) })
        .await
        .unwrap();
    assert_eq!(fresh.get(&1), Some(Some(8)));
}

#[tokio::test]
async fn answers_expire() {
    let fresh: Fresh<u8, Option<u8>> = Fresh::with_ttl(Duration::from_millis(20));
    fresh
        .get_or_read(&1, Option::is_some, || async { Ok(Some(1)) })
        .await
        .unwrap();
    assert_eq!(fresh.get(&1), Some(Some(1)));
    tokio::time::sleep(Duration::from_millis(40)).await;
    assert_eq!(fresh.get(&1), None);
}

#[tokio::test]
async fn expired_answers_are_swept_out() {
    let fresh: Fresh<u8, Option<u8>> = Fresh::with_ttl(Duration::from_millis(5));
    for key in 0..10 {
        fresh
            .get_or_read(&key, Option::is_some, || async { Ok(Some(key)) })
            .await
            .unwrap();
    }
    assert_eq!(fresh.lock().map.len(), 10);
    // Past ten lifetimes, the next kept answer sweeps the expired ones out.
    tokio::time::sleep(Duration::from_millis(60)).await;
    fresh
        .get_or_read(&99, Option::is_some, || async { Ok(Some(99)) })
        .await
        .unwrap();
    assert_eq!(fresh.lock().map.len(), 1);
}
