//! Signup progress, synced templates and the connection directory: round trips, replacement,
//! status changes by webhook, and tenant scoping.

use wa_domain::{
    connection::{Connection, ConnectionHealth},
    error_class::ErrorClass,
    event::EventPayload,
    ids::{PhoneNumberId, TenantId, WabaId},
    onboarding::{SignupFailure, SignupState, SignupStep, advice},
    ports::{
        ConnectionDirectory, ConnectionRepository, EventLog, SignupRepository, StoreError,
        TemplateRepository,
    },
    template_catalog::{
        ButtonSpec, SyncedTemplate, TemplateSpec, TemplateStatusChange, TextVariables,
    },
};

use crate::{
    on_both_databases,
    support::{TestDb, at, t0},
};

on_both_databases!(
    signup_progress_round_trips_and_is_replaced,
    templates_are_replaced_found_and_paused_per_tenant,
    the_directory_finds_tenants_by_waba
);

async fn signup_progress_round_trips_and_is_replaced(db: TestDb) {
    let tenant = db.tenant().await;
    let repo = db.signups();
    assert_eq!(repo.get(tenant).await.unwrap(), None);
    let mut state = SignupState::start(tenant, Some("fp-1".to_owned()), t0());
    state.reached = Some(SignupStep::Discover);
    state.waba_id = Some(WabaId::parse("200000000000009").unwrap());
    state.phone_number_id = Some(PhoneNumberId::parse("100000000000009").unwrap());
    state.business_id = Some("300".to_owned());
    state.failure = Some(SignupFailure {
        step: SignupStep::Subscribe,
        meta_code: Some(2),
        message: "Service temporarily unavailable".to_owned(),
        action: advice(SignupStep::Subscribe, ErrorClass::Retryable, Some(2)),
        retryable: true,
    });
    state.updated_at = at(5);
    repo.save(&state).await.unwrap();
    assert_eq!(repo.get(tenant).await.unwrap(), Some(state.clone()));
    let fresh = SignupState::start(tenant, Some("fp-2".to_owned()), at(10));
    repo.save(&fresh).await.unwrap();
    assert_eq!(
        repo.get(tenant).await.unwrap(),
        Some(fresh),
        "one row per tenant"
    );
    assert_eq!(db.signups().get(db.tenant().await).await.unwrap(), None);
    let unknown = SignupState::start(TenantId::generate(), None, t0());
    assert!(matches!(
        repo.save(&unknown).await,
        Err(StoreError::NotFound)
    ));
}

fn template(name: &str, language: &str, status: &str, meta_id: &str) -> SyncedTemplate {
    SyncedTemplate {
        waba_id: WabaId::parse("200000000000009").unwrap(),
        meta_id: Some(meta_id.to_owned()),
        name: name.to_owned(),
        language: language.to_owned(),
        category: Some("UTILITY".to_owned()),
        status: status.to_owned(),
        spec: TemplateSpec {
            header: None,
            body: TextVariables::of_text("Hi {{name}}"),
            buttons: vec![ButtonSpec {
                index: 0,
                kind: "url".to_owned(),
                requires_parameter: true,
            }],
        },
        components_json: Some(r#"[{"type":"BODY","text":"Hi {{name}}"}]"#.to_owned()),
        synced_at: at(1),
    }
}

async fn templates_are_replaced_found_and_paused_per_tenant(db: TestDb) {
    let tenant = db.tenant().await;
    let other = db.tenant().await;
    let repo = db.templates();
    assert_eq!(repo.last_synced(tenant).await.unwrap(), None);
    let first = [
        template("order", "en_US", "APPROVED", "1"),
        template("order", "he", "APPROVED", "2"),
        template("gone", "en_US", "APPROVED", "3"),
    ];
    assert_eq!(repo.replace_all(tenant, &first).await.unwrap(), 3);
    assert_eq!(repo.find_by_name(tenant, "order").await.unwrap().len(), 2);
    assert_eq!(
        repo.find_by_name(tenant, "order").await.unwrap()[0],
        first[0]
    );
    assert!(repo.find_by_name(other, "order").await.unwrap().is_empty());
    assert_eq!(repo.last_synced(other).await.unwrap(), None);
    // A new sync replaces the copy: `gone` disappears.
    let second = [template("order", "en_US", "APPROVED", "1")];
    repo.replace_all(tenant, &second).await.unwrap();
    assert_eq!(repo.list(tenant).await.unwrap(), second.to_vec());
    assert_eq!(repo.last_synced(tenant).await.unwrap(), Some(at(1)));
    // A webhook pauses it, by Meta's id; another tenant's change touches nothing.
    let paused = TemplateStatusChange {
        meta_id: Some("1".to_owned()),
        name: None,
        language: None,
        status: "PAUSED".to_owned(),
    };
    assert!(!repo.set_status(other, &paused, at(2)).await.unwrap());
    assert!(repo.set_status(tenant, &paused, at(2)).await.unwrap());
    let stored = repo.find_by_name(tenant, "order").await.unwrap();
    assert_eq!(
        (stored[0].status.as_str(), stored[0].synced_at),
        ("PAUSED", at(2))
    );
    // By name and language when Meta gives no id.
    let approved = TemplateStatusChange {
        meta_id: None,
        name: Some("order".to_owned()),
        language: Some("en_US".to_owned()),
        status: "APPROVED".to_owned(),
    };
    assert!(repo.set_status(tenant, &approved, at(3)).await.unwrap());
    // Each change wrote its `template.status` event with it; the other tenant got none.
    let statuses: Vec<(Option<String>, String, String)> = db
        .events()
        .read(tenant, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|event| match event.payload {
            EventPayload::TemplateStatus(change) => {
                Some((change.template_id, change.name, change.status))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (
                Some("1".to_owned()),
                "order".to_owned(),
                "PAUSED".to_owned()
            ),
            (
                Some("1".to_owned()),
                "order".to_owned(),
                "APPROVED".to_owned()
            ),
        ]
    );
    assert!(db.events().read(other, 0, 100).await.unwrap().is_empty());
    // An empty sync is still a sync.
    repo.replace_all(other, &[]).await.unwrap();
    assert!(repo.last_synced(other).await.unwrap().is_some());
}

fn connection(tenant: TenantId, number: &str, waba: &str) -> Connection {
    Connection {
        tenant_id: tenant,
        is_default: true,
        waba_id: WabaId::parse(waba).unwrap(),
        phone_number_id: PhoneNumberId::parse(number).unwrap(),
        display_phone_number: "+1 555-010-0009".to_owned(),
        business_name: "Acme".to_owned(),
        health: ConnectionHealth::Active,
        health_reason: None,
        health_changed_at: t0(),
        verified_at: None,
        throughput_mps: 80,
        quality_rating: None,
        messaging_limit: None,
    }
}

async fn the_directory_finds_tenants_by_waba(db: TestDb) {
    let a = db.tenant().await;
    let b = db.tenant().await;
    let _unconnected = db.tenant().await;
    db.connections()
        .upsert(&connection(a, "100000000000101", "200000000000101"))
        .await
        .unwrap();
    db.connections()
        .upsert(&connection(b, "100000000000102", "200000000000102"))
        .await
        .unwrap();
    let directory = db.connection_directory();
    let waba = WabaId::parse("200000000000102").unwrap();
    assert_eq!(directory.tenant_for_waba(&waba).await.unwrap(), Some(b));
    let unknown = WabaId::parse("200000000000999").unwrap();
    assert_eq!(directory.tenant_for_waba(&unknown).await.unwrap(), None);
    // A second number of A, in A's WABA: the directory lists numbers, each with its tenant.
    let mut second = connection(a, "100000000000103", "200000000000101");
    second.is_default = false;
    db.connections().upsert(&second).await.unwrap();
    assert_eq!(
        directory
            .tenant_for_waba(&WabaId::parse("200000000000101").unwrap())
            .await
            .unwrap(),
        Some(a)
    );
    let number = |n: &str| PhoneNumberId::parse(n).unwrap();
    let expected = vec![
        (a, number("100000000000101")),
        (b, number("100000000000102")),
        (a, number("100000000000103")),
    ];
    assert_eq!(
        directory.connected_numbers(None, 10).await.unwrap(),
        expected
    );
    let first = directory.connected_numbers(None, 1).await.unwrap();
    let rest = directory
        .connected_numbers(first.last().map(|(_, n)| n.clone()), 10)
        .await
        .unwrap();
    assert_eq!([first, rest].concat(), expected, "paged in number order");
}
