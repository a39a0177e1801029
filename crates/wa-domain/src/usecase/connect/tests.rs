//! Tests for connecting and verifying: health follows Meta's answer.

use std::sync::{Arc, Mutex};

use crate::{
    connection::{ConnectionDetails, ConnectionHealth, PhoneNumberInfo},
    credential::{CredentialKind, ExposeSecret, SecretString},
    error_class::ErrorClass,
    graph::{GraphError, GraphErrorInfo},
    ids::{PhoneNumberId, TenantId, WabaId},
    usecase::test_support::{Mocks, NOW, business_number, connection},
};

use super::*;

fn request() -> ConnectRequest {
    ConnectRequest {
        details: ConnectionDetails::new(
            WabaId::parse("102290129340398").unwrap(),
            PhoneNumberId::parse("106540352242922").unwrap(),
            "+1 555-078-3881",
            "Acme",
        )
        .unwrap(),
        access_token: SecretString::from("EAAG-secret"),
        token_expires_at: None,
        make_default: true,
    }
}

/// Every health change recorded through the connection repository.
type RecordedHealth = Arc<Mutex<Vec<(ConnectionHealth, Option<String>)>>>;

/// Mocks for a connect whose verification gets `answer` from Meta; returns the recorded health.
fn connect_mocks(
    tenant: TenantId,
    answer: Result<PhoneNumberInfo, GraphError>,
) -> (Mocks, RecordedHealth) {
    let mut mocks = Mocks::default().with_tenant(tenant, true);
    mocks
        .vault
        .expect_store()
        .withf(move |t, kind, secret, _| {
            *t == tenant
                && *kind == CredentialKind::AccessToken
                && secret.expose_secret() == "EAAG-secret"
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    mocks
        .vault
        .expect_get()
        .returning(|_, _| Ok(SecretString::from("EAAG-secret")));
    mocks
        .connections
        .expect_upsert()
        .withf(move |c| c.tenant_id == tenant && c.health == ConnectionHealth::Pending)
        .times(1)
        .returning(|_| Ok(()));
    let healths = Arc::new(Mutex::new(Vec::new()));
    let recorded = healths.clone();
    mocks
        .connections
        .expect_set_health()
        .returning(move |_, _, health, reason, _, _| {
            recorded.lock().unwrap().push((health, reason));
            Ok(())
        });
    let state = healths.clone();
    mocks
        .connections
        .expect_get_number()
        .returning(move |t, _| {
            let mut c = connection(t, ConnectionHealth::Pending);
            if let Some((health, reason)) = state.lock().unwrap().last().cloned() {
                c.health = health;
                c.health_reason = reason;
            }
            Ok(Some(c))
        });
    let answer = Arc::new(answer);
    mocks
        .graph
        .expect_phone_number_info()
        .times(1)
        .returning(move |_| (*answer).clone());
    (mocks, healths)
}

fn error(class: ErrorClass, code: Option<i64>) -> GraphError {
    GraphError {
        class,
        code,
        http_status: Some(400),
        in_doubt: false,
        info: Box::new(GraphErrorInfo {
            message: "nope".into(),
            ..Default::default()
        }),
    }
}

#[tokio::test]
async fn a_working_connection_becomes_active_and_verified() {
    let tenant = TenantId::generate();
    let info = PhoneNumberInfo {
        platform_type: Some("CLOUD_API".into()),
        quality_rating: Some("GREEN".into()),
        throughput_level: Some("STANDARD".into()),
        ..Default::default()
    };
    let (mut mocks, healths) = connect_mocks(tenant, Ok(info.clone()));
    mocks
        .connections
        .expect_update_number_info()
        .withf(move |t, n, i| *t == tenant && *n == business_number() && *i == info)
        .times(1)
        .returning(|_, _, _| Ok(()));
    mocks
        .vault
        .expect_mark_verified()
        .withf(|_, _, at| *at == NOW)
        .times(1)
        .returning(|_, _, _| Ok(()));
    let connection = connect_tenant(&mocks.into_ports(), tenant, request())
        .await
        .unwrap();
    assert_eq!(connection.health, ConnectionHealth::Active);
    assert_eq!(
        healths.lock().unwrap().as_slice(),
        &[(ConnectionHealth::Active, None)]
    );
}

#[tokio::test]
async fn rejected_credentials_make_it_invalid() {
    let tenant = TenantId::generate();
    let (mocks, _) = connect_mocks(tenant, Err(error(ErrorClass::AuthInvalid, Some(190))));
    let connection = connect_tenant(&mocks.into_ports(), tenant, request())
        .await
        .unwrap();
    assert_eq!(connection.health, ConnectionHealth::Invalid);
    assert!(connection.health_reason.unwrap().contains("190"));
}

#[tokio::test]
async fn a_wrong_number_makes_it_disconnected() {
    let tenant = TenantId::generate();
    let (mocks, _) = connect_mocks(tenant, Err(error(ErrorClass::Permanent, Some(100))));
    let connection = connect_tenant(&mocks.into_ports(), tenant, request())
        .await
        .unwrap();
    assert_eq!(connection.health, ConnectionHealth::Disconnected);
}

#[tokio::test]
async fn a_number_not_on_the_cloud_api_is_disconnected() {
    let tenant = TenantId::generate();
    let info = PhoneNumberInfo {
        platform_type: Some("ON_PREMISE".into()),
        ..Default::default()
    };
    let (mut mocks, _) = connect_mocks(tenant, Ok(info));
    mocks
        .connections
        .expect_update_number_info()
        .returning(|_, _, _| Ok(()));
    mocks
        .vault
        .expect_mark_verified()
        .returning(|_, _, _| Ok(()));
    let connection = connect_tenant(&mocks.into_ports(), tenant, request())
        .await
        .unwrap();
    assert_eq!(connection.health, ConnectionHealth::Disconnected);
    assert!(connection.health_reason.unwrap().contains("ON_PREMISE"));
}

#[tokio::test]
async fn meta_unreachable_leaves_it_pending() {
    let tenant = TenantId::generate();
    let (mocks, _) = connect_mocks(tenant, Err(error(ErrorClass::Retryable, None)));
    let connection = connect_tenant(&mocks.into_ports(), tenant, request())
        .await
        .unwrap();
    assert_eq!(connection.health, ConnectionHealth::Pending);
}

#[tokio::test]
async fn a_transient_failure_never_demotes_an_active_connection() {
    let tenant = TenantId::generate();
    let mut mocks = Mocks::default();
    mocks
        .connections
        .expect_get_number()
        .returning(move |t, _| Ok(Some(connection(t, ConnectionHealth::Active))));
    mocks
        .vault
        .expect_get()
        .returning(|_, _| Ok(SecretString::from("t")));
    mocks
        .graph
        .expect_phone_number_info()
        .returning(|_| Err(error(ErrorClass::Retryable, Some(2))));
    // No set_health expectation: calling it would panic.
    let connection = verify_connection(&mocks.into_ports(), tenant, &business_number())
        .await
        .unwrap();
    assert_eq!(connection.health, ConnectionHealth::Active);
}

#[tokio::test]
async fn a_disabled_tenant_cannot_connect_and_nothing_is_stored() {
    let tenant = TenantId::generate();
    let ports = Mocks::default().with_tenant(tenant, false).into_ports();
    let err = connect_tenant(&ports, tenant, request()).await.unwrap_err();
    assert!(matches!(err, ConnectError::TenantDisabled), "{err:?}");
}

#[tokio::test]
async fn verify_without_a_token_marks_it_invalid() {
    let tenant = TenantId::generate();
    let mut mocks = Mocks::default();
    mocks
        .connections
        .expect_get_number()
        .returning(move |t, _| Ok(Some(connection(t, ConnectionHealth::Active))));
    mocks
        .vault
        .expect_get()
        .returning(|_, kind| Err(crate::ports::VaultError::NotFound(kind)));
    mocks
        .connections
        .expect_set_health()
        .withf(|_, _, health, _, _, _| *health == ConnectionHealth::Invalid)
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
    verify_connection(&mocks.into_ports(), tenant, &business_number())
        .await
        .unwrap();
}
