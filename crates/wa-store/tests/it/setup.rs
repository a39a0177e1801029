//! Tenants and connections: creation, lookups, and the `# Errors` contracts of their ports.

use wa_domain::{
    connection::{Connection, ConnectionHealth, PhoneNumberInfo},
    ids::{PhoneNumberId, TenantId, WabaId},
    message::Page,
    ports::{ConnectionRepository, StoreError, TenantRepository},
    tenant::Tenant,
};

use crate::{
    on_both_databases,
    support::{TestDb, at, t0},
};

on_both_databases!(
    tenants_are_created_listed_and_disabled,
    a_tenant_adds_numbers_and_chooses_its_default,
    connection_contracts_report_duplicates_and_missing_rows,
    health_and_number_info_update_in_place,
);

fn connection(tenant: TenantId, phone_number_id: &str) -> Connection {
    Connection {
        tenant_id: tenant,
        is_default: true,
        waba_id: WabaId::parse("102290129340398").unwrap(),
        phone_number_id: PhoneNumberId::parse(phone_number_id).unwrap(),
        display_phone_number: "+1 555 0100".to_owned(),
        business_name: "Acme".to_owned(),
        health: ConnectionHealth::Pending,
        health_reason: None,
        health_changed_at: t0(),
        verified_at: None,
        throughput_mps: 80,
        quality_rating: None,
        messaging_limit: None,
    }
}

async fn tenants_are_created_listed_and_disabled(db: TestDb) {
    let repo = db.tenants();
    let mut ids = Vec::new();
    for n in 0..3 {
        let tenant = Tenant::new(TenantId::generate(), format!("Tenant {n}"), at(n)).unwrap();
        repo.create(&tenant).await.unwrap();
        assert_eq!(repo.get(tenant.id).await.unwrap(), Some(tenant.clone()));
        ids.push(tenant.id);
    }
    let again = Tenant::new(ids[0], "Same id", t0()).unwrap();
    assert!(matches!(
        repo.create(&again).await,
        Err(StoreError::Duplicate)
    ));

    let first = repo
        .list(Page {
            after: None,
            limit: 2,
        })
        .await
        .unwrap();
    assert_eq!(first.iter().map(|t| t.id).collect::<Vec<_>>(), ids[..2]);
    let rest = repo
        .list(Page {
            after: Some(ids[1]),
            limit: 2,
        })
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|t| t.id).collect::<Vec<_>>(), ids[2..]);

    repo.set_enabled(ids[0], false).await.unwrap();
    assert!(!repo.get(ids[0]).await.unwrap().unwrap().enabled);
    assert!(matches!(
        repo.set_enabled(TenantId::generate(), true).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(repo.get(TenantId::generate()).await.unwrap(), None);
}

async fn a_tenant_adds_numbers_and_chooses_its_default(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.connections();
    assert_eq!(repo.get(tenant).await.unwrap(), None);
    assert!(repo.list(tenant).await.unwrap().is_empty());

    // The first number is the default, whatever it asked.
    let first = Connection {
        is_default: false,
        ..connection(tenant, "1111")
    };
    repo.upsert(&first).await.unwrap();
    let first = Connection {
        is_default: true,
        ..first
    };
    assert_eq!(repo.get(tenant).await.unwrap(), Some(first.clone()));
    let number = PhoneNumberId::parse("1111").unwrap();
    assert_eq!(repo.resolve_tenant(&number).await.unwrap(), Some(tenant));

    // Another number is added beside it; the default stays.
    let second = Connection {
        is_default: false,
        health: ConnectionHealth::Active,
        verified_at: Some(at(60)),
        ..connection(tenant, "2222")
    };
    repo.upsert(&second).await.unwrap();
    let new_number = PhoneNumberId::parse("2222").unwrap();
    assert_eq!(repo.get(tenant).await.unwrap(), Some(first.clone()));
    assert_eq!(
        repo.list(tenant).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(
        repo.get_number(tenant, &new_number).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(repo.resolve_tenant(&number).await.unwrap(), Some(tenant));
    assert_eq!(
        repo.resolve_tenant(&new_number).await.unwrap(),
        Some(tenant)
    );

    // Updating a number keeps it where it was; storing one as default moves the mark.
    let renamed = Connection {
        display_phone_number: "+1 555 2222".to_owned(),
        ..second.clone()
    };
    repo.upsert(&renamed).await.unwrap();
    assert_eq!(
        repo.get_number(tenant, &new_number).await.unwrap(),
        Some(renamed.clone())
    );
    repo.set_default(tenant, &new_number).await.unwrap();
    let listed = repo.list(tenant).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|c| (c.phone_number_id.as_str(), c.is_default))
            .collect::<Vec<_>>(),
        [("2222", true), ("1111", false)]
    );
    repo.upsert(&first).await.unwrap();
    assert_eq!(repo.get(tenant).await.unwrap(), Some(first.clone()));

    // Removing the default makes the remaining number the default.
    repo.remove(tenant, &number).await.unwrap();
    assert_eq!(repo.resolve_tenant(&number).await.unwrap(), None);
    let left = repo.get(tenant).await.unwrap().unwrap();
    assert_eq!(left.phone_number_id, new_number);
    assert!(left.is_default);
    assert!(matches!(
        repo.remove(tenant, &number).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.set_default(tenant, &number).await,
        Err(StoreError::NotFound)
    ));
}

async fn connection_contracts_report_duplicates_and_missing_rows(db: TestDb) {
    let (a, b) = (db.tenant().await, db.tenant().await);
    let repo = db.connections();
    repo.upsert(&connection(a, "1111")).await.unwrap();
    assert!(matches!(
        repo.upsert(&connection(b, "1111")).await,
        Err(StoreError::Duplicate)
    ));
    assert!(matches!(
        repo.upsert(&connection(TenantId::generate(), "3333")).await,
        Err(StoreError::NotFound)
    ));
    // Another tenant's number is not found, nor is a number nobody has.
    let a_number = PhoneNumberId::parse("1111").unwrap();
    assert!(matches!(
        repo.set_health(b, &a_number, ConnectionHealth::Active, None, t0(), None)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.update_number_info(b, &a_number, &PhoneNumberInfo::default())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.set_default(b, &a_number).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.remove(b, &a_number).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(repo.get_number(b, &a_number).await.unwrap(), None);
    assert_eq!(
        repo.get(a).await.unwrap().unwrap().phone_number_id,
        a_number
    );
}

async fn health_and_number_info_update_in_place(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.connections();
    repo.upsert(&connection(tenant, "1111")).await.unwrap();

    let number = PhoneNumberId::parse("1111").unwrap();
    repo.set_health(
        tenant,
        &number,
        ConnectionHealth::Active,
        None,
        at(10),
        Some(at(10)),
    )
    .await
    .unwrap();
    // The same health again keeps the time it changed; verified_at is kept when not given.
    repo.set_health(
        tenant,
        &number,
        ConnectionHealth::Active,
        None,
        at(20),
        None,
    )
    .await
    .unwrap();
    let stored = repo.get(tenant).await.unwrap().unwrap();
    assert_eq!(stored.health, ConnectionHealth::Active);
    assert_eq!(stored.health_changed_at, at(10));
    assert_eq!(stored.verified_at, Some(at(10)));

    repo.set_health(
        tenant,
        &number,
        ConnectionHealth::Invalid,
        Some("token expired".to_owned()),
        at(30),
        None,
    )
    .await
    .unwrap();
    let stored = repo.get(tenant).await.unwrap().unwrap();
    assert_eq!(stored.health, ConnectionHealth::Invalid);
    assert_eq!(stored.health_reason.as_deref(), Some("token expired"));
    assert_eq!(stored.health_changed_at, at(30));

    let info = PhoneNumberInfo {
        quality_rating: Some("GREEN".to_owned()),
        throughput_level: Some("HIGH".to_owned()),
        messaging_limit: Some("TIER_1K".to_owned()),
        ..PhoneNumberInfo::default()
    };
    repo.update_number_info(tenant, &number, &info)
        .await
        .unwrap();
    let later = PhoneNumberInfo {
        quality_rating: Some("YELLOW".to_owned()),
        ..PhoneNumberInfo::default()
    };
    repo.update_number_info(tenant, &number, &later)
        .await
        .unwrap();
    let stored = repo.get(tenant).await.unwrap().unwrap();
    assert_eq!(stored.quality_rating.as_deref(), Some("YELLOW"));
    // Not reported the second time: kept. Throughput follows the level Meta last reported.
    assert_eq!(stored.messaging_limit.as_deref(), Some("TIER_1K"));
    assert_eq!(stored.throughput_mps, 1000);
    assert_eq!(stored.display_phone_number, "+1 555 0100");
}
