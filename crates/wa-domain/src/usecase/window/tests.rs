//! Tests for reading a window.

use crate::{
    ids::TenantId,
    usecase::test_support::{Mocks, business_number, closed_window, customer, open_window},
};

use super::*;

#[tokio::test]
async fn open_closed_and_never_opened() {
    let tenant = TenantId::generate();
    let ports = Mocks::default()
        .with_window(tenant, Some(open_window()))
        .into_ports();
    let state = read_window(&ports, tenant, &business_number(), &customer())
        .await
        .unwrap();
    assert!(state.open);
    assert_eq!(state.expires_at, Some(open_window().expires_at));

    let ports = Mocks::default()
        .with_window(tenant, Some(closed_window()))
        .into_ports();
    let state = read_window(&ports, tenant, &business_number(), &customer())
        .await
        .unwrap();
    assert!(!state.open);
    assert_eq!(state.last_inbound_at, Some(closed_window().last_inbound_at));

    let mut mocks = Mocks::default();
    mocks
        .conversations
        .expect_find()
        .returning(|_, _, _| Ok(None));
    let state = read_window(&mocks.into_ports(), tenant, &business_number(), &customer())
        .await
        .unwrap();
    assert_eq!(
        state,
        WindowState {
            open: false,
            last_inbound_at: None,
            expires_at: None
        }
    );
}
